"""Microphone capture (sounddevice / PortAudio) that feeds :mod:`space.recognize.stream`.

Optional: needs ``pip install 'space-speech[mic]'`` and the PortAudio library
(``apt install libportaudio2``). Every failure a user can meet (no PortAudio, no input
device, a device unplugged mid-stream) is an :class:`~space.errors.AudioError` with a
message that says what to do, never a traceback.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import AudioError

NO_DEVICE_HINT = "to stream a recording instead, use `space listen --input FILE`"


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise AudioError(
            "microphone: the sounddevice package is not installed "
            f"(pip install 'space-speech[mic]'); {NO_DEVICE_HINT}"
        ) from None
    except OSError:  # sounddevice imports, but cannot load libportaudio
        raise AudioError(
            f"microphone: the PortAudio library is missing (apt install libportaudio2); "
            f"{NO_DEVICE_HINT}"
        ) from None
    return sounddevice


def input_devices() -> list[dict[str, Any]]:
    """The input devices PortAudio sees: ``[{"index", "name", "channels", "sr"}]``."""
    sd = _sounddevice()
    try:
        devs = sd.query_devices()
    except Exception as e:  # PortAudioError and friends: no audio system at all
        raise AudioError(f"microphone: cannot list audio devices ({e})") from None
    return [
        {"index": i, "name": d["name"], "channels": int(d["max_input_channels"]),
         "sr": int(d["default_samplerate"])}
        for i, d in enumerate(devs) if int(d["max_input_channels"]) > 0
    ]


class Microphone:
    """Capture mono float32 chunks from an input device.

    Parameters
    ----------
    device : int or str, optional
        PortAudio device index or (part of) its name; default: the system's default input.
    sr : int, optional
        Capture rate in Hz; default: the device's own rate (the stream resamples per word).
    chunk_s : float
        Chunk length in seconds (the latency granularity).
    timeout_s : float
        A device that delivers nothing for this long counts as gone.

    Use as a context manager; :meth:`chunks` yields arrays of shape ``(n,)``.
    """

    def __init__(self, *, device: int | str | None = None, sr: int | None = None,
                 chunk_s: float = 0.02, timeout_s: float = 2.0) -> None:
        sd = _sounddevice()
        self._sd = sd
        try:
            info = sd.query_devices(device, kind="input")
        except Exception as e:  # ValueError (no such device) or PortAudioError (no default)
            raise AudioError(
                f"microphone: no input device found"
                f"{'' if device is None else f' matching {device!r}'} ({e}); {NO_DEVICE_HINT}"
            ) from None
        if int(info.get("max_input_channels", 0)) < 1:
            raise AudioError(f"microphone: {info.get('name')!r} has no input channels; "
                             f"{NO_DEVICE_HINT}")
        self.name = str(info.get("name", "default"))
        self.device = device
        self.sr = int(sr or info.get("default_samplerate") or 16000)
        self.blocksize = max(1, int(round(chunk_s * self.sr)))
        self.timeout_s = timeout_s
        self.overflows = 0  # chunks PortAudio dropped because we were too slow
        self._q: queue.Queue[np.ndarray] = queue.Queue(maxsize=int(60 / chunk_s))
        self._stream: Any = None
        self._closed = threading.Event()

    def _callback(self, indata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        try:
            self._q.put_nowait(np.array(indata[:, 0], dtype=np.float32))
        except queue.Full:  # the consumer stalled for a minute: drop rather than grow
            self.overflows += 1

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Open the device and start capturing."""
        try:
            self._stream = self._sd.InputStream(
                device=self.device, samplerate=self.sr, channels=1, dtype="float32",
                blocksize=self.blocksize, callback=self._callback,
                finished_callback=self._closed.set,
            )
            self._stream.start()
        except Exception as e:  # PortAudioError: busy, unplugged, unsupported rate
            self._stream = None
            raise AudioError(f"microphone: cannot open {self.name!r} at {self.sr} Hz ({e}); "
                             f"{NO_DEVICE_HINT}") from None

    def close(self) -> None:
        """Stop capturing and release the device (safe to call twice)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: S110 - the device may already be gone; nothing to free
                pass

    def chunks(self) -> Iterator[np.ndarray]:
        """Captured chunks, in order, until :meth:`close` or the device disappears."""
        if self._stream is None:
            self.start()
        waited = 0.0
        while True:
            try:
                chunk = self._q.get(timeout=0.1)
            except queue.Empty:
                if self._stream is None:  # closed by us
                    return
                waited += 0.1
                if self._closed.is_set() or waited >= self.timeout_s:
                    why = "the device closed" if self._closed.is_set() else (
                        f"no audio for {self.timeout_s:g} s")
                    raise AudioError(
                        f"microphone: {self.name!r} stopped delivering audio ({why}); "
                        "was it unplugged?"
                    ) from None
                continue
            waited = 0.0
            yield chunk

__all__ = ["Microphone", "input_devices"]
