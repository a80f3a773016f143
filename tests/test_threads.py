"""The one thread policy (space.threads) and batch preparation in worker threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space import threads
from space.errors import SpaceError, UsageError
from space.recognize.engines.runtime import onnx_available

from .conftest import word_like


@pytest.fixture
def policy_reset(monkeypatch: pytest.MonkeyPatch):
    """Each test starts with no policy applied, and the process's is restored after."""
    import torch

    before, torch_before = threads._applied, torch.get_num_threads()
    monkeypatch.setattr(threads, "_applied", None)
    yield
    threads._applied = before
    torch.set_num_threads(torch_before)


def test_policy_default_and_environment(policy_reset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(threads.ENV, raising=False)
    assert threads.DEFAULT == 2
    assert threads.policy() == min(2, len(os.sched_getaffinity(0)))
    monkeypatch.setenv(threads.ENV, "3")
    assert threads.policy() == 3
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv(threads.ENV, bad)
        with pytest.raises(UsageError, match="SPACE_THREADS must be a whole number"):
            threads.policy()


def test_apply_sets_torch_and_engines_follow(policy_reset, monkeypatch: pytest.MonkeyPatch,
                                             tiny_model: Path) -> None:
    import torch

    from space.recognize.words.recognizer import load_model

    monkeypatch.setenv(threads.ENV, "1")
    torch.set_num_threads(2)
    assert threads.current() == 1 and torch.get_num_threads() == 1  # applied on first use
    assert threads.apply(2) == 2 and torch.get_num_threads() == 2
    torch.set_num_threads(1)  # someone else changed it: the next engine puts the policy back
    rec = load_model(tiny_model, engine="torch")
    assert rec.engine.threads == 2 and torch.get_num_threads() == 2
    rec.set_threads(1)  # PyTorch's setting is process-wide: the policy follows it
    assert threads.current() == 1
    with pytest.raises(UsageError, match="threads must be 1 or more"):
        threads.apply(0)
    if onnx_available():
        assert load_model(tiny_model, engine="onnx").engine.threads == 1


def test_cli_refuses_a_bad_thread_count_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, threads.ENV: "many"}
    out = subprocess.run([sys.executable, "-m", "space", "references", "list"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "space references: error: $SPACE_THREADS must be a whole number of threads "
        "(1 or more), not 'many'"]


def test_predict_many_in_threads_keeps_order_and_errors(tiny_model: Path, tmp_path: Path,
                                                        rng: np.random.Generator) -> None:
    from space.recognize.words.recognizer import load_model

    files: list[Path] = []
    for i in range(23):
        p = tmp_path / f"c{i}.wav"
        if i % 7 == 3:
            p.write_bytes(b"not audio")  # a bad file among good ones
        else:
            sf.write(p, word_like(i % 3, 16000, rng), 16000)
        files.append(p)
    rec = load_model(tiny_model)
    rec.set_threads(1)
    one = list(rec.predict_many(files, batch_size=5))
    rec.set_threads(2)
    two = list(rec.predict_many(files, batch_size=5))
    assert len(one) == len(two) == len(files)
    for f, a, b in zip(files, one, two):
        if f.read_bytes() == b"not audio":
            assert isinstance(a, SpaceError) and isinstance(b, SpaceError)
            assert str(a) == str(b)
        else:
            assert not isinstance(a, SpaceError) and not isinstance(b, SpaceError)
            assert a.source == b.source == str(f) and a.label == b.label
            assert abs(a.probability - b.probability) < 1e-5
