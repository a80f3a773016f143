"""The marks a learner sees: the bands of a 0-100 score, the levels and colours of a phone,
and the per-word and per-phone score records that a verdict (:mod:`.judge`) is made of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..lexicon.phones import to_ipa

# Bands of a 0-100 score (the experts' scale: 8 of 10 and above is 'excellent').
BANDS = (("excellent", 80.0), ("good", 65.0), ("fair", 50.0), ("poor", float("-inf")))
EXCELLENT = BANDS[0][1]
# Phone colours: green at and above GOOD_PHONE, red when named (below the verdict's
# NAMED_BELOW, :mod:`.judge`), amber between. Above NAMED_BELOW (72.5): the fitted phone
# scores of words every expert rated 10 sit near 100, so 72.5-85 is 'a little off'.
GOOD_PHONE = 85.0
LEVELS = ("good", "fair", "weak")
COLOURS = {"good": "#2e9e44", "fair": "#e3a21a", "weak": "#d23b3b"}
MARKS = {"good": "", "fair": "~", "weak": "!"}  # not by colour alone


def band(score: float) -> str:
    """``"excellent"`` (>= 80), ``"good"`` (>= 65), ``"fair"`` (>= 50) or ``"poor"``."""
    return next(name for name, lo in BANDS if score >= lo)


def phone_level(score: float, named: bool) -> str:
    """``"weak"`` when named, else ``"good"`` (>= :data:`GOOD_PHONE`) or ``"fair"``."""
    if named:
        return "weak"
    return "good" if score >= GOOD_PHONE else "fair"


@dataclass(frozen=True)
class PhoneScore:
    """One phone of a word as the learner sees it (times in seconds into the attempt)."""

    phone: str  # ARPAbet
    ipa: str
    start_s: float
    end_s: float
    score: float  # 0-100
    level: str  # one of LEVELS; 'weak' exactly when an error names this phone
    heard: str | None = None  # ARPAbet of the phone heard instead, when one was

    def to_dict(self) -> dict[str, Any]:
        return {"phone": self.phone, "ipa": self.ipa, "start_s": round(self.start_s, 3),
                "end_s": round(self.end_s, 3), "score": round(self.score, 1),
                "level": self.level, "heard": self.heard,
                "heard_ipa": to_ipa(self.heard) if self.heard else None}


@dataclass(frozen=True)
class WordScore:
    """One word of the text: its 0-100 score, band and phones."""

    word: str
    start_s: float
    end_s: float
    score: float
    band: str
    said: bool
    phones: tuple[PhoneScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "start_s": round(self.start_s, 3),
                "end_s": round(self.end_s, 3), "score": round(self.score, 1),
                "band": self.band, "said": self.said,
                "phones": [p.to_dict() for p in self.phones]}
