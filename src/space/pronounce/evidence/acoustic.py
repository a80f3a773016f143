"""The phone model run through the project's one engine: audio -> frame log posteriors.

The phone encoder (:mod:`.phone_model`) is exported with its front end as one network,
wave ``[shape=(1, n)]`` -> log posteriors ``[shape=(1, classes, t)]``, and run by
:mod:`space.recognize.engines.runtime` (ONNX Runtime unless ``$SPACE_ENGINE=torch``). Audio without
a 4-8 kHz band runs a second graph with those mel bands set to the floor, as the model
saw such audio in training.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ... import audio
from ...audio.features import LogMel
from .phone_model import PhoneModel, bundled_phone_model_path, is_narrowband, load_phone_model


class PhoneNet(nn.Module):
    """Front end + phone encoder: wave ``[shape=(1, n)]`` -> log posteriors
    ``[shape=(1, classes, t)]``; ``high`` (a mel band mask) sets those bands to 0."""

    def __init__(self, frontend: LogMel, encoder: nn.Module, high: np.ndarray | None) -> None:
        super().__init__()
        self.frontend = frontend
        self.encoder = encoder
        keep = np.ones(frontend.cfg.n_mels, np.float32)
        if high is not None:
            keep[high] = 0.0
        self.keep: torch.Tensor
        self.register_buffer("keep", torch.from_numpy(keep)[None, :, None])

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        feats = self.frontend(wave) * self.keep
        _, logits = self.encoder(feats)
        return torch.log_softmax(logits, dim=1)


@dataclass(frozen=True)
class Frames:
    """Frame log posteriors of a clip.

    Attributes
    ----------
    logp : np.ndarray [shape=(t, classes)]
        Log posteriors of each 10 ms frame whose centre lies in the clip.
    offset_s, hop_s : float
        Time of the first frame's centre in the clip; frame spacing.
    narrowband : bool
        The clip had no 4-8 kHz band.
    """

    logp: np.ndarray
    offset_s: float
    hop_s: float
    narrowband: bool

    def time(self, frame: float | np.ndarray) -> Any:
        return self.offset_s + np.asarray(frame) * self.hop_s


class Acoustic:
    """A phone model and its engines (built on first use, one per band)."""

    def __init__(self, model: PhoneModel, *, path: str | Path | None = None,
                 engine: str | None = None) -> None:
        self.model = model
        self.path = Path(path) if path is not None else None
        self.engine_choice = engine
        self._engines: dict[bool, Any] = {}
        self._lock = threading.Lock()

    @property
    def labels(self) -> list[str]:
        return list(self.model.labels)

    def engine(self, narrow: bool) -> Any:
        with self._lock:
            if narrow not in self._engines:
                from ...recognize.engines.runtime import build, module_hash

                m = self.model
                net = PhoneNet(m.frontend, m.encoder, m.high if narrow else None).eval()
                key = f"{m.sha1 or module_hash(m.encoder)}|{module_hash(m.frontend)}|{narrow}"
                self._engines[narrow] = build(
                    net, torch.zeros(1, m.feature_cfg.n_samples),
                    kind="phones-narrow" if narrow else "phones", key=key,
                    near=self.path, output_names=["logp"],
                    dynamic_axes={"input": {1: "samples"}, "logp": {2: "frames"}},
                    engine=self.engine_choice)
            return self._engines[narrow]

    def __call__(self, y: np.ndarray, sr: int, *, name: str = "<audio>",
                 narrowband: bool | None = None) -> Frames:
        """Mono audio at ``sr`` -> :class:`Frames` of the whole clip (padded with zeros to
        at least the model's 1 s input, padding frames dropped). Raises
        :class:`space.errors.AudioError` for unusable audio."""
        cfg = self.model.feature_cfg
        y = np.asarray(y, np.float32)
        audio.check(y, sr, name=name)
        nb = is_narrowband(y, sr) if narrowband is None else bool(narrowband)
        y16 = audio.resample(y, sr, cfg.sample_rate, name=name)
        n = max(cfg.n_samples, len(y16))
        left = (n - len(y16)) // 2
        w = np.zeros(n, np.float32)
        w[left:left + len(y16)] = y16
        logp = self.engine(nb).run(audio.normalize_peak(w)[None])[0][0].T  # (t, classes)
        hop = cfg.hop_length
        f0 = -(-left // hop)
        f1 = min(len(logp), (left + len(y16)) // hop + 1)
        return Frames(np.ascontiguousarray(logp[f0:f1], dtype=np.float32),
                      (f0 * hop - left) / cfg.sample_rate, hop / cfg.sample_rate, nb)


_shared: Acoustic | None = None
_shared_lock = threading.Lock()


def acoustic(path: str | Path | None = None) -> Acoustic:
    """The process-wide phone model (the bundled ``phones_learners.pt``: ``phones.pt`` with
    its output layer refitted on the learners' sentences, :mod:`space.training.scorer`; or ``path``)."""
    global _shared
    if path is not None:
        return Acoustic(load_phone_model(path), path=path)
    with _shared_lock:
        if _shared is None:
            p = bundled_phone_model_path().with_name("phones_learners.pt")
            _shared = Acoustic(load_phone_model(p), path=p)
        return _shared
