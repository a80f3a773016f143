"""``space`` command line: thin over the Python API.

Each sub-command lives in its own module with ``add_parser(subparsers)`` and a ``run(args)``;
this module parses, dispatches, and turns the package's errors into one line and exit 2.
Options shared by several commands are spelled once, in :mod:`space.cli._common`
(``--model/-m``, ``--json``, ``--out/-o``, ``--quiet/-q``). A module imports nothing heavy
at the top: `space --help` loads every one of them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import threads
from .._version import __version__
from ..errors import SpaceError
from ._common import use_formatter

# What the command line exits with, by the type of what stopped it (most specific first).
# Every error of the package is the user's to fix (a file, an option, a data folder): 2.
EXIT_CODES: dict[type[BaseException], int] = {SpaceError: 2, KeyboardInterrupt: 130}

# Sub-command modules, in the order `space --help` lists them.
COMMANDS = [
    "predict", "train", "evaluate", "export", "data", "listen", "score", "references", "serve",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="space",
        description="SPACE: recognise spoken words and score pronunciation.",
        epilog="Run `space COMMAND --help` for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"space {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        mod = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        p = mod.add_parser(sub)
        p.set_defaults(_run=mod.run)
    use_formatter(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # One thread policy for every command (space.threads); serve may ask for more.
        threads.apply(getattr(args, "threads_per_call", None))
        return int(args._run(args) or 0)
    except SpaceError as e:
        print(f"space {args.command}: error: {e}", file=sys.stderr)
        return EXIT_CODES[SpaceError]
    except KeyboardInterrupt:
        print(f"space {args.command}: interrupted", file=sys.stderr)
        return EXIT_CODES[KeyboardInterrupt]
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
