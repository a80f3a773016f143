import numpy as np
import pytest
import torch

from space.config import FeatureConfig, ModelConfig
from space.errors import ModelError
from space.recognize import checkpoint
from space.recognize.words.model import SpaceModel
from space.recognize.words.recognizer import Recognizer, load_model

from .conftest import word_like


def _ckpt():
    torch.manual_seed(0)
    m = SpaceModel(FeatureConfig(fmax=3000, n_mels=32), ModelConfig(n_classes=3, channels=(4, 8)))
    return checkpoint.Checkpoint(m.eval(), ["a", "b", "c"],
                                 checkpoint.TrainingMeta(task="12", extra={"note": "x"}), None)


def test_roundtrip_rebuilds_model_from_file_alone(tmp_path):
    ck = _ckpt()
    p = checkpoint.save(ck, tmp_path / "m.pt")
    back = checkpoint.load(p)
    assert back.labels == ["a", "b", "c"]
    assert back.feature_cfg == FeatureConfig(fmax=3000, n_mels=32)
    assert back.model_cfg.channels == (4, 8)
    assert back.meta.task == "12" and back.meta.extra == {"note": "x"}  # unknown keys kept
    x = torch.randn(2, 16000)
    with torch.no_grad():
        assert torch.allclose(ck.model(x), back.model(x))


def test_atomic_write_gives_normal_permissions(tmp_path):
    import os
    import stat

    p = checkpoint.atomic_write(tmp_path / "x.txt", lambda tmp: open(tmp, "w").write("hi"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask
    assert p.read_text() == "hi"


def test_atomic_save_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = checkpoint.save(_ckpt(), tmp_path / "m.pt")
    before = p.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        checkpoint.save(_ckpt(), p)
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["m.pt"]  # no temp file left behind


@pytest.mark.parametrize("damage", ["garbage", "truncated", "not_space", "wrong_labels"])
def test_corrupt_checkpoint_is_a_model_error(tmp_path, damage):
    p = checkpoint.save(_ckpt(), tmp_path / "m.pt")
    if damage == "garbage":
        p.write_bytes(b"\x00\x01 definitely not a checkpoint" * 10)
    elif damage == "truncated":
        p.write_bytes(p.read_bytes()[:2000])
    elif damage == "not_space":
        torch.save({"weights": torch.zeros(3)}, p)
    else:
        payload = torch.load(p, weights_only=True)
        payload["labels"] = ["only-one"]
        torch.save(payload, p)
    with pytest.raises(ModelError) as e:
        checkpoint.load(p)
    assert str(p) in str(e.value)


def test_missing_model_names_the_choices(tmp_path):
    with pytest.raises(ModelError, match="no such model file.*bundled models: digits"):
        load_model(tmp_path / "nope.pt")


def test_prediction_uses_stored_feature_config(tmp_path):
    ck = _ckpt()
    rec = Recognizer(ck)
    y = word_like(0, 8000, np.random.default_rng(0))  # (plain noise is refused: no speech)
    p8 = rec.predict(y, sr=8000)
    assert p8.label in ck.labels and 0 <= p8.probability <= 1
    assert abs(sum(p for _, p in rec.predict(y, sr=8000, top_k=3).top_k) - 1) < 1e-5
