"""space references: build, add and list golden reference sets."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "references",
        help="build, add or list pronunciation reference sets",
        description="Reference sets are a few recordings per word that attempts are scored "
        "against (see `space score`).",
    )
    rsub = p.add_subparsers(dest="action", metavar="ACTION")
    rsub.required = True
    b = rsub.add_parser("build", help="pick the k most central recordings per word of a data set",
                        description="For each word of a data set folder (FSDD, Speech Commands "
                        "or folder-per-word), pick the k recordings closest to all the others "
                        "(medoids by DTW distance, one per speaker where speakers are known), "
                        "store them trimmed as FLAC with their distances and calibration.")
    b.add_argument("--data", required=True, help="data set folder")
    b.add_argument("--out", required=True, help="references folder to write")
    b.add_argument("--k", type=int, default=5, help="references per word (default 5)")
    b.add_argument("--layout", default="auto",
                   choices=["auto", "fsdd", "speech_commands", "folder"])
    b.add_argument("--split", default="train", choices=["train", "val", "test", "all"],
                   help="which split to pick from (default: train)")
    b.add_argument("--max-candidates", type=int, default=150,
                   help="recordings per word compared (a stable sample; default 150)")
    b.add_argument("--quiet", "-q", action="store_true")
    a = rsub.add_parser("add", help="add your own recordings of a word",
                        description="Copy recordings of WORD into your references folder "
                        "($SPACE_REFERENCES_DIR or ~/.local/share/space/references); from then "
                        "on `space score --word WORD` scores against them instead of the "
                        "bundled set.")
    a.add_argument("word")
    a.add_argument("files", nargs="+", metavar="FILE")
    rsub.add_parser("list", help="words with references and where they come from")
    return p


def run(args: argparse.Namespace) -> int:
    from ..pronounce import refsets as refs

    if args.action == "build":
        from ..pronounce.build import build_references

        log = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
        summary = build_references(args.data, args.out, k=args.k, layout=args.layout,
                                   split=args.split, max_candidates=args.max_candidates, log=log)
        n = sum(len(v) for v in summary["words"].values())
        print(f"wrote {n} references for {len(summary['words'])} words to {summary['out']}")
    elif args.action == "add":
        for p in refs.add_references(args.word, args.files):
            print(p)
    else:
        for s in refs.word_summaries():
            print(f"{s['word']}\t{s['references']}\t{s['source']}\t{s['folder']}")
    return 0
