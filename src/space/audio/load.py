"""The one decoder: any file, bytes or file object -> mono float32, checked and resampled.

Every path (training, evaluation, prediction, streaming, scoring, web) decodes through
:func:`load`, so a file is accepted or refused the same way everywhere.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import AudioError, AudioTooLongError, DecodeError, NoSpeechError, UsageError, describe

PathLike = str | os.PathLike
Source = PathLike | BinaryIO | bytes

MIN_SR = 8000
MAX_SR = 96000
# An isolated word is short; a long file is almost always a mistake (or a job for
# `space listen --input`), and decoding ten minutes of audio to find one word wastes memory.
MAX_DURATION_S = 30.0
# More channels than any microphone array we expect: a damaged header (and decoding it would
# allocate frames x channels floats).
MAX_CHANNELS = 64
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
    if sr is not None and (not isinstance(sr, (int, np.integer)) or not MIN_SR <= sr <= MAX_SR):
        raise AudioError(f"{label}: cannot resample to {sr} Hz (use {MIN_SR}-{MAX_SR} Hz)")
    fobj = _open(source, label)
    try:
        with sf.SoundFile(fobj) as f:
            file_sr, n_frames = _check_header(f, fobj, label, max_duration_s)
            data = f.read(dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError,
            OverflowError, MemoryError, AssertionError) as e:
        raise _decode_error(label, e) from None
    if data.ndim != 2 or data.shape[1] < 1:
        raise DecodeError(f"{label}: cannot decode audio (no channels)")
    y = as_mono(data, channels_first=False, name=label)
    check(y, file_sr, name=label)
    if sr is not None and sr != file_sr:
        y = resample(y, file_sr, int(sr), name=label)
        file_sr = int(sr)
    return np.ascontiguousarray(y, dtype=np.float32), file_sr


def probe(source: Source, *, max_duration_s: float | None = MAX_DURATION_S,
          name: str | None = None) -> tuple[int, int, int]:
    """The checks :func:`load` makes from the header, without decoding the samples.

    For readers that stream a file block by block (``space listen --input``): they refuse
    exactly what :func:`load` refuses, with the same messages.

    Returns
    -------
    sr, frames, channels : int
        Rate in Hz, samples per channel, channel count.
    """
    import soundfile as sf

    label = _name(source, name)
    fobj = _open(source, label)
    try:
        with sf.SoundFile(fobj) as f:
            file_sr, n_frames = _check_header(f, fobj, label, max_duration_s)
            if n_frames == 0:
                raise AudioError(f"{label}: audio has no samples")
            return file_sr, n_frames, int(f.channels)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError,
            OverflowError, MemoryError, AssertionError) as e:
        raise _decode_error(label, e) from None


def blocks(path: PathLike, blocksize: int, *, name: str | None = None) -> Iterator[np.ndarray]:
    """Decode a file ``blocksize`` frames at a time, each block ``[shape=(n, channels)]``
    float32, in constant memory (for streaming a long recording; :func:`probe` it first).

    Raises
    ------
    DecodeError
        The file stops decoding part way.
    """
    import soundfile as sf

    label = _name(path, name)
    try:
        with sf.SoundFile(str(path)) as f:
            quiet = _native_stderr_to_null if f.format == "MP3" else contextlib.nullcontext
            while True:
                with quiet():
                    b = f.read(blocksize, dtype="float32", always_2d=True)
                if not len(b):
                    return
                yield b
    except (sf.LibsndfileError, RuntimeError) as e:
        raise DecodeError(f"{label}: cannot decode audio ({str(e).splitlines()[0]})") from None


@contextlib.contextmanager
def _native_stderr_to_null() -> Iterator[None]:
    """Send what C libraries write to file descriptor 2 to the null device meanwhile.

    libsndfile's MP3 decoder (libmpg123) prints ``error: part2_3_length (...) too large for
    available bit count`` on stderr at most block boundaries of a low-rate MP3 read in
    blocks, though the samples come out the same as a whole read (bastibe/python-soundfile
    issue 402; checked in tests/test_listen.py); a user must not see decoder "errors" for a
    file that decodes fine. Python's own stderr is flushed first and is not affected after.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 (a daemon): nothing to hide it from
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _open(source: Source, label: str) -> PathLike | BinaryIO:
    """Path checks (exists, not a folder, not empty); bytes wrapped in a file object."""
    if isinstance(source, (str, os.PathLike)):
        return check_file(source, name=label)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise AudioError(f"{label}: empty (0 bytes of data)")
        return io.BytesIO(bytes(source))
    if not hasattr(source, "read"):
        raise UsageError(f"cannot read audio from a {describe(source)}: give a file path, bytes, "
                         "a file object, or a mono array with its sample rate")
    return source


