"""What a running app holds: its settings, its models, the CPU limit on request work and
the picture renderer; the routers reach it through :func:`server`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from fastapi import HTTPException, Request

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB: minutes of 48 kHz WAV, far more than a word
MAX_DURATION_S = 10.0  # a practice attempt is one word; longer uploads are refused (413)
# /api/sequence: several words in a row (a PIN, a phone number said slowly) fit in 30 s.
MAX_SEQUENCE_S = 30.0
MAX_REFERENCE_FILES = 10
CLIENT_GONE = 499  # nginx's "client closed request": never seen by a client (it has gone)

T = TypeVar("T")


@dataclass
class Settings:
    """What a running app may do. Built by :func:`space.web.app.create_app`."""

    default_model: str = "digits"
    models: dict[str, str] = field(default_factory=dict)  # name shown -> name or path to load
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_duration_s: float = MAX_DURATION_S
    allow_add_references: bool = True
    references_dir: str | None = None  # the user's references folder (None: the default)
    max_sequence_s: float = MAX_SEQUENCE_S  # longest recording /api/sequence takes


@dataclass
class Server:
    """The state every route shares.

    Attributes
    ----------
    settings : Settings
    models : space.recognize.words.registry.ModelRegistry
        The models by the name the API uses, loaded on first use.
    png : space.web.pictures.PngRenderer
        Draws ``plot=true`` pictures (in worker processes or request threads).
    """

    settings: Settings
    models: Any
    png: Any
    # CPU-bound work runs in threads, at most one per core: more only makes them take turns
    # (and each request slower) while the event loop keeps accepting uploads.
    cpu: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(max(1, os.cpu_count() or 1)))
    ready: bool = False
    engines: dict[str, str] = field(default_factory=dict)  # what runs each network
    warmup_s: float | None = None

    async def in_thread(self, fn: Callable[[], T], request: Request | None = None) -> T:
        """Run CPU-bound ``fn`` off the event loop, at most one per core.

        With ``request``, a client that leaves while its work waits for a core (a timeout,
        a closed tab) gets its work dropped at once (499, which nobody receives): under
        load, abandoned requests otherwise queue behind the busy cores by the thousand,
        each holding its upload in memory, to be computed for nobody (issue 19's soak).
        Work that has started runs to its end.
        """
        if request is None:
            return await anyio.to_thread.run_sync(fn, limiter=self.cpu)
        gone = started = False

        async def watch(waiting: anyio.CancelScope) -> None:
            nonlocal gone
            # The body has been read: the next ASGI message is the client leaving.
            while (await request.receive())["type"] != "http.disconnect":
                pass
            gone = True
            if not started:
                waiting.cancel()

        out: list[T] = []
        failed: list[Exception] = []  # raised out here: a task group would wrap it in a group
        async with anyio.create_task_group() as tg:
            with anyio.CancelScope() as waiting:
                tg.start_soon(watch, waiting)
                async with self.cpu:
                    started = True  # from here on the work runs to its end
                    try:
                        out.append(await anyio.to_thread.run_sync(fn))
                    except Exception as e:  # the package's errors map to statuses outside
                        failed.append(e)
            tg.cancel_scope.cancel()  # stop the watcher
        if failed:
            raise failed[0]
        if not out:
            assert gone
            raise HTTPException(CLIENT_GONE, "the client closed the request")
        return out[0]

    def model_named(self, name: str | None) -> Any:
        """A model by the name the API uses (the default for None); 404 for an unknown one."""
        name = name or self.settings.default_model
        if name not in self.settings.models:
            raise HTTPException(404, f"unknown model {name!r}; this server has: "
                                f"{', '.join(self.settings.models) or 'none'}")
        return self.models.get(name)


def server(request: Request) -> Server:
    """The app's :class:`Server` (a FastAPI dependency)."""
    srv: Server = request.app.state.server
    return srv


__all__ = ["CLIENT_GONE", "MAX_DURATION_S", "MAX_REFERENCE_FILES", "MAX_SEQUENCE_S", "MAX_UPLOAD_BYTES",
           "Server", "Settings", "server"]
