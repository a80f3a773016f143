"""Names of a package that load their module on first use (PEP 562), so ``import space``
and the light commands (``space --help``, ``space references list``) never import torch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, table: Mapping[str, str | tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``table`` maps a public name to the
    submodule that defines it (relative, e.g. ``"audio.features"``), or to ``(submodule,
    attribute)`` when the public name differs. The value is cached on the package."""

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        mod_name, attr = target if isinstance(target, tuple) else (target, name)
        value = getattr(importlib.import_module(f".{mod_name}", package), attr)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
