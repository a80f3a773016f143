"""Pronunciation for the faces: words and their references, one scored attempt, its
picture and drawing, and the stream's per-word score.

The scorer itself is :func:`space.pronounce.score`; this module is what the CLI, the web
app and ``listen`` call, so that none of them reaches into the scorer's modules.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..pronounce.feedback.result import ScoreResult
    from ..pronounce.references.add import AddResult
    from ..pronounce.references.folders import WordSource


def score(source: Any, *, word: str | None = None, text: str | None = None,
          sr: int | None = None, name: str | None = None, models: Any = None) -> ScoreResult:
    """Score one attempt (a path, bytes or an array at ``sr`` Hz) at a ``word`` or a short
    sentence (``text``): the one verdict of :func:`space.pronounce.score`."""
    from ..pronounce.assess import score as _score

    return _score(source, word=word, text=text, sr=sr, name=name, models=models)


def check_text(*, word: str | None = None, text: str | None = None) -> list[str]:
    """The words of ``word=`` or ``text=`` as the lexicon spells them; raises
    :class:`~space.errors.TextError` (before any audio or model is loaded) for a text it
    cannot score."""
    from ..pronounce.assess import check_text as _check

    return _check(word=word, text=text)[0]


def score_event(event: Any, word: str, *, models: Any = None) -> dict[str, Any]:
    """The fields ``space listen --word`` adds to a word found in a stream: score, band,
    the verdict's sentence and its span in stream time (``score: None`` and
    ``score_error`` when it cannot be scored)."""
    from ..pronounce.assess import score_word_event

    return score_word_event(event, word, models=models)


def check_word(word: str) -> str:
    """A word as the reference folders spell it (``"seven"`` -> ``"7"``); raises
    :class:`~space.errors.UsageError` for a name that cannot be a word."""
    from ..pronounce import check_word as _check

    return _check(word)


def list_words(references_dir: str | os.PathLike | None = None) -> list[str]:
    """Every word with references: bundled and the user's."""
    from ..pronounce import list_words as _list

    return _list(references_dir)


def word_sources(references_dir: str | os.PathLike | None = None) -> list[WordSource]:
    """Every word with where its references come from (bundled, the user's) and how many."""
    from ..pronounce import word_sources as _sources

    return _sources(references_dir)


def reference_paths(word: str, references_dir: str | os.PathLike | None = None) -> list[Path]:
    """A word's reference recordings (raises :class:`~space.errors.UnknownWordError`)."""
    from ..pronounce import reference_paths as _paths

    return _paths(word, references_dir)


def add_reference_clips(word: str, paths: Sequence[Path], *,
                        references_dir: str | os.PathLike | None = None,
                        max_duration_s: float | None = None) -> AddResult:
    """Add checked recordings to a word's user references (see
    :func:`space.pronounce.add_reference_clips`)."""
    from ..pronounce import add_reference_clips as _add

    kw: dict[str, Any] = {} if max_duration_s is None else {"max_duration_s": max_duration_s}
    return _add(word, list(paths), references_dir=references_dir, **kw)


def reference_warnings(word: str, references_dir: str | os.PathLike | None = None) -> list[str]:
    """What is wrong with a word's reference set as it now is (a clip that disagrees with
    the rest is named); empty when nothing is."""
    from ..pronounce.references.sets import word_reference_set

    return list(word_reference_set(word, references_dir=references_dir).warnings)


def display_name(word: str) -> str:
    """``'7'`` -> ``'7 (seven)'``: the digit words' spoken form beside the label."""
    from ..pronounce.references.folders import ALIASES

    spoken = {digit: name for name, digit in ALIASES.items()}
    return f"{word} ({spoken[word]})" if word in spoken else word


def feedback_png(result: ScoreResult, *, dpi: int = 80) -> bytes:
    """The feedback picture of a scored attempt as PNG bytes (its own figure, no pyplot:
    pictures for several clients are drawn at once)."""
    from ..io import png_bytes

    return png_bytes(result.plot(), dpi=dpi)


def warm_pictures() -> None:
    """Import matplotlib and the plotting code, load DTW's compiled code and draw one small
    figure (bold face included), so that the first feedback picture of a process is as
    fast as the rest."""
    from ..io import new_figure, png_bytes

    x = np.eye(4, dtype=np.float32)
    fig = new_figure((2, 2))
    ax = fig.add_subplot()
    ax.imshow(x)
    ax.set_title("warm-up", fontsize=9)
    fig.suptitle("warm-up", fontsize=12, fontweight="bold")  # the bold face loads once
    png_bytes(fig, dpi=40)


__all__ = ["add_reference_clips", "check_text", "check_word", "display_name", "feedback_png",
           "list_words", "reference_paths", "reference_warnings", "score", "score_event",
           "warm_pictures", "word_sources"]
