"""A word's reference recordings: list, play, and add the user's own."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.responses import FileResponse

from ... import api
from ...io import AUDIO_EXTS, safe_stem
from ..errors import for_browser
from ..state import MAX_REFERENCE_FILES, Server, server
from ..uploads import decode_upload, read_upload

router = APIRouter()
State = Annotated[Server, Depends(server)]
MEDIA = {".flac": "audio/flac", ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}


@router.get("/api/references/{word}")
def references(s: State, word: str) -> dict[str, Any]:
    """The reference recordings of a word, with URLs to play them."""
    w = api.check_word(word)
    paths = api.reference_paths(w, s.settings.references_dir)
    return {"word": w, "references": [
        {"index": i, "name": p.name, "url": f"/api/references/{w}/{i}"}
        for i, p in enumerate(paths)]}


@router.get("/api/references/{word}/{index}")
def reference_audio(s: State, word: str, index: int) -> FileResponse:
    """One reference recording (the file as stored: FLAC or WAV), for playback."""
    w = api.check_word(word)
    paths = api.reference_paths(w, s.settings.references_dir)  # picked by number, never by name
    if not 0 <= index < len(paths):
        raise HTTPException(404, f"word {w!r} has {len(paths)} references; no #{index}")
    p = paths[index]
    if not p.is_file():  # removed a moment ago
        raise HTTPException(409, f"reference #{index} of {w!r} was just removed; reload")
    return FileResponse(p, media_type=MEDIA.get(p.suffix.lower(), "application/octet-stream"))


@router.post("/api/references/{word}")
async def add_references(
    s: State,
    word: str,
    files: Annotated[list[UploadFile], File(description="recordings of the word")],
) -> dict[str, Any]:
    """Add the user's own recordings of a word (e.g. a teacher's) as its references."""
    settings, rdir = s.settings, s.settings.references_dir
    if not settings.allow_add_references:
        raise HTTPException(403, "adding references is switched off on this server")
    w = api.check_word(word)
    if len(files) > MAX_REFERENCE_FILES:
        raise HTTPException(413, f"at most {MAX_REFERENCE_FILES} files at once")
    with tempfile.TemporaryDirectory(prefix="space-upload-") as tmp:
        paths = []
        for i, f in enumerate(files):
            name = f.filename or f"clip{i}.wav"
            data = await read_upload(f, settings)
            decode_upload(data, name, settings)  # 413/415/422 before anything is kept
            # Our own name in our own folder: the client's file name is never a path.
            suffix = Path(name).suffix.lower()
            if suffix not in AUDIO_EXTS:
                suffix = ".wav"
            p = Path(tmp) / f"{i:02d}_{safe_stem(name, limit=40)}{suffix}"
            p.write_bytes(data)
            paths.append(p)
        # file checks and the copy are blocking: off the event loop; the library's limits
        # for a reference, as on the CLI (not an attempt's)
        res = await s.in_thread(lambda: api.add_reference_clips(w, paths, references_dir=rdir))
    # The set as it now is, checked: a clip that disagrees with the rest is named.
    warnings: list[str] = []
    if res.added:
        warnings = [for_browser(m) for m in
                    await s.in_thread(lambda: api.reference_warnings(w, rdir))]
    return {"word": w, "added": [p.name for p in res.added],
            "duplicates": [{"file": Path(f).name.split("_", 1)[-1], "same_as": c}
                           for f, c in res.duplicates],
            "references": len(api.reference_paths(w, rdir)), "warnings": warnings}
