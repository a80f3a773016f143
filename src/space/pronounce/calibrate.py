"""From DTW distance to a 0-100 score, calibrated on the reference set itself.

Two anchors, both measured with the same frame features and the same set distance an
attempt gets (:func:`set_distance`):

- ``d100``: how close the references are to each other, the median over references of
  each one's distance to the others. An attempt this close or closer scores 100.
- ``d0``: how close *other* words come, a low quantile (``IMPOSTOR_QUANTILE``) of the
  distances from recordings of other words to the set. An attempt this far or farther
  scores 0: it is as far as a different word.

In between the score falls linearly with distance. Where no other-word distances exist
(a single user reference and no bundled sets), ``d0 = d100 * DEFAULT_RATIO``, the median
ratio measured over the bundled sets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError

# Quantile of the other-word distances taken as 'as far as a different word'. A low one:
# most wrong words then score 0, and a score above 0 says 'closer than most other words'.
IMPOSTOR_QUANTILE = 0.1
# d0 / d100 when only one of them can be measured (median over the bundled sets; see
# benchmarks/results/pronounce.md).
DEFAULT_RATIO = 1.8

# Band thresholds on the score (lower edges), documented in docs/pronounce.md.
BANDS = (("excellent", 80.0), ("good", 60.0), ("fair", 40.0), ("poor", float("-inf")))


def band(score: float) -> str:
    """``"excellent"`` (>= 80), ``"good"`` (>= 60), ``"fair"`` (>= 40) or ``"poor"``."""
    for name, lower in BANDS:
        if score >= lower:
            return name
    return "poor"  # NaN never reaches here (scores are clipped), but be safe


def set_distance(d: np.ndarray) -> float:
    """Distance of one utterance to a reference set, from its distances to each reference.

    The mean of the closest half (at least one): an attempt should be close to some of
    the references, not necessarily to a reference of another voice or speed.
    """
    d = np.sort(np.asarray(d, dtype=np.float64))
    if d.size == 0:
        raise ConfigError("no reference distances")
    return float(d[: max(1, (d.size + 1) // 2)].mean())


@dataclass(frozen=True)
class Calibration:
    """Distance anchors of one reference set (see the module doc)."""

    d100: float
    d0: float
    n_within: int = 0  # how many within-set distances d100 rests on
    n_other: int = 0  # how many other-word distances d0 rests on
    source: str = "measured"  # "measured" | "ratio" (one anchor from DEFAULT_RATIO)

    def score(self, distance: float) -> float:
        """Distance -> score in [0, 100] (linear between the anchors)."""
        span = self.d0 - self.d100
        s = 100.0 * (self.d0 - distance) / span
        return float(np.clip(s, 0.0, 100.0))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        return cls(**{k: d[k] for k in ("d100", "d0", "n_within", "n_other", "source") if k in d})


def calibrate(within: np.ndarray, other: np.ndarray | None) -> Calibration:
    """Anchors from the reference set's distances.

    Parameters
    ----------
    within : np.ndarray [shape=(k, k)]
        DTW distances among the k references (diagonal ignored).
    other : np.ndarray [shape=(n_other, k)] or None
        DTW distances from other words' recordings to each reference.
    """
    within = np.asarray(within, dtype=np.float64)
    k = within.shape[0]
    loo = [set_distance(np.delete(within[i], i)) for i in range(k)] if k >= 2 else []
    imp = [set_distance(row) for row in other] if other is not None and len(other) else []
    if loo and imp:
        d100, d0 = float(np.median(loo)), float(np.quantile(imp, IMPOSTOR_QUANTILE))
        src = "measured"
    elif loo:
        d100 = float(np.median(loo))
        d0, src = d100 * DEFAULT_RATIO, "ratio"
    elif imp:
        d0 = float(np.quantile(imp, IMPOSTOR_QUANTILE))
        d100, src = d0 / DEFAULT_RATIO, "ratio"
    else:
        raise ConfigError("cannot calibrate: one reference and no other words to compare with")
    if not d0 > d100 * 1.05:
        # Other words come as close as the references to each other: the set cannot tell
        # its word apart, so keep a minimal spread rather than divide by ~0.
        d0 = d100 * 1.05 + 1e-6
    return Calibration(d100, d0, len(loo), len(imp), src)
