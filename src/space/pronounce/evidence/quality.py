"""How good the recording is, apart from how the word was said: noise, clipping, level and
bandwidth of an attempt, as a 0-100 figure, a label and warnings a learner can act on.

A noisy room, a clipped or far-off microphone or telephone-band audio lowers a
pronunciation score although the learner said the word well; the warnings here say so in
so many words ("the recording, not your pronunciation, ...") so that they are never read
as a mispronunciation. The figure does not change the score: the result reports it beside
the score, and the verdict (:mod:`space.pronounce.verdict.judge`) gives a poor recording as
the cause of a poor score instead of naming a sound.

Each measure maps to 0-100 by a straight line between two round a-priori levels (below);
the figure is the lowest of the four (the worst limit decides), so one bad property is not
averaged away by three good ones. Nothing is fitted to a data set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

FRAME_S = 0.025  # analysis frames (as the SNR estimate of :func:`estimate_snr`)
HOP_S = 0.010
# SNR (loudest frames over quietest, dB): 30 dB and more is a quiet room; at 5 dB the noise
# is as loud as the word's quieter sounds.
SNR_GOOD_DB, SNR_BAD_DB, SNR_WARN_DB = 30.0, 5.0, 15.0
# Share of samples at full scale: a few in a thousand is audible distortion; 2% is heavy.
# Measured on the 16 kHz audio the scorer uses: resampling rounds a clipped top off, so this
# counts about half of the samples that were clipped at the original rate.
CLIP_LEVEL = 0.98
CLIP_BAD, CLIP_WARN = 0.02, 0.001
# Speech level (the loudest 25 ms frames, dB re full scale): browsers and phones without
# gain control put a word at about -10 to -30 dBFS; -40 and below is a microphone far away
# or turned down, and at -55 the word is close to the 16-bit noise floor of quiet gear.
LEVEL_GOOD_DB, LEVEL_BAD_DB, LEVEL_WARN_DB = -30.0, -55.0, -40.0
# The level is that of the loudest 2% of frames: a word of 0.3 s in a 10 s upload (the web
# app's limit) is 3% of the frames, and a single click is not 2%.
LEVEL_PERCENTILE = 98.0
# Bandwidth: the highest frequency where the speech spectrum is within 50 dB of its peak.
# 8 kHz recordings (telephone, FSDD) stop below 4 kHz, where /s/, /f/ and /θ/ differ; full-
# band microphones reach 6.5-8 kHz at 16 kHz.
BW_DROP_DB = 50.0
BW_GOOD_HZ, BW_NARROW_HZ, BW_WARN_HZ = 6500.0, 3500.0, 4500.0
BW_NARROW_SCORE = 60.0  # narrowband caps the figure at 'fair': the word is still heard
SPEECH_DB = 30.0  # frames within this of the loudest carry the speech spectrum
LABELS = (("good", 80.0), ("fair", 50.0), ("poor", float("-inf")))
LIMITS = "the recording, not your pronunciation, may be lowering the score"


@dataclass
class Quality:
    """Recording quality of one attempt (see the module doc).

    Attributes
    ----------
    score : float
        0-100, the lowest of the four measures' scores.
    label : str
        ``"good"`` (>= 80), ``"fair"`` (>= 50) or ``"poor"``.
    snr_db : float
        Estimated signal-to-noise ratio (loudest frames over quietest), at most 80.
    clipped : float
        Share of samples at full scale (0-1).
    level_dbfs : float
        Speech level: power of the loudest 25 ms frames (98th percentile), dB re full scale.
    bandwidth_hz : float
        Highest frequency at which the speech spectrum is within 50 dB of its peak.
    warnings : list of str
        One per measure below its warning level, each saying that the recording, not the
        learner, limits the score and what to do.
    """

    score: float
    label: str
    snr_db: float
    clipped: float
    level_dbfs: float
    bandwidth_hz: float
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 1), "label": self.label,
                "snr_db": round(self.snr_db, 1), "clipped": round(self.clipped, 5),
                "level_dbfs": round(self.level_dbfs, 1),
                "bandwidth_hz": round(self.bandwidth_hz), "warnings": list(self.warnings)}


def _ramp(x: float, bad: float, good: float) -> float:
    """0 at ``bad``, 100 at ``good``, linear between (either order), clipped."""
    return float(np.clip(100.0 * (x - bad) / (good - bad), 0.0, 100.0))


def _frames(y: np.ndarray, sr: int) -> np.ndarray:
    n, hop = int(FRAME_S * sr), int(HOP_S * sr)
    if len(y) < n:
        y = np.pad(y, (0, n - len(y)))
    return np.lib.stride_tricks.sliding_window_view(np.asarray(y, np.float64), n)[::hop]


def bandwidth(y: np.ndarray, sr: int, *, drop_db: float = BW_DROP_DB) -> float:
    """Highest frequency in Hz where the average spectrum of the speech frames (those within
    30 dB of the loudest) is within ``drop_db`` of its peak. ``y`` [shape=(n,)] at ``sr``."""
    f = _frames(y, sr)
    p = np.mean(f * f, axis=1)
    speech = f[p >= p.max() * 10 ** (-SPEECH_DB / 10)]
    spec = np.mean(np.abs(np.fft.rfft(speech * np.hanning(f.shape[1]), axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(f.shape[1], 1 / sr)
    db = 10 * np.log10(spec + 1e-20)
    above = np.flatnonzero(db > db.max() - drop_db)
    return float(freqs[above[-1]]) if above.size else 0.0


def estimate_snr(y: np.ndarray, sr: int) -> float:
    """Rough signal-to-noise ratio of a recording in dB: the power of its loudest 25 ms
    frames (95th percentile) over that of its quietest (10th percentile), at most 80."""
    n, hop = int(0.025 * sr), int(0.010 * sr)
    if len(y) < n + hop:
        return 80.0
    f = np.lib.stride_tricks.sliding_window_view(np.asarray(y, np.float64), n)[::hop]
    p = np.mean(f * f, axis=1)
    lo, hi = np.percentile(p, [10, 95])
    return float(min(80.0, 10 * np.log10((hi + 1e-12) / (lo + 1e-12))))


def recording_quality(y: np.ndarray, sr: int, *, snr_db: float | None = None) -> Quality:
    """Noise, clipping, level and bandwidth of a recording -> :class:`Quality`.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz as recorded (not peak-normalised: the level is measured).
    sr : int
        Sample rate in Hz.
    snr_db : float, optional
        The SNR when already estimated (:func:`estimate_snr`); estimated here otherwise,
        the same way.
    """
    y = np.asarray(y, np.float64)
    snr = float(estimate_snr(y, sr) if snr_db is None else snr_db)
    clipped = float(np.mean(np.abs(y) >= CLIP_LEVEL)) if y.size else 0.0
    p = np.mean(_frames(y, sr) ** 2, axis=1)
    level = float(10 * np.log10(np.percentile(p, LEVEL_PERCENTILE) + 1e-12))
    bw = bandwidth(y, sr)
    parts = {
        "snr": _ramp(snr, SNR_BAD_DB, SNR_GOOD_DB),
        # the share of clipped samples on a log scale: 0.01% -> 100, 0.1% -> 57, 2% -> 0
        "clip": 100.0 if clipped <= 1e-4 else _ramp(np.log10(clipped), np.log10(CLIP_BAD),
                                                     np.log10(1e-4)),
        "level": _ramp(level, LEVEL_BAD_DB, LEVEL_GOOD_DB),
        "band": (100.0 if bw >= BW_GOOD_HZ else
                 BW_NARROW_SCORE + (100 - BW_NARROW_SCORE) * _ramp(bw, BW_NARROW_HZ, BW_GOOD_HZ) / 100),
    }
    score = min(parts.values())
    warnings = []
    if snr < SNR_WARN_DB:
        warnings.append(f"background noise (signal-to-noise about {snr:.0f} dB): {LIMITS}; "
                        "record somewhere quieter or closer to the microphone")
    if clipped > CLIP_WARN:
        warnings.append(f"the recording is clipped (too loud: {100 * clipped:.1f}% of samples at "
                        f"full scale): {LIMITS}; speak softer or turn the input level down")
    if level < LEVEL_WARN_DB:
        warnings.append(f"the recording is very quiet (speech at {level:.0f} dBFS: the "
                        f"microphone is far away or turned down): {LIMITS}; come closer or "
                        "turn the input level up")
    if bw < BW_WARN_HZ:
        warnings.append(f"narrowband audio (nothing above about {bw / 1000:.1f} kHz, like a "
                        f"telephone): /s/, /f/ and /θ/ cannot be told apart and {LIMITS}; "
                        "record at 16 kHz or more")
    label = next(name for name, lower in LABELS if score >= lower)
    return Quality(score, label, snr, clipped, level, bw, warnings)
