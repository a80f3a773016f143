"""Batch scoring of a transcripts list: one ``path<TAB>text`` per line (the Kaldi-style
lists teachers and researchers keep) -> one result, or one error, per row.

A bad row (blank, no tab, not UTF-8, a duplicate, a missing file, text or audio that
cannot be scored) is reported on its own and the rest are still scored.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SpaceError, UsageError
from .feedback.result import ScoreResult


@dataclass(frozen=True)
class Row:
    """One line of a transcripts list: its 1-based number, the audio path as written and
    as resolved (relative paths: from the list's folder), and the text."""

    line: int
    file: str
    path: Path
    text: str


@dataclass(frozen=True)
class RowError:
    """A row that was not scored, and why (one line a person can act on)."""

    line: int
    file: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.file})" if self.file else "")
        return f"{where}: {self.message}"


def read_transcripts(path: str | os.PathLike) -> list[Row | RowError]:
    """The rows of a transcripts list, each checked on its own (see the module doc).

    Raises
    ------
    UsageError
        The list itself cannot be read (missing, a folder).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UsageError(f"{p}: cannot read the transcripts list ({e.strerror or e})") from None
    out: list[Row | RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if i == 1 else "utf-8")
        except UnicodeDecodeError:
            out.append(RowError(i, None, "not UTF-8 text; save the list as UTF-8"))
            continue
        if not line.strip():
            out.append(RowError(i, None, "blank line"))
            continue
        file, tab, text = line.partition("\t")
        file, text = file.strip(), text.strip()
        if not tab or not file or not text:
            out.append(RowError(i, file or None, "expected 'path<TAB>text'"))
            continue
        key = (file, " ".join(text.lower().split()))
        if key in seen:
            out.append(RowError(i, file, f"duplicate of line {seen[key]}"))
            continue
        seen[key] = i
        resolved = Path(file) if Path(file).is_absolute() else p.parent / file
        out.append(Row(i, file, resolved, text))
    return out


def score_rows(rows: list[Row | RowError], *, models: Any = None
               ) -> Iterator[tuple[Row | RowError, ScoreResult | RowError]]:
    """Score each row in order: ``(row, result)`` or ``(row, RowError)`` (a bad row, or
    a row whose text or audio cannot be scored)."""
    from .assess import check_text, score

    for r in rows:
        if isinstance(r, RowError):
            yield r, r
            continue
        try:
            check_text(word=None, text=r.text)  # the text first: no audio loaded for it
            if not r.path.is_file():
                raise UsageError("file not found")
            yield r, score(r.path, text=r.text, name=r.file, models=models)
        except SpaceError as e:
            msg = str(e)
            prefix = f"{r.file}: "
            yield r, RowError(r.line, r.file, msg[len(prefix):] if msg.startswith(prefix)
                              else msg)


def row_json(row: Row, res: ScoreResult) -> dict[str, Any]:
    """One output line of a batch: ``file`` and ``text`` as the list gave them, then the
    result (:meth:`ScoreResult.to_dict`)."""
    d = res.to_dict()
    del d["attempt"], d["text"]  # the list's own spelling of both is kept
    return {"file": row.file, "text": row.text, **d}
