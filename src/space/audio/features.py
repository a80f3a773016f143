"""Log-mel spectrograms: the one feature function.

:class:`LogMel` is a ``torch.nn.Module`` so the same code runs in training (on batches,
after waveform augmentation), prediction, streaming, scoring and inside exported models
(ONNX/TorchScript). The STFT is a strided convolution with a windowed Fourier basis,
numerically the same as ``torch.stft`` but exportable everywhere.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import FeatureConfig


class LogMel(nn.Module):
    """Waveform batch -> normalised log-mel spectrogram.

    ``forward(wave)``: wave [shape=(batch, n_samples)] at ``cfg.sample_rate``
    -> [shape=(batch, n_mels, n_frames)], in dB, band-normalised per utterance when
    ``cfg.normalize == "utterance"``.
    """

    # Dynamic range kept below each utterance's loudest mel cell. Zero padding, a quiet room
    # and a noisy microphone all sit at the same floor instead of at wildly different levels.
    top_db: float = 60.0

    def __init__(self, cfg: FeatureConfig, *, mel: torch.Tensor | None = None) -> None:
        """``mel``: the filterbank [shape=(n_mels, bins)] when it is already known (a loaded
        checkpoint stores it); otherwise :func:`space.audio.mel.mel_filterbank` builds it
        (librosa's filters, without importing librosa and scipy.signal: seconds at start-up)."""
        super().__init__()
        self.cfg = cfg
        n_fft, win = cfg.n_fft, cfg.win_length
        if mel is None:
            from .mel import mel_filterbank

            m = mel_filterbank(
                sr=cfg.sample_rate, n_fft=n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax
            )
            # Only the FFT bins some mel filter uses are computed: with a 4 kHz band at
            # 16 kHz that halves the cost of the transform.
            n_bins = int(np.nonzero(m.any(axis=0))[0].max()) + 1
            mel = torch.tensor(m[:, :n_bins], dtype=torch.float32)
        n_bins = mel.shape[1]
        window = torch.zeros(n_fft, dtype=torch.float64)
        off = (n_fft - win) // 2
        # periodic Hann, as librosa.stft and scipy.signal.get_window("hann") use
        window[off : off + win] = torch.hann_window(win, periodic=True, dtype=torch.float64)
        t = torch.arange(n_fft, dtype=torch.float64)
        k = torch.arange(n_bins, dtype=torch.float64)[:, None]
        angle = 2 * torch.pi * k * t / n_fft
        basis = torch.cat([torch.cos(angle), -torch.sin(angle)]) * window
        # Declared for type checkers: register_buffer's attributes are otherwise
        # Tensor | Module to them.
        self.basis: torch.Tensor
        self.mel: torch.Tensor
        self.register_buffer("basis", basis.float()[:, None, :])
        self.register_buffer("mel", mel.float())
        self.n_bins = n_bins
        self.hop = cfg.hop_length
        self.pad = n_fft // 2

    def power(self, wave: torch.Tensor) -> torch.Tensor:
        """[shape=(b, n)] -> power spectrogram [shape=(b, bins used by the mel filters, frames)]."""
        x = F.pad(wave[:, None, :], (self.pad, self.pad))
        spec = F.conv1d(x, self.basis, stride=self.hop)
        re, im = spec[:, : self.n_bins], spec[:, self.n_bins :]
        return re * re + im * im

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(self.mel, self.power(wave))
        db = 10.0 * torch.log10(mel + 1e-10)
        peak = db.amax(dim=(1, 2), keepdim=True)
        db = torch.maximum(db, peak - self.top_db)
        if self.cfg.normalize == "utterance":
            db = db - db.mean(dim=2, keepdim=True)
            db = db / (db.std(dim=(1, 2), keepdim=True) + 1e-5)
        return db


_CACHE: dict[FeatureConfig, LogMel] = {}


def log_mel(wave: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """Numpy convenience over :class:`LogMel` (same code path).

    Parameters
    ----------
    wave : np.ndarray [shape=(n,) or (batch, n)]
        Audio at ``cfg.sample_rate`` (any length; prepared clips are ``cfg.n_samples`` long).

    Returns
    -------
    np.ndarray [shape=(n_mels, frames) or (batch, n_mels, frames)]
    """
    mod = _CACHE.get(cfg)
    if mod is None:
        mod = _CACHE[cfg] = LogMel(cfg).eval()
    x = torch.as_tensor(np.atleast_2d(np.asarray(wave, dtype=np.float32)))
    with torch.no_grad():
        out = mod(x).numpy()
    return out[0] if np.ndim(wave) == 1 else out
