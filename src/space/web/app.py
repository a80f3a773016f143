"""The local practice app: a JSON API over :mod:`space` and one static page.

The API is thin: every answer comes from :meth:`Recognizer.predict` and
:func:`space.pronounce.score`, exactly as the CLI gives it. Uploads are read into memory
(bounded by ``max_upload_bytes``) and decoded from there; the only files written are a
user's new references, which go through a temporary folder that is always removed and
then :func:`space.pronounce.add_references` (which keeps names inside the references folder).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import anyio
import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import audio, errors
from .._version import __version__
from ..errors import ModelError, SpaceError, UsageError
from ..io import AUDIO_EXTS, safe_stem

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB: minutes of 48 kHz WAV, far more than a word
MAX_DURATION_S = 10.0  # a practice attempt is one word; longer uploads are refused (413)
# /api/sequence: several words in a row (a PIN, a phone number said slowly) fit in 30 s.
MAX_SEQUENCE_S = 30.0
MAX_REFERENCE_FILES = 10

# The package's errors as HTTP statuses, by type (the most specific class listed wins).
HTTP_STATUS: dict[type[SpaceError], int] = {
    errors.DecodeError: 415,  # not audio we can decode
    errors.AudioTooLongError: 413,
    errors.NoSpeechError: 422,
    errors.AudioError: 422,
    errors.UnknownWordError: 404,
    errors.DamagedReferenceError: 409,  # the server's stored set is being changed or is damaged
    errors.ReferenceSetError: 422,
    errors.UsageError: 422,
    errors.DataError: 422,
    errors.OutputError: 507,  # the server cannot write (disk full, read-only storage)
    errors.ModelError: 503,  # the server's own model is missing or broken: not the client's fault
    errors.SpaceError: 500,
}


def http_status(exc: SpaceError) -> int:
    """The HTTP status of one of the package's errors (see :data:`HTTP_STATUS`)."""
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


@dataclass
class Settings:
    """What a running app may do. Built by :func:`create_app`."""

    default_model: str = "digits"
    models: dict[str, str] = field(default_factory=dict)  # name shown -> name or path to load
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_duration_s: float = MAX_DURATION_S
    allow_add_references: bool = True
    references_dir: str | None = None  # the user's references folder (None: the default)
    max_sequence_s: float = MAX_SEQUENCE_S  # longest recording /api/sequence takes


