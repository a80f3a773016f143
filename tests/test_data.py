"""Data set readers on folders the tests build, and on the shared data when present."""

import numpy as np
import pytest
import soundfile as sf

from space.data import (
    detect_layout,
    folder_splits,
    fsdd_splits,
    open_splits,
    speech_commands_splits,
)
from space.errors import DataError

from .conftest import FSDD, needs_fsdd, tone


def _wav(path, sr=8000):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(300, 0.3, sr), sr)


@pytest.fixture
def mini_fsdd(tmp_path):
    for d in "012":
        for spk in ("ann", "bob"):
            for i in range(10):
                _wav(tmp_path / "recordings" / f"{d}_{spk}_{i}.wav")
    return tmp_path


def test_fsdd_official_split(mini_fsdd):
    sp = fsdd_splits(mini_fsdd)
    assert detect_layout(mini_fsdd) == "fsdd"
    assert sp.labels == ["0", "1", "2"]
    assert len(sp.test) == 3 * 2 * 5 and all(int(e.path.split("_")[-1][:-4]) <= 4 for e in sp.test)
    assert len(sp.val) == 3 * 2 * 3 and len(sp.train) == 3 * 2 * 2
    assert {e.speaker for e in sp.train} == {"ann", "bob"}


def test_fsdd_leave_one_speaker_out(mini_fsdd):
    sp = fsdd_splits(mini_fsdd, holdout_speaker="bob")
    assert {e.speaker for e in sp.test} == {"bob"} and len(sp.test) == 30
    assert {e.speaker for e in sp.train + sp.val} == {"ann"}
    with pytest.raises(DataError, match="speaker 'carl' is not in .*speakers: ann, bob"):
        fsdd_splits(mini_fsdd, holdout_speaker="carl")


def test_speech_commands_layout(tmp_path):
    for word in ("yes", "no"):
        for spk in ("aaaa1111", "bbbb2222", "cccc3333"):
            _wav(tmp_path / word / f"{spk}_nohash_0.wav", 16000)
    (tmp_path / "validation_list.txt").write_text("yes/bbbb2222_nohash_0.wav\nno/bbbb2222_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("yes/cccc3333_nohash_0.wav\nno/cccc3333_nohash_0.wav\n")
    assert detect_layout(tmp_path) == "speech_commands"
    sp = speech_commands_splits(tmp_path)
    assert sp.labels == ["no", "yes"]
    assert {e.speaker for e in sp.train} == {"aaaa1111"}
    assert {e.speaker for e in sp.val} == {"bbbb2222"}
    assert {e.speaker for e in sp.test} == {"cccc3333"}


def test_speech_commands_missing_lists(tmp_path):
    _wav(tmp_path / "yes" / "a_nohash_0.wav")
    with pytest.raises(DataError, match="not a Speech Commands folder \\(expected validation_list"):
        speech_commands_splits(tmp_path)


def test_folder_layout_and_stable_split(tmp_path):
    for lab in ("cat", "dog"):
        for i in range(30):
            _wav(tmp_path / lab / f"{lab}{i}.wav")
    a, b = folder_splits(tmp_path), folder_splits(tmp_path)
    assert a.labels == ["cat", "dog"]
    assert [e.path for e in a.test] == [e.path for e in b.test]
    assert len(a.train) > len(a.val) > 0 and len(a.test) > 0
    assert len(a.train) + len(a.val) + len(a.test) == 60


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        open_splits(tmp_path / "missing")
    (tmp_path / "only").mkdir()
    _wav(tmp_path / "only" / "x.wav")
    with pytest.raises(DataError, match="expected one sub-folder per label"):
        folder_splits(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="label folder 'empty' has no audio clips"):
        folder_splits(tmp_path)


def test_holdout_speaker_only_for_fsdd(tmp_path):
    for lab in ("a", "b"):
        _wav(tmp_path / lab / "x.wav")
    with pytest.raises(DataError, match="only defined for FSDD"):
        open_splits(tmp_path, holdout_speaker="x")


@needs_fsdd
def test_real_fsdd_official_split_sizes():
    sp = fsdd_splits(FSDD)
    assert (len(sp.train), len(sp.val), len(sp.test)) == (2520, 180, 300)
    assert sp.labels == [str(d) for d in range(10)]
    assert np.all([e.speaker for e in sp.test])