def _check_header(f: Any, fobj: PathLike | BinaryIO, label: str,
                  max_duration_s: float | None) -> tuple[int, int]:
    """Rate, length and WAV integrity from an open SoundFile; raises before decoding."""
    file_sr, n_frames = int(f.samplerate), int(f.frames)
    if file_sr <= 0 or not 1 <= f.channels <= MAX_CHANNELS or n_frames < 0:
        raise DecodeError(f"{label}: cannot decode audio (invalid header: {file_sr} Hz, "
                          f"{f.channels} channels)")
    if not MIN_SR <= file_sr <= MAX_SR:  # before decoding: a damaged header can claim anything
        raise AudioError(
            f"{label}: sample rate {file_sr} Hz is not supported (use {MIN_SR}-{MAX_SR} Hz)"
        )
    if max_duration_s is not None and n_frames > max_duration_s * file_sr:
        raise AudioTooLongError(
            f"{label}: {n_frames / file_sr:.1f} s long; at most {max_duration_s:g} s "
            "per clip (for long recordings use `space listen --input FILE`)"
        )
    if _truncated_wav(fobj):
        raise DecodeError(
            f"{label}: truncated WAV file (the header promises more data than the file holds)"
        )
    return file_sr, n_frames


def _decode_error(label: str, e: BaseException) -> DecodeError:
    msg = str(e).split("\n")[0]
    if "Format not recognised" in msg or "unknown format" in msg.lower():
        msg = "not a recognised audio format (WAV, FLAC, OGG, MP3)"
    return DecodeError(f"{label}: cannot decode audio ({msg or type(e).__name__})")


def _truncated_wav(fobj: PathLike | BinaryIO) -> bool:
    """True when a RIFF/WAVE header promises more data than the file (or bytes) hold.

    libsndfile reads such a file without complaint, padding nothing: the same upload must
    not be refused from disk and accepted from memory, so every source is checked.
    """
    if isinstance(fobj, (str, os.PathLike)):
        with open(fobj, "rb") as f:
            return _wav_short(f, os.path.getsize(fobj))
    try:
        pos = fobj.tell()
        size = fobj.seek(0, io.SEEK_END)
    except (OSError, AttributeError, ValueError):
        return False  # a pipe: nothing to compare against
    try:
        fobj.seek(0)
        return _wav_short(fobj, size)
    finally:
        fobj.seek(pos)


def _wav_short(f: BinaryIO, size: int) -> bool:
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            return False
        cid, n = chunk[:4], int.from_bytes(chunk[4:], "little")
        if cid == b"data":
            # 0 and sizes near 2**31 or 2**32 (0x7FFFF000, 0xFFFFFFFF) are "length unknown"
            # placeholders of streaming writers (`espeak-ng --stdout`, ffmpeg to a pipe).
            return 0 < n < 0x7FFF0000 and f.tell() + n > size
        f.seek(n + (n & 1), 1)


