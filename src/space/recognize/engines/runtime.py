"""Inference engines: ONNX Runtime when it is installed, PyTorch otherwise.

The recogniser (:class:`space.recognize.Recognizer`) and the pronunciation frame encoder
(:class:`space.pronounce.references.frames.Featurizer`) run their networks through one interface,
:class:`Engine`: numpy arrays in, numpy arrays out. Training always uses PyTorch; the
engine only runs a trained, frozen module.

Why two engines: at batch size 1, PyTorch's eager mode spends most of a 1-s clip's time in
per-operator overhead (small convolutions, max-pooling with indices, unfused batch norm);
ONNX Runtime runs the same graph with batch norm folded into the convolutions and fused
activations, about 2-3x faster on this project's models. PyTorch stays the fallback for an
install without the ``export`` extra, and ``SPACE_ENGINE=torch`` picks it on purpose.

The ONNX graph is exported (with :func:`space.recognize.engines.export.write_onnx`, the package's one ONNX
writer) from the PyTorch module the first time a checkpoint is loaded, and cached:

* in the user cache (``$SPACE_CACHE_DIR``, else ``$XDG_CACHE_HOME/space``, else
  ``~/.cache/space``), under ``onnx/`` (``.../digits.pt`` ->
  ``digits-<folder hash>.recognizer.<key>.onnx``), never beside the checkpoint: no command
  writes a file the user did not name;
* keyed by a hash of the checkpoint file's bytes (plus what else the graph depends on and
  :data:`EXPORT_VERSION`), so a retrained or replaced checkpoint never runs a stale graph:
  a new key is a new file, and older files of the same checkpoint are removed;
* built in memory when the cache is not writable, or for a module that has no file (a model
  just trained): nothing cached, same result.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ...config import FeatureConfig, from_dict
from ...errors import ModelError, UsageError
from . import EXPORT_VERSION, ONNX_OPSET

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

ENGINES = ("onnx", "torch")
ENV = "SPACE_ENGINE"  # "onnx" or "torch"; unset: onnx when onnxruntime is importable

_build_lock = threading.Lock()  # one export at a time (two threads loading the same model)


def onnx_available() -> bool:
    """Whether ONNX Runtime and the ONNX package (needed to export) are installed; found,
    not imported (importing ``onnx`` alone costs a cold start about 0.3 s)."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def engine_name(engine: str | None = None) -> str:
    """The engine to use: ``engine`` if given, else ``$SPACE_ENGINE``, else ``"onnx"`` when
    ONNX Runtime is installed and ``"torch"`` when it is not.

    Raises
    ------
    UsageError
        An unknown engine name, or ``"onnx"`` asked for without ONNX Runtime installed.
    """
    asked = engine if engine is not None else os.environ.get(ENV, "").strip().lower() or None
    if asked is None:
        return "onnx" if onnx_available() else "torch"
    if asked not in ENGINES:
        raise UsageError(f"unknown engine {asked!r} (use {' or '.join(ENGINES)}; "
                          f"set by {ENV} or the engine argument)")
    if asked == "onnx" and not onnx_available():
        raise UsageError("the onnx engine needs onnxruntime and onnx: pip install "
                          f"'space-speech[export]' (or set {ENV}=torch)")
    return asked


class Engine(Protocol):
    """A frozen network: ``run(x)`` maps a float32 array to the module's outputs."""

    name: str

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        """``x`` float32 (the module's one input) -> its outputs, in order, as numpy."""
        ...

    def set_threads(self, n: int) -> None:
        """Use ``n`` threads for one call's work."""
        ...


