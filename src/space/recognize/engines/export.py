"""Export a model for deployment: ONNX or TorchScript, log-mel front end included.

The exported graph is :class:`~space.recognize.words.model.SpaceModel` without the training-only
``feature_hook``: it takes prepared waveform windows and returns logits.

Input  ``wave``   float32 [shape=(batch, n_samples)]: mono audio at the model rate
                  (16 kHz for the bundled models, n_samples = 16000), i.e. the output of
                  :func:`space.audio.prepare` (resampled, the speech centred in the window,
                  peak-normalised to 0.9). The batch size is free.
Output ``logits`` float32 [shape=(batch, n_classes)], in the order of ``labels``;
                  softmax gives the probabilities ``space predict`` reports.

A JSON sidecar ``<FILE>.json`` holds the labels, the feature config and this input
description; the ONNX file also carries them as metadata properties and the TorchScript
file as the extra file ``space.json``, so either file alone is enough.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...config import to_dict
from ...errors import ModelError, UsageError
from ...io import atomic_write, save_json
from ..checkpoint import Checkpoint
from . import ONNX_OPSET

FORMATS = ("onnx", "torchscript")


class Exportable(nn.Module):
    """:class:`SpaceModel` with the one-argument ``forward`` exporters need."""

    def __init__(self, ckpt: Checkpoint) -> None:
        super().__init__()
        self.model = ckpt.model.eval()

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.model(wave)


def describe(ckpt: Checkpoint, fmt: str) -> dict[str, Any]:
    """What a deployment needs to feed the exported model and read its output."""
    f = ckpt.feature_cfg
    return {
        "format": fmt,
        "labels": list(ckpt.labels),
        "input": {"name": "wave", "dtype": "float32", "shape": ["batch", f.n_samples],
                  "sample_rate": f.sample_rate,
                  "description": "mono audio at sample_rate, prepared as space.audio.prepare "
                  "does: speech centred in the window, peak-normalised to 0.9"},
        "output": {"name": "logits", "dtype": "float32", "shape": ["batch", len(ckpt.labels)],
                   "description": "softmax over the last axis gives per-label probabilities"},
        "feature_config": to_dict(f),
        "model_config": to_dict(ckpt.model_cfg),
        "meta": {k: v for k, v in ckpt.meta.to_dict().items() if k in ("task", "test_acc", "val_acc")},
    }


def _example(ckpt: Checkpoint, batch: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return 0.1 * torch.randn(batch, ckpt.feature_cfg.n_samples, generator=g)


def write_onnx(module: nn.Module, example: tuple[torch.Tensor, ...], path: str | os.PathLike,
               *, input_names: list[str], output_names: list[str],
               dynamic_axes: dict[str, dict[int, str]], metadata: dict[str, str]) -> None:
    """Trace ``module`` on ``example`` into an ONNX file at ``path`` (not atomic: callers
    write to a temporary name), with ``metadata`` as its metadata properties.

    The one ONNX writer: ``space export`` and the ONNX Runtime engine
    (:mod:`space.recognize.engines.runtime`) both call it.
    """
    import onnx

    with warnings.catch_warnings():
        # torch 2.13's default exporter (dynamo) needs onnxscript, a large extra dependency;
        # the TorchScript-based one handles these graphs (conv, matmul, log, reductions) and
        # warns that it is deprecated.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, example, str(path), input_names=input_names, output_names=output_names,
            dynamic_axes=dynamic_axes, opset_version=ONNX_OPSET, dynamo=False,
        )
    proto = onnx.load(str(path))
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def _to_onnx(module: nn.Module, ckpt: Checkpoint, tmp: str, info: dict[str, Any]) -> None:
    write_onnx(module, (_example(ckpt),), tmp, input_names=["wave"], output_names=["logits"],
               dynamic_axes={"wave": {0: "batch"}, "logits": {0: "batch"}},
               metadata={"space": json.dumps(info), "labels": json.dumps(info["labels"])})


def _to_torchscript(module: nn.Module, ckpt: Checkpoint, tmp: str, info: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "torch.jit.trace is deprecated": still the portable form
        traced = torch.jit.trace(module, (_example(ckpt),))
        torch.jit.save(traced, tmp, _extra_files={"space.json": json.dumps(info)})


def export_model(model: str | os.PathLike | Checkpoint, out: str | os.PathLike, *,
                 fmt: str = "onnx") -> Path:
    """Write ``model`` (bundled name, checkpoint path or loaded checkpoint) as ONNX or
    TorchScript to ``out``, plus ``<out>.json``, atomically.

    Raises
    ------
    UsageError
        Unknown format, or the ONNX packages are not installed.
    ModelError
        The model cannot be loaded or traced.
    """
    from ..bundled import resolve_model
    from ..checkpoint import load

    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    if fmt == "onnx":
        try:
            import onnx  # noqa: F401
        except ImportError:
            raise UsageError("ONNX export needs the onnx package: pip install "
                              "'space-speech[export]'") from None
    from ...io import check_output_path

    out = check_output_path(out, what="--out")
    check_output_path(str(out) + ".json", what="--out")
    ckpt = model if isinstance(model, Checkpoint) else load(resolve_model(model))
    info = describe(ckpt, fmt)
    module = Exportable(ckpt).eval()
    write = _to_onnx if fmt == "onnx" else _to_torchscript
    try:
        atomic_write(out, lambda tmp: write(module, ckpt, tmp, info))
    except (RuntimeError, torch.jit.Error) as e:  # pragma: no cover - tracer failures
        raise ModelError(f"cannot export to {fmt}: {str(e).splitlines()[0]}") from None
    sidecar = Path(str(out) + ".json")
    save_json(info, sidecar)
    return out


def load_exported(path: str | os.PathLike) -> dict[str, Any]:
    """Read the description stored in an exported ONNX or TorchScript file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: file not found")
    if path.suffix.lower() == ".onnx":
        import onnx

        proto = onnx.load(str(path), load_external_data=False)
        props = {p.key: p.value for p in proto.metadata_props}
        if "space" not in props:
            raise ModelError(f"{path}: not an ONNX model exported by space")
        return json.loads(props["space"])
    files = {"space.json": ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecation notice of torch.jit
            torch.jit.load(str(path), _extra_files=files)
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"{path}: not a TorchScript file ({str(e).splitlines()[0]})") from None
    if not files["space.json"]:
        raise ModelError(f"{path}: not a TorchScript model exported by space")
    return json.loads(files["space.json"])
