"""The word recogniser's training task (``src/space/models/commands.pt``, ``digits.pt``):
``space train``. One label per window, cross-entropy, run by the one loop (:func:`.loop.fit`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ..config import FeatureConfig, ModelConfig, TrainConfig
from ..data import Augmenter, ClipDataset, Example
from ..data.readers import UNKNOWN
from ..errors import UsageError
from ..recognize import checkpoint as ckpt_io
from ..recognize.meta import TrainingMeta
from ..recognize.words.model import SpaceModel
from .loop import Masks, Task, fit, portable_path


def classifier_task(train_examples: list[Example], val_examples: list[Example],
                    labels: list[str], feature_cfg: FeatureConfig, model_cfg: ModelConfig,
                    train_cfg: TrainConfig) -> Task:
    """The recogniser (:class:`SpaceModel`): one label per window, cross-entropy, validation
    accuracy through :meth:`Recognizer.probabilities` (the batch inference of prediction)."""
    from ..recognize.words.recognizer import Recognizer

    augmenter = Augmenter(train_cfg.augment, feature_cfg.sample_rate)
    train_ds = ClipDataset(train_examples, labels, feature_cfg, augmenter=augmenter,
                           copies=train_cfg.copies, seed=train_cfg.seed)
    val_ds = ClipDataset(val_examples, labels, feature_cfg) if val_examples else None
    model = SpaceModel(feature_cfg, model_cfg)
    weight = class_weights([e.label for e in train_examples], labels, train_cfg.unknown_share)

    def loss(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, masks: Masks) -> torch.Tensor:
        return F.cross_entropy(net(x, feature_hook=masks), y, weight=weight,
                               label_smoothing=train_cfg.label_smoothing)

    def validate(net: torch.nn.Module) -> float:
        assert val_ds is not None
        # validation runs the module being trained as it is (no export per epoch)
        rec = Recognizer(ckpt_io.Checkpoint(net, labels), engine="torch")  # type: ignore[arg-type]
        windows = (w for x, _ in DataLoader(val_ds, batch_size=256) for w in x.numpy())
        probs = rec.probabilities(windows, batch_size=256)
        return float(np.mean(probs.argmax(1) == np.array(val_ds.targets)))

    def save(path: Path, meta: dict[str, Any], state: dict[str, Any] | None) -> Path:
        return ckpt_io.save(ckpt_io.Checkpoint(model, labels, TrainingMeta.from_dict(meta), state),
                            path)

    return Task(model, list(labels), train_ds, loss, save, ckpt_io.FORMAT,
                validate if val_ds is not None else None)


def class_weights(targets: list[str], labels: list[str],
                  unknown_share: float | None) -> torch.Tensor | None:
    """Per-class loss weights that give ``_unknown_`` examples ``unknown_share`` of the
    training examples' total weight (every other example weighs 1); None where no share is
    set or the model has no ``_unknown_`` class.

    >>> class_weights(["a", "a", "a", "_unknown_"], ["a", "_unknown_"], 0.5).tolist()
    [1.0, 3.0]
    """
    if unknown_share is None or UNKNOWN not in labels:
        return None
    n_unknown = sum(t == UNKNOWN for t in targets)
    if n_unknown == 0:
        return None
    rest = len(targets) - n_unknown
    w = torch.ones(len(labels))
    w[labels.index(UNKNOWN)] = unknown_share * rest / ((1 - unknown_share) * n_unknown)
    return w


def train(
    train_examples: list[Example],
    val_examples: list[Example],
    labels: list[str],
    out: str | os.PathLike,
    *,
    feature_cfg: FeatureConfig = FeatureConfig(),
    model_cfg: ModelConfig | None = None,
    train_cfg: TrainConfig = TrainConfig(),
    resume: str | os.PathLike | None = None,
    meta: dict | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    init: str | os.PathLike | None = None,
) -> ckpt_io.Checkpoint:
    """Train a recogniser with :func:`fit`; the best (by validation accuracy) goes to ``out``.

    ``init``: a checkpoint of the same network, labels and features whose weights the run
    starts from (a fine-tune) instead of seeded random ones.

    Returns the best checkpoint (on rank 0; the last state elsewhere).
    """
    model_cfg = model_cfg or ModelConfig(n_classes=len(labels))
    if model_cfg.n_classes != len(labels):
        raise UsageError(f"model has {model_cfg.n_classes} classes, data has {len(labels)}")
    tasks: list[Task] = []

    start = None if init is None else ckpt_io.load(init)
    if start is not None and (start.labels != list(labels) or start.feature_cfg != feature_cfg
                              or start.model_cfg != model_cfg):
        raise UsageError(f"{init}: another network, label list or front end than this run's: "
                         "cannot start from it")

    def make_task() -> Task:
        tasks.append(classifier_task(train_examples, val_examples, labels, feature_cfg,
                                     model_cfg, train_cfg))
        if start is not None:
            tasks[-1].model.load_state_dict(start.model.state_dict())
        return tasks[-1]

    meta = {**(meta or {}), "n_train": len(train_examples), "n_val": len(val_examples),
            **({"init": portable_path(init)} if init is not None else {})}
    done = fit(make_task, train_cfg, out, resume=resume, meta=meta, progress=progress, log=log)
    if done is not None:
        return ckpt_io.load(out)
    return ckpt_io.Checkpoint(tasks[-1].model, labels, TrainingMeta.from_dict(meta),  # type: ignore[arg-type]
                              None)
