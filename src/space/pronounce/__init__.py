"""Pronunciation scoring of any word or short sentence: one verdict per attempt.

>>> import space
>>> r = space.score("attempt.wav", text="the water is cold")  # doctest: +SKIP
>>> r.score, r.band, r.sentence, r.words[1].phones[0].score  # doctest: +SKIP

The path of one attempt, in the order data flows: :mod:`.lexicon` (text -> phones),
:mod:`.quality` (the recording), :mod:`.evidence` (phone and word evidence),
:mod:`.judge` (evidence -> the one verdict; :mod:`.mistakes` words its errors),
:mod:`.feedback` (the result object and its JSON), :mod:`.plot` (the picture);
:mod:`.assess` runs them (:func:`score`), :mod:`.batch` over a transcripts list.
Reference recordings (:mod:`.refsets`) are kept for the recognisers' and the practice
page's examples.

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
    "BANDS": "judge",
    "NamedError": "mistakes",
    "ScoreResult": "feedback",
    "Verdict": "judge",
    "band": "judge",
    "score": "assess",
}

__all__ = [
    "BANDS",
    "AddResult",
    "NamedError",
    "ScoreResult",
    "Verdict",
    "WordSource",
    "add_reference_clips",
    "add_references",
    "band",
    "check_word",
    "list_words",
    "reference_paths",
    "remove_references",
    "score",
    "user_dir",
    "word_sources",
]

__getattr__ = lazy_getattr(__name__, _LAZY)
