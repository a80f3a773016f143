"""The package's errors as HTTP answers: one status per error type, one line of detail."""

from __future__ import annotations

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


async def space_error(request: Request, exc: Exception) -> JSONResponse:
    """One of the package's errors -> its status and message."""
    assert isinstance(exc, SpaceError)
    return JSONResponse({"detail": str(exc)}, status_code=http_status(exc))


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


__all__ = ["HTTP_STATUS", "http_status", "install"]
