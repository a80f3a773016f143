"""The score of one attempt: a plain data object, its JSON form and its picture."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..display import ScoreDisplay
from .align import Alignment
from .calibrate import Calibration
from .frames import Utterance
from .segments import Segment


@dataclass
class ScoreResult(ScoreDisplay):
    """The score of one attempt. :meth:`to_dict` is the JSON object of ``space score --json``
    and of the web app's ``/api/score``; in Jupyter it shows itself (:mod:`space.display`)."""

    attempt: str
    word: str | None
    references: list[str]
    score: float
    band: str
    distance: float
    recognized: dict[str, Any] | None
    segments: list[Segment]
    warnings: list[str]
    attempt_audio: np.ndarray  # mono float32 at :attr:`sr` (for playback)
    sr: int
    reference_paths: list[str]
    reference_distances: list[float]
    best_reference: int
    attempt_utterance: Utterance
    reference_utterance: Utterance
    alignment: Alignment
    calibration: Calibration
    frame_costs: np.ndarray  # [shape=(n,)] DTW cost per attempt frame (closest half)
    # per phone of the word (:func:`.phone_result.attempt_phones`); empty when skipped
    # (``score(..., phones=False)``) or the word has no known pronunciation (a warning)
    phones: list[dict[str, Any]] = field(default_factory=list)
    # recording quality (:func:`.quality.recording_quality`): noise, clipping, level, band
    quality: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "word": self.word,
            "references": list(self.references),
            "score": round(float(self.score), 2),
            "band": self.band,
            "distance": round(float(self.distance), 5),
            "recognized": self.recognized,
            "segments": [s.to_dict() for s in self.segments],
            "warnings": list(self.warnings),
            "phones": list(self.phones),
            "quality": self.quality,
        }

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """Feedback figure (see :func:`space.pronounce.plot.feedback`); PNG at ``path``."""
        from .plot import feedback

        if path is not None:
            from ..io import check_output_path

            check_output_path(path, what="--plot")
        fig = feedback(self)
        if path is not None:
            from ..io import save_png

            save_png(fig, path)
        return fig