class TorchEngine:
    """A PyTorch module in eval mode behind :class:`Engine`.

    Threads are PyTorch's process-wide setting (``torch.set_num_threads``), set to the
    package's policy (:func:`space.threads.current`) when the engine is built.
    """

    name = "torch"

    def __init__(self, module: nn.Module) -> None:
        from ...threads import current

        current()  # PyTorch's setting follows the policy
        self.module = module.eval()

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        import torch

        with torch.no_grad():
            out = self.module(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return [o.numpy() for o in outs]

    def set_threads(self, n: int) -> None:
        from ...threads import apply

        apply(max(1, int(n)))  # PyTorch's setting is the process's: the policy changes with it

    @property
    def threads(self) -> int:
        import torch

        return torch.get_num_threads()


class OnnxEngine:
    """An ONNX Runtime session (CPU) behind :class:`Engine`.

    Parameters
    ----------
    model : path or bytes
        The ONNX model.
    threads : int, optional
        Threads per call (ONNX Runtime's intra-op threads). Default: the package's policy
        (:func:`space.threads.current`).

    ``run`` may be called from several threads at once (the web app does): ONNX Runtime
    sessions are safe to share.
    """

    name = "onnx"

    def __init__(self, model: str | os.PathLike | bytes, *, threads: int | None = None) -> None:
        self._model = model if isinstance(model, bytes) else str(model)
        self.threads = max(1, int(threads if threads is not None else default_threads()))
        self._session = self._open(self.threads)
        self._input = self._session.get_inputs()[0].name

    def _open(self, threads: int) -> Any:  # an onnxruntime.InferenceSession
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1  # the graphs are a chain: no parallel branches to run
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # errors only
        # Idle worker threads sleep instead of spinning: on a shared machine a spinning pool
        # takes cores from the other requests (and other programs) for nothing.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(self._model, sess_options=opts,
                                        providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"ONNX Runtime cannot load the model ({str(e)[:160]})") from None

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return self._session.run(None, {self._input: np.ascontiguousarray(x, dtype=np.float32)})

    def set_threads(self, n: int) -> None:
        n = max(1, int(n))
        if n != self.threads:
            self._session, self.threads = self._open(n), n


