"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


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
