"""The phone encoder's checkpoint (the one reader/writer) and its training task (the one
loop, the one augmentation chain): frame targets follow the word wherever the chain puts it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from space.config import PHONES_TRAIN, AugmentConfig, EncoderConfig
from space.data import Augmenter
from space.errors import ModelError
from space.pronounce.evidence import phone_model as pe
from space.recognize import checkpoint
from space.training.phones import IGNORE, PhoneDataset, phones_task

SR = 16000


def _tiny_model() -> pe.PhoneModel:
    torch.manual_seed(0)
    cfg = EncoderConfig(channels2d=(4,), channels1d=(8,), kernel1d=5, dilations=(1,), dim=8,
                        n_classes=len(pe.LABELS))
    return pe.PhoneModel(pe.FrameEncoder(cfg, pe.FEATURES.n_mels).eval(), pe.FEATURES,
                         list(pe.LABELS), {"n": 1})


def test_phone_model_goes_through_the_one_checkpoint_format(tmp_path) -> None:
    m = _tiny_model()
    p = pe.save_phone_model(m, tmp_path / "p.pt", train_state={"epoch": 2})
    payload = checkpoint.read(p, format=pe.FORMAT)
    assert payload["format_version"] == checkpoint.FORMAT_VERSIONS["space-phone-encoder"] == 1
    assert payload["train_state"] == {"epoch": 2}
    back = pe.load_phone_model(p)
    assert back.labels == list(pe.LABELS) and back.meta == {"n": 1} and len(back.sha1) == 40
    feats = torch.randn(1, pe.FEATURES.n_mels, 40)
    torch.testing.assert_close(back.encoder(feats)[1], m.encoder(feats)[1])
    # another kind of checkpoint is refused by name, a newer version by version
    with pytest.raises(ModelError, match="not a SPACE frame encoder checkpoint"):
        from space.recognize.frame_model import load_encoder

        load_encoder(p)
    raw = torch.load(p, weights_only=True)
    raw["format_version"], raw["space_version"] = 2, "9.0"
    torch.save(raw, p)
    with pytest.raises(ModelError, match=r"newer SPACE \(9.0\)"):
        pe.load_phone_model(p)
    with pytest.raises(ModelError, match="phone model file not found"):
        pe.load_phone_model(tmp_path / "none.pt")


def test_shipped_phone_model_loads_and_resaves_to_the_same_outputs(tmp_path) -> None:
    path = pe.bundled_phone_model_path()
    if not path.is_file():
        pytest.skip(f"{path} is missing (space train-phones, docs/phones.md)")
    m = pe.load_phone_model(path)
    assert m.labels == list(pe.LABELS) and m.feature_cfg == pe.FEATURES
    assert m.encoder.cfg == replace(pe.DEFAULT_CONFIG, n_classes=len(pe.LABELS))
    again = pe.load_phone_model(pe.save_phone_model(m, tmp_path / "again.pt"))
    t = np.arange(SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.abs(t - 0.5) < 0.25)).astype(np.float32)
    y += np.random.default_rng(0).normal(0, 0.01, SR).astype(np.float32)
    from space.pronounce.evidence.acoustic import Acoustic

    a = Acoustic(m, engine="torch")(y, SR)
    b = Acoustic(again, engine="torch")(y, SR)
    np.testing.assert_array_equal(a.logp, b.logp)


def _labels_file(tmp_path: Path, n: int = 6) -> Path:
    """Clips of two 'phones' (AA: a 500 Hz tone, then S: a 2 kHz tone) with silence around,
    and a labels file in the shape phone_labels writes."""
    clips = {}
    t = np.arange(int(0.15 * SR)) / SR
    for i in range(n):
        y = np.zeros(int(1.0 * SR), np.float32)
        a = int((0.3 + 0.02 * i) * SR)
        y[a : a + len(t)] = 0.5 * np.sin(2 * np.pi * 500 * t)
        y[a + len(t) : a + 2 * len(t)] = 0.5 * np.sin(2 * np.pi * 2000 * t)
        p = tmp_path / f"c{i}.wav"
        sf.write(p, y, SR)
        s = a / SR
        clips[str(p)] = {"word": "as", "source": "speech_commands", "sr": SR, "speaker": f"s{i}",
                         "split": "train" if i < n - 2 else "val",
                         "phones": [["AA", s, s + 0.15], ["S", s + 0.15, s + 0.3]]}
    out = tmp_path / "labels.json"
    out.write_text(json.dumps({"clips": clips, "failed": {}}))
    return out


def _dominant_hz(w: np.ndarray, centre: int) -> float:
    seg = w[max(0, centre - 200) : centre + 200] * np.hanning(len(w[max(0, centre - 200) : centre + 200]))
    spec = np.abs(np.fft.rfft(seg, 4096))
    return float(np.fft.rfftfreq(4096, 1 / SR)[np.argmax(spec)])


@pytest.mark.parametrize("speed", [1.0, 1.2])
def test_frame_targets_follow_the_word_through_the_augmentation_chain(tmp_path, speed) -> None:
    data = json.loads(_labels_file(tmp_path).read_text())
    entries = sorted(data["clips"].items())
    # speed changes pitch and length together: the tones move to 500*speed and 2000*speed
    aug = Augmenter(replace(AugmentConfig.none(), p_speed=1.0, speed=(speed, speed),
                            time_shift_s=0.1), SR)
    ds = PhoneDataset(entries, pe.FEATURES, augmenter=aug, n_samples=int(0.8 * SR))
    aa, s = pe.LABELS.index("AA"), pe.LABELS.index("S")
    for k in range(len(ds)):
        w, y = ds[k]
        lab = y["frames"].numpy()
        assert lab.shape == (int(0.8 * SR) // 160 + 1,)
        assert {aa, s, pe.SIL} <= set(lab.tolist()) and set(lab.tolist()) <= {aa, s, pe.SIL,
                                                                               IGNORE}
        # frames labelled AA come before those labelled S, with silence outside both
        assert np.flatnonzero(lab == aa).max() < np.flatnonzero(lab == s).min()
        for phone, hz in ((aa, 500 * speed), (s, 2000 * speed)):
            for f in np.flatnonzero(lab == phone)[1:-1]:
                assert _dominant_hz(w.numpy(), f * 160) == pytest.approx(hz, rel=0.03)
        # the labelled span is as long as the word after the speed change (0.3 s / speed)
        n_speech = int(np.sum((lab == aa) | (lab == s)))
        assert n_speech == pytest.approx(30 / speed - 4, abs=3)  # less 10 ms at each edge


def test_narrowband_items_are_marked_and_lowpassed(tmp_path) -> None:
    data = json.loads(_labels_file(tmp_path, 2).read_text())
    entries = sorted(data["clips"].items())
    entries[0][1]["sr"] = 8000  # an FSDD-like clip: narrowband as it is
    ds = PhoneDataset(entries, pe.FEATURES, n_samples=int(0.8 * SR))
    assert [bool(ds[k][1]["narrow"]) for k in range(2)] == [True, False]


def test_train_phones_through_the_one_loop_and_resume(tmp_path, capsys) -> None:
    from space.cli import main as cli

    labels = _labels_file(tmp_path, 8)
    out = tmp_path / "phones.pt"
    assert cli(["train-phones", "--labels", str(labels), "--out", str(out), "--epochs", "2",
                "--batch-size", "4", "--threads", "1", "-q", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["checkpoint"] == str(out) and summary["labels"] == list(pe.LABELS)
    m = pe.load_phone_model(out)
    assert m.meta["train_clips"] == 6 and m.meta["val_clips"] == 2
    assert m.meta["train_config"]["batch_size"] == 4
    assert m.meta["train_config"]["augment"]["time_mask_width"] == 4  # PHONES_TRAIN's
    assert [h["epoch"] for h in m.meta["history"]] == [1, 2]
    assert 0 <= m.meta["val_acc"] <= 1
    last = tmp_path / "phones.last.pt"
    assert checkpoint.read(last, format=pe.FORMAT)["train_state"]["epoch"] == 1
    # a finished run resumed trains no more epochs and keeps its history
    assert cli(["train-phones", "--labels", str(labels), "--out", str(out), "--epochs", "2",
                "--batch-size", "4", "--threads", "1", "-q", "--resume", str(last)]) == 0
    assert [h["epoch"] for h in pe.load_phone_model(out).meta["history"]] == [1, 2]
    assert cli(["train-phones", "--labels", str(tmp_path / "none.json"), "--out",
                str(out)]) == 2
    assert "phone labels file not found" in capsys.readouterr().err


def test_phones_task_loss_ignores_unscored_frames(tmp_path) -> None:
    data = json.loads(_labels_file(tmp_path, 4).read_text())
    entries = sorted(data["clips"].items())
    cfg = replace(PHONES_TRAIN, augment=AugmentConfig.none())
    task = phones_task(entries[:2], entries[2:], replace(pe.DEFAULT_CONFIG,
                                                          n_classes=len(pe.LABELS)), cfg)
    x, y = zip(*[task.train_set[k] for k in range(2)], strict=True)
    batch = {"frames": torch.stack([t["frames"] for t in y]),
             "narrow": torch.tensor([t["narrow"] for t in y])}
    loss = task.loss(task.model, torch.stack(x), batch, lambda f: f)
    assert torch.isfinite(loss) and loss.item() > 0
    assert task.validate is not None and 0 <= task.validate(task.model) <= 1
