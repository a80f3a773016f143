"""Inference engines (space.recognize.engines.runtime): ONNX Runtime and PyTorch agree on real clips, the
choice follows SPACE_ENGINE, and cached exports are never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from space import audio
from space.errors import UsageError
from space.recognize.engines.runtime import engine_name, onnx_available

from .conftest import FSDD, ROOT

needs_onnx = pytest.mark.skipif(not onnx_available(),
                                reason="onnxruntime/onnx not installed (export extra)")
EXAMPLES = sorted((ROOT / "examples").glob("*.wav"))
TOL = 1e-4  # the two engines' outputs (probabilities, frames, log-mels) differ by less


def real_clips() -> list[Path]:
    """The shipped examples, and (when the data is there) FSDD test clips of every speaker."""
    clips = list(EXAMPLES)
    rec = FSDD / "recordings"
    if rec.is_dir():
        clips += sorted(rec.glob("*_0.wav"))[::4]  # index 0: test split; 1 in 4 digits x speakers
    return clips


def test_engine_name_follows_argument_then_environment(monkeypatch) -> None:
    monkeypatch.delenv("SPACE_ENGINE", raising=False)
    assert engine_name() == ("onnx" if onnx_available() else "torch")
    assert engine_name("torch") == "torch"
    monkeypatch.setenv("SPACE_ENGINE", "TORCH ")
    assert engine_name() == "torch"
    monkeypatch.setenv("SPACE_ENGINE", "tensorrt")
    with pytest.raises(UsageError, match="unknown engine 'tensorrt'.*onnx or torch"):
        engine_name()
    with pytest.raises(UsageError, match="unknown engine 'jax'"):
        engine_name("jax")


def test_onnx_asked_for_without_onnxruntime_is_a_clear_error(monkeypatch) -> None:
    import space.recognize.engines.runtime as eng

    monkeypatch.setattr(eng, "onnx_available", lambda: False)
    monkeypatch.delenv("SPACE_ENGINE", raising=False)
    assert eng.engine_name() == "torch"  # the fallback
    with pytest.raises(UsageError, match=r"pip install 'space-speech\[export\]'"):
        eng.engine_name("onnx")


@needs_onnx
def test_recognizer_engines_agree_on_real_clips() -> None:
    from space.errors import ModelError
    from space.recognize.words.recognizer import load_model

    try:
        onnx, torch_ = load_model("digits", engine="onnx"), load_model("digits", engine="torch")
    except ModelError as e:
        pytest.skip(f"bundled digits model missing: {e}")
    assert (onnx.engine_name, torch_.engine_name) == ("onnx", "torch")
    clips = real_clips()
    windows = np.stack([onnx.prepare(p) for p in clips])
    a, b = onnx.probabilities(windows), torch_.probabilities(windows)
    assert a.shape == (len(clips), len(onnx.labels))
    assert np.max(np.abs(a - b)) < TOL
    assert np.array_equal(a.argmax(1), b.argmax(1))
    # One at a time (batch 1, the path `space predict FILE` takes) too.
    for p in EXAMPLES:
        pa, pb = onnx.predict(p), torch_.predict(p)
        assert pa.label == pb.label == p.name[0]  # examples are named <digit>_...
        assert abs(pa.probability - pb.probability) < TOL


@needs_onnx
def test_frame_encoder_engines_agree_on_real_clips() -> None:
    from space.pronounce.references.frames import Featurizer
    from space.recognize.frame_model import bundled_encoder_path, load_encoder

    if not bundled_encoder_path().is_file():
        pytest.skip("bundled frame encoder missing (make models)")
    ck = load_encoder(bundled_encoder_path())
    onnx, torch_ = Featurizer(ck, engine="onnx"), Featurizer(ck, engine="torch")
    assert (onnx.engine.name, torch_.engine.name) == ("onnx", "torch")
    for p in real_clips():
        y, sr = audio.load(p)
        ua, ub = onnx(y, sr, name=str(p)), torch_(y, sr, name=str(p))
        assert ua.frames.shape == ub.frames.shape  # the same speech span was found
        assert np.max(np.abs(ua.frames - ub.frames)) < TOL
        assert np.max(np.abs(ua.spec - ub.spec)) < TOL
    # A long recording (the window grows past 1 s): the graph's time axis is free.
    y, sr = audio.load(EXAMPLES[0])
    long = np.concatenate([np.zeros(sr, np.float32), y, np.zeros(sr // 2, np.float32)])
    ua, ub = onnx(long, sr), torch_(long, sr)
    assert ua.spec.shape == ub.spec.shape and np.max(np.abs(ua.frames - ub.frames)) < TOL


@needs_onnx
def test_export_cached_in_the_cache_folder_and_never_stale(tiny_model: Path, tmp_path: Path,
                                                            monkeypatch, wav_file: Path) -> None:
    import torch

    from space.recognize import checkpoint
    from space.recognize.words.recognizer import load_model

    cache = tmp_path / "cache"
    monkeypatch.setenv("SPACE_CACHE_DIR", str(cache))
    user = tmp_path / "mine"
    user.mkdir()
    ck_path = user / "m.pt"
    shutil.copy(tiny_model, ck_path)
    rec = load_model(ck_path, engine="onnx")
    assert sorted(p.name for p in user.iterdir()) == ["m.pt"]  # nothing beside the user's model
    first = sorted((cache / "onnx").glob("m-*.recognizer.*.onnx"))
    assert len(first) == 1
    mtime = first[0].stat().st_mtime_ns
    assert load_model(ck_path, engine="onnx").predict(wav_file) == rec.predict(wav_file)
    assert first[0].stat().st_mtime_ns == mtime  # reused, not rebuilt
    # Another m.pt in another folder gets its own file and does not evict the first.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(tiny_model, other / "m.pt")
    load_model(other / "m.pt", engine="onnx")
    both = sorted((cache / "onnx").glob("m-*.recognizer.*.onnx"))
    assert len(both) == 2 and first[0] in both
    # New weights under the same file name: a new key, a new export, the old one removed.
    ck = checkpoint.load(ck_path)
    with torch.no_grad():
        ck.model.cnn.head.bias += torch.linspace(-3, 3, len(ck.labels))
    checkpoint.save(ck, ck_path)
    new_onnx = load_model(ck_path, engine="onnx")
    second = sorted((cache / "onnx").glob("m-*.recognizer.*.onnx"))
    assert len(second) == 2 and first[0] not in second
    w = new_onnx.prepare(wav_file)[None]
    want = load_model(ck_path, engine="torch").probabilities(w)
    assert np.max(np.abs(new_onnx.probabilities(w) - want)) < TOL
    assert np.max(np.abs(rec.probabilities(w) - want)) > 1e-3  # the old graph would be wrong


@needs_onnx
def test_read_only_cache_builds_in_memory(tiny_model: Path, tmp_path: Path,
                                          monkeypatch, wav_file: Path) -> None:
    import space.recognize.engines.runtime as eng
    from space.recognize.words.recognizer import load_model

    pkg = tmp_path / "pkg"  # stands for an installed, read-only package folder
    pkg.mkdir()
    shutil.copy(tiny_model, pkg / "m.pt")
    monkeypatch.setenv("SPACE_CACHE_DIR", str(tmp_path / "cache"))
    rec = load_model(pkg / "m.pt", engine="onnx")
    # Nowhere to write: exported into memory, same answers.
    monkeypatch.setattr(eng, "_writable", lambda folder: False)
    mem = load_model(pkg / "m.pt", engine="onnx")
    assert mem.engine_name == "onnx"
    w = rec.prepare(wav_file)[None]
    assert np.max(np.abs(mem.probabilities(w) - rec.probabilities(w))) < 1e-6


@needs_onnx
def test_threads_are_settable(tiny_model: Path, wav_file: Path) -> None:
    from space.recognize.words.recognizer import load_model

    rec = load_model(tiny_model, engine="onnx")
    w = rec.prepare(wav_file)[None]
    p1 = rec.probabilities(w)
    rec.set_threads(2)
    assert rec.engine.threads == 2
    assert np.allclose(rec.probabilities(w), p1, atol=1e-6)


def test_torch_engine_from_environment(tiny_model: Path, monkeypatch, wav_file: Path) -> None:
    from space.recognize.words.recognizer import load_model

    monkeypatch.setenv("SPACE_ENGINE", "torch")
    rec = load_model(tiny_model)
    assert rec.engine_name == "torch"
    assert rec.predict(wav_file).label in rec.labels
