"""The models shipped inside the package, and names -> checkpoint files.

Free of torch on purpose: a cold ``space predict`` finds its checkpoint (and the ONNX graph
cached beside it) before deciding whether PyTorch is needed at all.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ..errors import ModelError

BUNDLED = ("digits", "commands")


def bundled_model_path(name: str) -> Path:
    """Path of a model shipped inside the package (``digits``, ``commands``)."""
    ref = resources.files("space") / "models" / f"{name}.pt"
    path = Path(str(ref))
    if not path.is_file():
        raise ModelError(
            f"bundled model {name!r} is not installed (run `make models` to train it)"
        )
    return path


def resolve_model(name_or_path: str | os.PathLike) -> Path:
    """A bundled model name or a checkpoint path -> a checkpoint path.

    A bare bundled name (``"digits"``, ``"commands"``) always means the bundled model, even
    when a file or folder of that name sits in the working directory (a data folder called
    ``digits`` must not hide the model). Anything that looks like a path (a separator or a
    suffix: ``./digits``, ``digits.pt``) is a path; a ``PathLike`` is always a path.
    """
    s = str(name_or_path)
    if isinstance(name_or_path, str) and s in BUNDLED:
        return bundled_model_path(s)
    path = Path(s).expanduser()
    if not path.exists():
        raise ModelError(
            f"{s}: no such model file (bundled models: {', '.join(BUNDLED)})"
        )
    if path.is_dir():
        raise ModelError(f"{s}: is a folder, not a model file (bundled models: "
                         f"{', '.join(BUNDLED)}; a checkpoint is a .pt file)")
    return path
