"""More training voices and words (space.data.extra) and the calibrated rejection
(space.recognize.words.reject, Recognizer.min_probability, space predict --min-probability)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.data.extra import (
    UNKNOWN_PARTS,
    learner_examples,
    unknown_word_examples,
)
from space.data.readers import _bucket
from space.errors import DataError, UsageError
from space.recognize import checkpoint as ckpt_io
from space.recognize.words.recognizer import Recognizer
from space.recognize.words.reject import accepted, calibrate

from .conftest import ROOT, SPEECH_COMMANDS, needs_speech_commands, word_like

DIGITS = [str(d) for d in range(10)]
COMMANDS12 = ["_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right",
              "stop", "up", "yes"]


@pytest.fixture
def learners(tmp_path: Path) -> Path:
    """A speechocean762_words-like folder: 4 clips of 3 speakers."""
    rng = np.random.default_rng(0)
    clips = {}
    for rel, word, spk, cls in [("words/seven/a-0__seven.wav", "seven", "0002", "correct"),
                                ("words/seven/b-0__seven.wav", "seven", "0003", "accented"),
                                ("words/yes/c-1__yes.wav", "yes", "0004", "correct"),
                                ("words/two/d-0__two.wav", "two", "0003", "mispronounced")]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / rel, word_like(0, 16000, rng), 16000)
        clips[rel] = {"word": word, "speaker": spk, "class": cls, "age": 9}
    (tmp_path / "labels.json").write_text(json.dumps({"clips": clips}))
    return tmp_path


def test_learner_clips_join_the_classes_of_their_words(learners: Path):
    ex = learner_examples(learners, DIGITS)
    # 'yes' is no digit; the mispronounced 'two' is left out (the audio is not that word)
    assert [(Path(e.path).name, e.label, e.speaker) for e in ex] == [
        ("a-0__seven.wav", "7", "learner-0002"), ("b-0__seven.wav", "7", "learner-0003")]
    assert [e.label for e in learner_examples(learners, COMMANDS12)] == ["yes"]
    assert [e.speaker for e in learner_examples(learners, DIGITS, part="odd")] == ["learner-0003"]
    assert len(learner_examples(learners, DIGITS, part="even", repeat=3)) == 3


def test_learner_reader_refuses_other_folders(learners: Path, tmp_path: Path):
    with pytest.raises(DataError, match="labels.json"):
        learner_examples(tmp_path / "words", DIGITS)
    with pytest.raises(DataError, match="no learner clips"):
        learner_examples(learners, ["cat", "dog"])
    with pytest.raises(DataError, match="learner part"):
        learner_examples(learners, DIGITS, part="half")


def test_unknown_words_split_by_speaker_into_disjoint_parts(tmp_path: Path):
    rng = np.random.default_rng(1)
    speakers = [f"{i:08x}" for i in range(40)]
    for word in ("bed", "yes"):
        (tmp_path / word).mkdir()
        for s in speakers:
            sf.write(tmp_path / word / f"{s}_nohash_0.wav", word_like(1, 16000, rng), 16000)
    parts = {p: unknown_word_examples(tmp_path, part=p, exclude=("yes",)) for p in UNKNOWN_PARTS}
    assert sum(len(v) for v in parts.values()) == 40  # every bed clip once, no 'yes'
    for p, ex in parts.items():
        lo, hi = UNKNOWN_PARTS[p]
        assert all(e.label == "_unknown_" and "bed" in e.path for e in ex)
        assert all(lo <= _bucket(e.speaker) < hi for e in ex)
    assert not {e.speaker for e in parts["train"]} & {e.speaker for e in parts["report"]}
    with pytest.raises(DataError, match="part"):
        unknown_word_examples(tmp_path, part="test")


def test_calibrate_picks_the_smallest_threshold_within_the_false_accept_target():
    labels = ["_unknown_", "a", "b"]
    # 20 other-word clips taken for 'a' with probabilities 0.4125..0.9825 (0.03 apart)
    top = 0.4125 + 0.03 * np.arange(20)
    unknown = np.stack([0.5 * (1 - top), top, 0.5 * (1 - top)], axis=1)
    known = np.array([[0.1, 0.9, 0.0], [0.2, 0.0, 0.8], [0.6, 0.4, 0.0], [0.3, 0.7, 0.0]])
    res = calibrate(unknown, known, labels, fa_target=0.05, fr_limit=1.0)
    # one of 20 (5%) may pass: the grid value just above the second-highest, 0.9525
    assert res["min_probability"] == pytest.approx(0.955)
    assert res["false_accept"] == pytest.approx(0.05)
    # known: 0.9 and 0.8 fall below 0.955, the '_unknown_' top is rejected anyway
    assert res["false_reject"] == pytest.approx(1.0)
    assert accepted(known, labels, 0.75).tolist() == [True, True, False, False]


def test_recognizer_answers_unknown_below_the_stored_minimum(tiny_model: Path, wav_file: Path):
    ck = ckpt_io.load(tiny_model)
    rec = Recognizer(ck)
    assert rec.min_probability == 0.0  # no calibration stored: always the top label
    p = rec.predict(wav_file)
    assert p.label == p.top_k[0][0]
    ck.meta.rejection = {"min_probability": 1.0}
    strict = Recognizer(ck)
    q = strict.predict(wav_file)
    assert q.label == "_unknown_" and q.top_k[0] == p.top_k[0]
    assert strict.predict(wav_file, min_probability=0.0).label == p.label
    with pytest.raises(UsageError, match="0..1"):
        strict.predict(wav_file, min_probability=1.5)


def test_predict_cli_min_probability(tiny_model: Path, wav_file: Path):
    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "space", "predict", "--model",
                               str(tiny_model), "--json", *extra, str(wav_file)],
                              capture_output=True, text=True, cwd=ROOT)

    r = run("--min-probability", "1")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["label"] == "_unknown_"
    r = run("--min-probability", "2")
    assert r.returncode == 2 and "--min-probability must lie within 0..1" in r.stderr


def test_add_unknown_needs_a_task_with_an_unknown_class(synthetic_dataset: Path, tmp_path: Path):
    from space.api import train_model

    with pytest.raises(UsageError, match="_unknown_"):
        train_model(synthetic_dataset, tmp_path / "m.pt", add_unknown=tmp_path)


def test_unknown_share_weights_the_unknown_class_to_its_share():
    import torch

    from space.training.words import class_weights

    labels = ["_silence_", "_unknown_", "go", "no"]
    targets = ["go"] * 30 + ["no"] * 30 + ["_silence_"] * 4 + ["_unknown_"] * 64
    w = class_weights(targets, labels, 0.2)
    assert w is not None
    per_clip = torch.tensor([float(w[labels.index(t)]) for t in targets])
    share = per_clip[torch.tensor([t == "_unknown_" for t in targets])].sum() / per_clip.sum()
    assert share.item() == pytest.approx(0.2)
    assert w[labels.index("go")] == 1.0 and w[labels.index("_unknown_")] == pytest.approx(0.25)
    # no share set, or no _unknown_ class: plain cross-entropy
    assert class_weights(targets, labels, None) is None
    assert class_weights(["1", "2"], ["1", "2"], 0.2) is None


def test_unknown_share_is_refused_out_of_range_and_without_an_unknown_class(
        synthetic_dataset: Path, tmp_path: Path):
    from space.api import train_model
    from space.config import FieldError, TrainConfig

    with pytest.raises(FieldError, match="unknown_share"):
        TrainConfig(unknown_share=1.5)
    with pytest.raises(UsageError, match="--unknown-share weights the '_unknown_' class"):
        train_model(synthetic_dataset, tmp_path / "m.pt", train=TrainConfig(unknown_share=0.2))
    assert not (tmp_path / "m.pt").exists()
    r = subprocess.run([sys.executable, "-m", "space", "train", "--data", str(synthetic_dataset),
                        "--out", str(tmp_path / "m.pt"), "--unknown-share", "0"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--unknown-share must be in (0, 1), not 0" in r.stderr


def test_learner_repeat_is_refused_without_learners_and_below_one(
        synthetic_dataset: Path, learners: Path, tmp_path: Path):
    from space.api import train_model

    with pytest.raises(UsageError, match="--learner-repeat weights the clips of --add-learners"):
        train_model(synthetic_dataset, tmp_path / "m.pt", learner_repeat=6)
    with pytest.raises(UsageError, match="--learner-repeat must be a whole number >= 1, not 0"):
        train_model(synthetic_dataset, tmp_path / "m.pt", add_learners=learners,
                    learner_repeat=0)
    assert not (tmp_path / "m.pt").exists()
    r = subprocess.run([sys.executable, "-m", "space", "train", "--data", str(synthetic_dataset),
                        "--out", str(tmp_path / "m.pt"), "--learner-repeat", "2"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--learner-repeat weights the clips of --add-learners" in r.stderr


@needs_speech_commands
def test_train_with_learners_and_unknown_words_stores_a_calibrated_minimum(
        learners: Path, tmp_path: Path):
    from space.api import train_model
    from space.config import AugmentConfig, ModelConfig, TrainConfig

    sc = tmp_path / "sc"
    val, test = [], []
    for word in (*COMMANDS12[2:], "happy"):
        (sc / word).mkdir(parents=True)
        for i, p in enumerate(sorted((SPEECH_COMMANDS / word).glob("*.wav"))[:4]):
            (sc / word / p.name).symlink_to(p)
            (test if i == 0 else val if i == 1 else []).append(f"{word}/{p.name}")
    (sc / "testing_list.txt").write_text("\n".join(test) + "\n")
    (sc / "validation_list.txt").write_text("\n".join(val) + "\n")
    (sc / "_background_noise_").symlink_to(SPEECH_COMMANDS / "_background_noise_")
    other = tmp_path / "other"
    (other / "bed").mkdir(parents=True)
    rng = np.random.default_rng(2)
    for i in range(24):
        sf.write(other / "bed" / f"{i:08x}_nohash_0.wav", word_like(2, 16000, rng), 16000)
    n_unknown = len(unknown_word_examples(other, part="train"))
    out = tmp_path / "kws.pt"
    summary = train_model(sc, out, task="12", add_learners=learners, learner_repeat=5,
                          add_unknown=other, train=TrainConfig(epochs=1, batch_size=8, threads=1,
                                            augment=AugmentConfig.none()),
                          model=ModelConfig(channels=(4, 8)), progress=False)
    assert summary is not None
    ck = ckpt_io.load(out)
    # 20 command + 2 unknown + 2 silence, one learner 'yes' x5, the other words' quarter
    assert ck.meta.n_train == 24 + 5 + n_unknown
    assert "1 clips of 1 learners, x5" in ck.meta.add_learners
    assert not Path(ck.meta.add_learners.split(":")[0]).is_absolute()
    rej = ck.meta.rejection
    assert rej == summary["rejection"] and 0 <= rej["min_probability"] <= 1
    assert rej["n_known"] == 10 and rej["n_unknown"] == len(
        unknown_word_examples(other, part="calibrate"))
    assert Recognizer(ck).min_probability == rej["min_probability"]
