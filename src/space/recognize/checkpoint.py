"""Checkpoints: weights + configs + labels + meta + format version, written atomically.

One reader and one writer for every network SPACE ships (:func:`write`, :func:`read`): the
recogniser (format ``space-checkpoint``, :func:`save`/:func:`load` here) and the frame
encoder of pronunciation scoring (``space-frame-encoder``,
:func:`space.recognize.frame_model.save_encoder`/``load_encoder``) and the phone encoder
(``space-phone-encoder``, :func:`space.pronounce.phone_encoder.save_phone_model`/
``load_phone_model``) and the connected-digits frame model (``space-sequence-model``,
:class:`space.recognize.sequence.model.SequenceModel`). A file names its format and version; a
reader refuses a newer version instead of misreading it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .._version import __version__
from ..audio.features import LogMel
from ..config import FeatureConfig, ModelConfig, from_dict, to_dict
from ..errors import ModelError, OutputError, UsageError
from ..io import atomic_write
from .words.model import SpaceModel

FORMAT = "space-checkpoint"
# Version of each format this code reads and writes; bump it when the payload changes.
FORMAT_VERSIONS = {FORMAT: 1, "space-frame-encoder": 1, "space-phone-encoder": 1,
                   "space-sequence-model": 1}


def write(path: str | os.PathLike, *, format: str, configs: dict[str, Any], labels: list[str],
          module: torch.nn.Module, meta: dict[str, Any] | None = None,
          train_state: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically (temp file in the same folder, then rename).

    ``configs`` maps payload keys (``"feature_config"``, ...) to config dataclasses, stored
    as plain dicts so the network can be rebuilt from the file alone.
    """
    payload = {
        "format": format,
        "format_version": FORMAT_VERSIONS[format],
        "space_version": __version__,
        **{key: to_dict(cfg) for key, cfg in configs.items()},
        "labels": list(labels),
        "meta": dict(meta or {}),
        "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        "train_state": train_state,
    }

    def save_payload(tmp: str) -> None:
        try:
            torch.save(payload, tmp)
        except RuntimeError as e:  # torch's zip writer reports a failed write (disk full) so
            raise OutputError(f"cannot write {path}: {str(e).splitlines()[0]}; nothing was "
                              "written") from None

    return atomic_write(path, save_payload)


def read(path: str | os.PathLike, *, format: str, what: str = "model") -> dict[str, Any]:
    """Read the payload of a checkpoint of ``format``, checking it is one this code reads.

    Raises
    ------
    ModelError
        Missing, a folder, unreadable, another format, or a newer format version. The
        message names ``path`` and calls the file a ``what``.
    """
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{path}: is a folder, not a {what} file (give the .pt checkpoint)")
    if not path.is_file():
        raise ModelError(f"{path}: {what} file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises many types for a damaged file; its text helps no user
        raise ModelError(
            f"{path}: not a readable SPACE checkpoint (not a PyTorch file, or damaged)") from None
    if not isinstance(payload, dict) or payload.get("format") != format:
        raise ModelError(f"{path}: not a SPACE {what} checkpoint")
    version = payload.get("format_version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSIONS[format]:
        raise ModelError(
            f"{path}: written by a newer SPACE ({payload.get('space_version')}); upgrade space")
    return payload


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
    """Write a recogniser checkpoint atomically (:func:`write`)."""
    return write(path, format=FORMAT,
                 configs={"feature_config": ckpt.feature_cfg, "model_config": ckpt.model_cfg},
                 labels=ckpt.labels, module=ckpt.model, meta=ckpt.meta,
                 train_state=ckpt.train_state if with_train_state else None)


def load(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save`.

    Raises
    ------
    ModelError
        Missing, unreadable, not a SPACE checkpoint, or inconsistent weights.
    """
    payload = read(path, format=FORMAT)
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
