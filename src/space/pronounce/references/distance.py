"""How far an attempt is from a reference set: DTW to each reference, the set distance,
and the noise and tempo factors that the calibrated score rests on.

Every path that produces a distance the calibration compares with (scoring an attempt,
calibrating a set, building the bundled sets, the benchmarks) calls :func:`match`, so
anchors and attempts are always measured the same way; :func:`features_id` names that way,
and stored anchors or frames measured otherwise are recomputed, never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibrate import set_distance
from .dtw import Alignment, dtw_frames
from .frames import Featurizer, Utterance

# Noise penalty: the set distance is multiplied by 1 + NOISE_WEIGHT * softplus((NOISE_KNEE_DB
# - snr) / NOISE_SCALE_DB) of the attempt's estimated SNR: about 1.00 for a clean
# recording, rising smoothly (never flat) as noise covers the quieter sounds.
NOISE_WEIGHT = 0.1
NOISE_KNEE_DB = 30.0
NOISE_SCALE_DB = 8.0
# Tempo penalty: times 1 + TEMPO_WEIGHT * softplus((|log r| - TEMPO_KNEE) / TEMPO_SCALE) of
# the attempt's speech length over the closest references' (r): an attempt drawn out (or
# rushed) well beyond the references' own spread of tempo is a less faithful imitation.
TEMPO_WEIGHT = 0.15
TEMPO_KNEE = 0.3  # |log r| of 0.3: 35% longer or 26% shorter
TEMPO_SCALE = 0.1


def scoring_id() -> str:
    """The set distance's noise and tempo factors, as part of :func:`features_id`."""
    return (f"snr{NOISE_WEIGHT:g},{NOISE_KNEE_DB:g},{NOISE_SCALE_DB:g}"
            f"+tempo{TEMPO_WEIGHT:g},{TEMPO_KNEE:g},{TEMPO_SCALE:g}")


def features_id(feat: Featurizer) -> str:
    """Names the frame features and the set distance that anchors and stored frames were
    measured with (``set.json``'s ``features``, ``frames.npz``'s ``features``)."""
    return f"{feat.id}|{scoring_id()}"


def frame_costs(path: np.ndarray, path_cost: np.ndarray, n: int) -> np.ndarray:
    """Mean cost of the path cells on each attempt frame -> ``[shape=(n,)]``."""
    num = np.bincount(path[:, 0], weights=path_cost, minlength=n)
    den = np.bincount(path[:, 0], minlength=n)
    return num / np.maximum(den, 1)


@dataclass
class Match:
    """An attempt aligned to every reference of a set."""

    distance: float  # set distance (calibrate.set_distance times the noise and tempo factors)
    distances: list[float]  # to each reference
    best: int  # the closest reference
    alignments: list[Alignment]
    frame_costs: np.ndarray  # [shape=(n,)] per attempt frame, over the closest half


def match(attempt: Utterance, references: list[Utterance]) -> Match:
    """Align ``attempt`` to each reference; its per-frame cost is averaged over the same
    closest half of the set that :func:`~space.pronounce.references.calibrate.set_distance` averages,
    so one odd reference does not decide where the attempt went wrong.

    The set distance (what the score is calibrated on) is ``set_distance`` of the
    per-reference distances times :func:`noise_factor` and :func:`tempo_factor`."""
    als = [dtw_frames(attempt.frames, r.frames) for r in references]
    dists = [a.distance for a in als]
    order = np.argsort(dists, kind="stable")
    n = attempt.frames.shape[0]
    close = order[: max(1, (len(order) + 1) // 2)]
    fc = np.mean([frame_costs(als[i].path, als[i].path_cost, n) for i in close], axis=0)
    d = set_distance(np.array(dists))
    ref_frames = float(np.median([references[i].frames.shape[0] for i in close]))
    d *= noise_factor(attempt.snr_db) * tempo_factor(n / max(ref_frames, 1.0))
    return Match(d, dists, int(order[0]), als, fc)


def set_distances(attempts: list[Utterance], references: list[Utterance],
                  exclude: list[list[int]] | None = None) -> np.ndarray:
    """Set distance (:func:`match`) of each attempt to ``references`` -> ``[shape=(n,)]``;
    ``exclude[i]`` names references left out for attempt i (its own speaker's)."""
    out = np.empty(len(attempts))
    for i, a in enumerate(attempts):
        refs = references
        if exclude is not None and exclude[i]:
            keep = [r for j, r in enumerate(references) if j not in exclude[i]]
            refs = keep or references
        out[i] = match(a, refs).distance
    return out


def within_set(references: list[Utterance]) -> list[float]:
    """Each reference's set distance to the others (the ``d100`` side of calibration)."""
    if len(references) < 2:
        return []
    return [float(set_distances([r], references, [[i]])[0]) for i, r in enumerate(references)]


def tempo_factor(ratio: float) -> float:
    """What a set distance is multiplied by for the attempt's length relative to the
    closest references (>= 1; about 1 within +-20%, rising smoothly beyond)."""
    x = (abs(float(np.log(max(ratio, 1e-6)))) - TEMPO_KNEE) / TEMPO_SCALE
    return 1.0 + TEMPO_WEIGHT * float(np.logaddexp(0.0, x))


def noise_factor(snr_db: float) -> float:
    """What an attempt's set distance is multiplied by for its estimated SNR (>= 1)."""
    if not np.isfinite(snr_db):
        return 1.0
    return 1.0 + NOISE_WEIGHT * float(np.logaddexp(0.0, (NOISE_KNEE_DB - snr_db) / NOISE_SCALE_DB))
