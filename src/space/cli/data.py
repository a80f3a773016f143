"""space data download: fetch and unpack an official data set archive."""

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
        "into DIR and leaves DIR ready for `space train --data DIR`.",
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
    return p


def run(args: argparse.Namespace) -> int:
    from ..data.download import download
    from ..errors import UsageError

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
