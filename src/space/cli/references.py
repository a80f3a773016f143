"""space references: build, add, remove and list golden reference sets."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "references",
        help="build, add, remove or list pronunciation reference sets",
        description="Reference sets are a few recordings per word that attempts are scored "
        "against (see `space score`).",
    )
    p.add_argument("--references-dir", metavar="DIR",
                   help="your references folder (default: $SPACE_REFERENCES_DIR or "
                   "~/.local/share/space/references)")
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
    r = rsub.add_parser("remove", help="remove your recordings of a word (the bundled set "
                        "comes back)",
                        description="Remove CLIPs (file names as `space references list WORD` "
                        "shows them) from your references of WORD, or all of them. A word "
                        "with none of your recordings left is scored against its bundled "
                        "set again. Bundled references are never removed.")
    r.add_argument("word")
    r.add_argument("clips", nargs="*", metavar="CLIP")
    ls = rsub.add_parser("list", help="words with references and where they come from")
    ls.add_argument("word", nargs="?", help="list this word's clips")
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
        res = refs.add_reference_clips(args.word, args.files, references_dir=args.references_dir)
        for p in res.added:
            print(p)
        for f, same in res.duplicates:
            print(f"space references: {f}: already in the set of {res.word!r} (same content "
                  f"as {same}); not added again", file=sys.stderr)
        if not res.added:
            print(f"space references: nothing added to {res.folder}", file=sys.stderr)
    elif args.action == "remove":
        removed = refs.remove_references(args.word, args.clips or None,
                                         references_dir=args.references_dir)
        w = refs.check_word(args.word)
        print(f"removed {len(removed)} clip(s) of {w!r}: {', '.join(removed)}", file=sys.stderr)
        left = [s for s in refs.word_sources(args.references_dir) if s.word == w]
        if left:
            print(f"{w!r} is now scored against the {left[0].source} set ({left[0].folder})",
                  file=sys.stderr)
        else:
            print(f"{w!r} has no references left", file=sys.stderr)
    else:
        sources = refs.word_sources(args.references_dir)
        if args.word:
            w = refs.check_word(args.word)
            sources = [s for s in sources if s.word == w]
            if not sources:
                refs.word_dir(w, args.references_dir)  # raises: no references for the word
            for s in sources:
                for c in s.clips:
                    print(f"{s.word}\t{s.source}\t{c}")
            return 0
        for s in sources:
            where = s.source + (" (replaces the bundled set; `space references remove "
                                f"{s.word}` restores it)" if s.hides_bundled else "")
            print(f"{s.word}\t{len(s.clips)}\t{where}\t{s.folder}")
    return 0
