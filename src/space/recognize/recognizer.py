"""Prediction with a loaded model: files, arrays and batches."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import audio
from ..display import PredictionDisplay
from ..errors import ModelError, SpaceError
from .checkpoint import Checkpoint
from .checkpoint import load as load_checkpoint

BUNDLED = ("digits", "commands")


@dataclass(frozen=True)
class Prediction(PredictionDisplay):
    """The model's answer for one clip (in Jupyter it shows itself: :mod:`space.display`)."""

    label: str
    probability: float
    top_k: list[tuple[str, float]]
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["top_k"] = [{"label": lab, "probability": p} for lab, p in self.top_k]
        return d


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
    """A bundled model name or a checkpoint path -> a checkpoint path."""
    s = str(name_or_path)
    if s in BUNDLED and not Path(s).exists():
        return bundled_model_path(s)
    path = Path(s)
    if not path.exists():
        raise ModelError(
            f"{s}: no such model file (bundled models: {', '.join(BUNDLED)})"
        )
    return path


class Recognizer:
    """A model ready to predict. Use :func:`load_model` to get one."""

    def __init__(self, ckpt: Checkpoint, *, name: str | None = None) -> None:
        self.ckpt = ckpt
        self.model = ckpt.model.eval()
        self.labels = list(ckpt.labels)
        self.feature_cfg = ckpt.feature_cfg
        self.name = name

    def prepare(self, source: Any, *, sr: int | None = None, name: str | None = None) -> np.ndarray:
        """Path, bytes or array -> the fixed window this model sees [shape=(n_samples,)]."""
        if isinstance(source, np.ndarray):
            if sr is None:
                raise SpaceError("sr (the sample rate in Hz) is required with an array")
            return audio.prepare(audio.as_mono(source), int(sr), self.feature_cfg,
                                 name=name or "<array>")
        return audio.load_prepared(source, self.feature_cfg, name=name)

    @torch.no_grad()
    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """[shape=(b, n_samples)] prepared windows -> [shape=(b, n_classes)] probabilities."""
        logits = self.model(torch.as_tensor(np.asarray(windows, dtype=np.float32)))
        return torch.softmax(logits, dim=1).numpy()

    def _answer(self, probs: np.ndarray, top_k: int, source: str | None) -> Prediction:
        order = np.argsort(-probs)[: max(1, min(top_k, len(self.labels)))]
        top = [(self.labels[i], float(probs[i])) for i in order]
        return Prediction(top[0][0], top[0][1], top, source)

    def predict(
        self, source: Any, *, sr: int | None = None, top_k: int = 3, name: str | None = None
    ) -> Prediction:
        """Recognise one clip: a path, bytes/file object, or a mono array with ``sr``."""
        w = self.prepare(source, sr=sr, name=name)
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else None)
        return self._answer(self.probabilities(w[None])[0], top_k, label)

    def predict_many(
        self, sources: Iterable[Any], *, top_k: int = 3, batch_size: int = 64
    ) -> Iterator[Prediction | SpaceError]:
        """Recognise many files in batches. Yields a Prediction, or the SpaceError of a file
        that could not be used (so one bad file never stops the batch), in input order."""
        batch: list[tuple[str, np.ndarray | SpaceError]] = []

        def flush() -> Iterator[Prediction | SpaceError]:
            good = [w for _, w in batch if isinstance(w, np.ndarray)]
            probs = iter(self.probabilities(np.stack(good)) if good else [])
            for src, w in batch:
                yield w if isinstance(w, SpaceError) else self._answer(next(probs), top_k, src)
            batch.clear()

        for src in sources:
            try:
                item: np.ndarray | SpaceError = self.prepare(src)
            except SpaceError as e:
                item = e
            batch.append((str(src), item))
            if len(batch) >= batch_size:
                yield from flush()
        yield from flush()


def load_model(name_or_path: str | os.PathLike = "digits") -> Recognizer:
    """Load a bundled model (``"digits"``, ``"commands"``) or a checkpoint file."""
    path = resolve_model(name_or_path)
    return Recognizer(load_checkpoint(path), name=str(name_or_path))
