"""A bounded pool of HTTP clients for the web benchmarks (practice_latency.py, web_load.py):
every loop stops after a request count and a time limit, and only 127.0.0.1 is asked."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def run_clients(action: Callable[[Any], str], clients: int, n: int,
                max_s: float) -> tuple[list[float], list[str], float]:
    """``clients`` threads each doing ``action(client)`` until ``n`` in all or ``max_s``."""
    import httpx

    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    left = [n]
    deadline = time.monotonic() + max_s

    def worker() -> None:
        with httpx.Client(timeout=60.0) as c:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                t0 = time.perf_counter()
                try:
                    err = action(c)
                except httpx.HTTPError as e:
                    err = repr(e)
                dt = time.perf_counter() - t0
                with lock:
                    if err:
                        errors.append(err)
                    else:
                        lat.append(dt)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors, time.perf_counter() - t0


def page_wav(path: Path) -> bytes:
    """A 1.0-s, 48 kHz, 16-bit WAV of ``path`` (centred, a little noise), as the page sends."""
    import soundfile as sf

    from space import audio

    y, _ = audio.load(path, sr=48000)
    y = y[:48000]
    out = np.zeros(48000, np.float32)
    a = (48000 - len(y)) // 2
    out[a : a + len(y)] = 0.5 * y / np.max(np.abs(y))
    out += np.random.default_rng(0).normal(0, 1e-3, 48000).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, out, 48000, format="WAV", subtype="PCM_16")
    return buf.getvalue()
