"""space data download: fetch and unpack an official data set archive; space data words:
cut learners' sentences into one clip per word."""

from __future__ import annotations

import argparse
import json
import sys

from ._common import add_json, add_old_spelling, add_quiet, show_progress


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from ..data.download import ARCHIVES

    p = sub.add_parser(
        "data",
        help="download data sets",
        description="Data set tools. `space data download NAME --out DIR` fetches the official "
        "archive (checksummed, resumable: run it again after an interruption), unpacks it "
        "into DIR and leaves DIR ready for `space train --data DIR`. `space data words SRC "
        "--out DIR` cuts speechocean762's sentences into one clip per word.",
    )
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    d = dsub.add_parser("download", help="download and unpack an official data set",
                        description="; ".join(f"{k}: {a.description} ({a.license})"
                                              for k, a in ARCHIVES.items()))
    d.add_argument("name", choices=sorted(ARCHIVES), help="which data set")
    d.add_argument("--out", "-o", metavar="DIR", help="folder to unpack into (required)")
    add_old_spelling(d, "--to", dest="out")
    d.add_argument("--url", help="download from this mirror instead (same archive)")
    d.add_argument("--sha256", help="expected SHA-256 of the archive at --url "
                   "(default: the official archive's)")
    d.add_argument("--keep-archive", action="store_true", help="keep the .tar.gz after unpacking")
    add_json(d, "print what was done as JSON on stdout")
    add_quiet(d)
    w = dsub.add_parser(
        "words", help="cut learners' sentences into one clip per word",
        description="Align every sentence of a speechocean762 training split (PocketSphinx, "
        "the corpus's own phones per word) and write each word as a 16 kHz WAV clip into "
        "--out in the speechocean762_words layout, for `space train --add-learners DIR` "
        "(the model's own words) and `--add-unknown DIR` (every other word). Sentences that "
        "cannot be read or aligned are named and left out.")
    w.add_argument("source", help="speechocean762_train folder (labels.json, audio/)")
    w.add_argument("--out", "-o", metavar="DIR", help="folder to write (required)")
    add_json(w, "print a summary as JSON on stdout")
    add_quiet(w)
    return p


def run(args: argparse.Namespace) -> int:
    from ..data.download import download
    from ..errors import UsageError

    if args.data_command == "words":
        return run_words(args)
    if not args.out:
        raise UsageError("give the folder to unpack into with --out DIR")
    done = download(args.name, args.out, url=args.url, sha256=args.sha256,
                    keep_archive=args.keep_archive, progress=show_progress(args))
    if args.json:
        print(json.dumps(done, indent=2))
    elif done["already_present"]:
        print(f"{args.name} is already in {done['folder']} (delete "
              f"{done['folder']}/.space-download.json to download again)", file=sys.stderr)
    else:
        print(f"{args.name}: {done['files']} files in {done['folder']} "
              f"(license: {done['license']})", file=sys.stderr)
    return 0


def run_words(args: argparse.Namespace) -> int:
    from ..data.sentence_words import cut_words, read_sentences
    from ..errors import UsageError
    from ..io import check_output_path
    from ..pronounce.lexicon.pocketsphinx import align_words

    if not args.out:
        raise UsageError("give the folder to write with --out DIR")
    read_sentences(args.source)  # a wrong folder is refused before any work
    check_output_path(args.out, what="--out", folder=True)
    quiet = args.quiet  # a line per 100 sentences: readable in a log too

    def progress(done: int, total: int, problem: str | None) -> None:
        if problem:
            print(f"left out: {problem}", file=sys.stderr)
        if not quiet and (done % 100 == 0 or done == total):
            print(f"{done}/{total} sentences", file=sys.stderr)

    meta = cut_words(args.source, args.out, align_words, progress=progress)
    summary = {"folder": args.out, "clips": len(meta["clips"]),
               "words": len({c["word"] for c in meta["clips"].values()}),
               "skipped": len(meta["skipped"])}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{summary['clips']} clips of {summary['words']} words in {args.out} "
              f"({summary['skipped']} sentences left out)", file=sys.stderr)
    return 0
