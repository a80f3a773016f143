"""The one decoder: any file, bytes or file object -> mono float32, checked and resampled.

Every path (training, evaluation, prediction, streaming, scoring, web) decodes through
:func:`load`, so a file is accepted or refused the same way everywhere.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import AudioError, AudioTooLongError, DecodeError, UsageError, describe

PathLike = str | os.PathLike
Source = PathLike | BinaryIO | bytes

MIN_SR = 8000
MAX_SR = 96000
# An isolated word is short; a long file is almost always a mistake (or a job for
# `space listen --input`), and decoding ten minutes of audio to find one word wastes memory.
MAX_DURATION_S = 30.0
# Peak below this (about -80 dBFS) is digital silence or a muted microphone.
SILENCE_PEAK = 1e-4


def _name(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return "<audio data>"


def load(
    source: Source,
    *,
    sr: int | None = None,
    max_duration_s: float | None = MAX_DURATION_S,
    name: str | None = None,
) -> tuple[np.ndarray, int]:
    """Read an audio file into a mono float32 array.

    Parameters
    ----------
    source : path, file object or bytes
        WAV/FLAC/OGG (and MP3 where libsndfile supports it); 8/16/24/32-bit integer or
        float samples; any number of channels (averaged to mono).
    sr : int, optional
        Resample to this rate (Hz) with soxr. ``None`` keeps the file's rate.
    max_duration_s : float or None
        Refuse longer files (checked from the header, before decoding).
    name : str, optional
        How to call the source in error messages (defaults to its path).

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
    sr : int
        The rate of ``y`` in Hz.

    Raises
    ------
    AudioError
        Missing file, not audio, truncated, empty, NaN/inf samples, unsupported rate, too long.
    """
    import soundfile as sf

    label = _name(source, name)
    if isinstance(source, (str, os.PathLike)):
        path = check_file(source, name=label)
        fobj: PathLike | BinaryIO = path
    elif isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise AudioError(f"{label}: empty (0 bytes of data)")
        fobj = io.BytesIO(source)
    elif hasattr(source, "read"):
        fobj = source
    else:
        raise UsageError(f"cannot read audio from a {describe(source)}: give a file path, bytes, "
                         "a file object, or a mono array with its sample rate")
    try:
        with sf.SoundFile(fobj) as f:
            file_sr = int(f.samplerate)
            n_frames = int(f.frames)
            if max_duration_s is not None and n_frames > max_duration_s * file_sr:
                raise AudioTooLongError(
                    f"{label}: {n_frames / file_sr:.1f} s long; at most {max_duration_s:g} s "
                    "per clip (for long recordings use `space listen --input FILE`)"
                )
            data = f.read(dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        msg = str(e).split("\n")[0]
        if "Format not recognised" in msg or "unknown format" in msg.lower():
            msg = "not a recognised audio format (WAV, FLAC, OGG, MP3)"
        raise DecodeError(f"{label}: cannot decode audio ({msg})") from None
    if isinstance(fobj, Path) and _truncated_wav(fobj):
        raise DecodeError(
            f"{label}: truncated WAV file (the header promises more data than the file holds)"
        )
    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    check(y, file_sr, name=label)
    if sr is not None and sr != file_sr:
        y = resample(y, file_sr, sr, name=label)
        file_sr = sr
    return np.ascontiguousarray(y, dtype=np.float32), file_sr


def _truncated_wav(path: Path) -> bool:
    """True when a RIFF/WAVE header promises more data than the file holds."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return False
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return False
            cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if cid == b"data":
                here = f.tell()
                return size != 0xFFFFFFFF and here + size > path.stat().st_size
            f.seek(size + (size & 1), 1)


def check_file(path: str | os.PathLike, *, name: str | None = None) -> Path:
    """Raise :class:`AudioError` unless ``path`` is an existing, non-empty file (what
    :func:`load` checks before decoding; cheap, for checking inputs before heavy work)."""
    label = name or str(path)
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{label}: file not found")
    if p.is_dir():
        raise AudioError(f"{label}: is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioError(f"{label}: file is empty (0 bytes)")
    return p


def check(y: np.ndarray, sr: int, *, name: str = "<audio>") -> None:
    """Raise :class:`AudioError` for arrays no recogniser can use.

    Checks: 1-D (or 2-D channels-last), non-empty, finite, not silent, rate in 8-96 kHz.
    """
    if not isinstance(sr, (int, np.integer)) or not MIN_SR <= sr <= MAX_SR:
        raise AudioError(
            f"{name}: sample rate {sr} Hz is not supported (use {MIN_SR}-{MAX_SR} Hz)"
        )
    if y.ndim != 1:
        raise AudioError(f"{name}: expected mono audio of shape (n,), got shape {y.shape}")
    if y.size == 0:
        raise AudioError(f"{name}: audio has no samples")
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{name}: audio contains NaN or infinite samples")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError(f"{name}: audio is silent (peak below -80 dBFS); nothing to recognise")


def as_mono(y: np.ndarray) -> np.ndarray:
    """Average channels of a (n, channels) array; 1-D arrays pass through."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=1) if y.shape[1] <= y.shape[0] else y.mean(axis=0)
    return y


def resample(y: np.ndarray, orig_sr: int, target_sr: int, *, name: str = "<audio>") -> np.ndarray:
    """Resample with soxr (high quality). [shape=(n,)] -> [shape=(n * target_sr / orig_sr,)]"""
    import soxr

    if not MIN_SR <= orig_sr <= MAX_SR:
        raise AudioError(
            f"{name}: sample rate {orig_sr} Hz is not supported (use {MIN_SR}-{MAX_SR} Hz)"
        )
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    return soxr.resample(y, orig_sr, target_sr, quality="HQ").astype(np.float32, copy=False)
