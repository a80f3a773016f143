"""What a stream reports: one :class:`WordEvent` per recognised word, the same in isolated
mode (:mod:`space.recognize.stream`) and sequence mode (:mod:`space.recognize.sequence.stream`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class WordEvent:
    """One recognised word in a stream. Times are seconds from the start of the stream."""

    label: str
    probability: float
    start_s: float  # first speech frame (without pre-roll)
    end_s: float  # end of the last speech frame (without post-roll or hangover)
    top_k: list[tuple[str, float]]
    audio: np.ndarray = field(repr=False)  # the segment with pre/post-roll, at `sr`
    sr: int = 0
    audio_start_s: float = 0.0  # where `audio` starts in the stream

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, without the audio."""
        return {
            "label": self.label,
            "probability": round(self.probability, 6),
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "top_k": [{"label": lab, "probability": round(p, 6)} for lab, p in self.top_k],
        }
