"""space references: build, add, remove and list golden reference sets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._common import add_json, add_old_spelling


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "references",
        help="build, add, remove or list pronunciation reference sets",
        description="Reference sets are a few recordings per word, kept as examples of the "
        "word said well (bundled for the digits and commands, or your own). The score does "
        "not need them: `space score` judges the sounds of any word of the lexicon.",
    )
    _add_references_dir(p)
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
    add_json(a, "print what was copied (and what was already there) as JSON on stdout")
    r = rsub.add_parser("remove", help="remove your recordings of a word (the bundled set "
                        "comes back)",
                        description="Remove CLIPs (file names as `space references list WORD` "
                        "shows them) from your references of WORD, or all of them. A word "
                        "with none of your recordings left is scored against its bundled "
                        "set again. Bundled references are never removed.")
    r.add_argument("word", help="the word whose recordings to remove")
    r.add_argument("clips", nargs="*", metavar="CLIP", help="clips to remove (default: all)")
    add_json(r, "print the removed clips as JSON on stdout")
    ls = rsub.add_parser("list", help="words with references and where they come from",
                         description="One line per word: the word, its number of recordings, "
                         "where they come from (bundled or user) and their folder, relative to "
                         "that source's references folder (named in the header); with WORD, "
                         "that word's clips.")
    ls.add_argument("word", nargs="?", help="list this word's clips")
    add_json(ls, "print the list as JSON on stdout")
    for sp in (a, r, ls):  # after the action too, as score, listen and serve take it
        _add_references_dir(sp, argparse.SUPPRESS)
    return p


def _add_references_dir(p: argparse.ArgumentParser, default: Any = None) -> None:
    """``--references-dir``; an action's copy defaults to SUPPRESS so that it does not
    overwrite the value given before the action (``references --references-dir D list``)."""
    p.add_argument("--references-dir", metavar="DIR", default=default,
                   help="your references folder (default: $SPACE_REFERENCES_DIR or "
                   "~/.local/share/space/references)")


def list_rows(references_dir: str | None = None) -> dict[str, Any]:
    """What `space references list` shows: each source folder and every word's set in it."""
    from ..pronounce.references import folders as refs

    roots = {"bundled": refs.bundled_dir(), "user": refs.user_dir(references_dir)}
    words = [{"word": s.word, "clips": len(s.clips), "source": s.source,
              "folder": s.folder.relative_to(roots[s.source]).as_posix(),
              "replaces_bundled": s.hides_bundled}
             for s in refs.word_sources(references_dir)]
    return {"folders": {k: str(v) for k, v in roots.items()}, "words": words}


def run(args: argparse.Namespace) -> int:
    from ..pronounce.references import folders as refs

    if args.action == "build":
        from ..pronounce.references.build import build_references

        if args.per_word < 1:
            from ..errors import UsageError

            raise UsageError("--per-word must be at least 1")
        log = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
        summary = build_references(args.data, args.out, k=args.per_word, layout=args.layout,
                                   split=args.split, max_candidates=args.max_candidates, log=log)
        n = sum(len(v) for v in summary["words"].values())
        if log is None:  # --quiet hides progress, not warnings (the log said them otherwise)
            for w, texts in summary.get("warnings", {}).items():
                for text in texts:
                    print(f"space references: warning: {w}: {text}", file=sys.stderr)
        if args.json:
            print(json.dumps(summary, indent=2, default=str))
        else:
            print(f"wrote {n} references for {len(summary['words'])} words to {summary['out']}")
    elif args.action == "add":
        from ..pronounce.references.add import add_reference_clips

        res = add_reference_clips(args.word, args.files, references_dir=args.references_dir)
        # The set as it now is, checked (and calibrated once, for later scores): one
        # reference only, or a clip that disagrees with the rest (another word?).
        set_warnings: list[str] = []
        if res.added:
            from ..pronounce.references.sets import word_reference_set

            set_warnings = word_reference_set(res.word,
                                              references_dir=args.references_dir).warnings
        if args.json:
            print(json.dumps({"word": res.word, "files": [str(p) for p in res.added],
                              "duplicates": [{"file": f, "same_as": c}
                                             for f, c in res.duplicates],
                              "warnings": list(set_warnings)}, indent=2))
        else:
            for p in res.added:
                print(p)
        for f, same in res.duplicates:
            print(f"space references: {f}: already in the set of {res.word!r} (same content "
                  f"as {same}); not added again", file=sys.stderr)
        if not res.added:
            print(f"space references: nothing added to {res.folder}", file=sys.stderr)
        for text in set_warnings:
            print(f"space references: warning: {text}", file=sys.stderr)
    elif args.action == "remove":
        removed = refs.remove_references(args.word, args.clips or None,
                                         references_dir=args.references_dir)
        w = refs.check_word(args.word)
        if args.json:
            print(json.dumps({"word": w, "removed": removed}, indent=2))
        print(f"removed {len(removed)} clip(s) of {w!r}: {', '.join(removed)}", file=sys.stderr)
        left = [s for s in refs.word_sources(args.references_dir) if s.word == w]
        if left:
            print(f"{w!r} is now scored against the {left[0].source} set ({left[0].folder})",
                  file=sys.stderr)
        else:
            print(f"{w!r} has no references left", file=sys.stderr)
    elif args.word:
        w = refs.check_word(args.word)
        folder = refs.word_dir(w, args.references_dir)  # raises: no references for the word
        source = [s for s in refs.word_sources(args.references_dir) if s.word == w]
        clips = source[0].clips if source else []
        if args.json:
            print(json.dumps({"word": w, "folder": str(folder), "clips": clips}, indent=2))
        else:
            for c in clips:
                print(f"{w}\t{source[0].source}\t{c}")
    else:
        rows = list_rows(args.references_dir)
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        folders = rows["folders"]
        user_note = "" if Path(folders["user"]).is_dir() else " (none yet)"
        print(f"# bundled references: {folders['bundled']}")
        print(f"# user references:    {folders['user']}{user_note}")
        print("word\tclips\tsource\tfolder\tnote")
        for r in rows["words"]:
            note = (f"replaces the bundled set; `space references remove {r['word']}` restores it"
                    if r["replaces_bundled"] else "")
            print(f"{r['word']}\t{r['clips']}\t{r['source']}\t{r['folder']}\t{note}".rstrip("\t"))
    return 0
