"""How many threads one network call may use: the one policy of every face.

The CLI (``space predict``, ``score``, ``listen``, ``serve``) applies it once at start, and
the Python API applies it when it builds its first engine; ``$SPACE_THREADS`` or
``space serve --threads N`` (or :func:`apply` in Python) choose another number. Training
keeps its own setting (:class:`space.config.TrainConfig.threads`): a training run owns the
machine's cores, an inference call shares them.

Why two threads, or one on a one-core machine (``benchmarks/threads.py``,
``benchmarks/results/threads.md``; the shared 2-core development machine, load average 6-7
from other programs' trainings): a warm prediction or word score took the same time with 1
or 2 threads when nothing else of ours ran (ratio 2/1 of the medians 1.01-1.03x, p95
1.01-1.08x); with two extra processes spinning on the CPU, 2 threads halved or thirded the
median (0.35-0.49x; p95 the same), because a call with two threads gets a larger share of
a busy machine; with two callers at once in one process (the web app's requests) 2 threads
were no worse (predict 1.02x) or better (score 0.83x). No case was measured where a second
thread cost more than 8%, so every face uses ``min(2, cores)``; more than two was not
measured and is not the default.
"""

from __future__ import annotations

import os
import sys

from .errors import UsageError

ENV = "SPACE_THREADS"
#: Most threads per network call when neither ``$SPACE_THREADS`` nor a face says otherwise
#: (fewer when this process may use fewer cores).
DEFAULT = 2

_applied: int | None = None


def policy() -> int:
    """Threads the policy gives a call: ``$SPACE_THREADS`` if set, else :data:`DEFAULT`
    or the cores this process may use (taskset, container cpusets), whichever is fewer.

    Raises
    ------
    UsageError
        ``$SPACE_THREADS`` is not a whole number of at least 1.
    """
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return max(1, min(DEFAULT, cores or os.cpu_count() or 1))
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(f"${ENV} must be a whole number of threads (1 or more), not {raw!r}")
    return int(raw)


def apply(n: int | None = None) -> int:
    """Use ``n`` threads per network call from now on (default: :func:`policy`).

    Sets PyTorch's process-wide setting when PyTorch is loaded (engines built later read
    :func:`current`), and returns the number applied.
    """
    global _applied
    n = policy() if n is None else int(n)
    if n < 1:
        raise UsageError(f"threads must be 1 or more, not {n}")
    _applied = n
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
    return n


def current() -> int:
    """Threads per network call now: what was applied, else the policy (applied now).

    Engines call it when they are built, so PyTorch loaded after :func:`apply` (the CLI
    applies the policy before anything imports it) gets the same number.
    """
    if _applied is None:
        return apply()
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != _applied:
        torch.set_num_threads(_applied)
    return _applied
