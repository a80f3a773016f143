"""The package's errors as HTTP answers: one status per error type, one line of detail."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .. import errors
from ..errors import SpaceError

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


# The library's messages are written for the terminal: some end with the command that fixes
# things (`space references add ...`, `make models`, a --flag) and some name a file by its
# path. A browser user can run neither and the server's folders are none of their business,
# so the web face drops those hints and keeps a path's last part only.
_CMD = r"`(?:space|make)\b[^`]*`"
_HINT_IN_PARENS = re.compile(r"\s*\([^()]*(?:" + _CMD + r"|--[a-z][\w-]*)[^()]*\)")
_CLAUSE_WITH_CMD = re.compile(r"[;:]\s*[^;:]*" + _CMD)
_WITH_CMD = re.compile(r"\s+(?:with|use|run)\s+" + _CMD)
_PATH = re.compile(r"(?<![\w/.~])~?/[^\s'\"`,;:()]+")


def for_browser(text: str) -> str:
    """A library message as the web app shows it: no CLI commands or flags to run, no
    server paths (a path becomes its file or folder name).

    >>> for_browser("a.wav: 15.0 s long; at most 10 s (for long recordings use `space listen`)")
    'a.wav: 15.0 s long; at most 10 s'
    >>> for_browser("cannot write /srv/refs/7/.lock: read-only; remove it with `space x`")
    'cannot write .lock: read-only'
    """
    text = _HINT_IN_PARENS.sub("", text)
    text = _CLAUSE_WITH_CMD.sub("", text)
    text = _WITH_CMD.sub("", text)
    return _PATH.sub(lambda m: PurePosixPath(m.group(0)).name or "the server's folder", text)


async def space_error(request: Request, exc: Exception) -> JSONResponse:
    """One of the package's errors -> its status and message (:func:`for_browser`)."""
    assert isinstance(exc, SpaceError)
    return JSONResponse({"detail": for_browser(str(exc))}, status_code=http_status(exc))


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A form or path that FastAPI refused -> 422 with one line (FastAPI's default answer is
    a list of dicts; every other error here is one line)."""
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    app.add_exception_handler(SpaceError, space_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


__all__ = ["HTTP_STATUS", "for_browser", "http_status", "install"]
