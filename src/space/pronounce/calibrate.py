"""From DTW distance to a 0-100 score, calibrated on the reference set itself.

Three anchors, all measured with the same frame features and the same set distance an
attempt gets (:func:`set_distance`), joined by straight lines and clipped to 0-100:

- ``d100`` (score 100): how close the references are to each other, the median over the
  references of each one's distance to the rest of the set. An attempt this close is as
  close as the golden recordings are to each other.
- ``d50`` (score 50): the equal-error distance between recordings of the *same* word by
  speakers not in the set and recordings of *other* words. Below it an attempt is more
  likely the right word said differently than a different word.
- ``d0`` (score 0): the median distance of other words' recordings to the set: as far
  as a typical different word.

``space references build`` measures all three from the data set it picks the references
from (same-word recordings of other speakers, other words' recordings). A set without
that data (a user's own references) gets ``d100`` from its recordings, ``d0`` from the
bundled references of other words, and ``d50`` at the same relative place between them as
in the bundled sets (:data:`D50_POSITION`); a single reference gets ``d100`` from ``d0``
by the bundled sets' median ratio (:data:`D0_OVER_D100`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError

# Measured over the bundled sets (README: "Pronunciation scoring / How it works", and
# benchmarks/results/pronounce.md); used only where a set cannot measure an anchor itself.
D50_POSITION = 0.45  # (d50 - d100) / (d0 - d100)
D0_OVER_D100 = 8.3

# Band thresholds on the score (lower edges), documented in the README (How it works, 5).
# The score they apply to is on the experts' scale (to_experts below): the equal-error
# distance (anchor score 50) lands in 'excellent', a typical different word in 'poor'.
BANDS = (("excellent", 80.0), ("good", 65.0), ("fair", 50.0), ("poor", float("-inf")))


def band(score: float) -> str:
    """``"excellent"`` (>= 80), ``"good"`` (>= 65), ``"fair"`` (>= 50) or ``"poor"``."""
    for name, lower in BANDS:
        if score >= lower:
            return name
    return "poor"


def set_distance(d: np.ndarray) -> float:
    """Distance of one utterance to a reference set, from its distances to each reference.

    The mean of the closest half (at least one): an attempt should be close to some of
    the references, not necessarily to a reference of another voice or speed.
    """
    d = np.sort(np.asarray(d, dtype=np.float64))
    if d.size == 0:
        raise UsageError("no reference distances")
    return float(d[: max(1, (d.size + 1) // 2)].mean())


def within_distances(within: np.ndarray) -> list[float]:
    """Each reference's set distance to the others ``[k]`` from the ``(k, k)`` matrix."""
    within = np.asarray(within, dtype=np.float64)
    k = within.shape[0]
    return [set_distance(np.delete(within[i], i)) for i in range(k)] if k >= 2 else []


