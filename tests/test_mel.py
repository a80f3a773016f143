"""The numpy mel filterbank equals librosa's, so LogMel needs neither librosa nor scipy."""

import subprocess
import sys

import librosa
import numpy as np
import pytest

from space.audio.mel import dct_matrix, hz_to_mel, mel_filterbank, mel_to_hz


@pytest.mark.parametrize(("sr", "n_fft", "n_mels", "fmin", "fmax"), [
    (16000, 400, 40, 20.0, 4000.0),   # the digits model
    (16000, 400, 40, 20.0, 8000.0),   # the commands model
    (16000, 512, 64, 0.0, None),
    (22050, 1024, 128, 50.0, 11025.0),
    (8000, 256, 20, 300.0, 3400.0),
])
def test_filterbank_equals_librosa(sr, n_fft, n_mels, fmin, fmax):
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    ours = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    assert ours.shape == ref.shape == (n_mels, 1 + n_fft // 2)
    assert ours.dtype == np.float32
    assert np.max(np.abs(ours - ref)) <= 1e-6


def test_mel_scale_round_trip_and_librosa():
    hz = np.array([0.0, 20.0, 500.0, 999.0, 1000.0, 1001.0, 4000.0, 8000.0])
    assert np.allclose(hz_to_mel(hz), librosa.hz_to_mel(hz), atol=1e-9)
    assert np.allclose(mel_to_hz(hz_to_mel(hz)), hz, atol=1e-6)
    assert float(hz_to_mel(1000.0)) == pytest.approx(15.0)  # the linear part: 200/3 Hz per mel


@pytest.mark.parametrize(("n", "k"), [(40, 20), (40, 40), (13, 5), (1, 1)])
def test_dct_matrix_equals_scipy(n, k):
    from scipy.fft import dct

    x = np.random.default_rng(n).normal(size=(n, 7))
    np.testing.assert_allclose(dct_matrix(n, k) @ x, dct(x, type=2, norm="ortho", axis=0)[:k],
                               atol=1e-10, rtol=0)
    x32 = x.astype(np.float32)
    got = (dct_matrix(n, k) @ x32).astype(np.float32)
    assert np.max(np.abs(got - dct(x32, type=2, norm="ortho", axis=0)[:k])) <= 1e-5


def test_logmel_construction_imports_no_librosa_or_scipy():
    code = (
        "import sys\n"
        "from space.audio.features import LogMel\n"
        "from space.config import FeatureConfig\n"
        "LogMel(FeatureConfig())\n"
        "print(sorted({k.split('.')[0] for k in sys.modules} & {'librosa', 'scipy', 'numba'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
