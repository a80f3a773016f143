"""The least precise spans of an attempt: contiguous runs of high DTW cost along the path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .frames import Utterance

SMOOTH_FRAMES = 15  # 150 ms moving average: about a syllable; one odd frame is not a
# mispronounced sound (5, 9, 13, 15, 19, 25 frames: 85, 87, 90, 90, 89, 92% of worst segments
# on a replaced 150-250 ms span, benchmarks/pronounce.py)
MIN_FRAMES = 4  # shorter runs are not reported (40 ms)
MAX_SEGMENTS = 3
# A phone is named by a segment when at least this share of the phone, or of the segment
# (a short segment inside a long vowel), lies in the other.
PHONE_OVERLAP = 0.5


@dataclass(frozen=True)
class Segment:
    """A span of the attempt and the span of the reference it was aligned to (seconds into
    each recording as loaded), with its mean frame cost and, when the word's phones are
    known, the phones it covers (ARPAbet and IPA, in order; :func:`name_phones`)."""

    attempt_start_s: float
    attempt_end_s: float
    reference_start_s: float
    reference_end_s: float
    cost: float
    phones: tuple[str, ...] = ()
    ipa: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else round(float(v), 4)
        return out


def name_phones(segments: Sequence[Segment], phones: Sequence[dict[str, Any]]) -> list[Segment]:
    """The segments with the phones each covers (:data:`PHONE_OVERLAP` of the phone or of
    the segment, in attempt time), from a result's ``phones`` list (dicts with ``phone``,
    ``ipa``, ``attempt_start_s``, ``attempt_end_s``). Phones without times are skipped;
    with no phones the segments come back as they are."""
    out = []
    for s in segments:
        names, ipa = [], []
        for p in phones:
            a, b = p.get("attempt_start_s"), p.get("attempt_end_s")
            if a is None or b is None or b <= a:
                continue
            ov = min(b, s.attempt_end_s) - max(a, s.attempt_start_s)
            seg = s.attempt_end_s - s.attempt_start_s
            if ov > 0 and (ov >= PHONE_OVERLAP * (b - a) or ov >= PHONE_OVERLAP * seg):
                names.append(str(p.get("phone", "")))
                ipa.append(str(p.get("ipa", "")))
        out.append(replace(s, phones=tuple(names), ipa=tuple(ipa)))
    return out


def frame_costs(path: np.ndarray, path_cost: np.ndarray, n: int) -> np.ndarray:
    """Mean cost of the path cells on each attempt frame -> ``[shape=(n,)]``."""
    num = np.bincount(path[:, 0], weights=path_cost, minlength=n)
    den = np.bincount(path[:, 0], minlength=n)
    return num / np.maximum(den, 1)


def smooth(x: np.ndarray, width: int = SMOOTH_FRAMES) -> np.ndarray:
    if len(x) < width or width <= 1:
        return x.astype(np.float64)
    pad = width // 2
    xp = np.pad(x.astype(np.float64), pad, mode="edge")
    return np.convolve(xp, np.ones(width) / width, mode="valid")


def worst_segments(
    costs: np.ndarray,
    path: np.ndarray,
    attempt: Utterance,
    reference: Utterance,
    *,
    max_segments: int = MAX_SEGMENTS,
) -> list[Segment]:
    """Spans of the attempt whose smoothed per-frame cost is above the level halfway
    between its median and its peak, worst (largest summed excess cost) first.

    Parameters
    ----------
    costs : np.ndarray [shape=(n,)]
        DTW cost of each attempt frame (see :func:`frame_costs`).
    path : np.ndarray [shape=(L, 2)]
        DTW path of the attempt (rows) against ``reference`` (columns): gives each span's
        counterpart in the reference.
    """
    n = attempt.frames.shape[0]
    c = smooth(costs)
    base, peak = float(np.median(c)), float(c.max())
    if peak - base <= 1e-9:
        return []
    level = base + 0.5 * (peak - base)
    above = np.r_[False, c > level, False]
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    runs = list(zip(edges[::2], edges[1::2], strict=True))  # [start, end) frame runs
    spans = []
    for a, b in runs:
        if b - a < MIN_FRAMES:  # too short alone: widen around its peak
            mid = a + int(np.argmax(c[a:b]))
            a = max(0, min(mid - MIN_FRAMES // 2, n - MIN_FRAMES))
            b = min(n, a + MIN_FRAMES)
        spans.append((float(np.sum(c[a:b] - level)), a, b))
    spans.sort(key=lambda s: -s[0])
    out = []
    half = attempt.hop_s / 2
    # a span wholly in the window's padding before the audio (negative time) is no part of it
    spans = [sp for sp in spans if attempt.time(sp[2] - 1) + half > 0]
    for _, a, b in spans[:max_segments]:
        cells = (path[:, 0] >= a) & (path[:, 0] < b)
        j = path[cells, 1]
        out.append(Segment(
            attempt_start_s=max(0.0, attempt.time(a) - half),
            attempt_end_s=attempt.time(b - 1) + half,
            reference_start_s=max(0.0, reference.time(int(j.min())) - half),
            reference_end_s=reference.time(int(j.max())) + half,
            cost=float(np.mean(c[a:b])),
        ))
    return out
