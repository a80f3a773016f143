"""Pronunciation scoring of any word or short sentence: one verdict per attempt.

>>> import space
>>> r = space.score("attempt.wav", text="the water is cold")  # doctest: +SKIP
>>> r.score, r.band, r.sentence, r.words[1].phones[0].score  # doctest: +SKIP

The path of one attempt, in the order data flows: :mod:`.lexicon.text` (text -> phones),
:mod:`.evidence.quality` (the recording), :mod:`.evidence.sentence` (phone and word evidence),
:mod:`.verdict.judge` (evidence -> the one verdict; :mod:`.verdict.mistakes` words its errors),
:mod:`.feedback.result` (the result object and its JSON), :mod:`.feedback.plot` (the picture);
:mod:`.assess` runs them (:func:`score`), :mod:`.batch` over a transcripts list.
Reference recordings (:mod:`.references.folders`) are kept for the recognisers' and the practice
page's examples.

Light names (word folders) import at once; the scorer (ONNX Runtime) on first use.
"""

from __future__ import annotations

from typing import Any

from .._lazy import lazy_getattr
from .references.add import AddResult, add_reference_clips, add_references
from .references.folders import (
    WordSource,
    check_word,
    list_words,
    reference_paths,
    remove_references,
    user_dir,
    word_sources,
)

_LAZY = {
    "BANDS": "verdict.judge",
    "NamedError": "verdict.mistakes",
    "ScoreResult": "feedback.result",
    "Verdict": "verdict.judge",
    "band": "verdict.judge",
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
