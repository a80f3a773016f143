"""The phone model run through the project's one engine: audio -> frame log posteriors.

The phone encoder (:mod:`.phone_model`) is exported with its front end as one network,
wave ``[shape=(1, n)]`` -> log posteriors ``[shape=(1, classes, t)]``, and run by
:mod:`space.recognize.engines.runtime` (ONNX Runtime unless ``$SPACE_ENGINE=torch``). Audio without
a 4-8 kHz band runs a second graph with those mel bands set to the floor, as the model
saw such audio in training.

A cold start does not import PyTorch once the graphs are cached: each cached graph of a
model file has a sidecar (feature configuration, labels), and :meth:`Acoustic.from_file`
runs them with ONNX Runtime alone; the checkpoint is read (through PyTorch) only to build
a graph that is not cached yet.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import audio
from ...audio.speech import loud_frames
from ...config import FeatureConfig, to_dict
from ...errors import UsageError

if TYPE_CHECKING:
    from torch import nn

    from .phone_model import PhoneModel

KINDS = {False: "phones", True: "phones-narrow"}  # the cached graphs' kinds, by band


def bundled_path() -> Path:
    """The phone model the evidence runs: ``phones_learners.pt`` (``phones.pt`` fine-tuned on
    the learners' sentences, :mod:`space.training.scorer`)."""
    return Path(str(resources.files("space") / "models" / "phones_learners.pt"))


def phone_net(model: PhoneModel, narrow: bool) -> nn.Module:
    """Front end + phone encoder: wave ``[shape=(1, n)]`` -> log posteriors
    ``[shape=(1, classes, t)]``; for ``narrow`` audio the mel bands above 4 kHz are set to
    0, as the model saw such audio in training."""
    import torch
    from torch import nn

    class PhoneNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.frontend = model.frontend
            self.encoder = model.encoder
            keep = np.ones(model.feature_cfg.n_mels, np.float32)
            if narrow:
                keep[model.high] = 0.0
            self.keep: torch.Tensor
            self.register_buffer("keep", torch.from_numpy(keep)[None, :, None])

        def forward(self, wave: torch.Tensor) -> torch.Tensor:
            feats = self.frontend(wave) * self.keep
            _, logits = self.encoder(feats)
            return torch.log_softmax(logits, dim=1)

    return PhoneNet().eval()


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
    loud : np.ndarray [shape=(t,), dtype=bool]
        Frames in a loud part of the clip (:func:`space.audio.speech.loud_frames`): the
        aligner does not call them silence.
    """

    logp: np.ndarray
    offset_s: float
    hop_s: float
    narrowband: bool
    loud: np.ndarray

    def time(self, frame: float | np.ndarray) -> Any:
        return self.offset_s + np.asarray(frame) * self.hop_s

    @classmethod
    def of_audio(cls, logp: np.ndarray, offset_s: float, hop_s: float, narrowband: bool,
                 y: np.ndarray, sr: int) -> Frames:
        """Frames of ``logp`` over the clip ``y`` at ``sr``, their :attr:`loud` measured on it."""
        times = offset_s + np.arange(len(logp)) * hop_s
        return cls(logp, offset_s, hop_s, narrowband, loud_frames(y, sr, times))


class Acoustic:
    """A phone model and its engines (built on first use, one per band).

    ``Acoustic(model)`` runs a model in memory; :meth:`from_file` runs a model file, from
    its cached graphs when they are there."""

    def __init__(self, model: PhoneModel | None, *, path: str | Path | None = None,
                 engine: str | None = None, feature_cfg: FeatureConfig | None = None,
                 labels: list[str] | None = None) -> None:
        if model is None and (path is None or feature_cfg is None or labels is None):
            raise UsageError("Acoustic needs a phone model, or its file with the feature "
                             "configuration and labels")
        self._model = model
        self.path = Path(path) if path is not None else None
        self.engine_choice = engine
        self.feature_cfg: FeatureConfig = feature_cfg or model.feature_cfg  # type: ignore[union-attr]
        self.labels: list[str] = list(labels if labels is not None else model.labels)  # type: ignore[union-attr]
        self._engines: dict[bool, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, *, engine: str | None = None) -> Acoustic:
        """The phone model in ``path``: from its cached graph and sidecar when they are
        there (no PyTorch), else read through :func:`.phone_model.load_phone_model`.

        Raises
        ------
        ModelError
            The file is missing or damaged (when it has to be read).
        """
        from ...recognize.engines.runtime import OnnxEngine, cached_model, engine_name

        path = Path(path)
        found = cached_model(path, KINDS[False]) if engine_name(engine) == "onnx" else None
        if found is not None:  # else not cached, or a stale sidecar: the checkpoint rebuilds it
            graph, cfg, labels, _ = found
            self = cls(None, path=path, engine=engine, feature_cfg=cfg, labels=labels)
            self._engines[False] = OnnxEngine(graph)
            return self
        from .phone_model import load_phone_model

        return cls(load_phone_model(path), path=path, engine=engine)

    @property
    def model(self) -> PhoneModel:
        """The phone model (read from :attr:`path` on first use after a cold start)."""
        if self._model is None:
            from .phone_model import load_phone_model

            assert self.path is not None
            self._model = load_phone_model(self.path)
        return self._model

    def engine(self, narrow: bool) -> Any:
        with self._lock:
            if narrow not in self._engines:
                self._engines[narrow] = self._build(narrow)
            return self._engines[narrow]

    def _build(self, narrow: bool) -> Any:
        from ...recognize.engines.runtime import (
            OnnxEngine,
            build,
            cached_graph,
            engine_name,
            file_hash,
            module_hash,
        )

        kind = KINDS[narrow]
        if self.path is not None and self._model is None and engine_name(self.engine_choice) == "onnx":
            found = cached_graph(self.path, kind)
            if found is not None:
                return OnnxEngine(found[0])
        import torch

        m = self.model
        # a model file is keyed by its bytes (what a cold start can check without torch);
        # a model only in memory by its weights
        key = (file_hash(self.path) if self.path is not None
               else f"{m.sha1 or module_hash(m.encoder)}|{module_hash(m.frontend)}|{narrow}")
        return build(phone_net(m, narrow), torch.zeros(1, m.feature_cfg.n_samples), kind=kind,
                     key=key, near=self.path, output_names=["logp"],
                     dynamic_axes={"input": {1: "samples"}, "logp": {2: "frames"}},
                     engine=self.engine_choice,
                     sidecar={"feature_config": to_dict(m.feature_cfg), "labels": list(m.labels)})

    def __call__(self, y: np.ndarray, sr: int, *, name: str = "<audio>",
                  narrowband: bool | None = None) -> Frames:
        """Mono audio at ``sr`` -> :class:`Frames` of the whole clip (padded with zeros to
        at least the model's 1 s input, padding frames dropped). Raises
        :class:`space.errors.AudioError` for unusable audio."""
        cfg = self.feature_cfg
        y = np.asarray(y, np.float32)
        audio.check(y, sr, name=name)
        nb = audio.is_narrowband(y, sr) if narrowband is None else bool(narrowband)
        y16 = audio.resample(y, sr, cfg.sample_rate, name=name)
        n = max(cfg.n_samples, len(y16))
        left = (n - len(y16)) // 2
        w = np.zeros(n, np.float32)
        w[left:left + len(y16)] = y16
        logp = self.engine(nb).run(audio.normalize_peak(w)[None])[0][0].T  # (t, classes)
        hop = cfg.hop_length
        f0 = -(-left // hop)
        f1 = min(len(logp), (left + len(y16)) // hop + 1)
        offset_s, hop_s = (f0 * hop - left) / cfg.sample_rate, hop / cfg.sample_rate
        return Frames.of_audio(np.ascontiguousarray(logp[f0:f1], dtype=np.float32), offset_s,
                               hop_s, nb, y, sr)


_shared: Acoustic | None = None
_shared_lock = threading.Lock()


def acoustic(path: str | Path | None = None) -> Acoustic:
    """The process-wide phone model (:func:`bundled_path`), or the one in ``path``."""
    global _shared
    if path is not None:
        return Acoustic.from_file(path)
    with _shared_lock:
        if _shared is None:
            _shared = Acoustic.from_file(bundled_path())
        return _shared
