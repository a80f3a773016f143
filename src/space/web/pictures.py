"""Feedback PNGs for ``plot=true``: drawn in the request threads or in worker processes."""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable
from typing import Any

from .. import api


def png_data_url(result: Any) -> str:
    """The feedback figure as a data: URL (PNG). Each request draws its own figure (no
    pyplot), so pictures for several clients are drawn at once."""
    data = api.feedback_png(result, dpi=80)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _warm_worker(_: int) -> int:
    """Run in each picture worker at start, so its first picture is as fast as the rest."""
    api.warm_pictures()
    return os.getpid()


class PngRenderer:
    """Drawing a matplotlib figure is Python-bound, so threads take turns on the GIL; with
    ``workers`` > 0 pictures are drawn in that many worker processes (started with the
    server, one per core is plenty) and the request waits for its picture without holding
    one of the request threads."""

    def __init__(self, workers: int) -> None:
        self.workers = max(0, int(workers))
        self.pool: Any = None

    def start(self) -> None:
        if self.workers and self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: forking a process that runs threads (the server's, ONNX Runtime's) can
            # copy a held lock into the child.
            self.pool = ProcessPoolExecutor(self.workers,
                                            mp_context=multiprocessing.get_context("spawn"))
            list(self.pool.map(_warm_worker, range(self.workers)))

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def render(self, result: Any,
                     in_thread: Callable[[Callable[[], str]], Awaitable[str]]) -> str:
        if self.pool is None:
            return await in_thread(lambda: png_data_url(result))
        import asyncio

        return await asyncio.wrap_future(self.pool.submit(png_data_url, result))


__all__ = ["PngRenderer", "png_data_url"]
