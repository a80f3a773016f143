"""Reference sets: a few 'golden' recordings per word, bundled or the user's own.

Layout of a references folder (bundled: ``space/references``; the user's:
``$SPACE_REFERENCES_DIR`` or ``~/.local/share/space/references``)::

    <word>/<clip>.flac|.wav ...   the references
    <word>/set.json               calibration anchors and where the clips came from
    <word>/frames.npz             the clips' DTW frames (bundled sets; for calibration)

A word the user has references for uses only those (a teacher's recordings replace the
bundled voices); other words use the bundled set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ReferenceSetError, UnknownWordError, UsageError
from ..io import audio_files

SET_FILE = "set.json"
FRAMES_FILE = "frames.npz"  # the clips' DTW frames (space.pronounce.build.write_frames_cache)
# Spoken forms of the bundled digit words (FSDD labels them 0-9).
ALIASES = {name: str(i) for i, name in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}
# Letters (any script), digits, and inner - _ ' ; no path separators, no leading dot.
_WORD = re.compile(r"^[^\W_](?:[\w'\-]{0,38}[^\W_])?$")


def bundled_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("space") / "references"))


def user_dir() -> Path:
    """The user's references folder: ``$SPACE_REFERENCES_DIR`` or
    ``~/.local/share/space/references`` (``$XDG_DATA_HOME`` is honoured)."""
    env = os.environ.get("SPACE_REFERENCES_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "space" / "references"


def check_word(word: str) -> str:
    """Validate and normalise a word name (lower case; 'seven' -> '7' for the digits).

    A word becomes a folder name, so it must not be able to leave the references folder:
    letters, digits and inner ``-``, ``_``, ``'`` only, at most 40 characters.
    """
    if not isinstance(word, str):
        raise UsageError(f"word must be a string, not {type(word).__name__}")
    w = word.strip().lower()
    if not _WORD.match(w):
        raise UsageError(
            f"invalid word {word!r}: use letters and digits (inner - _ ' allowed), "
            "at most 40 characters"
        )
    return ALIASES.get(w, w)


def _clips(folder: Path) -> list[Path]:
    return audio_files(folder)


def _word_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if d.is_dir() and _clips(d) and _WORD.match(d.name))


def list_words() -> list[str]:
    """Every word with references: bundled and the user's, sorted."""
    return sorted({d.name for root in (bundled_dir(), user_dir()) for d in _word_dirs(root)},
                  key=lambda w: (not w.isdigit(), w))


def word_dir(word: str) -> Path:
    """The folder whose references score ``word``: the user's if it has clips, else bundled.

    Raises :class:`~space.errors.UnknownWordError` for a word with no references.
    """
    w = check_word(word)
    for root in (user_dir(), bundled_dir()):
        if _clips(root / w):
            return root / w
    known = list_words()
    hint = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
    raise UnknownWordError(
        f"no references for word {word!r} (known words: {hint or 'none'}); add your own with "
        f"`space references add {w} FILE...` or pass --reference FILE"
    )


def reference_paths(word: str) -> list[Path]:
    """The reference recordings that score ``word``."""
    return _clips(word_dir(word))


def read_set_info(folder: Path) -> dict[str, Any]:
    """``set.json`` of a word folder (calibration, sources), or ``{}``."""
    p = folder / SET_FILE
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_set_info(folder: Path, info: dict[str, Any]) -> Path:
    from ..io import atomic_write

    text = json.dumps(info, indent=1, sort_keys=True)
    return atomic_write(folder / SET_FILE, lambda tmp: Path(tmp).write_text(text + "\n"))


def add_references(word: str, files: Sequence[str | os.PathLike]) -> list[Path]:
    """Copy a user's recordings of ``word`` into the user references folder.

    Each file is checked (decodable audio, not silent, at most 5 s) before anything is
    copied, so a bad file leaves the folder as it was. Returns the new paths.
    """
    from .. import audio

    w = check_word(word)
    if not files:
        raise ReferenceSetError("no files given to add")
    for f in files:
        y, sr = audio.load(f, max_duration_s=5.0)  # raises AudioError naming the file
        del y, sr
    dest = user_dir() / w
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        src = Path(f)
        stem = re.sub(r"[^\w\-]+", "_", src.stem)[:60] or "clip"
        target = dest / f"{stem}{src.suffix.lower()}"
        n = 1
        while target.exists():
            target = dest / f"{stem}_{n}{src.suffix.lower()}"
            n += 1
        tmp = dest / f".{target.name}.tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        out.append(target)
    # The calibration no longer matches the set: recomputed on next use.
    (dest / SET_FILE).unlink(missing_ok=True)
    (dest / FRAMES_FILE).unlink(missing_ok=True)
    return out
