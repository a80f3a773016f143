"""space predict: recognise words in audio files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._common import add_json, add_model, add_quiet, show_progress


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "predict",
        help="recognise the word in audio files",
        description="Recognise the spoken word in each file (WAV/FLAC/OGG/MP3, any rate and "
        "channel count). Folders are searched for audio files. A file that cannot be used is "
        "reported on stderr and skipped; the exit code is 2 if any was skipped.",
    )
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", help="audio files or folders")
    add_model(p)
    p.add_argument("--top-k", "-k", type=int, default=3, metavar="K",
                   help="how many of the most likely words to give, the answer first: "
                   "the line shows the answer and K-1 alternatives in brackets, --json's "
                   "top_k all K (default 3)")
    p.add_argument("--min-probability", type=float, metavar="P",
                   help="below this top probability the answer is _unknown_ (another word) "
                   "(default: the model's calibrated value; 0 for a model without one)")
    add_json(p, "one JSON object per file per line on stdout")
    p.add_argument("--batch-size", type=int, default=64, help=argparse.SUPPRESS)
    add_quiet(p, "no progress bar")
    return p


class _NoBar:
    """One file: no progress bar, and no tqdm import (50 ms of a cold start)."""

    def update(self) -> None: ...

    def write(self, s: str, file: Any = None) -> None:
        print(s, file=file)

    def close(self) -> None: ...


def run(args: argparse.Namespace) -> int:
    from ..api import load_model
    from ..errors import SpaceError, UsageError
    from ..io import expand_inputs

    if args.top_k < 1:
        raise UsageError("--top-k must be at least 1")
    if args.min_probability is not None and not 0 <= args.min_probability <= 1:
        raise UsageError(f"--min-probability must lie within 0..1, not {args.min_probability}")
    files = expand_inputs(args.inputs)
    if not files:
        raise UsageError(f"no audio files found in {' '.join(args.inputs)}")
    rec = load_model(args.model)
    failed = 0
    bar: Any = _NoBar()
    if len(files) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr,
                   disable=not show_progress(args), leave=False)
    for res in rec.predict_many(files, top_k=args.top_k, batch_size=args.batch_size,
                                min_probability=args.min_probability):
        bar.update()
        if isinstance(res, SpaceError):
            failed += 1
            if len(files) == 1:
                raise res
            bar.write(f"space predict: skipped: {res}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({**res.to_dict(), "engine": rec.engine_name}), flush=True)
        else:
            alts = "  ".join(f"{lab} {p:.2f}" for lab, p in res.top_k[1:])
            print(f"{res.source}\t{res.label}\t{res.probability:.3f}" + (f"\t({alts})" if alts else ""))
    bar.close()
    if failed:
        print(f"space predict: {failed} of {len(files)} file(s) skipped", file=sys.stderr)
        return 2
    return 0
