"""A pronunciation score of one attempt (``/api/score``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from ... import api
from ..errors import for_browser
from ..state import Server, server
from ..uploads import decode_upload, read_upload

router = APIRouter()
State = Annotated[Server, Depends(server)]


@router.post("/api/score")
async def score(
    s: State,
    request: Request,
    file: Annotated[UploadFile, File(description="audio of the attempt")],
    text: Annotated[str | None, Form(description="the word or short sentence said "
                                      "(any words of the pronunciation lexicon)")] = None,
    word: Annotated[str | None, Form(description="the word said (instead of text)")] = None,
    plot: Annotated[bool, Form(description="include the feedback picture (PNG)")] = False,
) -> dict[str, Any]:
    """The one verdict on an attempt (the JSON of ``space score --json``: score, band,
    sentence, span, errors, words with their phones, recognized, quality, warnings),
    with ``duration_s`` and, with ``plot``, the picture as a PNG data URL. A text or
    word the lexicon cannot score is refused with 422 before the audio is read."""
    name = file.filename or "upload"
    api.check_text(word=word, text=text)  # 422 before decoding anything
    data = await read_upload(file, s.settings)

    def work() -> tuple[dict[str, Any], Any]:  # CPU-bound: off the event loop, in a thread
        y, sr = decode_upload(data, name, s.settings)
        res = api.score(y, word=word, text=text, sr=sr, name=name, models=s.models)
        d = res.to_dict()
        d["duration_s"] = round(len(y) / sr, 3)
        # as errors: the library's hints name CLI commands a browser user cannot run
        d["warnings"] = [for_browser(w) for w in d["warnings"]]
        d["quality"]["warnings"] = [for_browser(w) for w in d["quality"]["warnings"]]
        return d, res

    d, res = await s.in_thread(work, request)
    if plot:
        d["plot_png"] = await s.png.render(res, s.in_thread)
    return d