def equal_error_distance(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The distance t where the share of same-word distances above t equals the share of
    other-word distances below it."""
    g, i = np.sort(genuine), np.sort(impostor)
    cands = np.unique(np.r_[g, i])
    miss = 1 - np.searchsorted(g, cands, side="right") / len(g)  # genuine above t
    false = np.searchsorted(i, cands, side="right") / len(i)  # impostors at or below t
    k = int(np.argmin(np.abs(miss - false)))
    return float(cands[k])


@dataclass(frozen=True)
class Calibration:
    """Distance anchors of one reference set (see the module doc)."""

    d100: float
    d50: float
    d0: float
    n_within: int = 0  # distances each anchor rests on
    n_genuine: int = 0
    n_other: int = 0

    def score(self, distance: float) -> float:
        """Distance -> score in [0, 100], linear between the anchors."""
        s = np.interp(distance, [self.d100, self.d50, self.d0], [100.0, 50.0, 0.0])
        return float(s)

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        try:
            return cls(**{k: d[k] for k in ("d100", "d50", "d0", "n_within", "n_genuine",
                                            "n_other") if k in d})
        except TypeError as e:
            raise UsageError(f"bad calibration record: {e}") from None


def calibrate(
    within: np.ndarray | None,
    *,
    genuine: np.ndarray | None = None,
    impostor: np.ndarray | None = None,
    loo: list[float] | None = None,
) -> Calibration:
    """Anchors from a reference set's distances.

    Parameters
    ----------
    within : np.ndarray [shape=(k, k)]
        DTW distances among the k references (diagonal ignored).
    genuine : np.ndarray [shape=(n,)], optional
        Set distances of same-word recordings by speakers not in the set.
    impostor : np.ndarray [shape=(n,)], optional
        Set distances of other words' recordings.
    loo : list of float, optional
        Each reference's set distance to the others, instead of ``within``.
    """
    if loo is None:
        loo = within_distances(within) if within is not None else []
    genuine = np.asarray(genuine if genuine is not None else [], dtype=np.float64)
    impostor = np.asarray(impostor if impostor is not None else [], dtype=np.float64)
    if not loo and impostor.size == 0:
        raise UsageError("cannot calibrate: one reference and no other words to compare with")
    d0 = float(np.median(impostor)) if impostor.size else float(np.median(loo)) * D0_OVER_D100
    d100 = float(np.median(loo)) if loo else d0 / D0_OVER_D100
    if genuine.size >= 5 and impostor.size >= 5:
        d50 = equal_error_distance(genuine, impostor)
    else:
        d50 = d100 + D50_POSITION * (d0 - d100)
    # Keep the anchors in order with some spread: a set whose other words come as close as
    # its own recordings cannot tell its word apart, and must not divide by ~0.
    d100 = min(d100, d0 / 1.1)
    d50 = float(np.clip(d50, d100 + 0.05 * (d0 - d100), d0 - 0.05 * (d0 - d100)))
    return Calibration(d100, d50, d0, len(loo), int(genuine.size), int(impostor.size))


# --- The experts' scale --------------------------------------------------------------
# The anchors above put a typical *different word* at 0 and the references' own spread at
# 100, so a learner who says the word right but with an accent lands near 50. People rate
# differently: speechocean762's experts gave most such words 10/10. EXPERTS_MAP (a small
# JSON file fitted by benchmarks/calibrate_experts.py; data, method, date and figures in
# it) maps the anchor score monotonically onto the experts' median x10, and
# :func:`to_experts` is the one place it is applied (pronounce/scoring.py).

EXPERTS_MAP = Path(__file__).resolve().parents[1] / "models" / "experts_map.json"


@dataclass(frozen=True)
class ExpertsMap:
    """A strictly increasing logistic map from the anchor score to the experts' scale.

    ``to_experts(s) = 100 * (c + (1 - c) / (1 + exp(-a * (s - b))))``, with ``a > 0`` and
    ``0 <= c < 1``: strictly increasing, so it keeps the order of any two scores (ranking
    figures such as ROC AUC and the within-voice win rate are unchanged).
    """

    a: float
    b: float
    c: float
    meta: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not (self.a > 0 and 0 <= self.c < 1 and np.isfinite(self.b)):
            raise UsageError(f"bad experts' map: a={self.a} b={self.b} c={self.c} "
                             "(needs a > 0, 0 <= c < 1)")

    def __call__(self, score: float | np.ndarray) -> Any:
        s = np.asarray(score, dtype=np.float64)
        out = 100.0 * (self.c + (1.0 - self.c) / (1.0 + np.exp(-self.a * (s - self.b))))
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict[str, Any]:
        return {"method": "logistic", "a": self.a, "b": self.b, "c": self.c, **dict(self.meta)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExpertsMap:
        if d.get("method") != "logistic":
            raise UsageError(f"unknown experts' map method {d.get('method')!r}")
        try:
            return cls(float(d["a"]), float(d["b"]), float(d["c"]),
                       tuple((k, v) for k, v in d.items() if k not in ("method", "a", "b", "c")))
        except (KeyError, TypeError, ValueError) as e:
            raise UsageError(f"bad experts' map record: {e}") from None


@lru_cache(maxsize=1)
def experts_map() -> ExpertsMap:
    """The shipped map (:data:`EXPERTS_MAP`), read once per process."""
    try:
        d = json.loads(EXPERTS_MAP.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read the experts' map {EXPERTS_MAP}: {e}") from None
    return ExpertsMap.from_dict(d)


def to_experts(score: float) -> float:
    """Anchor score (0-100, :meth:`Calibration.score`) -> the experts' scale (0-100)."""
    return float(experts_map()(float(score)))
