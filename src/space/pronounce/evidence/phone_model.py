"""The phone model: a small frame classifier over the 39 CMUdict phones + silence, and its file.

Why a phone model next to the word-trained frame encoder
(:mod:`space.recognize.frame_model`): word posteriors hardly move when one sound of a word
changes but the word stays recognisable
(three said as 'tree' is still most like 'three'); phone posteriors are meant to move.
Two choices keep them about the sound and not the word:

* a short receptive field (about +-70 ms: two 3x3 mel convs and two 5-frame temporal
  convs), so a frame's phone is read from the sound around it, not inferred from the
  rest of a word the model has heard thousands of times;
* the 20-8000 Hz band (48 log-mels), which holds what tells /θ/, /f/ and /s/ apart. Audio
  that has no 4-8 kHz band (8 kHz recordings such as FSDD's digits) is marked
  *narrowband*: its mel bands above 4 kHz are set to the normalised floor (0), the
  way the model saw such audio in training (every FSDD clip, and 30% of the wide-band
  clips low-passed), instead of being stretched up from noise by the per-utterance
  normalisation.

Run by :mod:`.acoustic`; trained by :mod:`space.training.phones` on forced-aligned phone
labels (:mod:`space.training.phone_labels`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...audio import NARROW_HZ
from ...audio.features import LogMel
from ...config import EncoderConfig, FeatureConfig
from ...recognize.frame_model import EncoderCheckpoint, FrameEncoder, load_encoder, save_encoder
from ..lexicon.phones import PHONES

FORMAT = "space-phone-encoder"  # its version: space.recognize.checkpoint.FORMAT_VERSIONS
LABELS: tuple[str, ...] = (*PHONES, "SIL")
SIL = len(PHONES)  # index of silence in LABELS
FEATURES = FeatureConfig(fmax=8000.0, n_mels=48)
# Short context on purpose (see the module doc): 3x3 mel convs, then two 5-tap convs.
DEFAULT_CONFIG = EncoderConfig(channels2d=(16, 32), channels1d=(160, 160), kernel1d=5,
                               dilations=(1, 1), dim=96, n_classes=len(LABELS), dropout=0.1)


def high_bands(cfg: FeatureConfig = FEATURES) -> np.ndarray:
    """Boolean mask ``[shape=(n_mels,)]`` of mel bands centred above :data:`NARROW_HZ`."""
    import librosa

    centres = librosa.mel_frequencies(cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]
    return centres > NARROW_HZ


def mask_narrowband(feats: torch.Tensor, narrow: torch.Tensor | np.ndarray | bool,
                    high: np.ndarray) -> torch.Tensor:
    """Set the mel bands above 4 kHz of narrowband rows of ``feats`` [shape=(b, mels, t)]
    to 0 (the per-utterance normalised floor)."""
    nb = torch.as_tensor(np.broadcast_to(np.asarray(narrow, bool), (feats.shape[0],)).copy())
    if not bool(nb.any()):
        return feats
    m = torch.zeros(feats.shape[:2], dtype=torch.bool)
    m[nb] = torch.from_numpy(high)
    return feats.masked_fill(m[:, :, None], 0.0)


@dataclass
class PhoneModel:
    """A loaded phone encoder."""

    encoder: FrameEncoder
    feature_cfg: FeatureConfig
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    sha1: str = ""

    def __post_init__(self) -> None:
        self.frontend = LogMel(self.feature_cfg).eval()
        self.high = high_bands(self.feature_cfg)


def save_phone_model(m: PhoneModel, path: str | os.PathLike, *,
                     train_state: dict[str, Any] | None = None) -> Path:
    """Write the model atomically through the one checkpoint writer (the frame encoder's,
    :func:`space.recognize.frame_model.save_encoder`, in this format): configs, labels and
    weights in one file;
    ``train_state`` for resuming a training."""
    return save_encoder(EncoderCheckpoint(m.encoder, m.feature_cfg, m.labels, m.meta), path,
                        train_state=train_state, format=FORMAT)


def load_phone_model(path: str | os.PathLike) -> PhoneModel:
    """Read a model written by :func:`save_phone_model`. Raises :class:`ModelError`."""
    ck = load_encoder(path, format=FORMAT, what="phone model")
    return PhoneModel(ck.encoder, ck.feature_cfg, ck.labels, ck.meta, ck.sha1)


def bundled_phone_model_path() -> Path:
    return Path(str(resources.files("space") / "models" / "phones.pt"))
