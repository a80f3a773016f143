"""Issue 10, items 1-9: each hole a newcomer found, closed, with the message it now gives."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from space.cli import main
from space.errors import AudioError, ModelError, NoSpeechError, ReferenceSetError, SpaceError, UsageError

from .conftest import (
    FSDD,
    NOISE_DIR,
    ROOT,
    SPEECH_COMMANDS,
    espeak,
    needs_espeak,
    needs_fsdd,
    needs_speech_commands,
    word_like,
)

EXAMPLE = ROOT / "examples" / "7_seven_espeak_male.wav"


def white_noise(sr: int = 16000, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, int(sr * seconds)).astype(np.float32)


def truncated_wav(y: np.ndarray, sr: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()[: len(buf.getvalue()) // 2]  # the header still promises it all


# ---------------------------------------------------------------------------------------
# 1. a folder called `digits` in the working directory must not hide the bundled model


def test_bundled_names_beat_same_named_folders(tmp_path, monkeypatch, capsys):
    from space.recognize.bundled import bundled_model_path, resolve_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "digits").mkdir()
    (tmp_path / "commands").write_text("not a model")
    assert resolve_model("digits") == bundled_model_path("digits")
    assert resolve_model("commands") == bundled_model_path("commands")
    with pytest.raises(ModelError, match="is a folder, not a model file"):
        resolve_model("./digits")  # looks like a path: it is one
    with pytest.raises(ModelError, match="not a readable SPACE checkpoint|not a SPACE"):
        from space.recognize.words.recognizer import load_model

        load_model(Path("commands"))  # a PathLike is always a path
    assert main(["predict", "--quiet", str(EXAMPLE)]) == 0
    assert "\t7\t" in capsys.readouterr().out
    assert main(["score", "--word", "7", "--json", str(EXAMPLE)]) == 0
    import json

    d = json.loads(capsys.readouterr().out)
    assert d["recognized"] is not None and d["recognized"]["label"] == "7"  # not dropped


# ---------------------------------------------------------------------------------------
# 2. a tiny run (epochs x steps = 4) no longer divides by zero in OneCycleLR


def test_tiny_training_run_has_a_valid_schedule(synthetic_dataset, tmp_path):
    from space.data import folder_splits
    from space.training.loop import MIN_ONE_CYCLE_STEPS, lr_schedule
    from space.training.words import train

    for total in range(1, 12):
        opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        sched = lr_schedule(opt, 1e-3, total)
        for _ in range(total):
            opt.step()
            sched.step()
        assert 0 < opt.param_groups[0]["lr"] <= 1e-3 + 1e-12
    assert MIN_ONE_CYCLE_STEPS > 4
    splits = folder_splits(synthetic_dataset)
    from space.config import ModelConfig, TrainConfig

    examples = splits.train[:8]
    ck = train(examples, [], splits.labels, tmp_path / "m.pt", progress=False,
               model_cfg=ModelConfig(n_classes=len(splits.labels), channels=(4, 8)),
               train_cfg=TrainConfig(epochs=2, batch_size=4), log=lambda s: None)
    assert ck.meta.history[-1]["epoch"] == 2  # 2 epochs x 2 steps: 4 steps, no crash


# ---------------------------------------------------------------------------------------
# 3 and 7. output paths are checked before the work, and missing folders are not created


def test_train_out_folder_is_refused_before_training(synthetic_dataset, tmp_path, capsys):
    out = tmp_path / "models"
    out.mkdir()
    rc = main(["train", "--data", str(synthetic_dataset), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "is a folder" in err and "epoch" not in err
    assert list(out.iterdir()) == [] and not (tmp_path / "models.last.pt").exists()
    rc = main(["train", "--data", str(synthetic_dataset), "--out",
               str(tmp_path / "nope" / "m.pt"), "--quiet"])
    assert rc == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_missing_output_folders_are_refused_not_created(tmp_path, capsys):
    missing = tmp_path / "nonexistent" / "dir"
    rc = main(["export", "digits", "--out", str(missing / "x.onnx")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "does not exist" in err and "create it first" in err and "\n" not in err
    rc = main(["score", "--word", "7", "--plot", str(missing / "fb.png"), str(EXAMPLE)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "does not exist" in err
    assert not missing.parent.exists()
    plot_dir = tmp_path / "plot.png"
    plot_dir.mkdir()
    rc = main(["score", "--word", "7", "--plot", str(plot_dir), str(EXAMPLE)])
    assert rc == 2 and "is a folder" in capsys.readouterr().err


def test_the_one_output_check(tmp_path):
    from space.errors import OutputError
    from space.io import check_output_path

    assert check_output_path(tmp_path / "a.pt") == tmp_path / "a.pt"
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path, what="--out")
    with pytest.raises(OutputError, match="does not exist"):
        check_output_path(tmp_path / "x" / "a.png", what="--plot")
    with pytest.raises(OutputError, match="no path given"):
        check_output_path("", what="--plot")
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        check_output_path(tmp_path / "f", folder=True)
    with pytest.raises(OutputError, match="is not a folder"):
        check_output_path(tmp_path / "f" / "a.png")
    assert check_output_path(tmp_path / "new", folder=True) == tmp_path / "new"


def test_failed_offline_download_leaves_no_folder(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on: "offline"
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    to = tmp_path / "data" / "fsdd"
    rc = main(["data", "download", "fsdd", "--to", str(to), "--quiet",
               "--url", f"http://127.0.0.1:{port}/x.tar.gz", "--sha256", "0" * 64])
    assert rc == 2 and "cannot connect" in capsys.readouterr().err
    assert not to.exists() and not (tmp_path / "data").exists()


# ---------------------------------------------------------------------------------------
# 4. the data set is scanned up front: every bad file named, refused or skipped


@pytest.fixture
def dataset_with_bad_files(synthetic_dataset, tmp_path) -> Path:
    import shutil

    root = tmp_path / "data"
    shutil.copytree(synthetic_dataset, root)
    (root / "rise" / "junk.wav").write_text("not audio at all")
    (root / "fall" / "empty.wav").write_bytes(b"")
    y = word_like(1, 16000, np.random.default_rng(0))
    (root / "beep" / "cut.wav").write_bytes(truncated_wav(y, 16000))
    return root


def test_train_names_every_bad_file_before_training(dataset_with_bad_files, tmp_path, capsys):
    out = tmp_path / "m.pt"
    rc = main(["train", "--data", str(dataset_with_bad_files), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "3 unusable file(s)" in err and "--skip-bad" in err
    for name, why in [("junk.wav", "cannot decode"), ("empty.wav", "empty"),
                      ("cut.wav", "truncated WAV")]:
        assert name in err and why in err
    assert "epoch" not in err and not out.exists()


def test_skip_bad_trains_without_them(dataset_with_bad_files, tmp_path):
    from space.api import train_model
    from space.config import ModelConfig, TrainConfig

    s = train_model(dataset_with_bad_files, tmp_path / "m.pt",
                    train=TrainConfig(epochs=1, batch_size=32), model=ModelConfig(channels=(4, 8)),
                    progress=False, skip_bad=True)
    assert len(s["skipped"]) == 3 and {Path(b["file"]).name for b in s["skipped"]} == {
        "junk.wav", "empty.wav", "cut.wav"}


def test_evaluate_names_skipped_test_clips(tiny_model, synthetic_dataset, tmp_path, capsys):
    import shutil

    from space.data import folder_splits

    root = tmp_path / "data"
    shutil.copytree(synthetic_dataset, root)
    test_clip = Path(folder_splits(root).test[0].path)
    test_clip.write_bytes(b"RIFF" + b"\0" * 40)  # damaged in place, still in the test split
    rc = main(["evaluate", str(tiny_model), "--data", str(root), "--plot", "", "--quiet"])
    captured = capsys.readouterr()
    assert rc == 0 and "skipped (unusable files): 1" in captured.out
    assert test_clip.name in captured.err and "cannot use clip" in captured.err
    assert "training clip" not in captured.err + captured.out


# ---------------------------------------------------------------------------------------
# 5. one loader: bytes, paths, uploads and streams refuse the same things in the same words


def test_truncated_wav_is_refused_from_bytes_paths_and_streams(tmp_path, capsys):
    from space import audio
    from space.recognize.stream import iter_file

    data = truncated_wav(word_like(0, 16000, np.random.default_rng(0)), 16000)
    p = tmp_path / "cut.wav"
    p.write_bytes(data)
    msgs = []
    for source in (p, data):
        with pytest.raises(AudioError, match="truncated WAV") as e:
            audio.load(source, name="cut.wav")
        msgs.append(str(e.value))
    with pytest.raises(AudioError, match="truncated WAV") as e:
        iter_file(p)
    assert msgs[0] == msgs[1] == str(e.value).replace(str(p), "cut.wav")


def test_listen_input_and_predict_say_the_same(tmp_path, capsys):
    text = tmp_path / "text.wav"
    text.write_text("hello, I am not audio\n" * 20)
    assert main(["predict", str(text)]) == 2
    e1 = capsys.readouterr().err.strip().split("error: ", 1)[1]
    assert main(["listen", "--input", str(text), "--fast"]) == 2
    e2 = capsys.readouterr().err.strip().split("error: ", 1)[1]
    assert e1 == e2 and "cannot decode audio" in e1


def test_web_refuses_what_the_cli_refuses(tiny_model, monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    from space.web import create_app

    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    data = truncated_wav(word_like(0, 16000, np.random.default_rng(0)), 16000)
    with TestClient(create_app(model=str(tiny_model))) as c:
        r = c.post("/api/predict", files={"file": ("cut.wav", data)})
        assert r.status_code == 415 and "truncated WAV" in r.json()["detail"]
        noise = io.BytesIO()
        sf.write(noise, white_noise(), 16000, format="WAV")
        r = c.post("/api/predict", files={"file": ("noise.wav", noise.getvalue())})
        assert r.status_code == 422 and "no speech found" in r.json()["detail"]


# ---------------------------------------------------------------------------------------
# 6. white noise is "no speech found" everywhere; real speech in moderate noise is not


def test_white_noise_is_no_speech_everywhere(tmp_path, monkeypatch, capsys):
    import space
    from space import pronounce

    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    y = white_noise()
    p = tmp_path / "noise.wav"
    sf.write(p, y, 16000)
    rec = space.load_model("digits")
    for call in (lambda: rec.predict(y, sr=16000), lambda: rec.predict(p),
                 lambda: space.score(y, word="7", sr=16000), lambda: space.score(p, word="7"),
                 lambda: pronounce.add_references("7", [p])):
        with pytest.raises(NoSpeechError, match="no speech found"):
            call()
    assert not (tmp_path / "refs" / "7").exists()
    assert main(["predict", str(p)]) == 2
    assert "no speech found" in capsys.readouterr().err
    assert main(["score", "--word", "7", str(p)]) == 2
    assert "no speech found" in capsys.readouterr().err


def test_speech_check_measures():
    from space.audio.speech import has_speech

    sr = 16000
    rng = np.random.default_rng(0)
    assert not has_speech(white_noise(sr), sr)
    assert not has_speech(white_noise(8000, seed=1), 8000)
    assert not has_speech(np.zeros(100, np.float32) + 0.1, sr)  # too short to hold a word
    assert has_speech(word_like(0, sr, rng), sr)  # a chirp moves like a voice


@needs_espeak
def test_espeak_speech_passes_clean_and_in_moderate_noise(tmp_path):
    from space import audio
    from space.audio.speech import has_speech

    rng = np.random.default_rng(0)
    for i, word in enumerate(["zero", "three", "seven", "yes", "stop", "banana"]):
        y, sr = audio.load(espeak(word, tmp_path / f"{i}.wav", voice=("en-us", "en+f3")[i % 2]))
        assert has_speech(y, sr), word
        a, b = audio.speech_bounds(y, sr)
        noisy = y + rng.normal(0, np.sqrt(np.mean(y[a:b] ** 2) / 10), len(y))  # 10 dB SNR
        assert has_speech(noisy.astype(np.float32), sr), word


def _clips(folder: Path, pattern: str, n: int) -> list[Path]:
    files = sorted(folder.glob(pattern))
    return files[:: max(1, len(files) // n)][:n]


@pytest.mark.data
@needs_fsdd
def test_fsdd_clips_pass_clean_and_in_moderate_noise():
    from space import audio
    from space.audio.speech import has_speech

    rng = np.random.default_rng(1)
    refused = 0
    clips = _clips(FSDD / "recordings", "*.wav", 100)
    for p in clips:
        y, sr = audio.load(p)
        a, b = audio.speech_bounds(y, sr)
        noisy = (y + rng.normal(0, np.sqrt(np.mean(y[a:b] ** 2) / 10), len(y))).astype(np.float32)
        refused += (not has_speech(y, sr)) + (not has_speech(noisy, sr))
    assert refused == 0, f"{refused} of {2 * len(clips)} FSDD clips refused"


@pytest.mark.data
@needs_speech_commands
def test_speech_commands_clips_pass_and_its_white_noise_does_not():
    from space import audio
    from space.audio.speech import has_speech

    refused = 0
    clips = _clips(SPEECH_COMMANDS / "yes", "*.wav", 40) + _clips(SPEECH_COMMANDS / "stop",
                                                                 "*.wav", 40)
    for p in clips:
        y, sr = audio.load(p)
        refused += not has_speech(y, sr)
    assert refused <= 1, f"{refused} of {len(clips)} Speech Commands clips refused"
    y, sr = audio.load(NOISE_DIR / "white_noise.wav", max_duration_s=None)
    assert not any(has_speech(y[i : i + sr], sr) for i in range(0, 20 * sr, sr))


# ---------------------------------------------------------------------------------------
# 8. references: duplicates, remove, the bundled set back, --references-dir


def test_reference_duplicates_remove_and_restore(tmp_path, capsys):
    from space import pronounce

    refs = tmp_path / "refs"
    a = tmp_path / "a.wav"
    a.write_bytes(EXAMPLE.read_bytes())
    b = tmp_path / "b.wav"
    y, sr = sf.read(EXAMPLE)
    sf.write(b, 0.7 * y, sr)
    d = ["--references-dir", str(refs)]
    assert main(["references", *d, "add", "7", str(a), str(b)]) == 0
    capsys.readouterr()
    assert main(["references", *d, "add", "7", str(a)]) == 0  # the same file again
    err = capsys.readouterr().err
    assert "already in the set" in err and "same content as a.wav" in err
    assert sorted(p.name for p in (refs / "7").iterdir() if p.suffix == ".wav") == [
        "a.wav", "b.wav"]  # no a_1.wav
    assert main(["references", *d, "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("7\t"))
    assert "\t2\tuser\t7\treplaces the bundled set; `space references remove 7` restores it" in line
    assert main(["references", *d, "remove", "7", "a.wav"]) == 0
    assert "removed 1 clip(s)" in capsys.readouterr().err
    assert pronounce.reference_paths("7", refs) == [refs / "7" / "b.wav"]
    assert main(["references", *d, "remove", "7"]) == 0
    assert "now scored against the bundled set" in capsys.readouterr().err
    assert not (refs / "7").exists()
    folders = pronounce.references.folders
    assert folders.word_dir("7", refs).parent == folders.bundled_dir()
    assert main(["references", *d, "remove", "7"]) == 2
    assert "bundled set cannot be removed" in capsys.readouterr().err
    # the Python API takes the folder too
    res = pronounce.add_reference_clips("seven-teacher", [a, a], references_dir=refs)
    assert [p.name for p in res.added] == ["a.wav"] and res.duplicates == [(str(a), "a.wav")]
    assert pronounce.reference_paths("seven-teacher", refs) == [refs / "seven-teacher" / "a.wav"]
    with pytest.raises(ReferenceSetError, match="no clip named zzz"):
        pronounce.remove_references("seven-teacher", ["zzz"], references_dir=refs)


# ---------------------------------------------------------------------------------------
# 9. sr with a file must agree; torch tensors are arrays


def test_sr_with_a_file_must_agree_and_tensors_work():
    import space

    rec = space.load_model("digits")
    file_sr = sf.info(str(EXAMPLE)).samplerate
    assert rec.predict(EXAMPLE, sr=file_sr).label == "7"
    other = 16000 if file_sr != 16000 else 8000
    with pytest.raises(UsageError, match=f"sr={other} was given but the file is at {file_sr}"):
        rec.predict(EXAMPLE, sr=other)
    with pytest.raises(UsageError, match="sr=.* was given"):
        rec.predict(EXAMPLE.read_bytes(), sr=other)
    with pytest.raises(UsageError, match="sr=.* was given"):
        space.score(EXAMPLE, word="7", sr=other)
    y, sr = sf.read(EXAMPLE, dtype="float32")
    t = torch.from_numpy(y)
    assert rec.predict(t, sr=sr).label == "7"
    assert rec.predict(torch.stack([t, t], dim=1), sr=sr).label == "7"  # (n, channels)
    assert rec.predict(t.double(), sr=sr).label == "7"
    assert space.score(t, word="7", sr=sr).word == "seven"  # the word as said
    with pytest.raises(UsageError, match="sr .* is required"):
        rec.predict(t)
    with pytest.raises(AudioError, match="integer or floating-point"):
        rec.predict(np.array(["a", "b"]), sr=16000)
    with pytest.raises(SpaceError):
        rec.predict(t[None, None], sr=sr)  # 3-D: not audio
