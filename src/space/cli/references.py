"""space references: build, add and list golden reference sets."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._common import add_json, add_old_spelling


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "references",
        help="build, add or list pronunciation reference sets",
        description="Reference sets are a few recordings per word that attempts are scored "
        "against (see `space score`).",
    )
    rsub = p.add_subparsers(dest="action", metavar="ACTION")
    rsub.required = True
    b = rsub.add_parser("build", help="pick the most central recordings of each word of a data set",
                        description="For each word of a data set folder (FSDD, Speech Commands "
                        "or folder-per-word), pick the --per-word recordings closest to all the "
                        "others (medoids by DTW distance, one per speaker where speakers are "
                        "known), store them trimmed as FLAC with their distances and calibration.")
    b.add_argument("--data", required=True, help="data set folder")
    b.add_argument("--out", "-o", required=True, metavar="DIR", help="references folder to write")
    b.add_argument("--per-word", "-n", type=int, default=5, help="references per word")
    add_old_spelling(b, "--k", dest="per_word", type=int)
    b.add_argument("--layout", default="auto",
                   choices=["auto", "fsdd", "speech_commands", "folder"],
                   help="how the folder is organised; auto detects it")
    b.add_argument("--split", default="train", choices=["train", "val", "test", "all"],
                   help="which split to pick from")
    b.add_argument("--max-candidates", type=int, default=150,
                   help="recordings per word compared (a stable sample)")
    add_json(b, "print a summary as JSON on stdout")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    a = rsub.add_parser("add", help="add your own recordings of a word",
                        description="Copy recordings of WORD into your references folder "
                        "($SPACE_REFERENCES_DIR or ~/.local/share/space/references); from then "
                        "on `space score --word WORD` scores against them instead of the "
                        "bundled set.")
    a.add_argument("word", help="the word the recordings say")
    a.add_argument("files", nargs="+", metavar="FILE", help="audio files to copy")
    add_json(a, "print the copied files as JSON on stdout")
    ls = rsub.add_parser("list", help="words with references and where they come from",
                         description="One line per word: the word, its number of recordings, "
                         "where they come from (bundled or user) and their folder, relative to "
                         "that source's references folder (named in the header).")
    add_json(ls, "print the list as JSON on stdout")
    return p


def list_rows() -> dict[str, Any]:
    """What `space references list` shows: each source folder and every word's set in it."""
    from ..pronounce import refsets as refs

    roots = {"bundled": refs.bundled_dir(), "user": refs.user_dir()}
    words = []
    for w in refs.list_words():
        folder = refs.word_dir(w)
        source = "user" if folder.parent == roots["user"] else "bundled"
        words.append({"word": w, "clips": len(refs.reference_paths(w)), "source": source,
                      "folder": folder.relative_to(roots[source]).as_posix()})
    return {"folders": {k: str(v) for k, v in roots.items()}, "words": words}


def run(args: argparse.Namespace) -> int:
    from ..pronounce import refsets as refs

    if args.action == "build":
        from ..pronounce.build import build_references

        if args.per_word < 1:
            from ..errors import UsageError

            raise UsageError("--per-word must be at least 1")
        log = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
        summary = build_references(args.data, args.out, k=args.per_word, layout=args.layout,
                                   split=args.split, max_candidates=args.max_candidates, log=log)
        n = sum(len(v) for v in summary["words"].values())
        if args.json:
            print(json.dumps(summary, indent=2, default=str))
        else:
            print(f"wrote {n} references for {len(summary['words'])} words to {summary['out']}")
    elif args.action == "add":
        added = refs.add_references(args.word, args.files)
        if args.json:
            print(json.dumps({"word": refs.check_word(args.word),
                              "files": [str(p) for p in added]}, indent=2))
        else:
            for p in added:
                print(p)
    else:
        rows = list_rows()
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        folders = rows["folders"]
        user_note = "" if refs.user_dir().is_dir() else " (none yet)"
        print(f"# bundled references: {folders['bundled']}")
        print(f"# user references:    {folders['user']}{user_note}")
        print("word\tclips\tsource\tfolder")
        for r in rows["words"]:
            print(f"{r['word']}\t{r['clips']}\t{r['source']}\t{r['folder']}")
    return 0
