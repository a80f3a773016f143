"""space score: score pronunciation attempts at any word or short sentence."""

from __future__ import annotations

import argparse
import json
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
                   help="feedback picture (several attempts: OUT-<attempt>.png each)")
    add_quiet(p, "no progress bar for --transcripts")
    return p


def _plot_path(plot: str, attempt: str, many: bool) -> Path:
    out = Path(plot)
    if not many:
        return out
    return out.with_name(f"{out.stem}-{Path(attempt).stem}{out.suffix or '.png'}")


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
            sys.stdout.write(f"{row.file}\t{res.score:.1f}\t{res.band}\t{res.sentence}\n")
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
    attempts = []
    for attempt in args.attempts:
        try:
            check_file(attempt)
        except AudioError as e:
            if not many:
                raise
            print(f"space score: error: {e}", file=sys.stderr)
            failed += 1
        else:
            attempts.append(attempt)
    if args.plot:
        from ..io import check_output_path

        for attempt in attempts:
            check_output_path(_plot_path(args.plot, attempt, many), what="--plot")
    models = _models(args)
    from ..pronounce import score

    lines = []
    for attempt in attempts:
        try:
            res = score(attempt, word=args.word, text=args.text, models=models)
        except AudioError as e:
            if not many:
                raise
            print(f"space score: error: {e}", file=sys.stderr)
            failed += 1
            continue
        png = None
        if args.plot:
            png = _plot_path(args.plot, attempt, many)
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
