"""The evidence API: audio + words -> phone, word and sentence scores (pronounce/evidence)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.errors import AudioError, ModelError, SpaceError, UsageError
from space.pronounce.evidence import experts
from space.pronounce.evidence.sentence import SentenceEvidence, assess_audio
from space.pronounce.lexicon.phones import PronunciationError

from .conftest import espeak, needs_espeak, tone


def _read(path: Path) -> tuple[np.ndarray, int]:
    y, sr = sf.read(path, dtype="float32")
    return y, int(sr)


@needs_espeak
def test_sentence_times_and_scores(tmp_path: Path) -> None:
    y, sr = _read(espeak("we call it bear", tmp_path / "s.wav"))
    ev = assess_audio(y, sr, ["we", "call", "it", "bear"])
    assert isinstance(ev, SentenceEvidence)
    assert [w.word for w in ev.words] == ["we", "call", "it", "bear"]
    assert [p.phone for p in ev.words[3].phones] == ["B", "EH", "R"]
    dur = len(y) / sr
    ends = [0.0]
    for w in ev.words:
        assert 0 <= w.start_s < w.end_s <= dur + 0.02
        assert w.start_s >= ends[-1] - 1e-6  # words in order, not overlapping
        ends.append(w.end_s)
        for p in w.phones:
            assert w.start_s - 1e-6 <= p.start_s < p.end_s <= w.end_s + 1e-6
            assert 0 <= p.score <= 100
        assert 0 <= w.score <= 100 and w.said
    assert 0 <= ev.accuracy <= 100 and ev.completeness == 100.0


@needs_espeak
@pytest.mark.parametrize("said, text", [("we call it", "we call it bear"),
                                        ("we call it", "we call bear it")])
def test_a_word_the_recording_lacks_is_not_said(tmp_path: Path, said: str, text: str) -> None:
    """A word of the text that the learner skipped is reported not said (completeness
    below 100, the verdict names it first), at the end of the text or inside it; the
    words said stay said."""
    import space

    path = espeak(said, tmp_path / "s.wav")
    words = text.split()
    r = space.score(path, text=text)
    assert [w.said for w in r.words] == [w != "bear" for w in words]
    assert r.verdict.completeness == 75.0
    assert r.errors[0].kind == "word missing" and r.errors[0].word == "bear"
    assert r.sentence.startswith("'bear' was not heard")


@needs_espeak
@pytest.mark.xfail(strict=True, reason="a known miss: the phone net fine-tuned on the learners' "
                   "sentences hears /t/ in espeak's 'tree' (heard='T') but the fitted phone "
                   "score of /θ/ stays high (94.9 vs 91.0 in 'three'): the scorer learnt from "
                   "learners whose /θ/ experts mostly accept")
def test_changed_phone_scores_lower(tmp_path: Path) -> None:
    """'tree' said where 'three' is meant: its first phone scores lower than in 'three'."""
    right = _read(espeak("three", tmp_path / "three.wav"))
    wrong = _read(espeak("[[tri:]]", tmp_path / "tree.wav"))
    a = assess_audio(*right, ["three"]).words[0]
    b = assess_audio(*wrong, ["three"]).words[0]
    assert b.phones[0].phone == "TH"
    assert b.phones[0].score < a.phones[0].score - 10
    assert b.score < a.score


def test_bad_input_raises_package_errors() -> None:
    sr = 16000
    y = tone(300, 1.0, sr)
    with pytest.raises(PronunciationError, match="qzxv"):
        assess_audio(y, sr, ["qzxv"])
    with pytest.raises(UsageError, match="no words"):
        assess_audio(y, sr, [])
    with pytest.raises(AudioError, match="too short"):
        assess_audio(y[:400], sr, ["three"])
    with pytest.raises(AudioError, match="too short"):  # 60 ms of audio for 20 phones
        assess_audio(tone(300, 0.11, sr), sr, ["three"] * 7)
    with pytest.raises(UsageError, match="pronunciations"):
        assess_audio(y, sr, ["three"], pronunciations=[["TH"], ["R"]])
    assert issubclass(PronunciationError, SpaceError)


def test_scorer_file_loads_and_stays_in_range(tmp_path: Path) -> None:
    from space.pronounce.evidence.gop_features import N_FEATURES

    s = experts.load()
    x = np.random.default_rng(0).normal(0, 3, (50, N_FEATURES))
    out = s.phone(x)
    assert out.shape == (50,) and np.all((out >= 0) & (out <= 100))
    w = s.word(np.random.default_rng(1).normal(50, 30, (20, len(experts.WORD_NAMES))))
    assert np.all((w >= 0) & (w <= 100))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": experts.FORMAT, "version": experts.VERSION,
                               "phone": {"mean": [0], "scale": [1], "layers": []}}))
    with pytest.raises(ModelError, match="damaged"):
        experts.load(bad)
    bad.write_text("{")
    with pytest.raises(ModelError, match="cannot read"):
        experts.load(bad)


def test_expert_phone_marks() -> None:
    from space.data.speechocean import phone_marks

    assert phone_marks(["B", "EH", "R"], "B EH0 R") == ([2, 2, 2], [])
    assert phone_marks(["B", "EH", "R"], "B (EH0) {R}") == ([2, 0, 1], [])
    # the experts' own symbols: AR covers EH R; a bracket may span phones; insertions kept
    assert phone_marks(["B", "EH", "R"], "B AR0")[0] == [2, 2, 2]
    assert phone_marks(["IH", "T", "S"], "{IH0 TS}")[0] == [1, 1, 1]
    assert phone_marks(["B", "EH", "R"], "B EH0 [ L ] R") == ([2, 2, 2], [(1, "L")])
    assert phone_marks(["B", "EH", "R"], "B (AR0)")[0] == [2, 0, 0]


def test_viterbi_finds_the_planted_phones() -> None:
    from space.pronounce.evidence.viterbi import align_sentence

    sil, t = 3, 20
    logp = np.full((t, 4), -10.0)
    truth = [sil] * 3 + [0] * 4 + [1] * 3 + [sil] * 4 + [2] * 5 + [sil]
    logp[np.arange(t), truth] = 0.0
    spans = align_sentence(logp, [[0, 1], [2]], sil)
    assert spans == [[(3, 7), (7, 10)], [(14, 19)]]
    with pytest.raises(AudioError, match="too short"):
        align_sentence(logp[:3], [[0, 1], [2]], sil)


def test_viterbi_keeps_silence_off_loud_frames() -> None:
    """A word whose last phones the model hears as something else: silence is likelier
    there, and takes the rest of the word unless those frames are marked loud."""
    from space.pronounce.evidence.viterbi import align_sentence

    sil, t = 3, 20
    logp = np.full((t, 4), -10.0)
    # /0/ then 9 frames the model calls neither /1/ nor /2/ (silence a little likelier),
    # then real silence
    logp[np.arange(2, 5), 0] = 0.0
    logp[5:14, :] = -6.0
    logp[5:14, sil] = -4.0
    logp[:2, sil] = logp[14:, sil] = 0.0
    words = [[0, 1, 2]]
    loose = align_sentence(logp, words, sil)
    assert loose[0][2][1] <= 9  # the word ends early: silence took its last frames
    loud = np.zeros(t, bool)
    loud[2:14] = True
    kept = align_sentence(logp, words, sil, loud=loud)
    assert kept[0][0] == (2, 5) and kept[0][2][1] == 14  # the word reaches its last loud frame
    loud[16:19] = True  # a loud run apart from the word (a knock): still silence
    assert align_sentence(logp, words, sil, loud=loud) == kept
    assert align_sentence(logp, words, sil, loud=np.zeros(t, bool)) == loose
    # loud frames the first path already gives to the word: the same alignment (one pass)
    on_word = np.zeros(t, bool)
    on_word[loose[0][0][0]:loose[0][2][1]] = True
    assert align_sentence(logp, words, sil, loud=on_word) == loose
    with pytest.raises(ValueError, match="frames"):
        align_sentence(logp, words, sil, loud=loud[:-1])


def test_true_runs_are_each_stretch_of_true() -> None:
    from space.audio.speech import true_runs

    mask = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], bool)
    assert true_runs(mask).tolist() == [[0, 2], [4, 5], [6, 9]]
    assert true_runs(np.zeros(4, bool)).shape == (0, 2)


def test_loud_frames_are_the_word_not_its_silence_or_noise() -> None:
    from space.audio.speech import loud_frames

    sr = 16000
    rng = np.random.default_rng(0)
    tt = np.arange(int(0.4 * sr)) / sr
    word = np.sin(2 * np.pi * 220 * tt) * np.hanning(len(tt)) ** 0.2
    y = np.concatenate([np.zeros(sr // 2), word, np.zeros(sr // 2)]).astype(np.float32)
    y += 1e-4 * rng.standard_normal(len(y)).astype(np.float32)
    t = np.array([0.2, 0.7, 0.9, 1.1, 1.2])
    assert loud_frames(y, sr, t).tolist() == [False, True, True, False, False]
    # steady noise 30 dB under the word is not loud; the word still is
    noise = y + 0.02 * rng.standard_normal(len(y)).astype(np.float32)
    assert loud_frames(noise, sr, t).tolist() == [False, True, True, False, False]
    # a clip that is all noise within 20 dB of its peak: nothing 10 dB over its floor
    assert not loud_frames(rng.standard_normal(sr).astype(np.float32), sr, t).any()
    assert loud_frames(y[:100], sr, t).tolist() == [False] * 5  # too short to measure


def test_viterbi_on_a_long_sentence() -> None:
    """30 words of 3 phones (well over 127 states: the back-pointers are int8, the state
    index must not be): every planted phone found where it was put."""
    from space.pronounce.evidence.viterbi import align_sentence

    rng = np.random.default_rng(0)
    sil, n_cls = 39, 40
    words = [[int(p) for p in rng.integers(0, 39, 3)] for _ in range(30)]
    truth, want, t = [sil] * 5, [], 5
    for w in words:
        spans = []
        for p in w:
            d = int(rng.integers(3, 8))
            truth += [p] * d
            spans.append((t, t + d))
            t += d
        truth += [sil] * 2
        t += 2
        want.append(spans)
    logp = np.full((len(truth), n_cls), -10.0)
    logp[np.arange(len(truth)), truth] = 0.0
    assert align_sentence(logp, words, sil) == want


@needs_espeak
def test_sentence_alignment_with_pocketsphinx(tmp_path: Path) -> None:
    """The aligner of the learners' sentences (learner_labels): words in order, in the clip."""
    pytest.importorskip("pocketsphinx")
    from space.pronounce.lexicon.phones import pronunciation
    from space.pronounce.lexicon.pocketsphinx import align_words

    y, sr = _read(espeak("we call it bear", tmp_path / "s.wav"))
    words = [pronunciation(w) or [] for w in ("we", "call", "it", "bear")]
    found = align_words(y, sr, words)
    assert [[p.phone for p in spans] for _, _, spans in found] == words
    starts = [s for s, _, _ in found]
    assert starts == sorted(starts) and found[-1][1] <= len(y) / sr + 1e-6


