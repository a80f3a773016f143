"""Pronunciation scoring: DTW against golden references, calibrated score, worst segments.

>>> import space
>>> r = space.score("attempt.wav", word="7")  # doctest: +SKIP
>>> r.score, r.band, r.segments[0]  # doctest: +SKIP

See ``docs/pronounce.md`` for the calibration and the bands.
"""

from __future__ import annotations

from .align import Alignment, dtw
from .calibrate import BANDS, Calibration, band
from .refsets import (
    add_references,
    check_word,
    list_words,
    reference_paths,
    user_dir,
)
from .score import ScoreResult, score
from .segments import Segment

__all__ = [
    "BANDS",
    "Alignment",
    "Calibration",
    "ScoreResult",
    "Segment",
    "add_references",
    "band",
    "check_word",
    "dtw",
    "list_words",
    "reference_paths",
    "score",
    "user_dir",
]
