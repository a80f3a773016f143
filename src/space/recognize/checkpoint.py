"""Checkpoints: weights + feature/model config + labels + package version, written atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .._version import __version__
from ..audio.features import LogMel
from ..config import FeatureConfig, ModelConfig, from_dict, to_dict
from ..errors import ModelError, UsageError
from ..io import atomic_write
from .model import SpaceModel

FORMAT = "space-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """Everything needed to rebuild, use or resume a model."""

    model: SpaceModel
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)  # train config, metrics, data info
    train_state: dict[str, Any] | None = None  # optimizer/scheduler/epoch, for resuming

    @property
    def feature_cfg(self) -> FeatureConfig:
        return self.model.feature_cfg

    @property
    def model_cfg(self) -> ModelConfig:
        return self.model.model_cfg


def save(ckpt: Checkpoint, path: str | os.PathLike, *, with_train_state: bool = True) -> Path:
    """Write a checkpoint atomically (temp file in the same folder, then rename)."""
    state = {k: v.detach().cpu() for k, v in ckpt.model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "space_version": __version__,
        "feature_config": to_dict(ckpt.feature_cfg),
        "model_config": to_dict(ckpt.model_cfg),
        "labels": list(ckpt.labels),
        "meta": ckpt.meta,
        "state_dict": state,
        "train_state": ckpt.train_state if with_train_state else None,
    }
    def write(tmp: str) -> None:
        try:
            torch.save(payload, tmp)
        except RuntimeError as e:  # torch's zip writer reports a failed write (disk full) so
            from ..errors import OutputError

            raise OutputError(f"cannot write {path}: {str(e).splitlines()[0]}; nothing was "
                              "written") from None

    return atomic_write(path, write)


def load(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save`.

    Raises
    ------
    ModelError
        Missing, unreadable, not a SPACE checkpoint, or inconsistent weights.
    """
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{path}: is a folder, not a model file (give the .pt checkpoint)")
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises many types for a damaged file; its text helps no user
        raise ModelError(
            f"{path}: not a readable SPACE checkpoint (not a PyTorch file, or damaged)") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path}: not a SPACE checkpoint")
    version = payload.get("format_version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelError(
            f"{path}: written by a newer SPACE ({payload.get('space_version')}); upgrade space"
        )
    try:
        fcfg = from_dict(FeatureConfig, payload["feature_config"])
        mcfg = from_dict(ModelConfig, payload["model_config"])
        labels = [str(x) for x in payload["labels"]]
        if len(labels) != mcfg.n_classes:
            raise ModelError(f"{path}: {len(labels)} labels for {mcfg.n_classes} classes")
        state = payload["state_dict"]
        model = SpaceModel(fcfg, mcfg, frontend=LogMel(fcfg, mel=state["frontend.mel"]))
        model.load_state_dict(state)
    except (KeyError, UsageError, RuntimeError, TypeError, ValueError, AttributeError,
            IndexError) as e:  # whatever a damaged payload makes the rebuild trip over
        raise ModelError(f"{path}: checkpoint is damaged or incompatible ({e})") from None
    model.eval()
    return Checkpoint(model, labels, payload.get("meta") or {}, payload.get("train_state"))
