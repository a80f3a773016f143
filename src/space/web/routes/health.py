"""The page, liveness/readiness and what this server offers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from ... import api
from ..._version import __version__
from ..state import Server, server

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter()
State = Annotated[Server, Depends(server)]


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/api/health")
def health(s: State) -> dict[str, Any]:
    """Liveness, readiness and what this server offers. ``engine``: what runs the
    networks (``onnx``: ONNX Runtime, ``torch``: PyTorch), by model and for the
    pronunciation frames."""
    return {"status": "ok", "ready": bool(s.ready), "version": __version__,
            "models": s.models.names(), "default_model": s.settings.default_model,
            "engine": api.engine_name(), "engines": dict(s.engines), "warmup_s": s.warmup_s}


@router.get("/api/words")
def words(s: State) -> dict[str, Any]:
    """Every word with references (bundled and the user's), and the model that knows it."""
    out = [{"word": ws.word, "display": api.display_name(ws.word), "references": len(ws.clips),
            "source": ws.source, "replaces_bundled": ws.hides_bundled,
            "model": s.models.name_for_word(ws.word)}
           for ws in api.word_sources(s.settings.references_dir)]
    return {"words": out, "models": s.models.names(), "default_model": s.settings.default_model}
