"""A damaged checkpoint is refused on load, in one line, on every face (issue 19, item 3)."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from space.cli import main
from space.config import FeatureConfig, ModelConfig
from space.errors import ModelError
from space.recognize import bundled_model_path, checkpoint
from space.recognize.words.model import SpaceModel


def tiny(path: Path) -> Path:
    torch.manual_seed(0)
    m = SpaceModel(FeatureConfig(), ModelConfig(n_classes=2, channels=(4,)))
    return checkpoint.save(checkpoint.Checkpoint(m, ["a", "b"]), path)


def test_checksum_is_written_and_checked(tmp_path: Path) -> None:
    p = tiny(tmp_path / "m.pt")
    payload = torch.load(p, weights_only=True)
    assert payload["weights_sha256"] == checkpoint.weights_digest(payload["state_dict"])
    checkpoint.load(p)  # intact: loads
    # One weight changed to another finite value: only the checksum can tell.
    name = next(k for k, v in payload["state_dict"].items() if v.is_floating_point()
                and v.numel() > 1 and k.startswith("cnn"))
    payload["state_dict"][name].view(-1)[0] += 0.5
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(ModelError, match="do not match the checksum"):
        checkpoint.load(tmp_path / "bad.pt")


def test_without_checksum_the_probe_refuses_nan(tmp_path: Path) -> None:
    payload = torch.load(tiny(tmp_path / "m.pt"), weights_only=True)
    del payload["weights_sha256"]  # as in checkpoints written before the checksum
    torch.save(payload, tmp_path / "old.pt")
    checkpoint.load(tmp_path / "old.pt")  # an old, intact file still loads
    name = next(k for k in payload["state_dict"] if k.startswith("cnn") and k.endswith("weight"))
    payload["state_dict"][name].view(-1)[:3] = float("nan")
    torch.save(payload, tmp_path / "old_bad.pt")
    with pytest.raises(ModelError, match="computes NaN or infinity"):
        checkpoint.load(tmp_path / "old_bad.pt")


def test_bundled_models_still_load() -> None:
    from space.pronounce.evidence.phone_model import bundled_phone_model_path, load_phone_model
    from space.recognize.frame_model import bundled_encoder_path, load_encoder
    from space.recognize.sequence.model import SequenceModel

    for name in ("digits", "commands"):
        checkpoint.load(bundled_model_path(name))
    load_encoder(bundled_encoder_path())
    load_phone_model(bundled_phone_model_path())
    SequenceModel()


@pytest.fixture
def flipped(tmp_path: Path) -> Path:
    """digits.pt with 200 bytes flipped past offset 1000 (as in the issue)."""
    data = bytearray(bundled_model_path("digits").read_bytes())
    rng = np.random.default_rng(0)
    for i in rng.choice(np.arange(1000, len(data)), 200, replace=False):
        data[i] ^= 0xFF
    p = tmp_path / "flip.pt"
    p.write_bytes(bytes(data))
    return p


def test_every_face_refuses_a_flipped_checkpoint(flipped, tmp_path, capsys) -> None:
    t = np.arange(16000) / 16000
    clip = tmp_path / "clip.wav"
    sf.write(clip, (0.3 * np.sin(2 * np.pi * 300 * (t + t**2))).astype(np.float32), 16000)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    for argv in (["predict", "--json", "-m", str(flipped), str(clip)],
                 ["export", "-m", str(flipped), "--out", str(tmp_path / "x.onnx")],
                 ["serve", "--model", str(flipped), "--port", port]):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and "damaged" in err and err.count("\n") == 1, (argv, err)
    assert not (tmp_path / "x.onnx").exists()
    assert not list(tmp_path.glob("*.onnx"))  # nothing cached beside the broken model
