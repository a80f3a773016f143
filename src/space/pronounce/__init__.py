"""Pronunciation scoring: DTW against golden references, calibrated score, worst segments.

>>> import space
>>> r = space.score("attempt.wav", word="7")  # doctest: +SKIP
>>> r.score, r.band, r.segments[0]  # doctest: +SKIP

The calibration and the bands are described in :mod:`space.pronounce.calibrate` and in
the README's pronunciation section.

Names load on first use: listing or adding references must not import torch and numba
(the frame encoder and the DTW), which would cost seconds at start-up.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .align import Alignment, dtw
    from .calibrate import BANDS, Calibration, band
    from .refsets import add_references, check_word, list_words, reference_paths, user_dir
    from .score import ScoreResult, score
    from .segments import Segment

# name -> submodule that defines it
_LAZY = {
    "BANDS": "calibrate",
    "Alignment": "align",
    "Calibration": "calibrate",
    "ScoreResult": "score",
    "Segment": "segments",
    "add_references": "refsets",
    "band": "calibrate",
    "check_word": "refsets",
    "dtw": "align",
    "list_words": "refsets",
    "reference_paths": "refsets",
    "score": "score",
    "user_dir": "refsets",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Keeps ``space.pronounce.score`` the scoring function, as the eager import made it:
    importing the submodule of the same name binds the module on its package, which would
    otherwise shadow the function for every later ``pronounce.score(...)``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "score" and isinstance(value, types.ModuleType):
            value = value.score
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
