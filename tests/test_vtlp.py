"""The voice-warp augmentation (space.data.vtlp): formants and pitch move apart, timing stays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss

from space.config import AugmentConfig
from space.data.augment import Augmenter
from space.data.vtlp import random_voice, vtlp_source_positions, warp_voice
from space.errors import ConfigError

SR = 16000


def resonator(x: np.ndarray, freqs: tuple[float, ...], bw: float = 80.0) -> np.ndarray:
    """``x`` through two-pole resonances at ``freqs`` (Hz): a vowel's formants."""
    for f in freqs:
        r = np.exp(-np.pi * bw / SR)
        x = ss.lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * f / SR), r * r], x)
    return (x / np.abs(x).max()).astype(np.float32)


def voiced_vowel(f0: float = 120.0) -> np.ndarray:
    """1 s of a pulse train at ``f0`` through formants at 700 and 1200 Hz."""
    x = np.zeros(SR)
    x[np.arange(0, SR, SR / f0).astype(int)] = 1.0
    return resonator(x, (700.0, 1200.0))


def whispered_vowel(rng: np.random.Generator) -> np.ndarray:
    """1 s of noise through one formant at 800 Hz: an envelope with no harmonics."""
    return resonator(rng.standard_normal(SR), (800.0,), bw=120.0)


def pitch_hz(y: np.ndarray) -> float:
    """Autocorrelation pitch of the middle half second."""
    seg = y[SR // 4 : 3 * SR // 4].astype(np.float64)
    ac = np.correlate(seg, seg, "full")[len(seg) - 1 :]
    lo, hi = SR // 500, SR // 60
    return SR / (lo + int(np.argmax(ac[lo:hi])))


def envelope_peak_hz(y: np.ndarray) -> float:
    """Peak of the frame-averaged power spectrum between 300 and 3000 Hz."""
    f, _, z = ss.stft(y, fs=SR, nperseg=512)
    p = (np.abs(z) ** 2).mean(axis=1)
    p = np.convolve(p, np.hanning(7), "same")  # smooth away the noise's ripple
    band = (f > 300) & (f < 3000)
    return float(f[band][np.argmax(p[band])])


def test_identity_returns_the_input():
    y = voiced_vowel()
    out = warp_voice(y, SR, formant=1.0, pitch=1.0)
    assert out.dtype == np.float32 and out.shape == y.shape
    assert np.sqrt(np.mean((out - y) ** 2)) < 1e-3 * np.sqrt(np.mean(y**2))


def test_pitch_moves_and_length_and_level_stay():
    y = voiced_vowel(120.0)
    assert pitch_hz(y) == pytest.approx(120.0, rel=0.02)
    for ratio in (0.8, 2.0, 2.5):
        out = warp_voice(y, SR, pitch=ratio)
        assert out.shape == y.shape
        assert pitch_hz(out) == pytest.approx(120.0 * ratio, rel=0.05)
        assert np.sqrt(np.mean(out**2)) == pytest.approx(np.sqrt(np.mean(y**2)), rel=1e-3)


def test_formants_move_and_pitch_stays(rng):
    y = whispered_vowel(rng)
    assert envelope_peak_hz(y) == pytest.approx(800.0, rel=0.05)
    assert envelope_peak_hz(warp_voice(y, SR, formant=1.3)) == pytest.approx(1040.0, rel=0.07)
    assert envelope_peak_hz(warp_voice(y, SR, formant=0.9)) == pytest.approx(720.0, rel=0.07)
    voiced = warp_voice(voiced_vowel(120.0), SR, formant=1.3)
    assert pitch_hz(voiced) == pytest.approx(120.0, rel=0.03)


def test_vtlp_map_scales_below_the_boundary_and_keeps_the_band_edge():
    n = 513
    assert np.allclose(vtlp_source_positions(n, 1.0), np.arange(n), atol=1e-9)
    pos = vtlp_source_positions(n, 1.25)
    assert pos[100] == pytest.approx(80.0, abs=0.1)  # output bin 100 reads input bin 80
    assert pos[-1] == pytest.approx(n - 1, abs=1e-6)
    assert np.all(np.diff(pos) > 0)


def test_bad_ratios_are_refused():
    with pytest.raises(ConfigError, match="0.5-3"):
        warp_voice(np.zeros(SR, np.float32), SR, pitch=4.0)


def test_random_voice_is_seeded():
    y = voiced_vowel()
    a = random_voice(y, SR, np.random.default_rng(3))
    b = random_voice(y, SR, np.random.default_rng(3))
    assert np.array_equal(a, b) and not np.allclose(a, y)


def test_augmenter_stage_switch():
    y = voiced_vowel()
    on = Augmenter(AugmentConfig(p_vtlp=1.0, p_speed=0.0), SR)
    out, factor = on.speed(y, np.random.default_rng(0))
    assert factor == 1.0 and out.shape == y.shape and not np.allclose(out, y)
    # Off (the default), the stage draws nothing: the speed draw is what it was without it.
    off = Augmenter(AugmentConfig(p_speed=1.0), SR)
    rng = np.random.default_rng(0)
    _, factor = off.speed(y, rng)
    ref = np.random.default_rng(0)
    ref.random()
    assert factor == pytest.approx(float(ref.uniform(0.85, 1.15)))
