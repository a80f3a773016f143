"""Adding a user's recordings to a word's references: each checked first (the one check of
a new reference, :func:`.sets.check_new_reference`), then copied in under the folder's lock
(:mod:`.folders`), duplicates (same content) skipped."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ReferenceSetError
from ...io import AUDIO_EXTS, safe_stem
from .folders import FRAMES_FILE, SET_FILE, check_word, clip_paths, locked, remove_empty, user_dir


@dataclass
class AddResult:
    """What :func:`add_reference_clips` did."""

    word: str
    folder: Path
    added: list[Path] = field(default_factory=list)
    # (file given, the clip already in the set with the same content)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def add_reference_clips(word: str, files: Sequence[str | os.PathLike], *,
                        references_dir: str | os.PathLike | None = None,
                        max_duration_s: float = 5.0) -> AddResult:  # REFERENCE_MAX_S
    """Copy a user's recordings of ``word`` into the user references folder.

    Each file is checked first (:func:`space.pronounce.references.sets.check_new_reference`:
    decodable audio, at most ``max_duration_s``, speech in it, one word's length), so a
    bad file leaves the folder as it was. A file whose content (SHA-256) is already in
    the set, or given twice, is not copied again: it is listed in ``duplicates``. Copies go
    through a hidden temporary file and a rename, under a lock, so concurrent adds never
    leave a partial file or the same recording twice.
    """
    from ...io import check_output_path
    from .sets import check_new_reference  # torch: loaded on first add

    w = check_word(word)
    if not files:
        raise ReferenceSetError("no files given to add")
    if len(files) > 100:
        raise ReferenceSetError(f"{len(files)} files at once; add at most 100")
    for f in files:
        # the one check of a new reference (raises AudioError naming the file)
        check_new_reference(w, f, references_dir=references_dir, max_duration_s=max_duration_s)
    root = user_dir(references_dir)
    if root.exists() and not root.is_dir():
        check_output_path(root, what="references folder", folder=True)  # says what is wrong
    dest = root / w
    result = AddResult(w, dest)
    with locked(root):
        dest.mkdir(parents=True, exist_ok=True)
        have = {_digest(p): p.name for p in clip_paths(dest)}
        for f in files:
            src = Path(f)
            digest = _digest(src)
            if digest in have:
                result.duplicates.append((str(f), have[digest]))
                continue
            stem = safe_stem(src.name)
            suffix = src.suffix.lower() if src.suffix.lower() in AUDIO_EXTS else ".wav"
            target = dest / f"{stem}{suffix}"
            n = 1
            while target.exists():
                target = dest / f"{stem}_{n}{suffix}"
                n += 1
            tmp = dest / f".{target.name}.tmp"
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, target)
            except OSError as e:
                from ...io import write_error

                tmp.unlink(missing_ok=True)
                raise write_error(target, e) from None
            have[digest] = target.name
            result.added.append(target)
        if result.added:
            # The calibration no longer matches the set: recomputed on next use.
            (dest / SET_FILE).unlink(missing_ok=True)
            (dest / FRAMES_FILE).unlink(missing_ok=True)
        elif not clip_paths(dest):
            remove_empty(dest)
    return result


def add_references(word: str, files: list[str | os.PathLike], *,
                   references_dir: str | os.PathLike | None = None) -> list[Path]:
    """Copy a user's recordings of ``word`` into the user references folder; the new paths.

    See :func:`add_reference_clips` (which also says which files were duplicates)."""
    return add_reference_clips(word, files, references_dir=references_dir).added
