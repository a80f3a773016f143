"""Voice perturbation: vocal-tract length (formants) and pitch, each on its own scale.

FSDD's training voices are six adult men. Women's formants lie about 15-20% higher than
men's and children's about 25-40% higher (vocal tracts of roughly 17.5, 14.5 and 12 cm);
their pitch is about 1.7-2x and 2-3x a man's (110 Hz -> 200 Hz, 250-330 Hz). The
``speed`` stage (resampling) moves pitch, formants and tempo by one factor of +-15%; this
stage moves formants and pitch apart, by far more, and keeps the tempo:

- the spectral envelope (formants) is warped with the piecewise-linear VTLP map of Jaitly
  and Hinton (2013, "Vocal Tract Length Perturbation improves speech recognition"), which
  scales frequencies by ``formant`` below a boundary and keeps the band edge fixed;
- the harmonic fine structure (pitch) is scaled by ``pitch``, with a phase-vocoder phase
  (instantaneous frequencies scaled too) so the harmonics stay periodic frame to frame.

Both happen in one STFT pass: the log magnitude of each frame is split into an envelope
(low-quefrency cepstrum) and a fine structure (the rest), each is resampled along
frequency, and the sum is resynthesised with the new phase.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError

# How far the random voice reaches, as ratios to the input voice. Log-uniform, independent:
# formants x0.9-1.35 spans a man a little deeper to a child; pitch x0.8-2.6 takes a 110 Hz
# man to 90-290 Hz (women and children), and a woman up to a small child.
FORMANT_RANGE = (0.9, 1.35)
PITCH_RANGE = (0.8, 2.6)
# VTLP boundary: below it frequencies scale by the formant factor, above it a straight line
# takes the band edge to itself (4.8 kHz at 16 kHz in Jaitly & Hinton; scaled with the rate).
BOUNDARY_FRACTION = 0.6
# Cepstral lifter: quefrencies below 3 ms are the envelope. A 3 ms cut separates it from the
# harmonics of input voices up to 330 Hz pitch (period 3 ms); 2 ms left sharp formants in the
# fine structure, where the warp did not move them (measured on a synthetic vowel).
LIFTER_S = 0.003
FRAME_S = 0.064  # STFT frame: resolves the harmonics of a 100 Hz voice (bins 15.6 Hz apart)


def vtlp_source_positions(n_bins: int, alpha: float, boundary_fraction: float = BOUNDARY_FRACTION
                          ) -> np.ndarray:
    """Where each output bin reads the input under the VTLP warp [shape=(n_bins,)], in bins.

    The forward warp maps input frequency ``f`` (0..nyq) to ``alpha * f`` up to
    ``f0 = boundary * min(alpha, 1) / alpha`` and linearly from there to ``nyq -> nyq``; this
    returns its inverse on the output grid (positions are fractional bin indices).
    """
    nyq = float(n_bins - 1)
    f0 = boundary_fraction * nyq * min(alpha, 1.0) / alpha
    src = np.linspace(0.0, nyq, 4 * n_bins)
    fwd = np.where(src <= f0, alpha * src,
                   alpha * f0 + (nyq - alpha * f0) * (src - f0) / (nyq - f0))
    return np.interp(np.arange(n_bins, dtype=np.float64), fwd, src)


def _gather_rows(a: np.ndarray, pos: np.ndarray, fill: float) -> np.ndarray:
    """Linear interpolation of every column of ``a`` [shape=(k, m)] at row positions ``pos``
    [shape=(k2,)]; positions outside 0..k-1 get ``fill``."""
    k = a.shape[0]
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, k - 1)
    i1 = np.minimum(i0 + 1, k - 1)
    frac = (pos - i0)[:, None]
    out = a[i0] * (1 - frac) + a[i1] * frac
    out[(pos < 0) | (pos > k - 1)] = fill
    return out


def warp_voice(y: np.ndarray, sr: int, *, formant: float = 1.0, pitch: float = 1.0) -> np.ndarray:
    """Scale a voice's formants by ``formant`` and its pitch by ``pitch``, keeping its timing.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio, float.
    sr : int
        Sample rate in Hz.
    formant, pitch : float
        Ratios (1.0: unchanged), each in 0.5-3.

    Returns
    -------
    np.ndarray [shape=(n,)], float32
        The new voice, same length and RMS level as ``y``.
    """
    import librosa

    if not (0.5 <= formant <= 3.0 and 0.5 <= pitch <= 3.0):
        raise UsageError(f"formant and pitch ratios must lie in 0.5-3, got {formant:g}, {pitch:g}")
    y = np.asarray(y, dtype=np.float32)
    n_fft = 1 << int(np.ceil(np.log2(FRAME_S * sr)))
    hop = n_fft // 4  # 75% overlap: the phase vocoder needs small phase steps
    if len(y) < n_fft // 2:
        return y.copy()
    spec = librosa.stft(y, n_fft=n_fft, hop_length=hop, window="hann", center=True)
    n_bins, _ = spec.shape
    log_mag = np.log(np.abs(spec) + 1e-7)
    # Envelope = low quefrencies of the real cepstrum of each frame; fine = the rest.
    ceps = np.fft.irfft(log_mag, n=n_fft, axis=0)
    cut = max(1, int(LIFTER_S * sr))
    lifter = np.zeros(n_fft)
    lifter[:cut] = 1.0
    lifter[n_fft - cut + 1:] = 1.0
    env = np.fft.rfft(ceps * lifter[:, None], axis=0).real
    fine = log_mag - env

    bins = np.arange(n_bins, dtype=np.float64)
    env_w = _gather_rows(env, vtlp_source_positions(n_bins, formant), fill=float(env.min()))
    fine_w = _gather_rows(fine, bins / pitch, fill=0.0)

    # Phase vocoder: each bin's instantaneous frequency (rad/sample) from the frame-to-frame
    # phase advance, read at the source position and scaled by the pitch ratio.
    omega = 2 * np.pi * bins / n_fft
    phase = np.angle(spec)
    adv = np.diff(phase, axis=1) - omega[:, None] * hop
    adv = (adv + np.pi) % (2 * np.pi) - np.pi
    inst = np.concatenate([omega[:, None], omega[:, None] + adv / hop], axis=1)
    inst_w = pitch * _gather_rows(inst, bins / pitch, fill=0.0)
    start = _gather_rows(phase[:, :1], np.round(bins / pitch), fill=0.0)
    new_phase = start + np.cumsum(np.concatenate([np.zeros_like(inst_w[:, :1]),
                                                  inst_w[:, 1:] * hop], axis=1), axis=1)
    out = librosa.istft(np.exp(env_w + fine_w) * np.exp(1j * new_phase), hop_length=hop,
                        window="hann", center=True, length=len(y))
    rms_in = float(np.sqrt(np.mean(y**2)))
    rms_out = float(np.sqrt(np.mean(out**2))) + 1e-12
    return (out * (rms_in / rms_out)).astype(np.float32)


def random_voice(y: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`warp_voice` with formant and pitch ratios drawn log-uniformly from
    :data:`FORMANT_RANGE` and :data:`PITCH_RANGE` [shape=(n,) -> (n,)]."""
    formant = float(np.exp(rng.uniform(*np.log(FORMANT_RANGE))))
    pitch = float(np.exp(rng.uniform(*np.log(PITCH_RANGE))))
    return warp_voice(y, sr, formant=formant, pitch=pitch)
