"""Prediction with a loaded model: files, arrays and batches."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import audio
from ...config import FeatureConfig, to_dict
from ...data.readers import UNKNOWN
from ...display import PredictionDisplay
from ...errors import ModelError, SpaceError, UsageError
from ..bundled import resolve_model

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from ..checkpoint import Checkpoint


@dataclass(frozen=True)
class Prediction(PredictionDisplay):
    """The model's answer for one clip (in Jupyter it shows itself: :mod:`space.display`)."""

    label: str
    probability: float
    top_k: list[tuple[str, float]]
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``space predict --json`` and the web app's ``/api/predict``."""
        return {"file": self.source, "label": self.label,
                "probability": round(float(self.probability), 6),
                "top_k": [{"label": lab, "probability": round(float(p), 6)}
                          for lab, p in self.top_k]}


class Recognizer:
    """A model ready to predict. Use :func:`load_model` to get one.

    The network runs on an inference engine (:mod:`space.recognize.engines.runtime`): ONNX Runtime when it is
    installed, else PyTorch; ``engine`` or ``$SPACE_ENGINE`` picks one. ``path`` (the
    checkpoint file) keys and places the cached ONNX export; without it the weights are
    hashed instead. :attr:`model` is the PyTorch module either way (for training code); a
    model loaded cold from its cached graph (:func:`load_model`) reads it on first use.

    :attr:`min_probability`: a top label below it is answered ``_unknown_`` (another word);
    by default the calibrated value stored in the checkpoint (``space train --add-unknown``:
    :mod:`space.recognize.words.reject`), else 0 (always the top label).
    """

    def __init__(self, ckpt: Checkpoint, *, name: str | None = None,
                 path: str | os.PathLike | None = None, engine: str | None = None) -> None:
        import torch

        from ..engines.export import Exportable
        from ..engines.runtime import build, file_hash, module_hash

        self._ckpt: Checkpoint | None = ckpt
        ckpt.model.eval()
        self._init(list(ckpt.labels), ckpt.feature_cfg, ckpt.meta.min_probability, name, path)
        example = torch.zeros(1, self.feature_cfg.n_samples)
        self.engine: Any = build(
            Exportable(ckpt), example, kind=KIND,
            key=file_hash(self.path) if self.path is not None else module_hash(ckpt.model),
            near=self.path, output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, engine=engine,
            sidecar=_sidecar(ckpt))

    def _init(self, labels: list[str], feature_cfg: FeatureConfig, min_probability: float,
              name: str | None, path: str | os.PathLike | None) -> None:
        self.labels = labels
        self.feature_cfg = feature_cfg
        self.name = name
        self.path = Path(path) if path is not None else None
        self.min_probability = float(min_probability)

    @classmethod
    def from_cache(cls, path: str | os.PathLike, *, name: str | None = None,
                   threads: int | None = None) -> Recognizer | None:
        """The checkpoint at ``path`` run from its cached ONNX graph and sidecar, without
        importing PyTorch (a cold ``space predict``); None when they are not cached yet."""
        from ..engines.runtime import OnnxEngine, cached_model
        from ..meta import TrainingMeta

        found = cached_model(path, KIND)
        if found is None:
            return None  # not cached, or a stale sidecar: the checkpoint path rebuilds it
        graph, fcfg, labels, side = found
        try:
            min_p = TrainingMeta.from_dict(side.get("meta")).min_probability
        except (TypeError, ValueError, AttributeError):
            return None
        self = cls.__new__(cls)
        self._ckpt = None
        self._init(labels, fcfg, min_p, name, path)
        self.engine = OnnxEngine(graph, threads=threads)
        return self

    @property
    def ckpt(self) -> Checkpoint:
        """The checkpoint (read on first use when the model was loaded from its cache)."""
        if self._ckpt is None:
            from ..checkpoint import load as load_checkpoint

            if self.path is None:  # pragma: no cover - from_cache always has a path
                raise ModelError("this model has no checkpoint file")
            self._ckpt = load_checkpoint(self.path)
            self._ckpt.model.eval()
        return self._ckpt

    @property
    def model(self) -> nn.Module:
        """The PyTorch module, in eval mode (for training code; inference runs the engine)."""
        return self.ckpt.model

    @property
    def engine_name(self) -> str:
        """``"onnx"`` or ``"torch"``: what runs the network."""
        return self.engine.name

    def set_threads(self, n: int) -> None:
        """Threads one call of the network may use (PyTorch's setting is process-wide)."""
        self.engine.set_threads(n)

    def prepare(self, source: Any, *, sr: int | None = None, name: str | None = None) -> np.ndarray:
        """Path, bytes or array -> the fixed window this model sees [shape=(n_samples,)].

        Parameters
        ----------
        source : path, bytes, file object, np.ndarray or torch.Tensor
            An array or tensor is mono ``[shape=(n,)]`` or ``[shape=(n, channels)]`` at
            ``sr`` Hz (required). A file is decoded by :func:`space.audio.load`; ``sr``
            given with a file must match its rate (it cannot describe a file).

        Raises
        ------
        AudioError
            Unusable audio; :class:`~space.errors.NoSpeechError` for silence or steady noise.
        UsageError
            ``sr`` missing for an array, or disagreeing with a file's rate.
        """
        y, rate, label = audio.load_input(source, sr=sr, name=name)
        return audio.prepare(y, rate, self.feature_cfg, name=label)

    def probabilities(self, windows: np.ndarray | Iterable[np.ndarray], *,
                      batch_size: int = 256, progress: str | None = None,
                      total: int | None = None) -> np.ndarray:
        """Prepared windows -> class probabilities, in batches on the engine: the one
        inference loop (prediction, evaluation, training's validation, DET sweeps).

        Parameters
        ----------
        windows : np.ndarray [shape=(b, n_samples)] or an iterable of [shape=(n_samples,)]
            Windows as :meth:`prepare` (or a stream's hop) gives them; an iterable is read
            one batch at a time, so a long stream's windows are never all in memory.
        batch_size : int
            Windows per forward pass.
        progress : str, optional
            Show a progress bar with this title (``total`` windows, when known).

        Returns
        -------
        np.ndarray [shape=(b, n_classes), dtype=float32]
        """
        from itertools import islice

        from ..engines.runtime import softmax

        bar = None
        if progress is not None:  # tqdm only when asked: predict's start-up stays light
            from tqdm import tqdm

            if isinstance(windows, np.ndarray) and total is None:
                total = len(windows)
            bar = tqdm(total=total, desc=progress, leave=False)
        it = iter(windows)
        out = []
        while batch := list(islice(it, batch_size)):
            (logits,) = self.engine.run(np.stack(batch).astype(np.float32, copy=False))
            out.append(softmax(logits, axis=1).astype(np.float32, copy=False))
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            bar.close()
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), np.float32)

    def _answer(self, probs: np.ndarray, top_k: int, source: str | None,
                min_probability: float | None) -> Prediction:
        order = np.argsort(-probs)[: max(1, min(top_k, len(self.labels)))]
        top = [(self.labels[i], float(probs[i])) for i in order]
        floor = self.min_probability if min_probability is None else min_probability
        if not 0 <= floor <= 1:
            raise UsageError(f"min_probability must lie within 0..1, not {floor}")
        # Not sure enough of any word: another word (top_k still ranks the model's classes).
        label = UNKNOWN if top[0][1] < floor else top[0][0]
        return Prediction(label, top[0][1], top, source)

    def predict(
        self, source: Any, *, sr: int | None = None, top_k: int = 3, name: str | None = None,
        min_probability: float | None = None,
    ) -> Prediction:
        """Recognise one clip: a path, bytes/file object, or a mono array with ``sr``.

        ``min_probability``: below it the answer is ``_unknown_`` (default
        :attr:`min_probability`, the model's calibrated value)."""
        w = self.prepare(source, sr=sr, name=name)
        label = name or (str(source) if isinstance(source, (str, os.PathLike)) else None)
        return self._answer(self.probabilities(w[None])[0], top_k, label, min_probability)

    def predict_many(
        self, sources: Iterable[Any], *, top_k: int = 3, batch_size: int = 64,
        min_probability: float | None = None,
    ) -> Iterator[Prediction | SpaceError]:
        """Recognise many files in batches. Yields a Prediction, or the SpaceError of a file
        that could not be used (so one bad file never stops the batch), in input order.
        ``min_probability`` as in :meth:`predict`.

        With more than one thread (:meth:`set_threads`), the next batch's files are decoded
        and prepared in worker threads while the network runs on this one (decoding and
        resampling release the GIL), so preparation no longer caps the throughput.
        """
        from concurrent.futures import ThreadPoolExecutor
        from itertools import islice

        def prepare(src: Any) -> tuple[str, np.ndarray | SpaceError]:
            try:
                return str(src), self.prepare(src)
            except SpaceError as e:
                return str(src), e

        def answer(batch: list[tuple[str, np.ndarray | SpaceError]]
                   ) -> Iterator[Prediction | SpaceError]:
            good = [w for _, w in batch if isinstance(w, np.ndarray)]
            probs = iter(self.probabilities(np.stack(good)) if good else [])
            for src, w in batch:
                yield w if isinstance(w, SpaceError) else self._answer(
                    next(probs), top_k, src, min_probability)

        it = iter(sources)
        workers = int(self.engine.threads)
        if workers <= 1:
            while chunk := list(islice(it, batch_size)):
                yield from answer([prepare(src) for src in chunk])
            return
        with ThreadPoolExecutor(workers, thread_name_prefix="space-prepare") as pool:
            ahead = [pool.submit(prepare, src) for src in islice(it, batch_size)]
            while ahead:
                batch = [f.result() for f in ahead]
                ahead = [pool.submit(prepare, src) for src in islice(it, batch_size)]
                yield from answer(batch)


