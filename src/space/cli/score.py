"""space score: score pronunciation attempts against golden references."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ._common import MODEL_HELP, add_json, add_model


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "score",
        help="score pronunciation attempts against reference recordings",
        description="Score each ATTEMPT (0-100, with a band) against the references of "
        "--word (bundled, or added with `space references add`) or against your own "
        "--reference recordings, and name the spans that matched worst.",
    )
    p.add_argument("attempts", nargs="+", metavar="ATTEMPT", help="audio file(s) to score")
    p.add_argument("--word", "-w", help="the word attempted (see `space references list`)")
    p.add_argument("--reference", "-r", action="append", metavar="REF",
                   help="a reference recording or a folder of them (repeat for a set); "
                   "replaces --word's set")
    p.add_argument("--references-dir", metavar="DIR",
                   help="your references folder (default: $SPACE_REFERENCES_DIR or "
                   "~/.local/share/space/references)")
    add_model(p, default=None,
              help=f"{MODEL_HELP} that checks the word was said (`recognized`; default: the "
              "bundled model that knows the word)")
    p.add_argument("--phones", action=argparse.BooleanOptionalAction, default=True,
                   help="score each sound of the word (needs pocketsphinx): the weakest "
                   "sound is named, --json lists them all; --no-phones skips them")
    add_json(p, "one JSON object per attempt per line on stdout")
    p.add_argument("--plot", metavar="OUT.png",
                   help="feedback picture (several attempts: OUT-<attempt>.png each; attempts "
                   "with the same file name add their folder, OUT-<folder>_<attempt>.png)")
    return p


def plot_paths(plot: str, attempts: list[str]) -> list[Path]:
    """The picture of each attempt: ``plot`` itself for one, else ``OUT-<attempt>.png``,
    every name distinct (attempts that share a file name are told apart by their folders,
    then by their place in the list), so no picture of a run overwrites another."""
    out = Path(plot)
    if len(attempts) == 1:
        return [out]
    parts = [Path(a).with_suffix("").parts or ("clip",) for a in attempts]
    depth = [1] * len(attempts)
    while True:  # one more folder for every name still shared (at most the whole path)
        names = ["_".join(p[-d:]) for p, d in zip(parts, depth)]
        shared = [i for i, n in enumerate(names) if names.count(n) > 1 and depth[i] < len(parts[i])]
        if not shared:
            break
        for i in shared:
            depth[i] += 1
    used: set[str] = set()
    paths = []
    for n in names:
        # letters, digits, _ and - only; the end of a long name is the part that differs
        stem = re.sub(r"[^\w\-]+", "_", n).strip("_")[-60:] or "clip"
        name, k = stem, 2
        while name in used:  # the same file named twice
            name, k = f"{stem}-{k}", k + 1
        used.add(name)
        paths.append(out.with_name(f"{out.stem}-{name}{out.suffix or '.png'}"))
    return paths


def run(args: argparse.Namespace) -> int:
    from ..audio.load import check_file
    from ..errors import AudioError, UsageError

    if not args.word and not args.reference:
        raise UsageError("give --word WORD or at least one --reference FILE")
    # Every input is checked before the references and the frame encoder load (seconds):
    # a mistyped file name is reported at once.
    failed = 0
    many = len(args.attempts) > 1
    attempts = []  # (place in the list, file) of the usable ones
    for i, attempt in enumerate(args.attempts):
        try:
            check_file(attempt)
        except AudioError as e:
            if not many:
                raise
            print(f"space score: error: {e}", file=sys.stderr)
            failed += 1
        else:
            attempts.append((i, attempt))
    refs: list[Any] | None = None
    if args.reference:
        from ..io import expand_inputs

        refs = [str(p) for p in expand_inputs(args.reference)]
        for r in refs:
            check_file(r)
    elif args.word:
        from ..pronounce.refsets import word_dir

        word_dir(args.word, args.references_dir)  # an unknown or invalid word
    pictures: list[Path] = []
    if args.plot:
        from ..io import check_output_path

        # every picture's path, distinct and writable, before any scoring
        pictures = plot_paths(args.plot, args.attempts)
        for i, _ in attempts:
            check_output_path(pictures[i], what="--plot")
    models = None
    if args.model:
        from ..recognize.registry import ModelRegistry

        models = ModelRegistry({args.model: args.model})
    from ..pronounce import score

    for i, attempt in attempts:
        try:
            res = score(attempt, word=args.word, references=refs, models=models,
                        references_dir=args.references_dir, phones=args.phones)
        except AudioError as e:
            if not many:
                raise
            print(f"space score: error: {e}", file=sys.stderr)
            failed += 1
            continue
        png = pictures[i] if pictures else None
        if png is not None:
            res.plot(png)
        if args.json:
            print(json.dumps(res.to_dict()), flush=True)
        else:
            seg = res.segments[0] if res.segments else None
            worst = (f"  worst {seg.attempt_start_s:.2f}-{seg.attempt_end_s:.2f} s"
                     if seg else "")
            heard = ""
            if res.recognized is not None:
                rec = res.recognized
                heard = f"  heard {rec['label']!r} ({rec['probability']:.2f})"
            print(f"{attempt}\t{res.word or '-'}\t{res.score:.1f}\t{res.band}{worst}{heard}")
            if res.phones and res.word:
                from ..pronounce.feedback import phone_feedback

                fb = phone_feedback(res.phones, res.word, res.quality)
                for line in (fb["text"], fb["caveat"]):
                    if line:
                        print(f"  {line}")
        for w in res.warnings:
            print(f"space score: warning: {attempt}: {w}", file=sys.stderr)
        if png is not None:
            print(f"feedback picture: {png}", file=sys.stderr)
    return 2 if failed else 0
