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

from dataclasses import asdict, dataclass

import numpy as np

from ...errors import UsageError

# Measured over the bundled sets (README: "Pronunciation scoring / How it works", and
# benchmarks/results/pronounce.md); used only where a set cannot measure an anchor itself.
D50_POSITION = 0.45  # (d50 - d100) / (d0 - d100)
D0_OVER_D100 = 8.3

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
