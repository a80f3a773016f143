"""Detection-error trade-off for keyword models: false rejects vs false alarms per hour.

A keyword spotter runs on a continuous stream, so its cost is counted as a detector's:
how many spoken keywords it misses (false-reject rate) against how often it fires when
nobody said that keyword (false alarms per hour), for each decision threshold.

The stream is made from a data split: its clips (keywords, unknown words, any word the
model does not know) in random order, separated by gaps of background noise (from the
``_background_noise_`` recordings, the same time range the split's ``_silence_`` examples
come from; low white noise when there are none), with the split's silence spans as
longer noise-only stretches. The model slides over it with a 1-window hop of ``hop_s``
(each window peak-normalised, as :func:`space.audio.prepare` does, but not re-centred:
a live detector cannot know where a word is).

Counting, per keyword and threshold: an occurrence of the keyword is detected when a
window that contains the midpoint of its speech scores at or above the threshold (so
the false-reject rate can only grow with the threshold). A window at or above the
threshold that overlaps no occurrence of the keyword at all is a false alarm; a run of
such windows is one alarm, and runs closer than ``refractory_s`` merge, as a detector's
hold-off would. Windows that overlap an occurrence without holding its midpoint count
neither way (a detector firing while the word is said is early or late, not false).
False alarms per hour divide by the whole stream's duration.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ... import audio
from ...data.readers import SILENCE, UNKNOWN, Example
from ...errors import SpaceError
from .recognizer import Recognizer

GAP_S = (0.3, 1.2)  # noise between clips, uniform random (s)
CLIP_PEAK = 0.5  # clips are levelled to this peak before they go into the stream
NOISE_RMS = 0.01  # about -40 dBFS: a quiet room between words
THRESHOLDS = np.round(np.concatenate([np.arange(0.05, 0.9, 0.05), np.arange(0.9, 1.0, 0.01),
                                      [0.995, 0.999]]), 4)


@dataclass
class Stream:
    """A long signal and where each keyword occurrence in it is."""

    audio: np.ndarray  # [shape=(n,)] at ``sr``
    sr: int
    occurrences: list[tuple[str, float, float]]  # (label, speech start s, speech end s)
    n_clips: int

    @property
    def hours(self) -> float:
        return len(self.audio) / self.sr / 3600


@dataclass
class DetResult:
    """Numbers of a DET sweep; ``to_dict()`` is what ``space evaluate --det`` writes."""

    thresholds: np.ndarray
    frr: np.ndarray  # pooled over every keyword occurrence, [shape=(thresholds,)]
    fa_per_hour: np.ndarray  # false alarms of all keywords together, per stream hour
    per_keyword: dict[str, dict[str, list[float]]]
    hours: float
    n_occurrences: int
    n_clips: int
    hop_s: float
    keywords: list[str] = field(default_factory=list)

    def frr_at(self, fa_per_hour: float) -> float:
        """Lowest false-reject rate whose false-alarm rate is at most ``fa_per_hour``
        (1.0 when no threshold gets that low)."""
        ok = self.fa_per_hour <= fa_per_hour
        return float(self.frr[ok].min()) if ok.any() else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream_hours": self.hours,
            "n_clips": self.n_clips,
            "n_keyword_occurrences": self.n_occurrences,
            "hop_s": self.hop_s,
            "keywords": self.keywords,
            "thresholds": self.thresholds.tolist(),
            "false_reject_rate": self.frr.tolist(),
            "false_alarms_per_hour": self.fa_per_hour.tolist(),
            "frr_at_fa_per_hour": {str(a): self.frr_at(a) for a in (0.5, 1, 2, 5, 10)},
            "per_keyword": self.per_keyword,
        }

    def text(self) -> str:
        lines = [f"DET over a {self.hours * 60:.1f}-min stream ({self.n_clips} clips, "
                 f"{self.n_occurrences} keyword occurrences, hop {self.hop_s * 1000:.0f} ms)",
                 f"{'threshold':>9} {'FRR':>7} {'FA/h':>8}"]
        for t, r, f in zip(self.thresholds, self.frr, self.fa_per_hour, strict=True):
            if t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995):
                lines.append(f"{t:9.3f} {r:7.1%} {f:8.1f}")
        lines.append("FRR at " + ", ".join(f"{a:g} FA/h: {self.frr_at(a):.1%}"
                                            for a in (1, 5, 10)))
        return "\n".join(lines)


def _noise_source(noise_dir: str | None, sr: int,
                  rng: np.random.Generator) -> Callable[[int], np.ndarray]:
    """A function ``n -> noise [n]`` at RMS ``NOISE_RMS`` from the test range of the noise
    recordings (or white noise when there are none)."""
    from ...data.augment import NoiseBank
    from ...data.commands import NOISE_RANGES
    from ...io import audio_files

    bank = None
    if noise_dir is not None and audio_files(noise_dir):
        bank = NoiseBank(noise_dir, sr, share=NOISE_RANGES["test"])

    def draw(n: int) -> np.ndarray:
        y = bank.sample(n, rng) if bank is not None else rng.standard_normal(n)
        y = y.astype(np.float32)
        rms = float(np.sqrt(np.mean(y**2))) + 1e-12
        return (y * (NOISE_RMS / rms)).astype(np.float32)

    return draw


def build_stream(examples: list[Example], keywords: list[str], *, sr: int,
                 noise_dir: str | None = None, top_db: float = 40.0, seed: int = 0) -> Stream:
    """Concatenate a split's clips with noise gaps; silence spans become noise stretches.

    Returns the stream and the (label, start, end) speech span of every keyword clip.
    """
    rng = np.random.default_rng(seed)
    draw = _noise_source(noise_dir, sr, rng)
    pieces, occ, t, n_clips = [], [], 0, 0
    for i in rng.permutation(len(examples)):
        ex = examples[int(i)]
        gap = draw(int(rng.uniform(*GAP_S) * sr))
        pieces.append(gap)
        t += len(gap)
        if ex.duration_s is not None or ex.label == SILENCE:  # a noise span: filler
            seg = draw(int((ex.duration_s or 1.0) * sr))
            pieces.append(seg)
            t += len(seg)
            continue
        try:
            y, _ = audio.load(ex.path, sr=sr)
        except SpaceError:
            continue
        y = audio.normalize_peak(y, CLIP_PEAK)
        if ex.label in keywords:
            a, b = audio.speech_bounds(y, sr, top_db=top_db)
            occ.append((ex.label, (t + a) / sr, (t + b) / sr))
        pieces.append(y)
        t += len(y)
        n_clips += 1
    pieces.append(draw(int(GAP_S[1] * sr)))
    return Stream(np.concatenate(pieces).astype(np.float32), sr, occ, n_clips)


def stream_probabilities(rec: Recognizer, y: np.ndarray, *, hop_s: float = 0.1,
                         batch_size: int = 128, progress: bool = False) -> np.ndarray:
    """Slide the model over a long signal at the model rate.

    Returns [shape=(windows, n_classes)] probabilities; window ``i`` covers samples
    ``i * hop`` to ``i * hop + n_samples``.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    n = rec.feature_cfg.n_samples
    hop = max(1, int(round(hop_s * rec.feature_cfg.sample_rate)))
    if len(y) < n:
        y = np.pad(y, (0, n - len(y)))
    windows = sliding_window_view(y, n)[::hop]
    # Each window levelled as prediction levels a clip, one batch at a time.
    return rec.probabilities((audio.normalize_peak(w) for w in windows), batch_size=batch_size,
                             progress="scanning stream" if progress else None,
                             total=len(windows))


