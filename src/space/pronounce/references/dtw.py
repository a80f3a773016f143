"""Exact dynamic time warping with path, compiled with numba.

The frame-distance matrix is one matrix product (rows L2-normalised once, so cosine
distance is ``1 - X @ Y.T``); the accumulation is a tight loop over a float32 matrix,
done in place, and the path is read back from the accumulated matrix itself (the cost of
a path cell is the difference of two accumulated values), so one (n, m) buffer is all the
memory a pair needs. Steps and tie-breaking are those of ``librosa.sequence.dtw`` with
its defaults (diagonal, then (0, 1), then (1, 0), all weighted 1), so the two give the
same accumulated cost matrix and path; the tests check it.

Shapes follow librosa: feature matrices are ``[shape=(d, n)]`` (features x frames).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numba
import numpy as np

from ...errors import UsageError

METRICS = ("cosine", "euclidean")


@dataclass(frozen=True)
class Alignment:
    """The result of aligning an attempt (n frames) to a reference (m frames).

    Attributes
    ----------
    distance : float
        Total cost along the path divided by the path length (a mean frame distance).
    total : float
        Accumulated cost of the best path.
    path : np.ndarray [shape=(L, 2), dtype=int64]
        ``(i, j)`` cells from ``(0, 0)`` to ``(n - 1, m - 1)``.
    path_cost : np.ndarray [shape=(L,), dtype=float32]
        The frame distance of each path cell.
    """

    distance: float
    total: float
    path: np.ndarray
    path_cost: np.ndarray


@numba.njit(cache=True, nogil=True)
def _accumulate(D: np.ndarray) -> None:  # pragma: no cover - compiled
    """In place: D[i, j] = C[i, j] + min(D[i-1, j-1], D[i, j-1], D[i-1, j]).

    Each cell waits for its left neighbour, so one row at a time is bound by the latency of
    that add-min chain. Four rows are swept together, each one column behind the row above:
    four independent chains in flight, about 3x faster.
    """
    n, m = D.shape
    for j in range(1, m):
        D[0, j] += D[0, j - 1]
    i = 1
    while i + 3 < n:
        p, r0, r1, r2, r3 = D[i - 1], D[i], D[i + 1], D[i + 2], D[i + 3]
        r0[0] += p[0]
        r1[0] += r0[0]
        r2[0] += r1[0]
        r3[0] += r2[0]
        l0, l1, l2, l3 = r0[0], r1[0], r2[0], r3[0]
        for j in range(1, m):
            l0 = r0[j] + min(min(p[j - 1], p[j]), l0)
            r0[j] = l0
            l1 = r1[j] + min(min(r0[j - 1], l0), l1)
            r1[j] = l1
            l2 = r2[j] + min(min(r1[j - 1], l1), l2)
            r2[j] = l2
            l3 = r3[j] + min(min(r2[j - 1], l2), l3)
            r3[j] = l3
        i += 4
    while i < n:
        p, r0 = D[i - 1], D[i]
        r0[0] += p[0]
        l0 = r0[0]
        for j in range(1, m):
            l0 = r0[j] + min(min(p[j - 1], p[j]), l0)
            r0[j] = l0
        i += 1


@numba.njit(cache=True, nogil=True)
def _backtrack(D: np.ndarray, path: np.ndarray, cost: np.ndarray) -> int:  # pragma: no cover
    """Write the path (end to start) into ``path``/``cost``; return its length."""
    i, j = D.shape[0] - 1, D.shape[1] - 1
    k = 0
    while i > 0 or j > 0:
        path[k, 0] = i
        path[k, 1] = j
        if i == 0:
            pi, pj = 0, j - 1
        elif j == 0:
            pi, pj = i - 1, 0
        else:
            # librosa's order of step sizes: (1, 1), (0, 1), (1, 0); the first minimum wins.
            pi, pj = i - 1, j - 1
            best = D[i - 1, j - 1]
            if D[i, j - 1] < best:
                pi, pj, best = i, j - 1, D[i, j - 1]
            if D[i - 1, j] < best:
                pi, pj = i - 1, j
        cost[k] = D[i, j] - D[pi, pj]
        i, j = pi, pj
        k += 1
    path[k, 0] = 0
    path[k, 1] = 0
    cost[k] = D[0, 0]
    return k + 1


@numba.njit(cache=True, nogil=True)
def _cosine_cost(x: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover
    """x [n, d], y [m, d], rows unit-norm -> 1 - x @ y.T, clipped at 0 (rounding)."""
    C = np.dot(x, y.T)
    n, m = C.shape
    for i in range(n):
        for j in range(m):
            v = 1.0 - C[i, j]
            C[i, j] = v if v > 0.0 else 0.0
    return C


@numba.njit(cache=True, nogil=True)
def _euclidean_cost(x: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover
    C = np.dot(x, y.T)
    n, m = C.shape
    xx = np.empty(n, dtype=np.float32)
    yy = np.empty(m, dtype=np.float32)
    for i in range(n):
        xx[i] = np.dot(x[i], x[i])
    for j in range(m):
        yy[j] = np.dot(y[j], y[j])
    for i in range(n):
        for j in range(m):
            v = xx[i] + yy[j] - 2.0 * C[i, j]
            C[i, j] = np.sqrt(v) if v > 0.0 else 0.0
    return C


@numba.njit(cache=True, nogil=True)
def _distance(x: np.ndarray, y: np.ndarray, euclid: bool) -> float:  # pragma: no cover
    """Path-length-normalised DTW distance of one pair (no path kept)."""
    D = _euclidean_cost(x, y) if euclid else _cosine_cost(x, y)
    _accumulate(D)
    path = np.empty((D.shape[0] + D.shape[1], 2), dtype=np.int64)
    cost = np.empty(D.shape[0] + D.shape[1], dtype=np.float32)
    L = _backtrack(D, path, cost)
    return D[-1, -1] / L


@numba.njit(cache=True, nogil=True)
def _many(flat_a, off_a, flat_b, off_b, ia, ib, euclid, out):  # pragma: no cover
    for k in range(len(ia)):
        a, b = ia[k], ib[k]
        out[k] = _distance(flat_a[off_a[a]:off_a[a + 1]], flat_b[off_b[b]:off_b[b + 1]], euclid)


def _check_metric(metric: str) -> bool:
    if metric not in METRICS:
        raise UsageError(f"unknown DTW metric {metric!r} (use {' or '.join(METRICS)})")
    return metric == "euclidean"


def frames(X: np.ndarray, *, metric: str = "cosine") -> np.ndarray:
    """Features ``[shape=(d, n)]`` -> C-contiguous float32 frames ``[shape=(n, d)]``, each
    row scaled to unit length for the cosine metric (silent all-zero rows stay zero)."""
    _check_metric(metric)
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] == 0 or X.shape[0] == 0:
        raise UsageError(f"DTW needs a non-empty (d, n) feature matrix, got shape {X.shape}")
    x = np.ascontiguousarray(X.T)
    if metric == "cosine":
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.maximum(norm, 1e-8)
    return np.ascontiguousarray(x, dtype=np.float32)


def cost_matrix(X: np.ndarray, Y: np.ndarray, *, metric: str = "cosine") -> np.ndarray:
    """Frame distance matrix of X ``[shape=(d, n)]`` and Y ``[shape=(d, m)]`` ->
    ``[shape=(n, m)]`` (cosine: 1 - cos; euclidean: L2)."""
    euclid = _check_metric(metric)
    x, y = frames(X, metric=metric), frames(Y, metric=metric)
    _check_dims(x, y)
    return _euclidean_cost(x, y) if euclid else _cosine_cost(x, y)


def _check_dims(x: np.ndarray, y: np.ndarray) -> None:
    if x.shape[1] != y.shape[1]:
        raise UsageError(f"feature sizes differ: {x.shape[1]} vs {y.shape[1]}")


def dtw_frames(x: np.ndarray, y: np.ndarray, *, euclidean: bool = False) -> Alignment:
    """The kernel behind :func:`dtw` for prepared frames (see :func:`frames`).

    x : [shape=(n, d)], y : [shape=(m, d)], C-contiguous float32 (unit rows for cosine).
    """
    C = _euclidean_cost(x, y) if euclidean else _cosine_cost(x, y)
    _accumulate(C)
    n = C.shape[0] + C.shape[1]
    path = np.empty((n, 2), dtype=np.int64)
    cost = np.empty(n, dtype=np.float32)
    L = _backtrack(C, path, cost)
    total = float(C[-1, -1])
    return Alignment(total / L, total, path[:L][::-1].copy(), cost[:L][::-1].copy())


def dtw(X: np.ndarray, Y: np.ndarray, *, metric: str = "cosine") -> Alignment:
    """Exact DTW of two feature sequences, with path.

    Parameters
    ----------
    X : np.ndarray [shape=(d, n)]
    Y : np.ndarray [shape=(d, m)]
    metric : "cosine" or "euclidean"
        Frame distance.

    Returns
    -------
    Alignment
        ``distance`` is the accumulated cost divided by the path length.
    """
    euclid = _check_metric(metric)
    x, y = frames(X, metric=metric), frames(Y, metric=metric)
    _check_dims(x, y)
    return dtw_frames(x, y, euclidean=euclid)


def accumulated_cost(X: np.ndarray, Y: np.ndarray, *, metric: str = "cosine") -> np.ndarray:
    """The accumulated cost matrix ``[shape=(n, m)]`` (what librosa.sequence.dtw returns as D)."""
    D = cost_matrix(X, Y, metric=metric)
    _accumulate(D)
    return D


def pack(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Frames of many sequences ``[(n_k, d)]`` -> one array ``[shape=(sum n_k, d)]`` and
    offsets ``[shape=(k + 1,)]``, the form :func:`distances` takes."""
    if not seqs:
        raise UsageError("no sequences to pack")
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in seqs])
    return np.ascontiguousarray(np.concatenate(seqs), dtype=np.float32), offsets


