"""The frame encoder network, its checkpoint and the bundled one (``frames.pt``).

A small CNN over log-mels that pools along frequency only (so it keeps the front end's
10 ms frames): its penultimate layer is a frame embedding, its head per-frame class logits.
Pronunciation scoring runs it as the frame encoder of DTW (:mod:`space.pronounce.references.frames`),
the phone model is one (:mod:`space.pronounce.evidence.phone_model`), and so is the connected-words
model (:mod:`space.recognize.sequence.model`); it lives here, below all three users.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..config import EncoderConfig, FeatureConfig, from_dict
from ..errors import ModelError, UsageError

FORMAT = "space-frame-encoder"  # its version: space.recognize.checkpoint.FORMAT_VERSIONS
# FSDD's digits are 8 kHz recordings: a 4 kHz band lets a wide-band attempt be compared with
# them without energy the reference can never have (the same reason as the digits model).
DEFAULT_FEATURES = FeatureConfig(fmax=4000.0)
SILENCE = "_silence_"  # the encoder's label for frames outside speech


class FrameEncoder(nn.Module):
    """Log-mels ``[shape=(b, n_mels, t)]`` -> embeddings ``[shape=(b, dim, t)]`` and
    per-frame class logits ``[shape=(b, n_classes, t)]`` (training only)."""

    def __init__(self, cfg: EncoderConfig, n_mels: int) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c_in, mels = 1, n_mels
        for c in cfg.channels2d:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True), nn.MaxPool2d((2, 1))]
            c_in, mels = c, mels // 2
        self.conv2d = nn.Sequential(*layers)
        t_layers: list[nn.Module] = []
        c_in = c_in * mels
        for c, d in zip(cfg.channels1d, cfg.dilations, strict=True):
            pad = d * (cfg.kernel1d // 2)
            t_layers += [nn.Conv1d(c_in, c, cfg.kernel1d, padding=pad, dilation=d, bias=False),
                         nn.BatchNorm1d(c), nn.ReLU(inplace=True)]
            c_in = c
        self.conv1d = nn.Sequential(*t_layers)
        self.embed = nn.Conv1d(c_in, cfg.dim, 1)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Conv1d(cfg.dim, cfg.n_classes, 1)

    def embeddings(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.conv2d(feats[:, None])
        b, c, m, t = x.shape
        return self.embed(self.conv1d(x.reshape(b, c * m, t)))

    def forward(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.embeddings(feats)
        return e, self.head(self.dropout(torch.relu(e)))


@dataclass
class EncoderCheckpoint:
    encoder: FrameEncoder
    feature_cfg: FeatureConfig
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    sha1: str = ""  # of the file it was loaded from: names the features calibration used
    path: str = ""  # the file it was loaded from (its ONNX export is cached beside it)


def save_encoder(ck: EncoderCheckpoint, path: str | os.PathLike, *,
                 train_state: dict[str, Any] | None = None, format: str = FORMAT) -> Path:
    """Write an encoder checkpoint atomically (config, labels and weights in one file;
    ``train_state`` for resuming a training). ``format``: the checkpoint format of a
    network built as a :class:`FrameEncoder` (also the phone encoder's,
    :mod:`.phone_encoder`)."""
    from .checkpoint import write

    return write(path, format=format,
                 configs={"feature_config": ck.feature_cfg, "encoder_config": ck.encoder.cfg},
                 labels=ck.labels, module=ck.encoder, meta=ck.meta, train_state=train_state)


def load_encoder(path: str | os.PathLike, *, format: str = FORMAT,
                 what: str = "frame encoder") -> EncoderCheckpoint:
    """Read a checkpoint of ``format`` written by :func:`save_encoder`; ``what`` names the
    file in messages. Raises :class:`ModelError`."""
    from ..audio.features import LogMel
    from .checkpoint import probe_wave, read, require_finite

    payload = read(path, format=format, what=what)
    try:
        fcfg = from_dict(FeatureConfig, payload["feature_config"])
        ecfg = from_dict(EncoderConfig, payload["encoder_config"])
        enc = FrameEncoder(ecfg, fcfg.n_mels)
        enc.load_state_dict(payload["state_dict"])
    except (KeyError, UsageError, RuntimeError, TypeError) as e:
        raise ModelError(f"{path}: {what} is damaged or incompatible ({e})") from None
    enc.eval()
    with torch.no_grad():
        require_finite(path, enc(LogMel(fcfg)(probe_wave(fcfg.sample_rate))), what)
    sha1 = hashlib.sha1(Path(path).read_bytes()).hexdigest()
    return EncoderCheckpoint(enc, fcfg, [str(x) for x in payload["labels"]],
                             payload.get("meta") or {}, sha1, str(path))


def bundled_encoder_path() -> Path:
    return Path(str(resources.files("space") / "models" / "frames.pt"))
