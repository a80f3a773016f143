"""Where the speech is, and the fixed window a model sees.

Every path (training, evaluation, prediction, streaming, scoring) places a clip in its
window through :func:`prepare` / :func:`fit_window`, so a clip is seen the same way
everywhere.
"""

from __future__ import annotations

import numpy as np

from ..config import FeatureConfig
from .load import Source, _name, check, load, resample


def speech_bounds(y: np.ndarray, sr: int, *, top_db: float = 40.0) -> tuple[int, int]:
    """Sample indices ``(start, end)`` of the non-silent part.

    The same rule as ``librosa.effects.trim`` (frame power within ``top_db`` of the loudest
    frame; centred frames, ``frame_length`` 32 ms, hop a quarter of it), written with
    numpy here because importing librosa costs prediction ~150 MB of memory and a second
    of start-up. ``tests/test_audio.py`` checks it against librosa.
    """
    frame = max(256, int(sr * 0.032))
    hop = frame // 4
    padded = np.pad(np.asarray(y, dtype=np.float64), frame // 2)
    if len(padded) < frame:
        return 0, len(y)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop]
    power = np.mean(frames**2, axis=1)
    db = 10 * np.log10(np.maximum(power, 1e-10)) - 10 * np.log10(max(power.max(), 1e-10))
    loud = np.flatnonzero(db > -top_db)
    if loud.size == 0:
        return 0, len(y)
    start, end = int(loud[0] * hop), int(min(len(y), (loud[-1] + 1) * hop))
    return (start, end) if end > start else (0, len(y))


# Silence kept around the speech of a scored attempt (s): less than a stream keeps around a
# word it hears (space.recognize.stream.StreamConfig's 150 ms pre- and post-roll), so that
# `space listen --word` (the stream's cut of a recording) and `space score` (the whole file)
# give the frame encoder the same audio, and a score does not depend on how much silence
# the recording has around the word.
ATTEMPT_KEEP_S = 0.1


def trim_silence(y: np.ndarray, sr: int, *,
                 keep_s: float = ATTEMPT_KEEP_S) -> tuple[np.ndarray, int]:
    """``y`` [shape=(n,)] cut to its speech (:func:`speech_bounds`) plus ``keep_s`` seconds
    each side where ``y`` has them, and the index in ``y`` where the cut starts.

    The bounds are refined to the sample (:func:`_sample_bounds`), so that a recording and
    a longer one holding it (a stream's cut of it, or the file with more silence around
    the word) are cut to the same samples."""
    start, end = _sample_bounds(y, *speech_bounds(y, sr), frame=max(256, int(sr * 0.032)))
    keep = int(round(keep_s * sr))
    a = max(0, start - keep)
    return y[a : end + keep], a


def _sample_bounds(y: np.ndarray, start: int, end: int, *, frame: int) -> tuple[int, int]:
    """The first and last sample (end exclusive) within one ``frame`` of the frame-grid
    bounds ``start, end`` whose magnitude is at least 1% (-40 dB) of the speech's peak.
    :func:`speech_bounds`' frames start where ``y`` starts, so its bounds move by up to a
    hop with the silence before the speech; a sample threshold does not."""
    if end <= start:
        return start, end
    thr = 0.01 * float(np.max(np.abs(y[start:end])))
    a, b = max(0, start - frame), min(len(y), end + frame)
    loud = np.flatnonzero(np.abs(y[a:b]) >= thr)
    if thr <= 0 or loud.size == 0:
        return start, end
    return a + int(loud[0]), a + int(loud[-1]) + 1


def place_window(y: np.ndarray, start: int, end: int, n_samples: int) -> tuple[np.ndarray, int]:
    """Cut ``n_samples`` around the speech in ``y[start:end]``, zero-padded where y ends.

    A span that fits is centred; a longer one keeps the window with the most energy.

    Returns
    -------
    window : np.ndarray [shape=(n_samples,), dtype=float32]
    left : int
        Index in ``y`` of the window's first sample (negative when it starts with padding),
        so ``y[start]`` is ``window[start - left]``.
    """
    start, end = max(start, -n_samples), min(end, len(y) + n_samples)
    span = end - start
    if span <= n_samples or start < 0 or end > len(y):
        left = start + span // 2 - n_samples // 2
    else:
        e = np.concatenate([[0.0], np.cumsum(y[start:end].astype(np.float64) ** 2)])
        energy = e[n_samples:] - e[:-n_samples]
        left = start + int(np.argmax(energy))
    out = np.zeros(n_samples, dtype=np.float32)
    a, b = max(left, 0), min(left + n_samples, len(y))
    out[a - left : b - left] = y[a:b]
    return out, left


def fit_window(y: np.ndarray, start: int, end: int, n_samples: int) -> np.ndarray:
    """:func:`place_window` without the window's position [shape=(n_samples,)]."""
    return place_window(y, start, end, n_samples)[0]


def prepare(
    y: np.ndarray, sr: int, cfg: FeatureConfig, *, name: str = "<audio>"
) -> np.ndarray:
    """The one front end: model rate, speech found and centred, fixed length, peak level.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz.
    cfg : FeatureConfig
        Gives the model rate, window length and silence threshold.

    Returns
    -------
    np.ndarray [shape=(cfg.n_samples,), dtype=float32]
    """
    y = np.asarray(y, dtype=np.float32)
    check(y, sr, name=name)
    y = resample(y, sr, cfg.sample_rate, name=name)
    start, end = speech_bounds(y, cfg.sample_rate, top_db=cfg.trim_top_db)
    w = fit_window(y, start, end, cfg.n_samples)
    return normalize_peak(w)


def normalize_peak(y: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """Scale so the largest absolute sample is ``peak``; silence is returned unchanged."""
    m = float(np.max(np.abs(y))) if y.size else 0.0
    return (y * (peak / m)).astype(np.float32) if m > 0 else y


def load_prepared(source: Source, cfg: FeatureConfig, *, name: str | None = None) -> np.ndarray:
    """:func:`load` then :func:`prepare`: the fixed window a model sees for one file."""
    y, sr = load(source, name=name)
    return prepare(y, sr, cfg, name=_name(source, name))


NARROW_HZ = 4000.0  # the top of an 8 kHz recording's band


def is_narrowband(y: np.ndarray, sr: int) -> bool:
    """True when the audio cannot show the 4-8 kHz band: recorded at <= 8 kHz, or (an
    upsampled 8 kHz recording) with under 1e-5 of its energy above 3.9 kHz."""
    if sr <= 2 * NARROW_HZ:
        return True
    spec = np.abs(np.fft.rfft(np.asarray(y, np.float64))) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    tot = float(spec.sum()) + 1e-20
    return float(spec[f > 3900].sum()) / tot < 1e-5
