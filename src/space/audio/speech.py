"""Is there speech in this audio? A cheap check that refuses non-speech before a model labels it.

A recogniser always answers with one of its words, and the scorer always finds a closest
reference, so a beep would get a label or a score. Three kinds of sound are refused, each
by measures taken on the loud part of the clip (frames within :data:`SOUND_DB` of the
loudest), 25 ms frames at a 10 ms hop:

- **too short** (a click, a tap, a cut-off fragment): the longest stretch of sound lasts
  under :data:`MIN_SOUND_S`. The shortest words measured last 75 ms at least (the
  learners' "up"); a click or a 50 ms fragment lasts 45-55 ms.
- **steady noise** (white/pink noise, a tap): spectrally flat (> :data:`MAX_FLATNESS`,
  geometric over arithmetic mean of the power spectrum, 100 Hz-4 kHz, of the loudest tenth
  of the frames) and unmodulated (95th over 10th percentile of frame power below
  :data:`MIN_MODULATION_DB`; a word rises out of its surroundings, even at 5 dB SNR).
- **a steady tone or hum** (a beep, mains hum, a whistle): the spectrum's shape does not
  change (energy-weighted mean change of the band-energy distribution below
  :data:`MIN_SPECTRAL_CHANGE`) *and* the strongest spectral peak holds its frequency
  (10th-90th percentile spread below :data:`MAX_PITCH_SPREAD` of the median, 64 ms frames).
  A word moves through sounds; a steady vowel ("no" said by a learner can change little)
  still drifts in pitch by 1% or more, a synthetic tone or mains hum by under 0.4%.

Measured (``benchmarks/speech_presence.py``, results in
``benchmarks/results/speech_presence.md``): every tone, hum, click and fragment refused;
no FSDD, Speech Commands, learner or espeak-ng word refused. Tuned on the synthetic sounds
and a subset of the real-speech sets; no model, about 2 ms for a 1-s clip.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import NoSpeechError

MAX_FLATNESS = 0.35  # loud frames flatter than this look like noise...
MIN_MODULATION_DB = 9.0  # ... unless the level moves at least this much (a word in noise)
SOUND_DB = 30.0  # frames within this of the loudest frame are "the sound"
MIN_SOUND_S = 0.07  # shortest word measured: 75 ms; a click or a 50 ms fragment: <= 55 ms
MIN_SPECTRAL_CHANGE = 0.05  # speech >= 0.006 (rare), tones 0, hums <= 0.043 ...
MAX_PITCH_SPREAD = 0.008  # ... and then a peak steadier than this (hums <= 0.004) is no voice
FRAME_S = 0.025
HOP_S = 0.010
PITCH_FRAME_S = 0.064  # resolves the harmonics of a 50 Hz hum
BAND_HZ = (100.0, 4000.0)
LOUD_DB = 20.0  # loud_frames: within this of the loudest frame ...
FLOOR_DB = 10.0  # ... and this far above the quietest tenth (a noisy clip's noise is not loud)


@dataclass(frozen=True)
class SpeechMeasures:
    """What :func:`speech_measures` finds in a clip (see the module docstring)."""

    sound_s: float  # longest stretch of sound, s
    modulation_db: float  # 95th over 10th percentile of frame power, dB
    flatness: float  # median spectral flatness of the loudest tenth of the frames, 0-1
    spectral_change: float  # mean change of the band-energy distribution, 0-1
    pitch_spread: float  # 10th-90th percentile spread of the strongest peak / its median


def _frames(y: np.ndarray, sr: int, frame_s: float) -> np.ndarray:
    """[shape=(n,)] -> frames [shape=(n_frames, frame_s * sr)] at a 10 ms hop."""
    n, hop = max(8, int(frame_s * sr)), max(1, int(HOP_S * sr))
    return np.lib.stride_tricks.sliding_window_view(np.asarray(y, np.float64), n)[::hop]


def true_runs(mask: np.ndarray) -> np.ndarray:
    """``[start, end)`` of each run of True in a 1-d boolean ``mask``, in order
    ``[shape=(runs, 2)]``."""
    edges = np.flatnonzero(np.diff(np.r_[0, np.asarray(mask, np.int8), 0]))
    return edges.reshape(-1, 2)


def loud_frames(y: np.ndarray, sr: int, times_s: np.ndarray, *, db: float = LOUD_DB,
                floor_db: float = FLOOR_DB) -> np.ndarray:
    """Which instants ``times_s`` (s, into ``y``) lie in a loud 25 ms frame: one within
    ``db`` of the clip's loudest frame and ``floor_db`` above the level of its quietest
    tenth (10 ms hop; an instant before the first frame's centre or after the last's takes
    that frame). A word's vowels are loud; the silence around it, and the steady noise of
    a noisy recording, are not.

    Returns
    -------
    np.ndarray [shape=times_s.shape, dtype=bool]
    """
    t = np.asarray(times_s, np.float64)
    if _too_short(y, sr):
        return np.zeros(t.shape, bool)
    power = 10 * np.log10(np.mean(_frames(y, sr, FRAME_S) ** 2, axis=1) + 1e-12)
    floor = np.percentile(power, 10)
    loud = power > max(power.max() - db, floor + floor_db)
    k = np.clip(np.rint((t - FRAME_S / 2) / HOP_S), 0, len(power) - 1).astype(int)
    return loud[k]


def _spectrum(frames: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Power spectra [shape=(n_frames, n_bins)] of Hann-windowed frames, and bin freqs (Hz)."""
    n = frames.shape[1]
    spec = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2 + 1e-20
    return spec, np.fft.rfftfreq(n, 1 / sr)