def file_hash(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def module_hash(module: nn.Module) -> str:
    """SHA-256 over a module's parameters and buffers (names, shapes and bytes): the key of
    a module that has no file (e.g. a model just trained in memory)."""
    import torch

    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()


def cache_dir() -> Path:
    """The user cache for exported graphs: ``$SPACE_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/space``, else ``~/.cache/space`` (with ``onnx/`` inside)."""
    root = os.environ.get("SPACE_CACHE_DIR") or (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "space")
    return Path(root) / "onnx"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def cached_path(stem: str, kind: str, key: str, near: Path | None) -> Path | None:
    """Where the ONNX file of ``stem`` (a checkpoint's name) and ``kind`` with ``key`` lives
    in :func:`cache_dir`; None if that is not writable. The checkpoint's folder (``near``'s)
    is part of the name, so two ``model.pt`` in different folders do not evict each other's
    graph (:func:`_remove_stale`)."""
    if near is not None:
        where = hashlib.sha256(str(Path(near).resolve().parent).encode()).hexdigest()[:8]
        stem = f"{stem}-{where}"
    folder = cache_dir()
    return folder / f"{stem}.{kind}.{key[:20]}.onnx" if _writable(folder) else None


def cache_key(kind: str, key: str) -> str:
    """The full cache key of a graph: what it is, its weights' key, the ONNX opset and
    :data:`EXPORT_VERSION` (a file written by an older SPACE is never run)."""
    return hashlib.sha256(f"{kind}|{key}|opset{ONNX_OPSET}|v{EXPORT_VERSION}".encode()).hexdigest()


def sidecar_path(graph: Path) -> Path:
    """The JSON beside a cached graph (``x.onnx`` -> ``x.onnx.json``)."""
    return graph.with_name(graph.name + ".json")


def cached_graph(path: str | os.PathLike, kind: str) -> tuple[Path, dict[str, Any]] | None:
    """The cached ONNX graph of checkpoint ``path`` and its sidecar, when both exist: a cold
    start runs them without importing PyTorch. None when either is missing or unreadable
    (the caller then builds them from the checkpoint)."""
    near = Path(path)
    graph = cached_path(near.stem, kind, cache_key(kind, file_hash(near)), near)
    if graph is None:
        return None
    side = sidecar_path(graph)
    if graph.is_file() and side.is_file():
        try:
            return graph, json.loads(side.read_text())
        except (OSError, ValueError):
            return None
    return None


def cached_model(path: str | os.PathLike, kind: str
                 ) -> tuple[Path, FeatureConfig, list[str], dict[str, Any]] | None:
    """:func:`cached_graph` with its sidecar's feature configuration and labels read:
    ``(graph, feature_cfg, labels, sidecar)``, or None when not cached or the sidecar is
    stale or damaged (the caller then rebuilds both from the checkpoint)."""
    found = cached_graph(path, kind)
    if found is None:
        return None
    graph, side = found
    try:
        return (graph, from_dict(FeatureConfig, side["feature_config"]),
                [str(x) for x in side["labels"]], side)
    except (KeyError, TypeError, UsageError):
        return None


def default_threads() -> int:
    """Threads per network call when the caller does not say: the package's one policy
    (:func:`space.threads.current`; ``$SPACE_THREADS``, else one)."""
    from ...threads import current

    return current()


def build(
    module: nn.Module,
    example: torch.Tensor,
    *,
    kind: str,
    key: str,
    near: str | os.PathLike | None = None,
    output_names: Sequence[str],
    dynamic_axes: dict[str, dict[int, str]],
    engine: str | None = None,
    threads: int | None = None,
    sidecar: dict[str, Any] | None = None,
) -> TorchEngine | OnnxEngine:
    """An engine for a frozen ``module`` with one input named ``"input"``.

    Parameters
    ----------
    module : nn.Module
        Put in eval mode; with the torch engine it is run as it is.
    example : torch.Tensor
        An input of the right dtype and rank to trace the graph with.
    kind : str
        What the module is (``"recognizer"``, ``"frames"``): part of the file name and key.
    key : str
        Identifies the weights: the checkpoint file's hash (:func:`file_hash`) or
        :func:`module_hash`. The cache file's name holds a hash of it, ``kind``, the ONNX
        opset and :data:`EXPORT_VERSION`.
    near : path, optional
        The checkpoint file (its name and folder name the file in :func:`cache_dir`).
        Without it the graph is exported into memory (not cached).
    output_names, dynamic_axes
        As ``torch.onnx.export`` takes them (the input is ``"input"``).
    engine : str, optional
        ``"onnx"`` or ``"torch"``; default :func:`engine_name`.
    threads : int, optional
        ONNX Runtime threads per call (default: :func:`default_threads`).
    sidecar : dict, optional
        JSON written beside the cached graph (:func:`sidecar_path`): what a cold start needs
        to run the graph without reading the checkpoint through PyTorch (labels, configs).

    Raises
    ------
    UsageError
        Unknown engine, or onnx asked for and not installed.
    ModelError
        The module cannot be exported or the exported file cannot be loaded.
    """
    import torch

    module = module.eval()
    if engine_name(engine) == "torch":
        return TorchEngine(module)
    from ...io import atomic_write
    from .export import write_onnx

    full = cache_key(kind, key)
    # A module without a file (just trained, in memory) is exported into memory: its
    # weights are transient, and a shared cache file would be another process's to delete.
    stem = Path(near).stem if near is not None else "model"
    path = cached_path(stem, kind, full, Path(near)) if near is not None else None

    def write(tmp: str) -> None:
        write_onnx(module, (example,), tmp, input_names=["input"],
                   output_names=list(output_names), dynamic_axes=dynamic_axes,
                   metadata={"space_kind": kind, "space_key": full})

    try:
        with _build_lock:
            if path is None:  # nowhere to cache: export into memory
                with tempfile.TemporaryDirectory(prefix="space-onnx-") as tmp:
                    write(os.path.join(tmp, "model.onnx"))
                    data: str | bytes = Path(tmp, "model.onnx").read_bytes()
            else:
                if not path.is_file():
                    atomic_write(path, write)
                    _remove_stale(path)
                if sidecar is not None:
                    _write_sidecar(sidecar_path(path), json.dumps(sidecar, sort_keys=True))
                data = str(path)
    except (RuntimeError, torch.jit.Error) as e:  # pragma: no cover - tracer failures
        raise ModelError(f"cannot export the {kind} network to ONNX: "
                         f"{str(e).splitlines()[0]}") from None
    return OnnxEngine(data, threads=threads)


def _write_sidecar(path: Path, text: str) -> None:
    """Write the sidecar unless it already holds ``text`` (a damaged or older one is
    replaced, so the next cold start can use it)."""
    from ...io import atomic_write

    try:
        if path.read_text() == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def _remove_stale(keep: Path) -> None:
    """Delete older exports of the same checkpoint and kind (other keys) beside ``keep``."""
    import glob

    prefix = keep.name.rsplit(".", 2)[0]  # "<stem>-<folder hash>.<kind>"
    for p in keep.parent.glob(f"{glob.escape(prefix)}.*.onnx"):
        if p != keep:
            try:
                p.unlink()
            except OSError:
                pass  # another process may use or have removed it: harmless


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (float32 in, float32 out)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


__all__ = ["ENGINES", "ENV", "Engine", "OnnxEngine", "TorchEngine", "build", "cache_dir",
           "engine_name", "file_hash", "module_hash", "onnx_available", "softmax"]
