"""What one scored attempt gives back: the result object, its JSON (the one place it is
built: ``space score --json``, ``--transcripts``, ``/api/score``) and its picture.

Everything in it comes from one :class:`~space.pronounce.verdict.judge.Verdict`, so the CLI, the page and the
picture say the same thing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...display import ScoreDisplay
from ..evidence.quality import Quality
from ..verdict.judge import Verdict, WordScore
from ..verdict.mistakes import NamedError


@dataclass
class ScoreResult(ScoreDisplay):
    """The score of one attempt at a word or a short sentence.

    Attributes
    ----------
    attempt : str
        The attempt's name (its path, or what ``name=`` gave).
    text : str
        The words scored, as said (lower case, digits as names), space-separated.
    verdict : Verdict
        The one judgement (:func:`space.pronounce.verdict.judge.judge`): score, band, words, phones, errors,
        sentence, highlighted span.
    quality : Quality
        The recording's quality (:func:`space.pronounce.evidence.quality.recording_quality`).
    recognized : dict or None
        A bundled recogniser's check of a single word it knows (``label``,
        ``probability``, ``matches_word``); None otherwise. What a person reads of it is
        the verdict's ``heard`` line (a doubtful other word is "not sure").
    warnings : list of str
        What may limit the score (the recording) and what was assumed.
    audio : np.ndarray [shape=(n,)]
        The attempt, mono float32 at ``sr`` Hz (for playback and the picture).
    sr : int
    """

    attempt: str
    text: str
    verdict: Verdict
    quality: Quality
    recognized: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    sr: int = 16000

    @property
    def score(self) -> float:
        return self.verdict.score

    @property
    def band(self) -> str:
        return self.verdict.band

    @property
    def words(self) -> tuple[WordScore, ...]:
        return self.verdict.words

    @property
    def errors(self) -> tuple[NamedError, ...]:
        return self.verdict.errors

    @property
    def sentence(self) -> str:
        return self.verdict.sentence

    @property
    def word(self) -> str | None:
        """The word of a single-word attempt (None for a sentence)."""
        return self.words[0].word if len(self.words) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON: ``attempt``, ``text``, the verdict's fields (``score``,
        ``band``, ``accuracy``, ``completeness``, ``fluency``, ``cause``, ``sentence``,
        ``span``, ``errors[]``, ``words[]`` with ``phones[]``), ``recognized``,
        ``quality`` and ``warnings`` (the README's "Score JSON")."""
        return {"attempt": self.attempt, "text": self.text, **self.verdict.to_dict(),
                "recognized": self.recognized, "quality": self.quality.to_dict(),
                "warnings": list(self.warnings)}

    def lines(self) -> list[str]:
        """The result as a person reads it on a terminal: the score line, the sentence,
        then for one word each sound's score, for several words one line per word (``!``
        marks a sound named wrong, ``~`` one a little off, as on the page)."""
        v = self.verdict
        head = f"{self.attempt}\t{self.text}\t{v.score:.0f}\t{v.band}"
        if v.span is not None:
            head += f"  at {v.span[0]:.2f}-{v.span[1]:.2f} s"
        if v.heard is not None:
            head += f"  heard: {v.heard}"
        out = [head, f"  {v.sentence}"]
        if len(v.words) > 1:
            out.append(f"  accuracy {v.accuracy:.0f}  completeness {v.completeness:.0f}"
                       + ("" if v.fluency is None else f"  fluency {v.fluency:.0f}"))
            for w in v.words:
                sounds = " ".join(f"{p.ipa}{'!' if p.level == 'weak' else ''}"
                                  for p in w.phones)
                out.append(f"  {w.word:<14} {w.score:3.0f} {w.band:<9} {sounds}")
        elif v.words and v.cause is None:
            mark = {"weak": "!", "fair": "~"}
            out.append("  sounds  " + "  ".join(f"/{p.ipa}/ {p.score:.0f}{mark.get(p.level, '')}"
                                               for p in v.words[0].phones))
        return out

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """Feedback figure (:func:`space.pronounce.feedback.plot.feedback`); PNG at ``path``."""
        from .plot import feedback

        if path is not None:
            from ...io import check_output_path

            check_output_path(path, what="--plot")
        fig = feedback(self.verdict, self.audio, self.sr, self.text)
        if path is not None:
            from ...io import save_png

            save_png(fig, path)
        return fig
