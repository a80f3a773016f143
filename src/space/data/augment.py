"""Waveform and spectrogram augmentation that bridges speakers and microphones.

Users speak into their own microphones, in their own rooms, with their own voices; a
model trained on six speakers with one microphone must not overfit those. Each stage
here imitates one of those differences and can be switched off in
:class:`~space.config.AugmentConfig` (``benchmarks/augment_ablation.py`` measures them).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..config import AugmentConfig
from ..errors import DataError, UsageError
from .vtlp import random_voice


def check_noise_dir(noise_dir: str | os.PathLike | None, *, flag: str = "") -> None:
    """Refuse a noise folder that is not a folder before any data is loaded (the one check
    for every training path); ``flag`` names the option in the message (``"--noise-dir"``).
    Raises :class:`~space.errors.UsageError`."""
    if noise_dir is not None and not Path(noise_dir).is_dir():
        where = f" ({flag})" if flag else ""
        raise UsageError(f"{noise_dir}: noise folder not found{where}")


def mix_noise(y: np.ndarray, noise: np.ndarray, snr_db: float, *,
              speech_power: float | None = None) -> np.ndarray:
    """``y`` plus ``noise`` (at least as long; its first ``len(y)`` samples) scaled so that
    the speech is ``snr_db`` over it: the one noise mixer of training and the benchmarks.

    ``speech_power``: the speech's mean square (e.g. over its loud frames only); default
    the mean square of all of ``y``. float32 out."""
    if len(noise) < len(y):
        raise ValueError(f"noise has {len(noise)} samples, the clip {len(y)}")
    y = np.asarray(y, np.float32)
    nz = np.asarray(noise[: len(y)], np.float32)
    ps = float(np.mean(y**2)) if speech_power is None else float(speech_power)
    pn = float(np.mean(nz**2)) + 1e-12
    return (y + nz * np.sqrt(ps / (pn * 10 ** (snr_db / 10)))).astype(np.float32)


class NoiseBank:
    """Long background-noise recordings at the model rate, cut at random for mixing.

    Parameters
    ----------
    folder : path
        Noise recordings (any length, e.g. Speech Commands' ``_background_noise_``).
    sr : int
        The model rate in Hz.
    share : (float, float)
        The part of each recording to cut from, as fractions of its length, so that
        training and test streams can draw from disjoint time ranges of the same files
        (``space.data.commands.NOISE_RANGES``). Default: all of it.
    """

    def __init__(self, folder: str | Path, sr: int, *,
                 share: tuple[float, float] = (0.0, 1.0)) -> None:
        from .. import audio
        from ..io import audio_files

        folder = Path(folder)
        if not folder.is_dir():
            raise DataError(f"{folder}: noise folder not found")
        lo, hi = share
        if not 0 <= lo < hi <= 1:
            raise DataError(f"noise share must be 0 <= low < high <= 1, not {share}")
        self.clips = []
        for p in audio_files(folder):
            y, _ = audio.load(p, sr=sr, max_duration_s=None)
            self.clips.append(y[int(lo * len(y)) : int(hi * len(y))])
        if not self.clips:
            raise DataError(f"{folder}: no noise recordings (.wav/.flac/.ogg) in it")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """A random stretch of ``n`` samples of one recording (looped when it is shorter)."""
        y = self.clips[rng.integers(len(self.clips))]
        if len(y) <= n:
            y = np.tile(y, n // len(y) + 1)
        start = rng.integers(0, len(y) - n + 1)
        return y[start : start + n]


class Augmenter:
    """The augmentation pipeline: one chain of random stages from a raw clip to the window
    a network trains on (:meth:`window`); each stage can be switched off in the config."""

    def __init__(self, cfg: AugmentConfig, sr: int) -> None:
        self.cfg = cfg
        self.sr = sr
        self.noise = NoiseBank(cfg.noise_dir, sr) if cfg.noise_dir and cfg.p_noise > 0 else None

    def window(self, y: np.ndarray, bounds: tuple[int, int], n: int,
               rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int]]:
        """Clip -> augmented training window. Every trainer goes through here.

        Stages: voice warp (:mod:`.vtlp`, off by default), speed/pitch, microphone colour
        (EQ, reverb), time shift, window placement
        (:func:`space.audio.place_window`, as prediction places a clip), gain, background
        noise, peak level (:func:`space.audio.normalize_peak`, as prediction does). With
        every stage off the window is exactly what :func:`space.audio.prepare` gives.

        Parameters
        ----------
        y : np.ndarray [shape=(samples,)]
            The clip at the model rate.
        bounds : (int, int)
            Sample indices of the speech in ``y`` (:func:`space.audio.speech_bounds`).
        n : int
            Window length in samples.
        rng : np.random.Generator
            All of the item's randomness (seed it per item for reproducible epochs).

        Returns
        -------
        window : np.ndarray [shape=(n,), dtype=float32]
        span : (int, int)
            Where the speech lies in the window (may reach outside ``0..n``).
        """
        from .. import audio

        start, end = bounds
        y = self.voice(y, rng)  # keeps the length: the bounds still hold
        y, factor = self.speed(y, rng)
        start, end = int(start / factor), int(end / factor)
        y = self.colour(y, rng)
        shift = self.shift(rng)
        w, left = audio.place_window(y, start - shift, end - shift, n)
        seg = y[start:end] if end > start else y
        w = self.gain_and_noise(w, float(np.mean(seg**2)) + 1e-10, rng)
        return audio.normalize_peak(w), (start - left, end - left)

    def voice(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Another voice on a share ``p_vtlp`` of clips: formants and pitch moved apart, the
        timing kept (:func:`.vtlp.random_voice`) [shape=(n,) -> (n,)]."""
        p = self.cfg.p_vtlp
        # Checked before drawing: with the stage off it takes no random numbers, so every
        # later stage draws what it drew before the stage existed (the shipped recipes).
        if p <= 0 or rng.random() >= p:
            return y
        return random_voice(y, self.sr, rng)

    def speed(self, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Resample by a random factor (pitch and tempo together, as a different vocal tract
        length and speaking rate would). Returns the clip and the factor."""
        import soxr

        c = self.cfg
        if c.p_speed <= 0 or rng.random() >= c.p_speed:
            return y, 1.0
        factor = float(rng.uniform(*c.speed))
        return soxr.resample(y, self.sr * factor, self.sr).astype(np.float32), factor

    def shift(self, rng: np.random.Generator) -> int:
        """Random offset (samples) of the speech inside the window."""
        s = int(self.cfg.time_shift_s * self.sr)
        return int(rng.integers(-s, s + 1)) if s > 0 else 0

    def colour(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Microphone and room colour: random band limits / shelf and a short reverb."""
        import scipy.signal as ss

        c = self.cfg
        if c.p_eq > 0 and rng.random() < c.p_eq:
            lo = float(rng.uniform(60, 400))
            hi = float(min(rng.uniform(2800, 7500), 0.45 * self.sr))
            sos = ss.butter(2, [lo, hi], btype="bandpass", fs=self.sr, output="sos")
            filtered = ss.sosfilt(sos, y)
            mix = float(rng.uniform(0.5, 1.0))  # partial: a shelf rather than a hard band
            y = (mix * filtered + (1 - mix) * y).astype(np.float32)
        if c.p_reverb > 0 and rng.random() < c.p_reverb:
            rt60 = float(rng.uniform(0.1, 0.5))
            n = int(rt60 * self.sr)
            t = np.arange(n) / self.sr
            rir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
            rir[0] = 0.0
            rir *= float(rng.uniform(0.05, 0.3)) / (np.sqrt(np.sum(rir**2)) + 1e-9)
            rir[0] = 1.0
            y = ss.fftconvolve(y, rir)[: len(y)].astype(np.float32)
        return y

    def gain_and_noise(
        self, window: np.ndarray, speech_power: float, rng: np.random.Generator
    ) -> np.ndarray:
        """Random level, then background noise at a random SNR over the whole window."""
        c = self.cfg
        g = 10 ** (float(rng.uniform(*c.gain_db)) / 20) if c.gain_db != (0.0, 0.0) else 1.0
        window = window * g
        speech_power *= g * g
        if self.noise is not None and rng.random() < c.p_noise:
            noise = self.noise.sample(len(window), rng)
            window = mix_noise(window, noise, float(rng.uniform(*c.snr_db)),
                               speech_power=speech_power)
        return window.astype(np.float32)


def spec_augment(feats: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """SpecAugment frequency and time masks on a batch [shape=(b, mels, frames)], in place.

    Masked cells are set to 0, the utterance mean after normalisation."""
    b, n_mels, n_frames = feats.shape
    for masks, width, size, dim in (
        (cfg.freq_masks, cfg.freq_mask_width, n_mels, 1),
        (cfg.time_masks, cfg.time_mask_width, n_frames, 2),
    ):
        for _ in range(masks):
            w = torch.randint(0, width + 1, (b, 1), generator=gen)
            start = (torch.rand((b, 1), generator=gen) * (size - w)).long()
            idx = torch.arange(size)[None, :]
            m = (idx >= start) & (idx < start + w)  # (b, size)
            feats = feats.masked_fill(m[:, :, None] if dim == 1 else m[:, None, :], 0.0)
    return feats
