"""A cold start on ONNX Runtime runs the cached graph and its sidecar without PyTorch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from space.recognize.engines.runtime import cached_graph, onnx_available

pytestmark = pytest.mark.skipif(not onnx_available(), reason="onnxruntime/onnx not installed")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's graphs in its own cache folder (``$SPACE_CACHE_DIR``), here and in the
    fresh processes it starts."""
    monkeypatch.setenv("SPACE_CACHE_DIR", str(tmp_path / "cache"))


def _cold(args: list[str]) -> dict:
    """``space ARGS`` (with --json) in a fresh process; also reports whether torch, onnx and
    numba were imported."""
    code = (
        "import io, json, sys, contextlib\n"
        "from space.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    rc = main({args!r})\n"
        "print(json.dumps({'rc': rc, 'out': json.loads(buf.getvalue()),\n"
        "                  'torch': 'torch' in sys.modules, 'onnx': 'onnx' in sys.modules,\n"
        "                  'numba': 'numba' in sys.modules}))\n"
    )
    env = {"SPACE_ENGINE": "onnx", "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in __import__("os").environ.items()
                if k.startswith("PYTHON") or k == "SPACE_CACHE_DIR"})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _predict_cold(model: Path, wav: Path) -> dict:
    """``space predict --json`` in a fresh process (:func:`_cold`)."""
    return _cold(["predict", "--json", str(wav), "--model", str(model)])


def test_second_start_runs_the_cached_graph_without_torch(tiny_model: Path, wav_file: Path,
                                                          tmp_path: Path) -> None:
    model = tmp_path / "m.pt"
    shutil.copy(tiny_model, model)  # the graph and sidecar go to the cache, never beside it
    first = _predict_cold(model, wav_file)  # builds the graph and the sidecar (torch)
    assert first["rc"] == 0 and first["torch"] is True
    found = cached_graph(model, "recognizer")
    assert found is not None
    graph, side = found
    assert graph.parent == tmp_path / "cache" / "onnx" and first["out"]["label"] in side["labels"]
    assert not list(tmp_path.glob("*.onnx*"))  # nothing beside the checkpoint
    assert set(side) == {"labels", "feature_config", "model_config", "meta"}
    second = _predict_cold(model, wav_file)
    assert second["rc"] == 0 and second["torch"] is False and second["onnx"] is False
    assert second["out"]["label"] == first["out"]["label"]
    assert np.isclose(second["out"]["probability"], first["out"]["probability"], atol=1e-6)


def test_a_changed_checkpoint_is_not_served_from_the_old_cache(tiny_model: Path, wav_file: Path,
                                                               tmp_path: Path) -> None:
    model = tmp_path / "m.pt"
    shutil.copy(tiny_model, model)
    _predict_cold(model, wav_file)
    assert cached_graph(model, "recognizer") is not None
    model.write_bytes(model.read_bytes() + b"\0")  # other bytes: another key
    assert cached_graph(model, "recognizer") is None


def test_a_damaged_sidecar_falls_back_to_the_checkpoint(tiny_model: Path, wav_file: Path,
                                                        tmp_path: Path) -> None:
    from space.recognize.words.recognizer import Recognizer

    model = tmp_path / "m.pt"
    shutil.copy(tiny_model, model)
    _predict_cold(model, wav_file)
    graph, _ = cached_graph(model, "recognizer") or (None, None)
    assert graph is not None
    Path(str(graph) + ".json").write_text(json.dumps({"labels": ["a"]}))  # no configs
    assert Recognizer.from_cache(model) is None
    again = _predict_cold(model, wav_file)  # through the checkpoint, which rewrites it
    assert again["rc"] == 0 and again["torch"] is True
    assert _predict_cold(model, wav_file)["torch"] is False


def _score_cold(wav: Path, word: str) -> dict:
    """``space score --json`` in a fresh process (:func:`_cold`)."""
    return _cold(["score", "--json", "--word", word, str(wav)])


def test_a_cold_score_runs_the_cached_phone_graphs_without_torch() -> None:
    """The phone model's graphs (wide and narrow band) are cached with a sidecar like the
    recogniser's: the second cold ``space score`` of each band imports neither PyTorch nor
    numba and gives the same verdict."""
    from space.pronounce.evidence.acoustic import KINDS, Acoustic, bundled_path

    root = Path(__file__).resolve().parents[1] / "examples"
    for wav, word in ((root / "3_three_espeak_female.wav", "three"),  # wide band
                      (root / "4_four_fsdd_theo_0.wav", "four")):  # 8 kHz: the narrow graph
        first = _score_cold(wav, word)
        second = _score_cold(wav, word)
        assert first["rc"] == 0 and second["rc"] == 0 and second["torch"] is False
        assert second["numba"] is False  # the alignment is numpy: no kernel to load
        assert second["out"]["score"] == first["out"]["score"]
        assert [p["score"] for p in second["out"]["words"][0]["phones"]] == \
            [p["score"] for p in first["out"]["words"][0]["phones"]]
    for narrow in (False, True):
        graph, side = cached_graph(bundled_path(), KINDS[narrow]) or (None, None)
        assert graph is not None and side["labels"][-1] == "SIL"
    a = Acoustic.from_file(bundled_path())
    assert a._model is None and a.feature_cfg.sample_rate == 16000  # ran from the cache
