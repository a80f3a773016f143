"""What the model heard: one word (``/api/predict``) or connected digits (``/api/sequence``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from ... import api, audio
from ..state import Server, server
from ..uploads import decode_upload, read_upload

router = APIRouter()
State = Annotated[Server, Depends(server)]


@router.post("/api/predict")
async def predict(
    s: State,
    request: Request,
    file: Annotated[UploadFile, File(description="audio of one spoken word")],
    model: Annotated[str | None, Form(description="model name (see /api/health)")] = None,
    top_k: Annotated[int, Form(ge=1, le=50)] = 3,
) -> dict[str, Any]:
    """What the model heard: label, probability and the top-k alternatives."""
    name = file.filename or "upload"
    data = await read_upload(file, s.settings)

    def work() -> dict[str, Any]:  # CPU-bound: off the event loop, in the thread pool
        y, sr = decode_upload(data, name, s.settings)
        rec = s.model_named(model)
        p = rec.predict(y, sr=sr, top_k=top_k, name=name)
        return {**p.to_dict(), "model": model or s.settings.default_model,
                "duration_s": round(len(y) / sr, 3), "sr": sr, "engine": rec.engine_name}

    return await s.in_thread(work, request)


@router.post("/api/sequence")
async def sequence(
    s: State,
    request: Request,
    file: Annotated[UploadFile, File(description="audio of several digits said one after "
                                     "another (e.g. a PIN)")],
    grammar: Annotated[str, Form(description="'any' (any number of digits) or 'digitsN' "
                                 "(exactly N, e.g. digits4)")] = "any",
) -> dict[str, Any]:
    """Connected digits: every word in order with its times, the sequence, one result
    per utterance (speech up to a pause) and ``drawing`` (the waveform's envelope, to
    draw where each word lies). The same decoding as ``space listen --grammar``
    (:func:`space.api.recognize_connected`)."""
    api.check_grammar(grammar)  # 422 before anything is decoded
    name = file.filename or "upload"
    data = await read_upload(file, s.settings)

    def work() -> dict[str, Any]:  # CPU-bound: off the event loop, in a thread
        y, sr, _ = audio.load_input(data, name=name, max_duration_s=s.settings.max_sequence_s)
        res = api.recognize_connected(y, sr, grammar=grammar)
        d = res.to_dict()
        d["sr"] = sr
        d["warnings"] = [] if res.words else [
            "no digits heard: say the digits clearly, one after another"]
        return d

    return await s.in_thread(work, request)
