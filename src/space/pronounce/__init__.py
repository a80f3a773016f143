"""Pronunciation scoring: DTW against golden references, calibrated score, worst segments.

>>> import space
>>> r = space.score("attempt.wav", word="7")  # doctest: +SKIP
>>> r.score, r.band, r.segments[0]  # doctest: +SKIP

The pieces, in the order data flows through them: :mod:`.frames` (frame features),
:mod:`.align` (exact DTW), :mod:`.distance` (attempt to a set), :mod:`.refsets` (reference
folders), :mod:`.reference_set` (a set's frames and anchors), :mod:`.calibrate`
(distance to 0-100), :mod:`.scoring` (:func:`score`), :mod:`.result` (the result object),
:mod:`.plot` (the picture). The README's pronunciation section explains the calibration.

Light names (word folders) import at once; the scorer (torch, numba) on first use.
"""

from __future__ import annotations

from typing import Any

from .._lazy import lazy_getattr
from .refsets import (
    AddResult,
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

_LAZY = {
    "Alignment": "align",
    "BANDS": "calibrate",
    "Calibration": "calibrate",
    "ScoreResult": "result",
    "Segment": "segments",
    "band": "calibrate",
    "dtw": "align",
    "score": "scoring",
}

__all__ = [
    "BANDS",
    "AddResult",
    "Alignment",
    "Calibration",
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

__getattr__ = lazy_getattr(__name__, _LAZY)