def distances(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    pairs: np.ndarray,
    *,
    metric: str = "cosine",
    threads: int | None = None,
) -> np.ndarray:
    """Path-normalised DTW distances of many pairs, in parallel over pairs.

    Parameters
    ----------
    a, b : packed sequences from :func:`pack` (frames prepared with :func:`frames`).
    pairs : np.ndarray [shape=(p, 2), dtype=int]
        Index into ``a`` and into ``b`` for each pair.
    threads : int, optional
        Worker threads (default: the CPUs this process may use).

    Returns
    -------
    np.ndarray [shape=(p,), dtype=float64]
    """
    euclid = _check_metric(metric)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if a[0].shape[1] != b[0].shape[1]:
        raise UsageError(f"feature sizes differ: {a[0].shape[1]} vs {b[0].shape[1]}")
    if len(pairs) == 0:
        return np.zeros(0)
    if pairs[:, 0].max() >= len(a[1]) - 1 or pairs[:, 1].max() >= len(b[1]) - 1 or pairs.min() < 0:
        raise UsageError("pair index out of range")
    ia, ib = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
    out = np.empty(len(pairs), dtype=np.float64)
    n_threads = max(1, min(threads or _default_threads(), len(pairs) // 64 or 1))
    # One BLAS thread per worker: a pair's frame-distance matrix is small, and OpenBLAS
    # splitting it over threads that the workers already keep busy is ~10x slower. Plain
    # threads over chunks of pairs (the kernel releases the GIL), not numba's parallel loop:
    # inside its OpenMP threads OpenBLAS takes a slow, warning-printing path.
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    bounds = np.linspace(0, len(pairs), n_threads + 1).astype(int)

    def work(t: int) -> None:
        s0, s1 = bounds[t], bounds[t + 1]
        _many(a[0], a[1], b[0], b[1], ia[s0:s1], ib[s0:s1], euclid, out[s0:s1])

    with threadpool_limits(1, user_api="blas"):
        if n_threads == 1:
            work(0)
        else:
            with ThreadPoolExecutor(n_threads) as pool:
                list(pool.map(work, range(n_threads)))
    return out


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
