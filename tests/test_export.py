"""ONNX and TorchScript export: the exported file gives the PyTorch model's logits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from space.cli import main
from space.errors import ModelError, SpaceError, UsageError
from space.recognize.bundled import bundled_model_path
from space.recognize.checkpoint import load
from space.recognize.engines.export import export_model, load_exported
from space.recognize.words.recognizer import load_model

from .conftest import SPEECH_COMMANDS, needs_speech_commands

TOL = 1e-4
# torch 2.13 marks torch.jit deprecated; loading TorchScript files is what is under test.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


def _commands_model() -> Path:
    try:
        return bundled_model_path("commands")
    except ModelError as e:
        pytest.skip(str(e))


def real_windows(rec, n: int = 8) -> np.ndarray:
    """Prepared windows of real Speech Commands test clips (one per command word)."""
    lines = (SPEECH_COMMANDS / "testing_list.txt").read_text().split()
    picked, seen = [], set()
    for rel in lines:
        word = rel.split("/")[0]
        if word not in seen:
            seen.add(word)
            picked.append(SPEECH_COMMANDS / rel)
        if len(picked) == n:
            break
    return np.stack([rec.prepare(p) for p in picked])


def torch_logits(ckpt_path: Path, x: np.ndarray) -> np.ndarray:
    model = load(ckpt_path).model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


@needs_speech_commands
def test_onnx_matches_pytorch_on_real_clips(tmp_path):
    import onnxruntime as ort

    path = _commands_model()
    x = real_windows(load_model(path))
    out = export_model(path, tmp_path / "commands.onnx", fmt="onnx")
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["wave"]
    got = sess.run(["logits"], {"wave": x})[0]
    want = torch_logits(path, x)
    assert got.shape == (8, 12)
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
    assert (got.argmax(1) == want.argmax(1)).all()
    one = sess.run(["logits"], {"wave": x[:1]})[0]  # the batch axis is free
    np.testing.assert_allclose(one, want[:1], atol=TOL, rtol=0)


@needs_speech_commands
def test_torchscript_matches_pytorch_on_real_clips(tmp_path):
    path = _commands_model()
    x = real_windows(load_model(path))
    out = export_model(path, tmp_path / "commands.ts", fmt="torchscript")
    ts = torch.jit.load(str(out))
    with torch.no_grad():
        got = ts(torch.from_numpy(x)).numpy()
        three = ts(torch.from_numpy(x[:3])).numpy()
    want = torch_logits(path, x)
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
    np.testing.assert_allclose(three, want[:3], atol=TOL, rtol=0)


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_export_carries_labels_and_input_spec(tmp_path, tiny_model, synthetic_dataset, fmt):
    out = export_model(tiny_model, tmp_path / f"m.{fmt}", fmt=fmt)
    info = load_exported(out)
    side = json.loads(Path(str(out) + ".json").read_text())
    assert info == side
    assert info["labels"] == ["beep", "fall", "rise"]
    assert info["input"]["shape"] == ["batch", 16000]
    assert info["input"]["sample_rate"] == 16000
    assert info["feature_config"]["fmax"] == 8000.0
    # No temporary files left beside the outputs.
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"m.{fmt}", f"m.{fmt}.json"]
    # And the synthetic model's logits match too.
    rec = load_model(tiny_model)
    x = np.stack([rec.prepare(p) for p in sorted(synthetic_dataset.rglob("*.wav"))[:5]])
    if fmt == "onnx":
        import onnxruntime as ort

        got = ort.InferenceSession(str(out)).run(None, {"wave": x})[0]
    else:
        with torch.no_grad():
            got = torch.jit.load(str(out))(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, torch_logits(tiny_model, x), atol=TOL, rtol=0)


def test_export_bad_input(tmp_path, tiny_model, capsys):
    with pytest.raises(UsageError, match="unknown export format 'tflite'"):
        export_model(tiny_model, tmp_path / "m.tflite", fmt="tflite")
    with pytest.raises(SpaceError, match="is a folder"):
        export_model(tiny_model, tmp_path, fmt="onnx")
    with pytest.raises(ModelError, match="no such model file"):
        export_model(tmp_path / "missing.pt", tmp_path / "m.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        load_exported(tmp_path / "bad.ts")
    rc = main(["export", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "no such model file" in err and "\n" not in err
    assert not (tmp_path / "m.onnx").exists()


def test_cli_export(tmp_path, tiny_model, capsys):
    rc = main(["export", str(tiny_model), "--format", "torchscript",
               "--out", str(tmp_path / "m.pt")])
    assert rc == 0
    assert "wrote" in capsys.readouterr().err
    assert load_exported(tmp_path / "m.pt")["format"] == "torchscript"