def as_array(x: Any, *, name: str = "<array>") -> np.ndarray:
    """A numpy array of samples from an array-like (numpy, a CPU/GPU torch tensor, a list).

    Integer samples are kept as numbers (every consumer peak-normalises); booleans,
    complex numbers, strings and objects are refused.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise AudioError(f"{name}: not an array of samples ({e})") from None
    if a.dtype.kind not in "iuf":
        raise AudioError(f"{name}: samples must be integer or floating-point numbers, not "
                         f"{a.dtype}")
    if a.dtype.kind == "f" and a.dtype.itemsize > 8:
        a = a.astype(np.float64)
    return a


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
        raise NoSpeechError(f"{name}: audio is silent (peak below -80 dBFS): no speech found")


def as_mono(y: Any, *, channels_first: bool | None = None,
            name: str = "<audio>") -> np.ndarray:
    """The one mono mix: channels averaged, integer PCM scaled to [-1, 1), float32.

    Parameters
    ----------
    y : array-like [shape=(n,), (n, channels) or (channels, n)]
        float samples, or int/uint PCM (scaled by its full range); numpy arrays, torch
        tensors (CPU or GPU) or lists (:func:`as_array`).
    channels_first : bool, optional
        Whether a 2-D array is ``(channels, n)``. ``None`` guesses: the longer axis is time
        (arrays from users); decoders and sound devices give ``(n, channels)``: pass False.

    Returns
    -------
    np.ndarray [shape=(n,), dtype=float32]

    Raises
    ------
    AudioError
        Not numbers, or not 1-D or 2-D.
    """
    y = as_array(y, name=name)
    if y.dtype.kind in "iu":
        scale = float(2 ** (8 * y.dtype.itemsize - 1))
        y = (y.astype(np.float64) - (scale if y.dtype.kind == "u" else 0.0)) / scale
    with np.errstate(over="ignore"):  # float64 beyond float32's range -> inf, refused by check()
        y = y.astype(np.float32, copy=False)
    if y.size == 0:
        return y.reshape(-1)
    if y.ndim == 2:
        if channels_first is None:
            channels_first = y.shape[1] > y.shape[0]
        y = y.mean(axis=0 if channels_first else 1)
    elif y.ndim != 1:
        raise AudioError(f"{name}: expected audio of shape (n,) or (n, channels), got shape "
                         f"{y.shape}")
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


def is_array(source: Any) -> bool:
    """True for the in-memory sample containers inputs may be (numpy arrays, torch tensors)."""
    return isinstance(source, np.ndarray) or (hasattr(source, "detach") and
                                              hasattr(source, "dim"))


def load_input(source: Any, *, sr: int | None = None, name: str | None = None,
               max_duration_s: float | None = MAX_DURATION_S,
               speech: bool = True) -> tuple[np.ndarray, int, str]:
    """Any input a face accepts -> ``(mono float32 [shape=(n,)], rate in Hz, name)``.

    The one entry for predict and score: files and bytes go through
    :func:`load`, arrays and tensors through :func:`as_mono` and
    :func:`check`, and (``speech=True``) both through
    :func:`space.audio.speech.require_speech`, so every face refuses the same things with the
    same words.
    """
    from .speech import require_speech

    if is_array(source):
        label = name or "<array>"
        if sr is None:
            raise UsageError(f"{label}: sr (the sample rate in Hz) is required with an array")
        if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)):
            raise UsageError(f"{label}: sr must be an integer number of Hz, not {sr!r}")
        y, rate = as_mono(source, name=label), int(sr)
        check(y, rate, name=label)
    else:
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else
                         "<audio data>")
        y, rate = load(source, name=label, max_duration_s=max_duration_s)
        if sr is not None and sr != rate:
            raise UsageError(f"{label}: sr={sr} was given but the file is at {rate} Hz; "
                              "sr describes arrays only (leave it out for files: they are "
                              "resampled as needed)")
    if speech:
        require_speech(y, rate, name=label)
    return y, rate, label
