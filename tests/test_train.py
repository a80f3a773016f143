"""Training end to end on synthetic 'words' (rising chirp, falling chirp, two beeps)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.api import evaluate_model, train_model
from space.cli import main as cli
from space.config import ModelConfig, TrainConfig
from space.errors import UsageError
from space.recognize import checkpoint
from space.recognize.words.recognizer import load_model

from .conftest import word_like

SMALL = ModelConfig(channels=(4, 8))  # n_classes comes from the data


def test_trained_model_learns_the_words(tiny_model, synthetic_dataset):
    ck = checkpoint.load(tiny_model)
    assert ck.labels == ["beep", "fall", "rise"]
    assert ck.meta.test_acc >= 0.9
    report, _ = evaluate_model(tiny_model, synthetic_dataset, split="test")
    assert report.accuracy >= 0.9
    # a fresh clip at another rate, never seen in training
    rec = load_model(tiny_model)
    y = word_like(1, 44100, np.random.default_rng(99))
    assert rec.predict(y, sr=44100).label == "fall"


def test_checkpoint_carries_configs_and_history(tiny_model):
    ck = checkpoint.load(tiny_model)
    assert ck.model_cfg.channels == (8, 16, 32)
    assert ck.feature_cfg.fmax == 8000.0  # not FSDD: full 16 kHz band
    hist = ck.meta.history
    assert [h["epoch"] for h in hist] == list(range(1, 7))
    assert ck.train_state is None  # the best checkpoint is lean; .last.pt resumes
    last = checkpoint.load(tiny_model.with_name("synth.last.pt"))
    assert last.train_state["epoch"] == 5


def test_resume_continues_where_it_stopped(synthetic_dataset, tmp_path):
    from space.api import load_splits
    from space.config import AugmentConfig, ModelConfig, TrainConfig
    from space.training.words import train

    sp = load_splits(synthetic_dataset)
    out = tmp_path / "r.pt"
    cfg = TrainConfig(epochs=3, batch_size=16, augment=AugmentConfig())
    mcfg = ModelConfig(n_classes=3, channels=(4, 8))

    def interrupt_after_epoch_2(line):
        if line.startswith("epoch 2/3"):
            raise KeyboardInterrupt  # as Ctrl-C would, after epoch 2 was saved

    with pytest.raises(KeyboardInterrupt):
        train(sp.train, sp.val, sp.labels, out, model_cfg=mcfg, train_cfg=cfg, progress=False,
              log=interrupt_after_epoch_2)
    last = out.with_name("r.last.pt")
    assert checkpoint.load(last).train_state["epoch"] == 1
    train(sp.train, sp.val, sp.labels, out, model_cfg=mcfg, train_cfg=cfg, progress=False,
          resume=last, log=lambda s: None)
    ck = checkpoint.load(out)
    assert [h["epoch"] for h in ck.meta.history] == [1, 2, 3]
    assert checkpoint.load(last).train_state["epoch"] == 2
    with pytest.raises(UsageError, match="planned for 3 epochs"):
        train(sp.train, sp.val, sp.labels, out, model_cfg=mcfg,
              train_cfg=TrainConfig(epochs=5, batch_size=16), resume=last, progress=False)


def test_resume_refuses_other_labels(synthetic_dataset, tmp_path):
    out = tmp_path / "r.pt"
    train_model(synthetic_dataset, out, train=TrainConfig(epochs=1, batch_size=16),
                model=SMALL, progress=False)
    other = tmp_path / "other"
    for lab in ["x", "y"]:
        (other / lab).mkdir(parents=True)
        for i in range(6):
            sf.write(other / lab / f"{i}.wav", word_like(i % 3, 16000, np.random.default_rng(i)), 16000)
    with pytest.raises(UsageError, match="was trained on labels"):
        train_model(other, tmp_path / "o.pt", train=TrainConfig(epochs=2), model=SMALL,
                    progress=False, resume=out.with_name("r.last.pt"))


def test_training_is_seeded(synthetic_dataset, tmp_path):
    one = TrainConfig(epochs=1, batch_size=16)
    a = train_model(synthetic_dataset, tmp_path / "a.pt", train=one, model=SMALL, progress=False)
    b = train_model(synthetic_dataset, tmp_path / "b.pt", train=one, model=SMALL, progress=False)
    ha = checkpoint.load(tmp_path / "a.pt").meta.history[0]["train_loss"]
    hb = checkpoint.load(tmp_path / "b.pt").meta.history[0]["train_loss"]
    assert ha == hb and a["val_acc"] == b["val_acc"]


def test_cli_predict_json_schema(tiny_model, synthetic_dataset, capsys):
    files = sorted((synthetic_dataset / "rise").glob("*.wav"))[:3]
    assert cli(["predict", "--model", str(tiny_model), "--json", "-k", "2", *map(str, files)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for line, f in zip(lines, files):
        obj = json.loads(line)
        assert set(obj) == {"file", "label", "probability", "top_k", "engine"}
        assert obj["file"] == str(f) and obj["label"] == "rise"
        assert obj["engine"] in ("onnx", "torch")
        assert len(obj["top_k"]) == 2 and obj["top_k"][0]["label"] == "rise"
        assert obj["top_k"][0]["probability"] == obj["probability"]


def test_cli_predict_skips_bad_file_and_goes_on(tiny_model, synthetic_dataset, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    good = sorted((synthetic_dataset / "fall").glob("*.wav"))[:2]
    code = cli(["predict", "--model", str(tiny_model), "--json", "-q", str(good[0]), str(bad),
                str(good[1])])
    out, err = capsys.readouterr()
    assert code == 2
    assert [json.loads(ln)["file"] for ln in out.strip().splitlines()] == [str(good[0]), str(good[1])]
    assert f"{bad}: cannot decode audio" in err and "1 of 3 file(s) skipped" in err


def test_cli_evaluate_json_and_png(tiny_model, synthetic_dataset, tmp_path, capsys):
    png = tmp_path / "cm.png"
    assert cli(["evaluate", str(tiny_model), "--data", str(synthetic_dataset), "--json",
                "--plot", str(png)]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["accuracy"] >= 0.9 and rep["labels"] == ["beep", "fall", "rise"]
    assert np.array(rep["confusion_matrix"]).sum() == rep["n"]
    assert set(rep["per_class"]["rise"]) == {"precision", "recall", "f1", "support"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_train_bad_options(synthetic_dataset, tmp_path, capsys):
    assert cli(["train", "--data", str(synthetic_dataset), "--out", str(tmp_path / "x.pt"),
                "--channels", "8,x"]) == 2
    assert "--channels must be comma-separated integers" in capsys.readouterr().err
    assert cli(["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "x.pt")]) == 2
    assert "data folder not found" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()
    for bad, msg in ((["--snr", "30"], "--snr must be two numbers LOW,HIGH"),
                     (["--snr", "20,5"], "--snr must be LOW,HIGH in dB"),
                     (["--p-noise", "1.5"], "--p-noise must be a probability")):
        assert cli(["train", "--data", str(synthetic_dataset), "--out", str(tmp_path / "x.pt"),
                    *bad]) == 2
        assert msg in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_noise_mixing_options_reach_the_recipe():
    from space.cli import build_parser
    from space.cli.train import train_config

    def cfg(*flags):
        args = build_parser().parse_args(["train", "--data", "d", "--out", "o.pt", *flags])
        return train_config(args, TrainConfig()).augment

    a = cfg("--snr", "0,25", "--p-noise", "0.9")
    assert a.snr_db == (0.0, 25.0) and a.p_noise == 0.9
    default = cfg()
    assert default.snr_db == (5.0, 30.0) and default.p_noise == 0.8
    assert cfg("--no-augment", "--snr", "0,25").p_noise == 0.0


@pytest.mark.slow
def test_torchrun_two_processes(synthetic_dataset, tmp_path):
    """Multi-process training (DDP, gloo) under torchrun, as users scale out."""
    out = tmp_path / "ddp.pt"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "space", "train", "--data", str(synthetic_dataset), "--out", str(out),
           "--epochs", "2", "--batch-size", "16", "--channels", "4,8", "-q", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)  # hang guard
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout[r.stdout.index("{"):])
    ck = checkpoint.load(out)
    assert ck.meta.world_size == 2
    assert summary["checkpoint"] == str(out) and len(ck.meta.history) == 2
    assert Path(out).with_name("ddp.last.pt").exists()
