"""A pronunciation score of one attempt (``/api/score``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from ... import api
from ..state import Server, server
from ..uploads import decode_upload, read_upload

router = APIRouter()
State = Annotated[Server, Depends(server)]


@router.post("/api/score")
async def score(
    s: State,
    file: Annotated[UploadFile, File(description="audio of the attempt")],
    word: Annotated[str, Form(description="target word (see /api/words)")],
    plot: Annotated[bool, Form(description="include the feedback picture (PNG)")] = False,
    phones: Annotated[bool, Form(description="score each sound of the word (empty "
                                 "list and a warning when it cannot)")] = True,
) -> dict[str, Any]:
    """Pronunciation score of an attempt against the word's references (issue-4 JSON),
    plus where to fetch the references, ``drawing`` (what a client needs to draw the
    feedback picture itself: spectrogram codes, DTW path, per-frame costs; see
    :func:`space.api.score_drawing`), with ``plot``, the picture as PNG and, unless
    ``phones`` is false, a score per sound of the word (``phones``)."""
    rdir = s.settings.references_dir
    name = file.filename or "upload"
    w = api.check_word(word)
    api.reference_paths(w, rdir)  # 404 for an unknown word before decoding anything
    data = await read_upload(file, s.settings)

    def work() -> tuple[dict[str, Any], Any]:  # CPU-bound: off the event loop, in a thread
        y, sr = decode_upload(data, name, s.settings)
        res = api.score(y, word=w, sr=sr, name=name, models=s.models, references_dir=rdir,
                        phones=phones)
        d = res.to_dict()
        d["references"] = [Path(p).name for p in d["references"]]  # no server paths
        d["reference_urls"] = [f"/api/references/{w}/{i}" for i in range(len(res.references))]
        d["best_reference"] = int(res.best_reference)
        d["duration_s"] = round(len(y) / sr, 3)
        d["drawing"] = api.score_drawing(res)
        return d, res

    d, res = await s.in_thread(work)
    if plot:
        d["plot_png"] = await s.png.render(res, s.in_thread)
    return d