@needs_espeak
def test_fallback_sentence_alignment_uses_the_bundled_net(tmp_path: Path) -> None:
    """The sentences PocketSphinx cannot align are aligned by the bundled learners' net
    (learner_labels.viterbi_words): words in order, inside the clip, tagged by its file."""
    from space.pronounce.lexicon.phones import pronunciation
    from space.training.learner_labels import bundled_path, viterbi_words

    y, sr = _read(espeak("we call it bear", tmp_path / "s.wav"))
    words = [pronunciation(w) or [] for w in ("we", "call", "it", "bear")]
    found = viterbi_words(y, sr, words)
    assert [[p.phone for p in spans] for _, _, spans in found] == words
    starts = [s for s, _, _ in found]
    assert starts == sorted(starts) and starts[0] >= 0 and found[-1][1] <= len(y) / sr + 1e-6
    assert all(e - s >= 0.05 for s, e, _ in found)  # every word takes at least 50 ms
    assert bundled_path().name == "phones_learners.pt"


def test_scorer_refuses_posteriors_from_a_net_that_saw_the_speaker() -> None:
    """The scorer is fitted on held-out posteriors only: a phone net given as speaker half
    h's must have been trained without half h (its meta says which speakers it held out)."""
    from dataclasses import replace

    from space.data import speechocean as so
    from space.errors import DataError
    from space.pronounce.evidence.phone_model import bundled_phone_model_path, load_phone_model
    from space.training.scorer import check_halves

    from .conftest import SHARED

    root = SHARED / "speechocean762_train"
    if not (root / "labels.json").is_file():
        pytest.skip(f"{root} not present")
    utts = so.utterances(root)
    half = so.speaker_folds(utts, 2)
    m = load_phone_model(bundled_phone_model_path())  # trained without any learner
    with pytest.raises(DataError, match="held-out phone model 0"):
        check_halves((m, m), utts)
    held = [sorted(s for s, f in half.items() if f == h) for h in (0, 1)]
    ok = tuple(replace(m, meta={**m.meta, "val_speakers": held[h], "train_speakers": held[1 - h]})
               for h in (0, 1))
    check_halves((ok[0], ok[1]), utts)  # each trained on the other half: accepted
    with pytest.raises(DataError, match="held-out phone model 1"):
        check_halves((ok[0], ok[0]), utts)


