"""The local practice app: a JSON API over :mod:`space.api` and one static page.

The app is thin: every answer comes from the API (:mod:`space.api`), exactly as the CLI
gives it. The routes live in :mod:`.routes` by topic; uploads are bounded and decoded in
:mod:`.uploads`; the package's errors become HTTP statuses in :mod:`.errors`; pictures are
drawn in :mod:`.pictures`. Uploads are read into memory (bounded by ``max_upload_bytes``)
and decoded from there; the only files written are a user's new references, which go
through a temporary folder that is always removed and then the API's
:func:`~space.api.add_reference_clips` (which keeps names inside the references folder).
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import api
from .._version import __version__
from ..errors import ModelError, UsageError
from . import errors
from .errors import HTTP_STATUS, http_status
from .pictures import PngRenderer
from .routes import ROUTERS
from .state import MAX_DURATION_S, MAX_SEQUENCE_S, MAX_UPLOAD_BYTES, Server, Settings
from .uploads import BodyLimit

STATIC = Path(__file__).parent / "static"


def create_app(
    *,
    model: str = "digits",
    extra_models: dict[str, str] | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    max_duration_s: float = MAX_DURATION_S,
    allow_add_references: bool = True,
    references_dir: str | os.PathLike | None = None,
    preload: bool = True,
    png_workers: int = 0,
    max_sequence_s: float = MAX_SEQUENCE_S,
) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    model : str
        Default model for ``/api/predict``: ``digits``, ``commands`` or a checkpoint path.
    extra_models : dict, optional
        More models by the name the API uses -> bundled name or path. The bundled models
        that are installed are always offered.
    max_upload_bytes, max_duration_s
        Larger or longer uploads get 413.
    allow_add_references : bool
        Whether ``POST /api/references/{word}`` may add a user's recordings.
    references_dir : path, optional
        The user's references folder (default: ``$SPACE_REFERENCES_DIR`` or
        ``~/.local/share/space/references``).
    preload : bool
        Load the models, the frame encoder and every reference set when the server starts
        (before it accepts requests), so the first answer is as fast as the rest.
        ``/api/health`` says ``"ready": true`` once that is done (or, without preloading,
        at once: things then load on first use).
    png_workers : int
        Processes that draw ``plot=true`` pictures (started with the server); 0 draws them
        in the request threads (``space serve --png-workers``; on the busy 2-core
        development machine workers made pictures slower, not faster).
    max_sequence_s : float
        Longest recording ``/api/sequence`` takes (413 beyond).
    """
    if max_upload_bytes < 1024 or max_duration_s <= 0 or max_sequence_s <= 0:
        raise UsageError("max_upload_bytes >= 1024, max_duration_s > 0 and max_sequence_s > 0 "
                         "are required")
    settings = Settings(*_models(model, extra_models), max_upload_bytes, max_duration_s,
                        allow_add_references,
                        str(references_dir) if references_dir is not None else None,
                        float(max_sequence_s))
    srv = Server(settings, api.model_registry(settings.models), PngRenderer(png_workers))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The server accepts requests only after this: the first score is a warm one.
        if preload:
            t0 = time.perf_counter()
            srv.engines = await anyio.to_thread.run_sync(api.warm_up, srv.models,
                                                         settings.references_dir)
            srv.warmup_s = round(time.perf_counter() - t0, 3)
            # What was loaded lives as long as the server: keep it out of the garbage
            # collector's full passes, which otherwise stall a request now and then.
            gc.collect()
            gc.freeze()
        await anyio.to_thread.run_sync(srv.png.start)
        srv.ready = True
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(srv.png.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="SPACE",
        version=__version__,
        description="Recognise a spoken word and score the pronunciation of any word or "
        "short sentence. Uploads: WAV/FLAC/OGG/MP3 at any rate (resampled on the server), at most "
        f"{max_upload_bytes / 1024 / 1024:g} MB and {max_duration_s:g} s.",
    )
    app.state.server = srv
    app.state.settings = settings
    app.state.models = srv.models
    app.add_middleware(BodyLimit, max_bytes=max_upload_bytes + 64 * 1024)  # + form overhead
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _models(model: str, extra: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """The default model's name and every model offered (name shown -> name or path): the
    installed bundled models, ``model`` and ``extra``."""
    models = {name: name for name in api.installed_models()}
    default = model
    if not api.is_bundled(model):
        default = Path(model).stem or "custom"
        models[default] = model
    elif model not in models:
        raise ModelError(f"bundled model {model!r} is not installed (run `make models`)")
    models.update(extra or {})
    return default, models


__all__ = ["HTTP_STATUS", "Settings", "create_app", "http_status"]
