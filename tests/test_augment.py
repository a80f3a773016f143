"""The one noise mixer (training's augmentation and the benchmarks' noisy sets)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from space.config import AugmentConfig
from space.data.augment import Augmenter, mix_noise

SR = 16000


def _snr_db(speech_power: float, noise: np.ndarray) -> float:
    return float(10 * np.log10(speech_power / np.mean(noise.astype(np.float64) ** 2)))


def test_mix_noise_puts_the_noise_at_the_asked_snr() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    noise = rng.standard_normal(SR + 500).astype(np.float32) * 5.0
    out = mix_noise(y, noise, 10.0)
    assert out.dtype == np.float32 and len(out) == len(y)
    assert _snr_db(float(np.mean(y**2)), out - y) == pytest.approx(10.0, abs=0.01)
    # a speech level given (e.g. over the word's loud frames only) sets the noise from it
    out = mix_noise(y, noise, 0.0, speech_power=0.01)
    assert _snr_db(0.01, out - y) == pytest.approx(0.0, abs=0.01)


def test_mix_noise_refuses_noise_shorter_than_the_clip() -> None:
    with pytest.raises(ValueError, match="noise has 10 samples, the clip 20"):
        mix_noise(np.zeros(20, np.float32), np.ones(10, np.float32), 10.0)


def test_augmenter_noise_stage_mixes_a_bank_recording_at_the_drawn_snr(tmp_path) -> None:
    rng = np.random.default_rng(1)
    (tmp_path / "noise").mkdir()
    sf.write(tmp_path / "noise" / "hum.wav", 0.5 * rng.standard_normal(3 * SR), SR)
    cfg = AugmentConfig(noise_dir=str(tmp_path / "noise"), p_noise=1.0, snr_db=(6.0, 6.0),
                        gain_db=(0.0, 0.0))
    aug = Augmenter(cfg, SR)
    window = np.zeros(SR, np.float32)
    window[4000:12000] = 0.2
    speech_power = float(np.mean(window[4000:12000] ** 2))
    out = aug.gain_and_noise(window, speech_power, np.random.default_rng(2))
    assert _snr_db(speech_power, out - window) == pytest.approx(6.0, abs=0.05)
    quiet = Augmenter(AugmentConfig(noise_dir=str(tmp_path / "noise"), p_noise=0.0,
                                    gain_db=(0.0, 0.0)), SR)
    np.testing.assert_array_equal(quiet.gain_and_noise(window, speech_power, rng), window)
