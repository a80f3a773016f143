"""Learners' sentences cut into words (space.data.sentence_words, `space data words`) and
their other words as _unknown_ material split by word (space.data.extra.other_word_examples)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.data.extra import WORD_PARTS, other_word_examples, unknown_examples
from space.data.readers import _bucket
from space.data.sentence_words import cut_words
from space.errors import DataError
from space.recognize.words.reject import calibrate

from .conftest import ROOT, word_like

COMMANDS12 = ["_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right",
              "stop", "up", "yes"]


def _word(text: str, phones: str, cls: str = "correct") -> dict:
    return {"text": text, "canonical_phones": phones, "class": cls,
            "accuracy_median": {"correct": 10.0, "accented": 8.0}.get(cls, 4.0)}


@pytest.fixture
def sentences(tmp_path: Path) -> Path:
    """A speechocean762_train-like folder: two readable sentences and a broken file."""
    root = tmp_path / "so762"
    rng = np.random.default_rng(3)
    utts = {}
    for utt, words in [("000010001", [_word("we", "W IY0"), _word("go", "G OW0"),
                                      _word("home", "HH OW1 M", "mispronounced")]),
                       ("000020001", [_word("no", "N OW1"), _word("know", "N OW1")]),
                       ("000020002", [_word("cat", "K AE1 T")])]:
        path = root / "audio" / utt[:4] / f"{utt}.ogg"
        path.parent.mkdir(parents=True, exist_ok=True)
        if utt.endswith("2"):
            path.write_bytes(b"not audio")  # unusable: named and left out
        else:
            y = np.concatenate([word_like(k % 3, 16000, rng) for k in range(len(words))])
            sf.write(path, y, 16000, format="OGG", subtype="OPUS")
        utts[utt] = {"audio": f"audio/{utt[:4]}/{utt}.ogg", "text": "x", "speaker": utt[1:5],
                     "age": 9, "gender": "f", "words": words}
    (root / "labels.json").write_text(json.dumps({"utterances": utts}))
    return root


def fake_align(y: np.ndarray, sr: int, words: list[list[str]]) -> list[tuple[float, float]]:
    """Each word a second of the sentence (the fixture's words are 1-s clips)."""
    return [(k + 0.2, k + 0.8) for k in range(len(words))]


def test_cut_words_writes_one_clip_per_word_and_names_unusable_sentences(
        sentences: Path, tmp_path: Path):
    seen = []
    meta = cut_words(sentences, tmp_path / "out", fake_align,
                     progress=lambda i, n, problem: seen.append((i, n, problem)))
    assert sorted(meta["clips"]) == [
        "words/go/000010001-1__go.wav", "words/home/000010001-2__home.wav",
        "words/know/000020001-1__know.wav", "words/no/000020001-0__no.wav",
        "words/we/000010001-0__we.wav"]
    c = meta["clips"]["words/go/000010001-1__go.wav"]
    assert (c["word"], c["speaker"], c["class"], c["phones"]) == ("go", "0001", "correct", "G OW")
    assert c["align"]["start"] == 1.2 and c["align"]["clip_start"] == pytest.approx(1.15)
    y, sr = sf.read(tmp_path / "out" / "words/go/000010001-1__go.wav")
    assert sr == 16000 and len(y) == pytest.approx(0.7 * 16000, abs=2)
    assert list(meta["skipped"]) == ["000020002"] and "000020002.ogg" in meta["skipped"]["000020002"]
    assert [p for _, _, p in seen if p] == [meta["skipped"]["000020002"]]
    assert json.loads((tmp_path / "out" / "labels.json").read_text())["clips"] == meta["clips"]


def test_other_words_leave_out_model_words_homophones_and_mispronounced(
        sentences: Path, tmp_path: Path):
    cut_words(sentences, tmp_path / "out", fake_align)
    words = {Path(e.path).parent.name for p in WORD_PARTS
             for e in _parts(tmp_path / "out", p)}
    # 'go' and 'no' are commands, 'know' sounds as 'no', 'home' was rated mispronounced
    assert words == {"we"}


def _parts(root: Path, part: str) -> list:
    try:
        return other_word_examples(root, COMMANDS12, part=part)
    except DataError:
        return []


def test_other_words_split_by_word_with_a_cap_per_word(tmp_path: Path):
    clips = {}
    for w in range(60):
        for s in range(5):
            clips[f"words/w{w}/u{w}{s}-0__w{w}.wav"] = {
                "word": f"w{w}", "speaker": f"{s % 4:04d}", "class": "correct",
                "phones": f"P{w}"}
    for d, s in [("seven", "S EH V AH N"), ("to", "T UW"), ("two", "T UW")]:
        clips[f"words/{d}/x-0__{d}.wav"] = {"word": d, "speaker": "0001", "class": "correct",
                                             "phones": s}
    (tmp_path / "labels.json").write_text(json.dumps({"clips": clips}))
    parts = {p: other_word_examples(tmp_path, COMMANDS12, part=p, per_word=3)
             for p in WORD_PARTS}
    words = {p: {Path(e.path).parent.name for e in ex} for p, ex in parts.items()}
    # every word in exactly one part, by its hash; digits and their homophones in none
    assert set().union(*words.values()) == {f"w{w}" for w in range(60)}
    for p, ws in words.items():
        lo, hi = WORD_PARTS[p]
        assert all(lo <= _bucket(w) < hi for w in ws)
        assert len(parts[p]) == 3 * len(ws)  # at most 3 clips of each word...
        for w in ws:  # ...of 3 different speakers (4 said each word)
            assert len({e.speaker for e in parts[p] if f"/{w}/" in e.path}) == 3
    assert all(e.label == "_unknown_" for e in parts["train"])
    assert len(other_word_examples(tmp_path, COMMANDS12, speakers="odd", per_word=9)) == sum(
        1 for c in clips.values() if int(c["speaker"]) % 2 and c["word"].startswith("w")
        and 0 <= _bucket(c["word"]) < 0.6)
    # a folder with labels.json is split by word, the Speech Commands layout by speaker
    assert unknown_examples(tmp_path, COMMANDS12, part="calibrate") == other_word_examples(
        tmp_path, COMMANDS12, part="calibrate")
    with pytest.raises(DataError, match="part"):
        other_word_examples(tmp_path, COMMANDS12, part="test")


def test_calibrate_stops_where_it_would_reject_too_many_known_words():
    labels = ["_unknown_", "a"]
    top = np.linspace(0.5, 0.99, 50)  # other words taken for 'a' at 0.5..0.99
    unknown = np.stack([1 - top, top], axis=1)
    known_top = np.linspace(0.6, 1.0, 100)  # the model's own words at 0.6..1.0
    known = np.stack([1 - known_top, known_top], axis=1)
    free = calibrate(unknown, known, labels, fa_target=0.05, fr_limit=1.0)
    assert free["limited_by"] == "false_accept" and free["min_probability"] == pytest.approx(0.975)
    capped = calibrate(unknown, known, labels, fa_target=0.05, fr_limit=0.03)
    # two of 50 other words (4%) lie above 0.975; 3 of 100 known clips lie below 0.61
    assert capped["limited_by"] == "false_reject"
    assert capped["min_probability"] == pytest.approx(0.61)
    assert capped["false_reject"] <= 0.03 and capped["false_accept"] > 0.05


def test_data_words_cli_refuses_a_folder_without_labels(tmp_path: Path):
    r = subprocess.run([sys.executable, "-m", "space", "data", "words", str(tmp_path),
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "labels.json" in r.stderr
