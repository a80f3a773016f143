"""Helpers every benchmark script shares: what the numbers were measured on, timing,
and a bounded pool of HTTP clients for the web benchmarks.

Speed tables print :func:`describe` beside their numbers: this machine is shared, and a
median means little without the load it was taken under (ratios between engines measured
side by side in one run mean more). The web benchmarks (practice_latency.py, web_load.py)
start ``space serve`` on :func:`free_port` of 127.0.0.1 and ask it through
:func:`run_clients`: every loop stops after a request count and a time limit.
"""

from __future__ import annotations

import io
import os
import platform
import socket
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HOST = "127.0.0.1"  # the web benchmarks never ask another host


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def host_speed_ms() -> float:
    """A speed index of this host: the fastest of 3 runs of a 1M-step pure-Python loop, in
    ms (lower is faster). Machines that all call themselves "AMD EPYC, 2 cores" differ
    by up to about 3x: the same code's web p50 was 30 ms in issue 21's fourteenth round
    and 101 ms in its sixteenth. Compare timings only where the index is alike, or as
    ratios from one run."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        s = 0
        for i in range(1_000_000):
            s += i
        best = min(best, time.perf_counter() - t)
    return 1000 * best


def describe() -> str:
    """One markdown line: CPU, cores usable by this process, load (1/5/15 min), the host's
    speed index (:func:`host_speed_ms`), versions."""
    import torch

    try:
        import onnxruntime as ort

        ort_v = ort.__version__
    except ImportError:
        ort_v = "not installed"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"CPU: {cpu_model()}, {cores} cores; load average (1/5/15 min): {load_average()}; "
            f"speed index {host_speed_ms():.0f} ms (1M-step Python loop; lower is faster); "
            f"Python {platform.python_version()}, torch {torch.__version__}, "
            f"onnxruntime {ort_v}")


def timed_ms(fn: Callable[[], object], *, n: int, warmup: int = 10) -> tuple[float, float]:
    """Median and fastest run in ms, after ``warmup`` untimed calls. On a shared machine the
    median includes time the process waited for a core; the fastest run is close to the cost
    on an idle one."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times), 1000 * min(times)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


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