def load_model(name_or_path: str | os.PathLike = "digits", *,
               engine: str | None = None) -> Recognizer:
    """Load a bundled model (``"digits"``, ``"commands"``) or a checkpoint file.

    ``engine``: ``"onnx"`` or ``"torch"`` (default: ``$SPACE_ENGINE``, else ONNX Runtime
    when installed; see :mod:`space.recognize.engines.runtime`)."""
    from ..engines.runtime import engine_name

    path = resolve_model(name_or_path)
    if engine_name(engine) == "onnx":
        cold = Recognizer.from_cache(path, name=str(name_or_path))
        if cold is not None:
            return cold
    from ..checkpoint import load as load_checkpoint  # torch: only to build the cache

    return Recognizer(load_checkpoint(path), name=str(name_or_path), path=path, engine=engine)


KIND = "recognizer"  # the cached graph's kind (part of its file name and key)


def _sidecar(ckpt: Checkpoint) -> dict[str, Any]:
    """What :meth:`Recognizer.from_cache` needs beside the graph: labels, the configs and
    the calibrated minimum probability (never data paths or training history)."""
    meta = {"rejection": ckpt.meta.rejection} if ckpt.meta.rejection else {}
    return {"labels": list(ckpt.labels), "feature_config": to_dict(ckpt.feature_cfg),
            "model_config": to_dict(ckpt.model_cfg), "meta": meta}