class _BodyLimit:
    """ASGI middleware: refuse request bodies over the limit with 413, before they are read.

    Checks Content-Length up front and counts the bytes of bodies sent without one.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        msg = f"upload too large: at most {limit / 1024 / 1024:g} MB"
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                await JSONResponse({"detail": msg}, status_code=413)(scope, receive, send)
                return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, msg)  # FastAPI passes HTTPException through
            return message

        await self.app(scope, limited, send)


def _decode_upload(data: bytes, name: str, settings: Settings) -> tuple[np.ndarray, int]:
    """Bytes of an uploaded file -> mono float32 and its rate, through the same loader and
    checks as the CLI and the Python API (:func:`space.audio.load_input`: the one decoder,
    truncation, silence and no-speech checks); its errors become HTTP statuses by
    :data:`HTTP_STATUS`."""
    y, sr, _ = audio.load_input(data, name=name, max_duration_s=settings.max_duration_s)
    return y, sr


async def _read(upload: UploadFile, settings: Settings) -> bytes:
    data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"upload too large: at most "
                            f"{settings.max_upload_bytes / 1024 / 1024:g} MB")
    return data


def _png(result: Any) -> str:
    """The feedback figure as a data: URL (PNG). Each request draws its own figure (no
    pyplot), so pictures for several clients are drawn at once."""
    from ..io import png_bytes

    data = png_bytes(result.plot(), dpi=80)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _slim(result: Any) -> Any:
    """The score result without its audio (the picture does not use it): less to pickle."""
    from dataclasses import replace

    empty = np.zeros(0, np.float32)
    return replace(result, attempt_audio=empty,
                   attempt_utterance=replace(result.attempt_utterance, audio=empty),
                   reference_utterance=replace(result.reference_utterance, audio=empty))


def _warm_png_worker(_: int) -> int:
    """Run in each picture worker at start: matplotlib and the plotting code imported, the
    compiled cost-matrix code loaded and one figure drawn, so the first picture a client
    asks for is as fast as the rest."""
    from ..io import new_figure, png_bytes
    from ..pronounce.align import _cosine_cost

    x = np.eye(4, dtype=np.float32)
    fig = new_figure((2, 2))
    ax = fig.add_subplot()
    ax.imshow(_cosine_cost(x, x))
    ax.set_title("warm-up", fontsize=9)
    fig.suptitle("warm-up", fontsize=12, fontweight="bold")  # the bold face loads once
    png_bytes(fig, dpi=40)
    return os.getpid()


class _PngRenderer:
    """Feedback PNGs for ``plot=true``. Drawing a matplotlib figure is Python-bound, so
    threads take turns on the GIL; with ``workers`` > 0 pictures are drawn in that many
    worker processes (started with the server, one per core is plenty) and the request
    waits for its picture without holding one of the request threads."""

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
            list(self.pool.map(_warm_png_worker, range(self.workers)))

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def render(self, result: Any, in_thread: Any) -> str:
        if self.pool is None:
            return await in_thread(lambda: _png(result))
        import asyncio

        return await asyncio.wrap_future(self.pool.submit(_png, _slim(result)))


def _warm_up(recs: Any, references_dir: str | None) -> dict[str, Any]:
    """Load everything the first request would otherwise wait for: the recognisers, the frame
    encoder, every word's reference set and calibration, DTW's compiled code, and matplotlib
    (one full score with a picture). Returns what runs the networks."""
    from .. import pronounce
    from ..pronounce.frames import default_featurizer
    from ..pronounce.reference_set import word_reference_set

    engines: dict[str, str] = {}
    for name in recs.names():
        try:
            engines[f"model:{name}"] = recs.get(name).engine_name
        except SpaceError:
            continue  # a broken extra model: its requests report the error
    feat = default_featurizer()
    engines["frames"] = feat.engine.name if feat.encoder is not None else "torch"
    first: tuple[str, Path] | None = None
    for w in pronounce.list_words(references_dir):
        try:
            word_reference_set(w, feat, references_dir=references_dir)
            first = first or (w, pronounce.reference_paths(w, references_dir)[0])
        except SpaceError:
            continue  # a damaged user set: its requests report the error
    if first is not None:  # one real score end to end, phones and picture included (the
        # page asks for phones: their model and dictionary load here, not on a request)
        y, sr = audio.load(first[1])
        try:
            _png(pronounce.score(y, word=first[0], sr=sr, models=recs,
                                 references_dir=references_dir, phones=True))
        except SpaceError:
            pass
    try:  # /api/sequence's connected-digits model
        from ..recognize.seqmodel import load_sequence_model

        load_sequence_model()
    except SpaceError:
        pass  # not installed: /api/sequence reports it (503)
    _phone_sets_in_background(pronounce.list_words(references_dir), references_dir)
    return engines


def _phone_sets_in_background(words: list[str], references_dir: str | None) -> None:
    """Build every word's phone reference set (about 0.3 s of CPU each, 11 s for the
    bundled 35) in a daemon thread after start-up, so the server is ready at once and the
    first phone score of a word does not pay for it; a request that comes first builds
    its own word's set (the cache is shared and locked). The thread runs at the lowest CPU
    priority and pauses between words, so requests that arrive meanwhile go first."""
    import threading
    import time

    def build() -> None:
        from ..pronounce.phone_score import word_phone_set

        try:  # Linux: a thread is a task with its own nice value
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        for w in words:
            time.sleep(0.2)  # let the GIL and the cores go to requests between words
            try:
                word_phone_set(w, references_dir=references_dir)
            except Exception:  # noqa: BLE001 (no pronunciation, no model: a request says why)
                continue

    threading.Thread(target=build, name="space-phone-sets", daemon=True).start()


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
    from ..recognize.recognizer import BUNDLED, bundled_model_path
    from ..recognize.registry import ModelRegistry

    if max_upload_bytes < 1024 or max_duration_s <= 0 or max_sequence_s <= 0:
        raise UsageError("max_upload_bytes >= 1024, max_duration_s > 0 and max_sequence_s > 0 "
                         "are required")
    models: dict[str, str] = {}
    for name in BUNDLED:
        try:
            bundled_model_path(name)
            models[name] = name
        except ModelError:
            pass
    default = model
    if model not in BUNDLED:
        default = Path(model).stem or "custom"
        models[default] = model
    elif model not in models:
        raise ModelError(f"bundled model {model!r} is not installed (run `make models`)")
    models.update(extra_models or {})
    settings = Settings(default, models, max_upload_bytes, max_duration_s, allow_add_references,
                        str(references_dir) if references_dir is not None else None,
                        float(max_sequence_s))
    rdir = settings.references_dir
    recs = ModelRegistry(models)

    def model_named(name: str | None) -> Any:
        name = name or settings.default_model
        if name not in settings.models:
            raise HTTPException(404, f"unknown model {name!r}; this server has: "
                                f"{', '.join(settings.models) or 'none'}")
        return recs.get(name)
    # CPU-bound work runs in threads, at most one per core: more only makes them take turns
    # (and each request slower) while the event loop keeps accepting uploads.
    cpu = anyio.CapacityLimiter(max(1, os.cpu_count() or 1))
    png = _PngRenderer(png_workers)

    async def in_thread(fn: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, limiter=cpu)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # The server accepts requests only after this: the first score is a warm one.
        if preload:
            t0 = time.perf_counter()
            app.state.engines = await anyio.to_thread.run_sync(_warm_up, recs, rdir)
            app.state.warmup_s = round(time.perf_counter() - t0, 3)
            # What was loaded lives as long as the server: keep it out of the garbage
            # collector's full passes, which otherwise stall a request now and then.
            gc.collect()
            gc.freeze()
        await anyio.to_thread.run_sync(png.start)
        app.state.ready = True
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(png.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="SPACE",
        version=__version__,
        description="Recognise a spoken word and score its pronunciation against golden "
        "references. Uploads: WAV/FLAC/OGG/MP3 at any rate (resampled on the server), at most "
        f"{max_upload_bytes / 1024 / 1024:g} MB and {max_duration_s:g} s.",
    )
    app.state.settings = settings
    app.state.models = recs
    app.state.ready = False
    app.state.engines = {}
    app.state.warmup_s = None
    app.add_middleware(_BodyLimit, max_bytes=max_upload_bytes + 64 * 1024)  # + form overhead

    @app.exception_handler(SpaceError)
    async def space_error(request: Request, exc: SpaceError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=http_status(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer is a list of dicts; every other error here is one line.
        parts = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Liveness, readiness and what this server offers. ``engine``: what runs the
        networks (``onnx``: ONNX Runtime, ``torch``: PyTorch), by model and for the
        pronunciation frames."""
        from ..recognize.engine import engine_name

        return {"status": "ok", "ready": bool(app.state.ready), "version": __version__,
                "models": recs.names(), "default_model": settings.default_model,
                "engine": engine_name(), "engines": dict(app.state.engines),
                "warmup_s": app.state.warmup_s}

    @app.get("/api/words")
    def words() -> dict[str, Any]:
        """Every word with references (bundled and the user's), and the model that knows it."""
        from .. import pronounce

        out = [{"word": ws.word, "display": _display(ws.word), "references": len(ws.clips),
                "source": ws.source, "replaces_bundled": ws.hides_bundled,
                "model": recs.name_for_word(ws.word)}
               for ws in pronounce.word_sources(rdir)]
        return {"words": out, "models": recs.names(), "default_model": settings.default_model}

    @app.post("/api/predict")
    async def predict(
        file: Annotated[UploadFile, File(description="audio of one spoken word")],
        model: Annotated[str | None, Form(description="model name (see /api/health)")] = None,
        top_k: Annotated[int, Form(ge=1, le=50)] = 3,
    ) -> dict[str, Any]:
        """What the model heard: label, probability and the top-k alternatives."""
        name = file.filename or "upload"
        data = await _read(file, settings)

        def work() -> dict[str, Any]:  # CPU-bound: off the event loop, in the thread pool
            y, sr = _decode_upload(data, name, settings)
            p = model_named(model).predict(y, sr=sr, top_k=top_k, name=name)
            return {**p.to_dict(), "model": model or settings.default_model,
                    "duration_s": round(len(y) / sr, 3), "sr": sr,
                    "engine": model_named(model).engine_name}

        return await in_thread(work)

    @app.post("/api/score")
    async def score(
        file: Annotated[UploadFile, File(description="audio of the attempt")],
        word: Annotated[str, Form(description="target word (see /api/words)")],
        plot: Annotated[bool, Form(description="include the feedback picture (PNG)")] = False,
        phones: Annotated[bool, Form(description="score each sound of the word (empty "
                                     "list and a warning when it cannot)")] = True,
    ) -> dict[str, Any]:
        """Pronunciation score of an attempt against the word's references (issue-4 JSON),
        plus where to fetch the references, ``drawing`` (what a client needs to draw the
        feedback picture itself: spectrogram codes, DTW path, per-frame costs; see
        :func:`space.pronounce.drawing.drawing`), with ``plot``, the picture as PNG and, unless
        ``phones`` is false, a score per sound of the word (``phones``)."""
        from .. import pronounce
        from ..pronounce.drawing import drawing

        name = file.filename or "upload"
        w = pronounce.check_word(word)
        pronounce.reference_paths(w, rdir)  # 404 for an unknown word before decoding anything
        data = await _read(file, settings)

        def work() -> tuple[dict[str, Any], Any]:  # CPU-bound: off the event loop, in a thread
            y, sr = _decode_upload(data, name, settings)
            res = pronounce.score(y, word=w, sr=sr, name=name, models=recs, references_dir=rdir,
                                  phones=phones)
            d = res.to_dict()
            d["references"] = [Path(p).name for p in d["references"]]  # no server paths
            d["reference_urls"] = [f"/api/references/{w}/{i}"
                                   for i in range(len(res.references))]
            d["best_reference"] = int(res.best_reference)
            d["duration_s"] = round(len(y) / sr, 3)
            d["drawing"] = drawing(res)
            return d, res

        d, res = await in_thread(work)
        if plot:
            d["plot_png"] = await png.render(res, in_thread)
        return d

    @app.post("/api/sequence")
    async def sequence(
        file: Annotated[UploadFile, File(description="audio of several digits said one after "
                                         "another (e.g. a PIN)")],
        grammar: Annotated[str, Form(description="'any' (any number of digits) or 'digitsN' "
                                     "(exactly N, e.g. digits4)")] = "any",
    ) -> dict[str, Any]:
        """Connected digits: every word in order with its times, the sequence, one result
        per utterance (speech up to a pause) and ``drawing`` (the waveform's envelope, to
        draw where each word lies). The same decoding as ``space listen --grammar``
        (:func:`space.recognize.seqfile.recognize_connected`)."""
        from ..recognize.decode import parse_grammar
        from ..recognize.seqfile import recognize_connected

        parse_grammar(grammar)  # 422 before anything is decoded
        name = file.filename or "upload"
        data = await _read(file, settings)

        def work() -> dict[str, Any]:  # CPU-bound: off the event loop, in a thread
            y, sr, _ = audio.load_input(data, name=name, max_duration_s=settings.max_sequence_s)
            res = recognize_connected(y, sr, grammar=grammar)
            d = res.to_dict()
            d["sr"] = sr
            d["warnings"] = [] if res.words else [
                "no digits heard: say the digits clearly, one after another"]
            return d

        return await in_thread(work)

    @app.get("/api/references/{word}")
    def references(word: str) -> dict[str, Any]:
        """The reference recordings of a word, with URLs to play them."""
        from .. import pronounce

        w = pronounce.check_word(word)
        paths = pronounce.reference_paths(w, rdir)
        return {"word": w, "references": [
            {"index": i, "name": p.name, "url": f"/api/references/{w}/{i}"}
            for i, p in enumerate(paths)]}

    @app.get("/api/references/{word}/{index}")
    def reference_audio(word: str, index: int) -> FileResponse:
        """One reference recording (the file as stored: FLAC or WAV), for playback."""
        from .. import pronounce

        w = pronounce.check_word(word)
        paths = pronounce.reference_paths(w, rdir)  # picked by number, never by name
        if not 0 <= index < len(paths):
            raise HTTPException(404, f"word {w!r} has {len(paths)} references; no #{index}")
        p = paths[index]
        if not p.is_file():  # removed a moment ago
            raise HTTPException(409, f"reference #{index} of {w!r} was just removed; reload")
        media = {".flac": "audio/flac", ".wav": "audio/wav", ".ogg": "audio/ogg",
                 ".mp3": "audio/mpeg"}.get(p.suffix.lower(), "application/octet-stream")
        return FileResponse(p, media_type=media)

    @app.post("/api/references/{word}")
    async def add_references(
        word: str,
        files: Annotated[list[UploadFile], File(description="recordings of the word")],
    ) -> dict[str, Any]:
        """Add the user's own recordings of a word (e.g. a teacher's) as its references."""
        from .. import pronounce

        if not settings.allow_add_references:
            raise HTTPException(403, "adding references is switched off on this server")
        w = pronounce.check_word(word)
        if len(files) > MAX_REFERENCE_FILES:
            raise HTTPException(413, f"at most {MAX_REFERENCE_FILES} files at once")
        with tempfile.TemporaryDirectory(prefix="space-upload-") as tmp:
            paths = []
            for i, f in enumerate(files):
                name = f.filename or f"clip{i}.wav"
                data = await _read(f, settings)
                _decode_upload(data, name, settings)  # 413/415/422 before anything is kept
                # Our own name in our own folder: the client's file name is never a path.
                suffix = Path(name).suffix.lower()
                if suffix not in AUDIO_EXTS:
                    suffix = ".wav"
                p = Path(tmp) / f"{i:02d}_{safe_stem(name, limit=40)}{suffix}"
                p.write_bytes(data)
                paths.append(p)
            # file checks and the copy are blocking: off the event loop
            # the library's limits for a reference, as on the CLI (not an attempt's)
            res = await in_thread(lambda: pronounce.add_reference_clips(
                w, paths, references_dir=rdir))
        # The set as it now is, checked: a clip that disagrees with the rest is named.
        warnings: list[str] = []
        if res.added:
            from ..pronounce.reference_set import word_reference_set

            warnings = await in_thread(
                lambda: list(word_reference_set(w, references_dir=rdir).warnings))
        return {"word": w, "added": [p.name for p in res.added],
                "duplicates": [{"file": Path(f).name.split("_", 1)[-1], "same_as": c}
                               for f, c in res.duplicates],
                "references": len(pronounce.reference_paths(w, rdir)), "warnings": warnings}

    return app


def _display(word: str) -> str:
    """'7' -> '7 (seven)': the digit words' spoken form beside the label."""
    from ..pronounce.refsets import ALIASES

    spoken = {digit: name for name, digit in ALIASES.items()}
    return f"{word} ({spoken[word]})" if word in spoken else word