@functools.lru_cache(maxsize=16)
def _band_bins(sr: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last rfft bin of 18 log-spaced bands, 60 Hz to 4 kHz (or 0.45 sr),
    for frames of ``n`` samples: bin ``i`` is in a band when ``lo <= f_i < hi``."""
    edges = np.geomspace(60.0, min(BAND_HZ[1], 0.45 * sr), 19)
    idx = np.searchsorted(np.fft.rfftfreq(n, 1 / sr), edges, side="left")
    return idx[:-1], idx[1:]


def _spectral_change(frames: np.ndarray, sr: int) -> float:
    """Energy-weighted mean total-variation distance between each frame's distribution of
    energy over 18 bands (60 Hz to 4 kHz, log-spaced) and the clip's mean distribution."""
    spec, _ = _spectrum(frames, sr)
    # Bins are sorted by frequency, so each band is a run of bins: differences of a running
    # sum (an empty band gives 0) instead of 18 masked copies of the spectrum.
    cum = np.concatenate([np.zeros((len(spec), 1)), np.cumsum(spec, axis=1)], axis=1)
    lo, hi = _band_bins(sr, frames.shape[1])
    bands = cum[:, hi] - cum[:, lo] + 1e-20
    share = bands / bands.sum(1, keepdims=True)
    weight = bands.sum(1) / bands.sum()
    mean = weight @ share
    return float(weight @ (0.5 * np.abs(share - mean).sum(1)))


def _pitch_spread(y: np.ndarray, sr: int) -> float:
    """Spread of the strongest spectral peak's frequency over the loud 64 ms frames."""
    if len(y) < int(PITCH_FRAME_S * sr) + int(HOP_S * sr):
        return 0.0
    frames = _frames(y, sr, PITCH_FRAME_S)
    power = np.mean(frames**2, axis=1)
    spec, f = _spectrum(frames[power >= 0.1 * power.max()], sr)
    spec[:, (f < 40.0) | (f > min(BAND_HZ[1], 0.45 * sr))] = 1e-20
    k = np.clip(np.argmax(spec, axis=1), 1, spec.shape[1] - 2)
    r = np.arange(len(k))
    a, b, c = (np.log(spec[r, k + d]) for d in (-1, 0, 1))
    peak = (k + 0.5 * (a - c) / (a - 2 * b + c - 1e-12)) * (f[1] - f[0])  # parabolic
    lo, med, hi = np.percentile(peak, [10, 50, 90])
    return float((hi - lo) / max(med, 1e-9))


def _levels(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """25 ms frames, their power, which are loud, the longest stretch of sound (s) and the
    level's modulation (dB) of mono audio of at least 35 ms."""
    frames = _frames(y, sr, FRAME_S)
    power = np.mean(frames**2, axis=1) + 1e-12
    loud = power >= power.max() * 10 ** (-SOUND_DB / 10)
    runs = true_runs(loud)
    sound_s = (int((runs[:, 1] - runs[:, 0]).max()) - 1) * HOP_S + FRAME_S
    lo, hi = np.percentile(power, [10, 95])
    return frames, power, loud, sound_s, float(10 * np.log10(hi / lo))


def _flatness(frames: np.ndarray, power: np.ndarray, sr: int) -> float:
    """Median spectral flatness (100 Hz-4 kHz) of the loudest tenth of the frames."""
    top = frames[power >= np.percentile(power, 90)]
    spec, f = _spectrum(top, sr)
    spec = spec[:, (f >= BAND_HZ[0]) & (f <= min(BAND_HZ[1], 0.45 * sr))]
    flat = np.exp(np.mean(np.log(spec), axis=1)) / np.mean(spec, axis=1)
    return float(np.median(flat))


def _too_short(y: np.ndarray, sr: int) -> bool:
    return len(y) < max(8, int(FRAME_S * sr)) + int(HOP_S * sr)  # under 35 ms


def speech_measures(y: np.ndarray, sr: int) -> SpeechMeasures:
    """The measures behind :func:`speech_problem`, for mono audio ``[shape=(n,)]`` at ``sr``."""
    if _too_short(y, sr):  # nothing to measure
        return SpeechMeasures(len(y) / sr, 0.0, 1.0, 0.0, 0.0)
    frames, power, loud, sound_s, modulation_db = _levels(y, sr)
    return SpeechMeasures(sound_s, modulation_db, _flatness(frames, power, sr),
                          _spectral_change(frames[loud], sr), _pitch_spread(y, sr))


def speech_problem(y: np.ndarray, sr: int) -> str | None:
    """Why mono audio ``[shape=(n,)]`` at ``sr`` Hz is not speech, or None if it may be.

    The rules of :func:`speech_measures`' measures, each measure taken only when its rule
    can still refuse (a word's level moves, so its flatness is rarely needed; its sound
    changes, so its pitch is rarely needed): the same answers at about half the cost.
    """
    if _too_short(y, sr):
        m = speech_measures(y, sr)
        return (f"the sound lasts {1000 * m.sound_s:.0f} ms, shorter than any word: a click "
                "or a cut-off fragment?")
    frames, power, loud, sound_s, modulation_db = _levels(y, sr)
    if sound_s < MIN_SOUND_S:
        return (f"the sound lasts {1000 * sound_s:.0f} ms, shorter than any word: a click "
                "or a cut-off fragment?")
    if modulation_db < MIN_MODULATION_DB:
        flatness = _flatness(frames, power, sr)
        if flatness > MAX_FLATNESS:
            return (f"the audio sounds like steady noise: level varies {modulation_db:.1f} dB, "
                    f"spectral flatness {flatness:.2f}")
    if (_spectral_change(frames[loud], sr) < MIN_SPECTRAL_CHANGE
            and _pitch_spread(y, sr) < MAX_PITCH_SPREAD):
        return "the audio is a steady tone or hum: its sound and pitch do not change as a voice's do"
    return None


def has_speech(y: np.ndarray, sr: int) -> bool:
    """False for a click, steady noise or a steady tone (see the module docstring)."""
    return speech_problem(y, sr) is None


def require_speech(y: np.ndarray, sr: int, *, name: str = "<audio>") -> None:
    """Raise :class:`~space.errors.NoSpeechError` unless :func:`has_speech`."""
    problem = speech_problem(y, sr)
    if problem is not None:
        raise NoSpeechError(f"{name}: no speech found ({problem})")
