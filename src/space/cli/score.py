"""space score: score pronunciation attempts at any word or short sentence."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ._common import MODEL_HELP, add_json, add_model, add_quiet, show_progress


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "score",
        help="score pronunciation attempts at a word or a short sentence",
        description="Score each ATTEMPT at --word (any word of the pronunciation lexicon, "
        "CMUdict) or --text (a short sentence): 0-100 with a band, per word and per sound, "
        "and what to work on. --transcripts scores a list of recordings and their texts.",
    )
    p.add_argument("attempts", nargs="*", metavar="ATTEMPT", help="audio file(s) to score")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--word", "-w", help="the word said (e.g. water, three or 3)")
    what.add_argument("--text", "-t", help="the sentence said (at most 30 words)")
    what.add_argument("--transcripts", metavar="LIST.tsv",
                      help="score a list: one 'path<TAB>text' per line (relative paths from "
                      "the list's folder); one JSON line per row with --json")
    add_model(p, default=None,
              help=f"{MODEL_HELP} that checks a single word was said (`recognized`; "
              "default: the bundled model that knows the word)")
    add_json(p, "one JSON object per attempt (or row) per line on stdout")
    p.add_argument("--output", "-o", metavar="OUT.jsonl",
                   help="also write the JSON lines to this file (written whole at the end)")
    p.add_argument("--plot", metavar="OUT.png",
                   help="feedback picture (several attempts: OUT-<attempt>.png each; attempts "
                   "with the same file name add their folder, OUT-<folder>_<attempt>.png)")
    add_quiet(p, "no progress bar for --transcripts")
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


def _models(args: argparse.Namespace) -> Any:
    if not args.model:
        return None
    from ..recognize.words.registry import ModelRegistry

    return ModelRegistry({args.model: args.model})


def _write_lines(path: str | None, lines: list[str]) -> None:
    if path is None:
        return
    from ..io import atomic_write

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in lines)

    atomic_write(path, write)


def _transcripts(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..pronounce.batch import RowError, read_transcripts, row_json, score_rows

    rows = read_transcripts(args.transcripts)
    failed, lines = 0, []
    bar = tqdm(total=len(rows), unit="row", file=sys.stderr, leave=False,
               disable=not show_progress(args) or len(rows) < 2)
    for row, res in score_rows(rows, models=_models(args)):
        bar.update(1)
        if isinstance(res, RowError):
            failed += 1
            bar.clear()
            print(f"space score: error: {args.transcripts}: {res}", file=sys.stderr,
                  flush=True)
            continue
        assert not isinstance(row, RowError)
        line = json.dumps(row_json(row, res), ensure_ascii=False)
        lines.append(line)
        bar.clear()
        if args.json:
            sys.stdout.write(line + "\n")  # one write per row: never half a line
        else:
            sys.stdout.write(f"{row.file}\t{res.score:.0f}\t{res.band}\t{res.sentence}\n")
        sys.stdout.flush()
    bar.close()
    _write_lines(args.output, lines)
    if failed:
        print(f"space score: {failed} of {len(rows)} rows not scored", file=sys.stderr)
    return 2 if failed else 0


def run(args: argparse.Namespace) -> int:
    from ..audio.load import check_file
    from ..errors import AudioError, UsageError
    from ..pronounce.assess import check_text

    if args.output:
        from ..io import check_output_path

        check_output_path(args.output, what="--output")
    if args.transcripts:
        if args.attempts or args.plot:
            raise UsageError("--transcripts takes no ATTEMPT files and no --plot")
        return _transcripts(args)
    if not args.attempts:
        raise UsageError("give the ATTEMPT file(s) to score")
    if args.word is None and args.text is None:
        raise UsageError("give --word WORD or --text SENTENCE (what was said)")
    # The text and every file are checked before the models load (seconds).
    check_text(word=args.word, text=args.text)
    failed, many = 0, len(args.attempts) > 1
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
    pictures: list[Path] = []
    if args.plot:
        from ..io import check_output_path

        # every picture's path, distinct and writable, before any scoring
        pictures = plot_paths(args.plot, args.attempts)
        for i, _ in attempts:
            check_output_path(pictures[i], what="--plot")
    models = _models(args)
    from ..pronounce import score

    lines = []
    for i, attempt in attempts:
        try:
            res = score(attempt, word=args.word, text=args.text, models=models)
        except AudioError as e:
            if not many:
                raise
            print(f"space score: error: {e}", file=sys.stderr)
            failed += 1
            continue
        png = pictures[i] if pictures else None
        if png is not None:
            res.plot(png)
        line = json.dumps(res.to_dict(), ensure_ascii=False)
        lines.append(line)
        print(line if args.json else "\n".join(res.lines()), flush=True)
        for w in res.warnings:
            print(f"space score: warning: {attempt}: {w}", file=sys.stderr)
        if png is not None:
            print(f"feedback picture: {png}", file=sys.stderr)
    _write_lines(args.output, lines)
    return 2 if failed else 0
