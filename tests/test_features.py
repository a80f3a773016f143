import librosa
import numpy as np
import torch

from space.audio.features import LogMel, log_mel
from space.config import FeatureConfig

from .conftest import tone


def test_stft_power_matches_librosa():
    cfg = FeatureConfig(fmax=8000, normalize="none")
    y = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    mod = LogMel(cfg)
    p = mod.power(torch.tensor(y[None]))[0].numpy()
    ref = np.abs(librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                              win_length=cfg.win_length, center=True, pad_mode="constant")) ** 2
    assert p.shape == (ref.shape[0] - 1, ref.shape[1])  # the Nyquist bin is not used
    assert np.max(np.abs(p - ref[: p.shape[0]])) / ref.max() < 1e-5


def test_shape_and_normalisation():
    cfg = FeatureConfig()
    f = log_mel(tone(440, 1.0, 16000), cfg)
    assert f.shape == (cfg.n_mels, cfg.n_frames) == (40, 101)
    assert np.allclose(f.mean(axis=1), 0, atol=1e-4)  # per-band mean removed
    assert abs(f.std() - 1) < 1e-3


def test_band_limit_ignores_energy_above_fmax():
    # A model trained on 8 kHz FSDD sees 0-4 kHz only: a 6 kHz whistle must not change it.
    cfg = FeatureConfig(fmax=4000)
    rng = np.random.default_rng(0)
    y = tone(300, 1.0, 16000) + 0.1 * rng.normal(size=16000).astype(np.float32)
    y_whistle = y + tone(6000, 1.0, 16000, amp=0.5)
    a, b = log_mel(y, cfg), log_mel(y_whistle, cfg)
    # (the first and last frames see the clip's hard edges, which splatter across all bands)
    assert np.max(np.abs(a - b)[:, 3:-3]) < 0.05


def test_gain_invariance():
    cfg = FeatureConfig()
    y = tone(440, 1.0, 16000) + tone(1200, 1.0, 16000, 0.2)
    assert np.allclose(log_mel(y, cfg), log_mel(0.1 * y, cfg), atol=1e-3)


def test_batch_equals_single():
    cfg = FeatureConfig()
    rng = np.random.default_rng(3)
    ys = rng.normal(0, 0.1, (3, 16000)).astype(np.float32)
    batch = log_mel(ys, cfg)
    for i in range(3):
        assert np.allclose(batch[i], log_mel(ys[i], cfg), atol=1e-5)
