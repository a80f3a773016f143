"""What every sub-command spells the same way: the model, JSON output, output paths,
quiet mode and progress bars, and help that states each default."""

from __future__ import annotations

import argparse
import sys
from typing import Any

MODEL_HELP = "bundled model (digits, commands) or a checkpoint path"


class HelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default where it has one worth stating.

    argparse's :class:`~argparse.ArgumentDefaultsHelpFormatter` also prints
    ``(default: None)`` and ``(default: False)`` for flags and unset options; those say
    nothing, so they are left out, as is any help that already explains its default.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (default is None or isinstance(default, bool) or default is argparse.SUPPRESS
                or default == "" or "default" in text.lower()):
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"
        return text


def use_formatter(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and every sub-command parser under it :class:`HelpFormatter`; an
    option without help text still shows its default (argparse prints nothing for it)."""
    parser.formatter_class = HelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                use_formatter(sub)
        elif isinstance(action, argparse.BooleanOptionalAction):
            # Python < 3.13 appends "(default: True)" itself; --x/--no-x reads better as on/off
            text = (action.help or "").replace(" (default: %(default)s)", "")
            if "default" not in text.lower() and isinstance(action.default, bool):
                text += f" (default: {'on' if action.default else 'off'})"
            action.help = text
        elif action.help is None and action.option_strings and action.default not in (
                None, False, "", argparse.SUPPRESS):
            action.help = "(default: %(default)s)"


def add_model(p: argparse.ArgumentParser, *, default: str | None = "digits",
              help: str = MODEL_HELP, positional: bool = False) -> None:
    """``--model/-m``; with ``positional``, also the older ``MODEL`` argument (see
    :func:`resolve_model`)."""
    if positional:
        p.add_argument("model_positional", nargs="?", metavar="MODEL",
                       help="the same as --model (the older spelling)")
    p.add_argument("--model", "-m", default=None if positional else default, metavar="MODEL",
                   help=f"{help} (default: {default})" if positional and default else help)


def add_json(p: argparse.ArgumentParser, help: str = "print the result as JSON on stdout") -> None:
    p.add_argument("--json", action="store_true", help=help)


def add_quiet(p: argparse.ArgumentParser, help: str = "no progress bars") -> None:
    p.add_argument("--quiet", "-q", action="store_true",
                   help=f"{help} (shown only when stderr is a terminal)")


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars only for a person watching: not with --quiet, and not when stderr is
    a file or a pipe (a log such as `make demo`'s would fill with carriage returns)."""
    return not getattr(args, "quiet", False) and stderr_is_terminal()


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def add_old_spelling(p: argparse.ArgumentParser, old: str, *, dest: str, **kwargs: Any) -> None:
    """An older option spelling that still works (scripts use it) but is no longer shown."""
    p.add_argument(old, dest=dest, help=argparse.SUPPRESS, **kwargs)


def resolve_model(args: argparse.Namespace, default: str | None = "digits") -> Any:
    """The model of a command that takes it as ``--model`` and (deprecated) positionally:
    one of them, or ``default``."""
    from ..errors import UsageError

    positional = getattr(args, "model_positional", None)
    if positional is not None and args.model is not None and positional != args.model:
        raise UsageError(f"two models given ({positional!r} and --model {args.model!r}); "
                         "give one with --model")
    return args.model or positional or default
