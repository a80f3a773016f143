"""Uploads: bodies bounded before they are read, files decoded by the one loader."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import HTTPException, UploadFile
from fastapi.responses import JSONResponse

from .. import audio
from .state import Settings


class BodyLimit:
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


def decode_upload(data: bytes, name: str, settings: Settings) -> tuple[np.ndarray, int]:
    """Bytes of an uploaded file -> mono float32 and its rate, through the same loader and
    checks as the CLI and the Python API (:func:`space.audio.load_input`: the one decoder,
    truncation, silence and no-speech checks); its errors become HTTP statuses by
    :data:`space.web.errors.HTTP_STATUS`."""
    y, sr, _ = audio.load_input(data, name=name, max_duration_s=settings.max_duration_s)
    return y, sr


async def read_upload(upload: UploadFile, settings: Settings) -> bytes:
    """An uploaded file's bytes (413 beyond ``settings.max_upload_bytes``)."""
    data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"upload too large: at most "
                            f"{settings.max_upload_bytes / 1024 / 1024:g} MB")
    return data


__all__ = ["BodyLimit", "decode_upload", "read_upload"]
