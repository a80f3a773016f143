"""Check a data set's files before training: every unusable file named, in seconds.

Training decodes clips lazily, so one unreadable file used to stop a run minutes into the
first epoch, naming only itself. :func:`scan_examples` reads only headers (through
:func:`space.audio.probe`, the checks :func:`space.audio.load` makes before decoding), so a
whole data set is checked in about a second per few thousand files.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import audio
from ..errors import AudioError
from .readers import Example


@dataclass(frozen=True)
class BadFile:
    """A file that cannot be used, and why (the loader's message)."""

    path: str
    reason: str


def scan_examples(examples: list[Example]) -> list[BadFile]:
    """Every example whose file fails the loader's header checks (missing, empty, not audio,
    truncated, no samples, unsupported rate, too long), each file once, in input order.

    Spans of long recordings (``duration_s`` set: background noise) are checked without the
    length limit.
    """
    seen: dict[str, BadFile | None] = {}
    for ex in examples:
        if ex.path in seen:
            continue
        try:
            sr, _, _ = audio.probe(ex.path, name=ex.path,
                                   max_duration_s=None if ex.duration_s is not None
                                   else audio.MAX_DURATION_S)
            if not audio.MIN_SR <= sr <= audio.MAX_SR:
                raise AudioError(f"{ex.path}: sample rate {sr} Hz is not supported "
                                 f"(use {audio.MIN_SR}-{audio.MAX_SR} Hz)")
            seen[ex.path] = None
        except AudioError as e:
            seen[ex.path] = BadFile(ex.path, str(e))
    return [b for b in seen.values() if b is not None]


def describe_bad(bad: list[BadFile], *, limit: int = 10) -> str:
    """One line per bad file (at most ``limit``), then how many more."""
    lines = [f"  {b.reason}" for b in bad[:limit]]
    if len(bad) > limit:
        lines.append(f"  ... and {len(bad) - limit} more")
    return "\n".join(lines)
