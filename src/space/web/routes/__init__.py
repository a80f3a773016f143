"""The app's routes by topic, each an :class:`fastapi.APIRouter`: :mod:`.health` (the page,
health, words), :mod:`.recognition` (predict, connected digits), :mod:`.pronunciation`
(score) and :mod:`.references` (list, play, add)."""

from __future__ import annotations

from . import health, pronunciation, recognition, references

ROUTERS = [health.router, recognition.router, pronunciation.router, references.router]

__all__ = ["ROUTERS"]