def _events(active: np.ndarray, score: np.ndarray, merge: int) -> list[int]:
    """Window index of the best window of each run of ``active`` (runs whose gap is
    shorter than ``merge`` windows are one event)."""
    idx = np.flatnonzero(active)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > merge)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks + 1, [idx.size]])
    return [int(idx[a + np.argmax(score[idx[a:b]])]) for a, b in zip(starts, ends, strict=True)]


def count_detections(probs: np.ndarray, labels: list[str], stream: Stream, *, hop_s: float,
                     window_s: float, thresholds: np.ndarray = THRESHOLDS,
                     refractory_s: float = 0.5) -> DetResult:
    """Detections and false alarms for every keyword and threshold (module docstring).

    ``probs`` [shape=(windows, classes)]: window ``i`` covers ``[i * hop_s, i * hop_s +
    window_s]`` seconds of ``stream``.
    """
    keywords = [lab for lab in labels if lab not in (SILENCE, UNKNOWN)]
    merge = max(1, int(math.ceil(refractory_s / hop_s)))
    starts = np.arange(len(probs)) * hop_s
    per_kw: dict[str, dict[str, list[float]]] = {}
    misses = np.zeros(len(thresholds))
    fas = np.zeros(len(thresholds))
    n_occ = 0
    for kw in keywords:
        k = labels.index(kw)
        p = probs[:, k]
        spans = [(a, b) for lab, a, b in stream.occurrences if lab == kw]
        best = np.zeros(len(spans))  # each occurrence's best score over its windows
        near = np.zeros(len(p), dtype=bool)
        for i, (a, b) in enumerate(spans):
            mid = (a + b) / 2
            holds = (starts <= mid) & (mid <= starts + window_s)
            best[i] = p[holds].max() if holds.any() else 0.0
            near |= (starts < b) & (starts + window_s > a)
        n_occ += len(spans)
        kw_frr, kw_fa = [], []
        for j, th in enumerate(thresholds):
            missed = int(np.sum(best < th))
            alarms = len(_events((p >= th) & ~near, p, merge))
            misses[j] += missed
            fas[j] += alarms
            kw_frr.append(missed / len(spans) if spans else float("nan"))
            kw_fa.append(alarms / stream.hours)
        per_kw[kw] = {"false_reject_rate": kw_frr, "false_alarms_per_hour": kw_fa,
                      "occurrences": [float(len(spans))]}
    if n_occ == 0:
        raise SpaceError("the stream holds no clip of any keyword the model knows "
                         f"({', '.join(keywords) or 'none'}); nothing to detect")
    return DetResult(np.asarray(thresholds, dtype=float), misses / n_occ, fas / stream.hours,
                     per_kw, stream.hours, n_occ, stream.n_clips, hop_s, keywords)


