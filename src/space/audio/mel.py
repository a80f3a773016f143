"""The mel filterbank and the cepstral DCT in numpy.

:func:`mel_filterbank` equals ``librosa.filters.mel`` with its defaults, and
:func:`dct_matrix` ``scipy.fft.dct(type=2, norm="ortho")``. librosa's filters import
``scipy.signal`` (about 1.5 s cold), and ``scipy.fft`` costs 0.7 s of CPU to import; a
:class:`~space.audio.features.LogMel` built at run time (the frame encoder, a new model)
and the frame encoder's cepstra need only these few lines. The tests check both against
the originals to 1e-6.
"""

from __future__ import annotations

import numpy as np

# Slaney's mel scale (librosa's default, ``htk=False``): linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0  # log(Hz) per mel in the logarithmic part


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Frequencies in Hz -> Slaney mels (``librosa.hz_to_mel(..., htk=False)``)."""
    f = np.asarray(hz, dtype=np.float64)
    mel = f / _F_SP
    log_part = f >= _MIN_LOG_HZ
    return np.where(log_part, _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ)
                    / _LOGSTEP, mel)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Slaney mels -> frequencies in Hz (inverse of :func:`hz_to_mel`)."""
    m = np.asarray(mel, dtype=np.float64)
    hz = _F_SP * m
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), hz)


def mel_filterbank(*, sr: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Triangular mel filters, area-normalised (Slaney), as ``librosa.filters.mel`` makes them.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT length in samples.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Lowest and highest band edge in Hz (``fmax`` defaults to ``sr / 2``).

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n_fft // 2), dtype=float32]
        Weight of each FFT bin in each band.
    """
    fmax = sr / 2 if fmax is None else float(fmax)
    fft_hz = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    # n_mels + 2 edges, equally spaced in mels: band i rises from edge i to i + 1, falls to i + 2.
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    # Slaney normalisation: every filter has the same area, so a band's energy does not grow
    # with its width.
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def dct_matrix(n_in: int, n_out: int | None = None) -> np.ndarray:
    """Orthonormal DCT-II as a matrix: ``dct_matrix(n, k) @ x`` is the first ``k`` rows of
    ``scipy.fft.dct(x, type=2, norm="ortho", axis=0)`` for ``x`` [shape=(n, ...)].

    Returns
    -------
    np.ndarray [shape=(n_out, n_in), dtype=float64]
    """
    n_out = n_in if n_out is None else int(n_out)
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)  # the constant term's norm
    return basis
