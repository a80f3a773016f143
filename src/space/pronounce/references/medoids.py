"""All-pairs DTW distances and medoid selection (the references of a word)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import DataError
from .dtw import distances, pack


def pairwise(a: Sequence[np.ndarray], b: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """DTW distances of every frame sequence in ``a`` to every one in ``b`` (default: ``a``),
    in parallel. Sequences are ``[shape=(n_i, d)]`` unit-row frames. -> ``[shape=(len(a),
    len(b))]``; with ``b=None`` the matrix is symmetric with a zero diagonal and each pair
    is aligned once."""
    pa = pack(list(a))
    if b is None:
        i, j = np.triu_indices(len(a), k=1)
        d = distances(pa, pa, np.stack([i, j], 1))
        out = np.zeros((len(a), len(a)))
        out[i, j] = d
        out[j, i] = d
        return out
    pb = pack(list(b))
    ii, jj = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    return distances(pa, pb, np.stack([ii.ravel(), jj.ravel()], 1)).reshape(len(a), len(b))


def medoids(dist: np.ndarray, k: int, *, speakers: Sequence[str | None] | None = None) -> list[int]:
    """The ``k`` items closest to all the others (smallest mean distance), at most one per
    speaker where speakers are known, so a set is not one voice ``k`` times.

    Parameters
    ----------
    dist : np.ndarray [shape=(n, n)]
        Symmetric distances (from :func:`pairwise`).
    """
    n = dist.shape[0]
    if n == 0:
        raise DataError("no recordings to choose references from")
    mean = dist.sum(axis=1) / max(n - 1, 1)
    order = np.argsort(mean, kind="stable")
    chosen: list[int] = []
    seen: set[str] = set()
    for i in order:
        spk = speakers[i] if speakers is not None else None
        if spk is not None and spk in seen:
            continue
        chosen.append(int(i))
        if spk is not None:
            seen.add(spk)
        if len(chosen) == k:
            return chosen
    # Fewer speakers than k: fill up with the next most central recordings.
    for i in order:
        if len(chosen) == k:
            break
        if int(i) not in chosen:
            chosen.append(int(i))
    return chosen
