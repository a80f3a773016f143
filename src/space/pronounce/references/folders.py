"""The reference folders, bundled and the user's: which words have clips, where, removing them.

Layout of a references folder (bundled: ``space/references``; the user's:
``$SPACE_REFERENCES_DIR`` or ``~/.local/share/space/references``)::

    <word>/<clip>.flac|.wav ...   the references
    <word>/set.json               calibration anchors and where the clips came from
    <word>/frames.npz             the clips' DTW frames (bundled sets; for calibration)

A word the user has references for uses only those (a teacher's recordings replace the
bundled voices); other words use the bundled set. Removing a word's user references
(:func:`remove_references`) brings its bundled set back.

Every function that reads or writes the user's folder takes ``references_dir`` (default:
:func:`user_dir`); the CLI's ``--references-dir`` and ``create_app(references_dir=...)``
pass it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ReferenceSetError, UnknownWordError, UsageError
from ...io import audio_files

SET_FILE = "set.json"
FRAMES_FILE = "frames.npz"  # the clips' DTW frames (space.pronounce.references.sets.write_frames_cache)
# Spoken forms of the bundled digit words (FSDD labels them 0-9).
ALIASES = {name: str(i) for i, name in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}
DIGIT_NAMES = {d: name for name, d in ALIASES.items()}  # "7" -> "seven"
# Letters (any script), digits, and inner - _ ' ; no path separators, no leading dot.
_WORD = re.compile(r"^[^\W_](?:[\w'\-]{0,38}[^\W_])?$")


def bundled_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("space") / "references"))


def user_dir(references_dir: str | os.PathLike | None = None) -> Path:
    """The user's references folder: ``references_dir`` when given, else
    ``$SPACE_REFERENCES_DIR`` or ``~/.local/share/space/references`` (``$XDG_DATA_HOME`` is
    honoured)."""
    if references_dir is not None and str(references_dir) != "":
        return Path(references_dir).expanduser()
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


def clip_paths(folder: Path) -> list[Path]:
    return audio_files(folder)


def _word_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if d.is_dir() and clip_paths(d) and _WORD.match(d.name))


def list_words(references_dir: str | os.PathLike | None = None) -> list[str]:
    """Every word with references: bundled and the user's, sorted."""
    roots = (bundled_dir(), user_dir(references_dir))
    return sorted({d.name for root in roots for d in _word_dirs(root)},
                  key=lambda w: (not w.isdigit(), w))


def word_dir(word: str, references_dir: str | os.PathLike | None = None) -> Path:
    """The folder whose references score ``word``: the user's if it has clips, else bundled.

    Raises :class:`~space.errors.UnknownWordError` for a word with no references.
    """
    w = check_word(word)
    for root in (user_dir(references_dir), bundled_dir()):
        if clip_paths(root / w):
            return root / w
    hint = known_words_hint(list_words(references_dir))
    raise UnknownWordError(
        f"no references for word {word!r} (known words: {hint}); record the word "
        f"and add the recordings first (`space references add {w} FILE...`)"
    )


def known_words_hint(words: list[str], *, limit: int = 40) -> str:
    """Words for a message, the digits with their spoken names (``--word seven`` works
    too): ``"0-9 (or zero-nine), backward, bed, ..."``; ``"none"`` for none."""
    digits = [w for w in words if w in DIGIT_NAMES]
    if len(digits) == len(DIGIT_NAMES):
        shown = ["0-9 (or zero-nine)"]
    else:
        shown = [f"{w} ({DIGIT_NAMES[w]})" for w in digits]
    shown += [w for w in words if w not in DIGIT_NAMES]
    return ", ".join(shown[:limit]) + (" ..." if len(shown) > limit else "") or "none"


def reference_paths(word: str, references_dir: str | os.PathLike | None = None) -> list[Path]:
    """The reference recordings that score ``word``."""
    return clip_paths(word_dir(word, references_dir))


@dataclass(frozen=True)
class WordSource:
    """Where a word's references come from (``space references list``)."""

    word: str
    source: str  # "user" or "bundled"
    folder: Path
    clips: list[str]
    hides_bundled: bool = False  # a user set that replaces a bundled one


def word_sources(references_dir: str | os.PathLike | None = None) -> list[WordSource]:
    """Every word, the set that scores it, and whether a user set replaces a bundled one."""
    user = user_dir(references_dir)
    out = []
    for w in list_words(references_dir):
        try:
            folder = word_dir(w, references_dir)
        except ReferenceSetError:  # its clips were removed a moment ago
            continue
        mine = folder.parent == user
        out.append(WordSource(w, "user" if mine else "bundled", folder,
                              [p.name for p in clip_paths(folder)],
                              mine and bool(clip_paths(bundled_dir() / w))))
    return out


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
    from ...io import atomic_write

    text = json.dumps(info, indent=1, sort_keys=True)
    return atomic_write(folder / SET_FILE, lambda tmp: Path(tmp).write_text(text + "\n"))


_LOCK = threading.Lock()  # threads of one server


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """One writer at a time per references folder: threads and processes (flock)."""
    try:
        # the user's data folder (~/.local/share/space/references) is ours to create
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        from ...io import write_error

        raise write_error(root, e) from None
    with _LOCK:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: threads only
            yield
            return
        try:  # the first write into the folder: a read-only one fails here
            fh = open(root / ".lock", "a+b")  # noqa: SIM115 (closed by the with below)
        except OSError as e:
            from ...io import write_error

            raise write_error(root, e) from None
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def remove_references(word: str, clips: list[str] | None = None, *,
                      references_dir: str | os.PathLike | None = None) -> list[str]:
    """Remove the user's references of ``word``: the named ``clips`` (file names, with or
    without the extension), or all of them. Once a word has no user clips left its
    bundled set (if any) scores it again. Bundled references are never removed.

    Returns the removed clip names.

    Raises
    ------
    ReferenceSetError
        The word has no user references, or a named clip is not among them.
    """
    w = check_word(word)
    root = user_dir(references_dir)
    dest = root / w
    present = clip_paths(dest)
    if not present:
        bundled = " (its bundled set cannot be removed)" if clip_paths(bundled_dir() / w) else ""
        raise ReferenceSetError(f"word {w!r} has no references of yours in {root}{bundled}")
    if clips:
        by_name = {p.name: p for p in present} | {p.stem: p for p in present}
        missing = [c for c in clips if c not in by_name]
        if missing:
            raise ReferenceSetError(f"word {w!r} has no clip named {', '.join(missing)} (its "
                                 f"clips: {', '.join(p.name for p in present)})")
        chosen = list(dict.fromkeys(by_name[c] for c in clips))
    else:
        chosen = present
    with locked(root):
        for p in chosen:
            p.unlink(missing_ok=True)
        (dest / SET_FILE).unlink(missing_ok=True)
        (dest / FRAMES_FILE).unlink(missing_ok=True)
        if not clip_paths(dest):
            remove_empty(dest)
    return [p.name for p in chosen]


def remove_empty(folder: Path) -> None:
    """Remove a word folder that holds no clips (only leftovers of ours)."""
    for p in folder.iterdir() if folder.is_dir() else []:
        if p.name in (SET_FILE, FRAMES_FILE) or (p.name.startswith(".") and
                                                   p.name.endswith(".tmp")):
            p.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # something else of the user's is in it: leave it
