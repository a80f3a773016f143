"""Output paths: checked before any work starts, written atomically, failures explained.

Every face that writes a file (``train --out``, ``export --out``, ``score --plot``,
``evaluate --plot``/``--det``, ``references build --out``) calls :func:`check_output_path`
first, so a run never trains for an hour and then dies on a path it could have refused
at once; :func:`write_error` turns an ``OSError`` raised while writing into one line a
user can act on (disk full, read-only folder), after the temporary file is removed.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .errors import SpaceError


class OutputError(SpaceError, OSError):
    """An output file or folder cannot be written (missing parent, folder, read-only, full).

    Also an ``OSError``, so code that already tolerates a failed optional write (a cache
    in a read-only folder) keeps doing so."""


def check_output_path(path: str | os.PathLike, *, what: str = "output file",
                      folder: bool = False) -> Path:
    """Refuse an output path that cannot be written, before the work that produces it.

    Parameters
    ----------
    path : str or path
        The file (or, with ``folder=True``, the folder) to write.
    what : str
        How to call it in messages (``"--out"``, ``"--plot"``...).
    folder : bool
        The output is a folder (created if missing; its parent must exist).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        Empty path; a file path that is an existing folder (or a folder path that is a
        file); a missing parent folder (never created silently: a typo would scatter
        files); a parent or existing file that this user may not write.
    """
    if path is None or str(path).strip() == "":
        raise OutputError(f"{what}: no path given")
    p = Path(path).expanduser()
    if folder:
        if p.exists() and not p.is_dir():
            raise OutputError(f"{what} {p}: exists and is not a folder")
        if p.is_dir():
            if not os.access(p, os.W_OK | os.X_OK):
                raise OutputError(f"{what} {p}: folder is not writable (permission denied)")
            return p
    elif p.is_dir():
        raise OutputError(f"{what} {p}: is a folder; give the file to write inside it "
                          f"(e.g. {p / ('model.pt' if what == '--out' else 'out.png')})")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        kind = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(f"{what} {p}: the folder {parent} {kind} (create it first)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {p}: the folder {parent} is not writable (permission denied)")
    if not folder and p.exists() and not os.access(p, os.W_OK):
        # atomic writes replace the file by rename, which the folder allows; still, a
        # read-only file is usually someone's way of saying "keep this".
        raise OutputError(f"{what} {p}: the file exists and is read-only")
    return p


def write_error(path: str | os.PathLike, e: OSError) -> OutputError:
    """The :class:`OutputError` for an ``OSError`` raised while writing ``path``."""
    if e.errno == errno.ENOSPC:
        why = "no space left on the device (disk full)"
    elif e.errno == errno.EDQUOT:
        why = "disk quota exceeded"
    elif e.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif e.errno == errno.EROFS:
        why = "the file system is read-only"
    elif e.errno == errno.EISDIR:
        why = "it is a folder"
    elif e.errno == errno.ENOENT:
        why = "its folder does not exist"
    else:
        why = e.strerror or str(e)
    return OutputError(f"cannot write {path}: {why}; nothing was written")
