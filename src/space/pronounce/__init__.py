"""Pronunciation scoring: DTW against golden references, calibrated score, worst segments.

>>> import space
>>> r = space.score("attempt.wav", word="7")  # doctest: +SKIP
>>> r.score, r.band, r.segments[0]  # doctest: +SKIP

See ``docs/pronounce.md`` for the calibration and the bands.
"""

from __future__ import annotations

from .calibrate import BANDS, Calibration, band
from .references import (
    AddResult,
    ReferenceError,
    WordSource,
    add_reference_clips,
    add_references,
    check_word,
    list_words,
    reference_paths,
    remove_references,
    user_dir,
    word_sources,
)
from .score import ScoreResult, score
from .segments import Segment
from .sequence import Alignment, dtw

__all__ = [
    "BANDS",
    "AddResult",
    "Alignment",
    "Calibration",
    "ReferenceError",
    "ScoreResult",
    "Segment",
    "WordSource",
    "add_reference_clips",
    "add_references",
    "band",
    "check_word",
    "dtw",
    "list_words",
    "reference_paths",
    "remove_references",
    "score",
    "user_dir",
    "word_sources",
]
