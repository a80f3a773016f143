"""Checkpoints: weights + configs + labels + meta + format version, written atomically.

One reader and one writer for every network SPACE ships (:func:`write`, :func:`read`): the
recogniser (format ``space-checkpoint``, :func:`save`/:func:`load` here) and the frame
encoder of pronunciation scoring (``space-frame-encoder``,
:func:`space.recognize.frame_model.save_encoder`/``load_encoder``) and the phone encoder
(``space-phone-encoder``, :func:`space.pronounce.evidence.phone_model.save_phone_model`/
``load_phone_model``) and the connected-digits frame model (``space-sequence-model``,
:class:`space.recognize.sequence.model.SequenceModel`). A file names its format and version; a
reader refuses a newer version instead of misreading it.

Damage is caught on load, not as NaN scores later: a checkpoint stores a SHA-256 of its
weights (``weights_sha256``, written since SPACE 0.x; :func:`weights_digest`) and
:func:`read` recomputes it; every loader also runs the rebuilt network on a fixed probe
input and refuses non-finite outputs (:func:`require_finite`), which is all the check an
older checkpoint without a checksum gets. Both refuse with one :class:`ModelError` line.
"""

from __future__ import annotations

import hashlib
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
from .meta import TrainingMeta
from .words.model import SpaceModel

FORMAT = "space-checkpoint"
# Version of each format this code reads and writes; bump it when the payload changes.
FORMAT_VERSIONS = {FORMAT: 1, "space-frame-encoder": 1, "space-phone-encoder": 1,
                   "space-sequence-model": 1}


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 (hex) of a state dict: every tensor's name, dtype, shape and bytes, by name."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def require_finite(path: str | os.PathLike, out: Any, what: str = "model") -> None:
    """Raise :class:`ModelError` unless every tensor in ``out`` (a probe's output: a tensor
    or a tuple of them) is finite: damaged weights give NaN or infinity."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    if not all(bool(torch.isfinite(o).all()) for o in outs):
        raise ModelError(f"{path}: the {what}'s weights are damaged (it computes NaN or "
                         "infinity); restore the file or train it again")


def probe_wave(sample_rate: int, seconds: float = 1.0) -> torch.Tensor:
    """A fixed input for :func:`require_finite`: ``[shape=(1, n)]`` low noise and a tone."""
    g = torch.Generator().manual_seed(0)
    t = torch.arange(int(seconds * sample_rate)) / sample_rate
    y = 0.3 * torch.sin(2 * torch.pi * 300 * t) + 0.01 * torch.randn(len(t), generator=g)
    return y[None].float()


def write(path: str | os.PathLike, *, format: str, configs: dict[str, Any], labels: list[str],
          module: torch.nn.Module, meta: dict[str, Any] | None = None,
          train_state: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically (temp file in the same folder, then rename).

    ``configs`` maps payload keys (``"feature_config"``, ...) to config dataclasses, stored
    as plain dicts so the network can be rebuilt from the file alone.
    """
    state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    payload = {
        "format": format,
        "format_version": FORMAT_VERSIONS[format],
        "space_version": __version__,
        **{key: to_dict(cfg) for key, cfg in configs.items()},
        "labels": list(labels),
        "meta": dict(meta or {}),
        "state_dict": state,
        "weights_sha256": weights_digest(state),
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
        Missing, a folder, unreadable, another format, a newer format version, or weights
        that do not match their stored checksum. The message names ``path`` and calls the
        file a ``what``.
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
    digest, state = payload.get("weights_sha256"), payload.get("state_dict")
    if digest is not None and (not isinstance(state, dict) or weights_digest(state) != digest):
        raise ModelError(f"{path}: the {what}'s weights are damaged (they do not match the "
                         "checksum stored with them); restore the file or train it again")
    return payload


@dataclass
class Checkpoint:
    """Everything needed to rebuild, use or resume a model."""

    model: SpaceModel
    labels: list[str]
    meta: TrainingMeta = field(default_factory=TrainingMeta)  # how it was trained
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
                 labels=ckpt.labels, module=ckpt.model, meta=ckpt.meta.to_dict(),
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
    with torch.no_grad():
        require_finite(path, model(probe_wave(fcfg.sample_rate)))
    return Checkpoint(model, labels, TrainingMeta.from_dict(payload.get("meta")),
                      payload.get("train_state"))