def run_det(rec: Recognizer, examples: list[Example], *, noise_dir: str | None = None,
            hop_s: float = 0.1, seed: int = 0, progress: bool = False) -> DetResult:
    """Build a stream from ``examples``, slide ``rec`` over it, sweep the threshold."""
    if not examples:
        raise SpaceError("no examples to build a detection stream from")
    if hop_s <= 0:
        raise SpaceError("the hop must be positive")
    cfg = rec.feature_cfg
    keywords = [lab for lab in rec.labels if lab not in (SILENCE, UNKNOWN)]
    stream = build_stream(examples, keywords, sr=cfg.sample_rate, noise_dir=noise_dir,
                          top_db=cfg.trim_top_db, seed=seed)
    probs = stream_probabilities(rec, stream.audio, hop_s=hop_s, progress=progress)
    return count_detections(probs, rec.labels, stream, hop_s=hop_s, window_s=cfg.clip_s)


def plot_det(result: DetResult, *, title: str = "", ax: Any = None) -> Any:
    """DET curve: false-reject rate (%) against false alarms per hour."""
    from ...io import new_figure

    if ax is None:
        fig = new_figure((5.5, 4.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.plot(result.fa_per_hour, 100 * result.frr, marker=".", label="all keywords")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("false alarms per hour (all keywords)")
    ax.set_ylabel("false-reject rate (%)")
    ax.grid(True, which="both", alpha=0.3)
    for t, r, f in zip(result.thresholds, result.frr, result.fa_per_hour, strict=True):
        if t in (0.5, 0.9, 0.99):
            ax.annotate(f"{t:g}", (f, 100 * r), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)
    ax.set_title(title or f"DET, {result.hours * 60:.0f}-min stream", fontsize=9)
    fig.tight_layout()
    return fig


def save_plot(result: DetResult, path: str | os.PathLike, *, title: str = "") -> Path:
    """Write the DET plot as PNG (atomically)."""
    from ...io import save_png

    return save_png(plot_det(result, title=title), path, dpi=110)
