"""The local web app: ``space serve`` (FastAPI + uvicorn, one static page).

Needs the ``web`` extra: ``pip install 'space-speech[web]'``.
"""

from __future__ import annotations

from typing import Any


def create_app(**kwargs: Any) -> Any:
    """Build the FastAPI app (see :func:`space.web.app.create_app` for the options)."""
    from .app import create_app as _create

    return _create(**kwargs)


__all__ = ["create_app"]
