"""The frame encoder's training task (``src/space/models/frames.pt``): ``space train-frames``.

Recipe: every word of the Speech Commands training split (its validation and testing
speakers are never seen) and FSDD's training clips (index 5-49), one label per word plus a
'silence' label. Each epoch every clip goes through the recogniser's augmentation chain
(:meth:`space.data.Augmenter.window`: speed/pitch, EQ, reverb, time shift, gain,
background noise), then SpecAugment. The loss is a cross-entropy per 10 ms frame: speech
frames must name their word, frames well outside the speech 'silence'; frames near the
speech edges are not scored. The loop is the recogniser's (:func:`space.training.loop.fit`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..config import FRAMES_TRAIN, EncoderConfig, FeatureConfig, TrainConfig
from ..data import Augmenter, ClipDataset, Example, fsdd_splits, speech_commands_splits
from ..errors import DataError
from ..recognize.frame_model import (
    DEFAULT_FEATURES,
    FORMAT,
    SILENCE,
    EncoderCheckpoint,
    FrameEncoder,
    load_encoder,
    save_encoder,
)
from .loop import Masks, Task, fit, portable_path

IGNORE = -100  # frame target that no loss is computed for
EDGE_FRAMES = 3  # frames next to a speech edge are not scored either way


def _examples(sc: str | os.PathLike | None,
              fsdd: str | os.PathLike | None) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    val: list[Example] = []
    if sc:
        s = speech_commands_splits(Path(sc))
        train += s.train
        val += s.val
    if fsdd:
        f = fsdd_splits(Path(fsdd))
        train += f.train
        val += f.val
    if not train:
        raise DataError("no training data: give a Speech Commands and/or an FSDD folder")
    return train, val


class FrameDataset(ClipDataset):
    """Yields ``(window [n_samples], frame targets [n_frames])``: the word's index on the
    speech frames, the silence index well outside them, :data:`IGNORE` near the edges."""

    def __init__(self, *args: Any, silence: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.silence = silence
        self.centres = np.arange(self.cfg.n_frames) * self.cfg.hop_length  # frame k's centre

    def frame_targets(self, target: int, span: tuple[int, int]) -> np.ndarray:
        """Per-frame targets [shape=(n_frames,)] of a window whose speech is at ``span``."""
        n = self.cfg.n_samples
        s0, s1 = span
        if s1 - s0 > n:  # a long clip: the window holds only speech; score nothing in doubt
            s0, s1 = 0, n
        lab = np.full(len(self.centres), IGNORE, dtype=np.int64)
        c = self.centres
        lab[(c >= s0) & (c < s1)] = target
        e = EDGE_FRAMES * self.cfg.hop_length
        lab[(c < s0 - e) | (c >= s1 + e)] = self.silence
        return lab

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        w, target, span = self.item(k)
        return torch.from_numpy(w), torch.from_numpy(self.frame_targets(target, span))


def frames_task(train: list[Example], val: list[Example], labels: list[str],
                feature_cfg: FeatureConfig, encoder_cfg: EncoderConfig,
                train_cfg: TrainConfig) -> Task:
    """The frame encoder as a :class:`~space.training.loop.Task`: per-frame cross-entropy,
    validated by word accuracy from the mean of the speech frames' logits."""
    from ..audio.features import LogMel

    silence = labels.index(SILENCE)
    aug = Augmenter(train_cfg.augment, feature_cfg.sample_rate)
    train_ds = FrameDataset(train, labels, feature_cfg, augmenter=aug, copies=train_cfg.copies,
                            seed=train_cfg.seed, silence=silence)
    val_ds = FrameDataset(val, labels, feature_cfg, silence=silence) if val else None
    frontend = LogMel(feature_cfg)
    model = FrameEncoder(encoder_cfg, feature_cfg.n_mels)

    def loss(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, masks: Masks) -> torch.Tensor:
        with torch.no_grad():
            feats = masks(frontend(x))
        _, logits = net(feats)
        return F.cross_entropy(logits, y, ignore_index=IGNORE,
                               label_smoothing=train_cfg.label_smoothing)

    @torch.no_grad()
    def validate(net: torch.nn.Module) -> float:
        assert val_ds is not None
        net.eval()
        right = 0
        for b in range(0, len(val_ds), 256):
            items = [val_ds[k] for k in range(b, min(b + 256, len(val_ds)))]
            x = torch.stack([w for w, _ in items])
            y = torch.stack([t for _, t in items])
            _, logits = net(frontend(x))
            speech = (y != silence) & (y != IGNORE)
            logits[:, silence] = -1e9
            mean = (logits * speech[:, None]).sum(2) / speech.sum(1, keepdim=True).clamp(min=1)
            targets = np.asarray(val_ds.targets[b : b + len(items)])
            right += int((mean.argmax(1).numpy() == targets).sum())
        return right / len(val_ds)

    def save(path: Path, meta: dict[str, Any], state: dict[str, Any] | None) -> Path:
        return save_encoder(EncoderCheckpoint(model, feature_cfg, labels, meta), path,
                            train_state=state)

    return Task(model, labels, train_ds, loss, save, FORMAT,
                validate if val_ds is not None else None, metric="val word acc")


def train_encoder(
    out: str | os.PathLike,
    *,
    speech_commands: str | os.PathLike | None,
    fsdd: str | os.PathLike | None,
    train: TrainConfig = FRAMES_TRAIN,
    encoder: EncoderConfig | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> EncoderCheckpoint | None:
    """Train and save the frame encoder (see the module doc). ``encoder`` defaults to
    :class:`EncoderConfig` (the shipped architecture); its ``n_classes`` is set from the
    data (its words + silence).

    Returns the best checkpoint on rank 0, ``None`` on the other torchrun ranks.
    """
    train_ex, val_ex = _examples(speech_commands, fsdd)
    labels = [*sorted({e.label for e in train_ex}), SILENCE]
    cfg = replace(encoder or EncoderConfig(), n_classes=len(labels))
    meta = {"n_train": len(train_ex), "n_val": len(val_ex),
            "data": {"speech_commands": portable_path(speech_commands),
                     "fsdd": portable_path(fsdd)}}
    done = fit(lambda: frames_task(train_ex, val_ex, labels, DEFAULT_FEATURES, cfg, train),
               train, out, resume=resume, meta=meta, progress=progress, log=log)
    return load_encoder(out) if done is not None else None
