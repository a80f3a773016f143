"""Files out and audio files in: atomic writes, JSON and PNG saving, one audio-extension set.

Everything SPACE writes (checkpoints, exported models, reference sets, JSON reports,
pictures) goes through :func:`atomic_write`, so a reader never sees half a file and an
interrupted write leaves the old file as it was.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    atomic) and is removed if ``write`` fails, whatever it raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); give it the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
    """Write a figure as PNG atomically."""
    data = png_bytes(fig, dpi=dpi)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
