"""Files out and audio files in: output checks, atomic writes, JSON and PNG saving, one
audio-extension set.

Everything SPACE writes (checkpoints, exported models, reference sets, JSON reports,
pictures) goes through :func:`atomic_write`, so a reader never sees half a file and an
interrupted write leaves the old file as it was. Every face that writes a file (``train
--out``, ``export --out``, ``score --plot``, ``evaluate --plot``/``--det``, ``references
build --out``) calls :func:`check_output_path` first, so a run never trains for an hour and
then dies on a path it could have refused at once; :func:`write_error` turns an ``OSError``
raised while writing into one line a user can act on (disk full, read-only folder).
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import OutputError

# The audio files SPACE looks for in folders (data sets, references, `space predict DIR`).
# libsndfile decodes all of them (MP3 since libsndfile 1.1).
AUDIO_EXTS = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif"})
PNG_DPI = 90  # feedback and report pictures: 990 x 560 px for an 11 x 6.2 in figure


def is_audio_file(path: str | os.PathLike) -> bool:
    """True for a visible file whose extension is one of :data:`AUDIO_EXTS`."""
    p = Path(path)
    return p.suffix.lower() in AUDIO_EXTS and not p.name.startswith(".")


def audio_files(folder: str | os.PathLike, *, recursive: bool = False) -> list[Path]:
    """The audio files in a folder (sorted; hidden files left out)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    found = root.rglob("*") if recursive else root.iterdir()
    return sorted(p for p in found if p.is_file() and is_audio_file(p))


def expand_inputs(items: Sequence[str | os.PathLike]) -> list[Path]:
    """Files as given, folders expanded to the audio files anywhere inside them (sorted)."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        out.extend(audio_files(p, recursive=True) if p.is_dir() else [p])
    return out


def safe_stem(name: str, *, limit: int = 60) -> str:
    """A file-name stem safe to create anywhere: letters, digits, ``_`` and ``-`` only (no
    separators, no dots), at most ``limit`` characters; ``"clip"`` if nothing is left."""
    stem = re.sub(r"[^\w\-]+", "_", Path(name).stem)[:limit].strip("_")
    return stem or "clip"


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any]) -> Path:
    """Call ``write(tmp_path)`` then rename onto ``path``: readers never see a half file.

    The temporary file lives in the target folder (a rename across file systems is not
    atomic) and is removed if ``write`` fails, whatever it raises; an ``OSError`` (disk
    full, read-only folder) becomes one :class:`~space.errors.OutputError` line.
    """
    path = Path(path)
    try:
        # Internal writers (reference sets) create their word folders; the faces refuse a
        # missing parent folder before the work starts (check_output_path).
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise write_error(path, e) from None
    os.close(fd)
    # mkstemp makes the file private (0600); give it the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise write_error(path, e) from None
        raise
    return path


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


def save_json(obj: Any, path: str | os.PathLike, *, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON (UTF-8, newline-terminated) atomically."""
    text = json.dumps(obj, indent=indent, sort_keys=False) + "\n"
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def new_figure(figsize: tuple[float, float]) -> Any:
    """A matplotlib figure with its own Agg canvas and no pyplot state, so several threads
    can draw at once (pyplot's figure registry is global and not thread-safe)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Any, *, dpi: int = PNG_DPI) -> bytes:
    """A figure as PNG bytes. Light compression: zlib level 6 takes about as long as
    drawing the figure, and a feedback picture is shown once."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def save_png(fig: Any, path: str | os.PathLike, *, dpi: int = PNG_DPI) -> Path:
    """Write a figure as PNG atomically (same settings as :func:`png_bytes`)."""
    return atomic_write(path, lambda tmp: fig.savefig(
        tmp, format="png", dpi=dpi, pil_kwargs={"compress_level": 1}))