def test_scorer_mlps_average_into_one_net() -> None:
    """The scorer's MLPs of one level (training.scorer.SEEDS) sit side by side in one net
    whose output is their mean: what the JSON file stores and an attempt runs."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from space.training.scorer import _mlp

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 5))
    y = 50 + 20 * np.tanh(x[:, 0] - 0.5 * x[:, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        three = _mlp(x, y, (8,), 7, seeds=3)
        each = [_mlp(x, y, (8,), 7 + 1000 * k, seeds=1) for k in range(3)]
    assert three.layers[0][0].shape == (5, 24) and three.layers[1][0].shape == (24, 1)

    def before_clip(n):  # the net's output x100 before its clip to 0-100
        h = np.maximum((x - n.mean) / n.scale @ n.layers[0][0] + n.layers[0][1], 0.0)
        return 100 * (h @ n.layers[1][0] + n.layers[1][1])[:, 0]

    mean = np.mean([before_clip(n) for n in each], axis=0)
    np.testing.assert_allclose(before_clip(three), mean, atol=1e-9)
    np.testing.assert_allclose(three(x), np.clip(mean, 0, 100), atol=1e-9)
    assert np.corrcoef(three(x), y)[0, 1] > 0.8
    assert len(_mlp(x, y, (), 0).layers) == 1  # no hidden layer: one ridge regression
    with pytest.raises(ValueError, match="one hidden layer"):
        _mlp(x, y, (8, 4), 0)
