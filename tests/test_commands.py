"""Speech Commands task set-ups: 12 classes and all words; layout errors."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.api import load_splits
from space.cli import main
from space.data.commands import NOISE_RANGES, all_words_splits, command_splits, task_splits
from space.data.readers import SC_COMMANDS, SILENCE, UNKNOWN
from space.errors import DataError, UsageError

from .conftest import FSDD, SPEECH_COMMANDS, needs_fsdd, needs_speech_commands

TWELVE = sorted([SILENCE, UNKNOWN, *SC_COMMANDS])


def make_layout(root: Path, *, per_word: int = 4, others=("bed", "cat"), noise_s: float = 20.0,
                lists: bool = True) -> Path:
    """A tiny Speech Commands folder of noise 'clips': speaker s0 tests, s1 validates."""
    rng = np.random.default_rng(0)
    test, val = [], []
    for word in (*SC_COMMANDS, *others):
        (root / word).mkdir(parents=True)
        for i in range(per_word):
            name = f"s{i}_nohash_0.wav"
            sf.write(root / word / name, (0.1 * rng.standard_normal(4000)).astype(np.float32),
                     16000)
            if i == 0:
                test.append(f"{word}/{name}")
            elif i == 1:
                val.append(f"{word}/{name}")
    (root / "_background_noise_").mkdir()
    for name in ("pink", "tap"):
        y = (0.1 * rng.standard_normal(int(noise_s * 16000))).astype(np.float32)
        sf.write(root / "_background_noise_" / f"{name}.wav", y, 16000)
    if lists:
        (root / "testing_list.txt").write_text("\n".join(test) + "\n")
        (root / "validation_list.txt").write_text("\n".join(val) + "\n")
    return root


def test_twelve_classes_in_standard_proportions(tmp_path):
    s = command_splits(make_layout(tmp_path / "sc", per_word=6))
    assert s.labels == TWELVE
    # Per split: 10% of the command clips as silence and 10% as unknown (rounded up).
    for name, n_cmd in (("train", 40), ("val", 10), ("test", 10)):
        c = Counter(e.label for e in s.get(name))
        assert sum(c[w] for w in SC_COMMANDS) == n_cmd
        assert c[SILENCE] == math.ceil(n_cmd / 10)
        assert c[UNKNOWN] == math.ceil(n_cmd / 10)
    # 8 unknown training clips exist (bed, cat x 4 speakers), 4 are asked for: no repeats.
    train_unknown = [e.path for e in s.train if e.label == UNKNOWN]
    assert len(set(train_unknown)) == len(train_unknown) == 4
    assert s.info["task"] == "12"


def test_unknown_is_oversampled_only_in_training(tmp_path):
    # 20 training command clips, 2 training 'bed' clips; at 50% the recipe asks for 10.
    s = command_splits(make_layout(tmp_path / "sc", per_word=4, others=("bed",)),
                       silence_percent=50, unknown_percent=50)
    train_unknown = [e.path for e in s.train if e.label == UNKNOWN]
    assert len(train_unknown) == 10 and len(set(train_unknown)) == 2  # repeated to 10
    assert [e.label for e in s.test].count(UNKNOWN) == 1  # the one test clip, never repeated
    assert [e.label for e in s.test].count(SILENCE) == 5
    s = command_splits(make_layout(tmp_path / "sc2", per_word=4, others=("bed",)),
                       silence_percent=50, unknown_percent=50, oversample_unknown=False)
    assert [e.label for e in s.train].count(UNKNOWN) == 2


def test_silence_spans_stay_in_their_split_time_range(tmp_path):
    s = command_splits(make_layout(tmp_path / "sc", per_word=20, noise_s=30.0))
    for name, (lo, hi) in NOISE_RANGES.items():
        spans = [e for e in s.get(name) if e.label == SILENCE]
        assert len(spans) == (18 if name == "train" else 1)
        assert all(e.duration_s == 1.0 for e in spans)
        assert all(lo * 30.0 <= e.offset_s and e.offset_s + 1.0 <= hi * 30.0 for e in spans)
    # Training silence comes from every recording in turn.
    assert Counter(Path(e.path).stem for e in s.train if e.label == SILENCE) == {"pink": 9,
                                                                                 "tap": 9}


def test_splits_are_deterministic(tmp_path):
    root = make_layout(tmp_path / "sc")
    assert command_splits(root).train == command_splits(root).train


def test_all_words_task(tmp_path):
    s = task_splits(make_layout(tmp_path / "sc"), "all")
    assert s.labels == sorted([*SC_COMMANDS, "bed", "cat"])
    assert s.info["task"] == "all"
    assert not any(e.label in (SILENCE, UNKNOWN) for e in s.get("all"))


@pytest.mark.parametrize(
    "damage, message",
    [
        ("no_lists", "expected validation_list.txt and testing_list.txt"),
        ("empty_word", "word folder has no .wav clips"),
        ("missing_command", "no folder for command word 'stop'"),
        ("label_not_in_training", "label 'go' has no clips in the training split"),
        ("no_noise", "_background_noise_: folder not found"),
        ("short_noise", "no usable noise recordings (expected .wav files of at least 10 s)"),
        ("no_other_words", "no words besides the commands"),
    ],
)
def test_layout_errors_are_one_line_and_say_what_was_expected(tmp_path, damage, message):
    import shutil

    root = tmp_path / "sc"
    if damage == "no_lists":
        make_layout(root, lists=False)
    elif damage == "short_noise":
        make_layout(root, noise_s=5.0)
    elif damage == "no_other_words":
        make_layout(root, others=())
    else:
        make_layout(root)
    if damage == "empty_word":
        shutil.rmtree(root / "bed")
        (root / "bed").mkdir()
    elif damage == "missing_command":
        shutil.rmtree(root / "stop")
    elif damage == "label_not_in_training":
        listed = [f"go/s{i}_nohash_0.wav" for i in range(4)]
        (root / "testing_list.txt").write_text("\n".join(listed) + "\n")
    elif damage == "no_noise":
        shutil.rmtree(root / "_background_noise_")
    with pytest.raises(DataError) as e:
        command_splits(root)
    assert message in str(e.value)
    assert "\n" not in str(e.value)
    # The CLI says the same in one line and exits 2.
    rc = main(["train", "--data", str(root), "--task", "12", "--out", str(tmp_path / "m.pt")])
    assert rc == 2


def test_all_words_label_without_training_clips(tmp_path):
    root = make_layout(tmp_path / "sc")
    (root / "validation_list.txt").write_text(
        "\n".join(f"cat/s{i}_nohash_0.wav" for i in range(4)) + "\n")
    with pytest.raises(DataError, match="label 'cat' has no clips in the training split"):
        all_words_splits(root)


def test_task_needs_speech_commands_data(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(UsageError, match="--task is for Speech Commands data"):
        load_splits(tmp_path, task="12")
    with pytest.raises(UsageError, match="--task must be one of 12, all"):
        load_splits(tmp_path, task="35")
    rc = main(["train", "--data", str(tmp_path), "--task", "12", "--out", str(tmp_path / "m.pt")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("space train: error: --task is for Speech Commands")


@needs_fsdd
def test_task_refused_for_fsdd():
    with pytest.raises(UsageError, match="read as 'fsdd'"):
        load_splits(FSDD, task="all")


@needs_speech_commands
def test_subset_twelve_class_counts():
    s = command_splits(SPEECH_COMMANDS)
    counts = {n: Counter(e.label for e in s.get(n)) for n in ("train", "val", "test")}
    # The subset: 2276/369/683 command clips; 97/11/28 clips of other words exist.
    assert sum(counts["train"][w] for w in SC_COMMANDS) == 2276
    assert counts["train"][UNKNOWN] == 228 and counts["train"][SILENCE] == 228
    assert len({e.path for e in s.train if e.label == UNKNOWN}) == 97
    assert (counts["val"][UNKNOWN], counts["val"][SILENCE]) == (11, 37)
    assert (counts["test"][UNKNOWN], counts["test"][SILENCE]) == (28, 69)
    assert len(s.test) == 780
    # One speaker is never in two sets (silence spans carry 'noise:<file>').
    spk = {n: {e.speaker for e in s.get(n) if e.label != SILENCE} for n in ("train", "val", "test")}
    assert not (spk["train"] & spk["test"]) and not (spk["train"] & spk["val"])
    assert not (spk["val"] & spk["test"])


@needs_speech_commands
def test_subset_all_words():
    s = all_words_splits(SPEECH_COMMANDS)
    assert len(s.labels) == 25 and len(s.get("all")) == 3464
