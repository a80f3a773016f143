"""Sequence decoder: hand-checkable Viterbi results on synthetic posteriors."""

from __future__ import annotations

import numpy as np
import pytest

from space.errors import UsageError
from space.recognize.sequence.connected import frame_targets, word_errors
from space.recognize.sequence.decode import DecoderConfig, SequenceDecoder, parse_grammar

LABELS = ["a", "b", "_other_", "_silence_"]


def post(runs: list[tuple[str, int]], p: float = 0.94) -> np.ndarray:
    """Frames where the named class has probability ``p`` and the rest share 1 - p."""
    rows = []
    for lab, n in runs:
        r = np.full(len(LABELS), (1 - p) / (len(LABELS) - 1))
        r[LABELS.index(lab)] = p
        rows += [r] * n
    return np.array(rows)


RUNS = [("_silence_", 5), ("a", 12), ("b", 12), ("_silence_", 3), ("a", 4), ("_silence_", 5),
        ("b", 15), ("_silence_", 5)]


def words(ws) -> list[tuple[str, int, int]]:
    return [(w.label, w.start, w.end) for w in ws]


def test_connected_words_and_a_blip() -> None:
    d = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8))
    # 'a' then 'b' with no pause; the 4-frame 'a' is shorter than a word: silence.
    assert words(d.decode(post(RUNS))) == [("a", 5, 17), ("b", 17, 29), ("b", 41, 56)]


def test_streaming_gives_the_same_words_and_gives_them_early() -> None:
    P = post(RUNS)
    d = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8))
    got = []
    for i in range(0, len(P), 3):
        got += [(w.label, w.start, w.end, i) for w in d.accept(P[i : i + 3])]
    pushed = len(got)
    got += [(w.label, w.start, w.end, -1) for w in d.flush()]
    assert [g[:3] for g in got] == [("a", 5, 17), ("b", 17, 29), ("b", 41, 56)]
    # 'a' and 'b' are final (all hypotheses agree) before the end of the input, each
    # within 20 frames (200 ms) of its end: frames seen = push offset + 3.
    assert pushed == 2
    assert got[0][3] + 3 - 17 <= 20 and got[1][3] + 3 - 29 <= 20
    assert d.n_frames == 0  # finish resets


def test_default_shortest_word_is_320_ms() -> None:
    # The shipped floor (issue 21): an unsure piece ('a' 0.7 against silence 0.3) of 250 ms
    # gains 25 * ln(0.7 / 0.3) = 21.2 over silence, more than the word penalty (10), but to
    # be a word it would have to take 7 clear silence frames (3.85 each): no word. At 340 ms
    # it fits the floor alone and is a word; the old 200 ms floor kept the 250 ms piece.
    r = np.array([0.7, 0.0, 0.0, 0.3])

    def piece(n: int) -> np.ndarray:
        return np.vstack([post([("_silence_", 10)]), np.tile(r, (n, 1)), post([("_silence_", 10)])])

    assert DecoderConfig().min_word_frames == 32
    assert words(SequenceDecoder(LABELS, DecoderConfig()).decode(piece(25))) == []
    assert words(SequenceDecoder(LABELS, DecoderConfig()).decode(piece(34))) == [("a", 10, 44)]
    old = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=20))
    assert words(old.decode(piece(25))) == [("a", 10, 35)]


def test_word_penalty_decides_a_doubtful_word() -> None:
    # 10 frames where 'a' is 0.55 against silence 0.45: the word path gains
    # 10 * ln(0.55 / 0.45) = 2.01 over silence, so a penalty of 1 keeps it, 3 does not.
    r = np.array([0.55, 0.0, 0.0, 0.45])
    P = np.vstack([post([("_silence_", 3)]), np.tile(r, (10, 1)), post([("_silence_", 3)])])
    keep = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=5, word_penalty=1.0))
    drop = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=5, word_penalty=3.0))
    assert words(keep.decode(P)) == [("a", 3, 13)]
    assert words(drop.decode(P)) == []


def test_grammar_exactly_n_words() -> None:
    P = post([("_silence_", 4), ("a", 10), ("b", 10), ("a", 10), ("_silence_", 4)])
    anyw = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8))
    assert [w.label for w in anyw.decode(P)] == ["a", "b", "a"]
    two = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8, grammar="digits2"))
    assert len(two.decode(P)) == 2
    four = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8, grammar="digits4"))
    got = four.decode(P)
    # Four words of >= 8 frames fit into 30 speech frames only by eating silence (38
    # frames in all): the grammar wins over the frames.
    assert len(got) == 4
    # Not enough frames for 20 words at all: the decoder falls back to the best path.
    many = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8, grammar="digits20"))
    assert [w.label for w in many.decode(P)] == ["a", "b", "a"]


def test_fillers_are_decoded_but_not_reported() -> None:
    P = post([("_silence_", 4), ("a", 12), ("_other_", 12), ("b", 12), ("_silence_", 4)])
    d = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8, grammar="digits2"))
    assert words(d.decode(P)) == [("a", 4, 16), ("b", 28, 40)]


def test_probability_and_top_k() -> None:
    P = post([("_silence_", 4), ("a", 12), ("_silence_", 4)], p=0.7)
    (w,) = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8)).decode(P)
    assert w.probability == pytest.approx(0.7)
    # top_k over the vocabulary words only, renormalised: 0.7 / (0.7 + 0.1)
    assert w.top_k[0] == ("a", pytest.approx(0.875))
    assert [lab for lab, _ in w.top_k] == ["a", "b"]


def test_silence_only_gives_nothing() -> None:
    d = SequenceDecoder(LABELS)
    assert d.decode(post([("_silence_", 50)])) == []
    assert d.decode(np.zeros((0, 4))) == []


@pytest.mark.parametrize("bad", ["digits", "digits0", "digits4x", "all", "digits99"])
def test_bad_grammar(bad: str) -> None:
    with pytest.raises(UsageError, match="grammar"):
        DecoderConfig(grammar=bad)


def test_parse_grammar() -> None:
    assert parse_grammar("any") is None
    assert parse_grammar("digits4") == 4


def test_bad_input() -> None:
    with pytest.raises(UsageError, match="silence"):
        SequenceDecoder(["a", "b"])
    with pytest.raises(UsageError, match="shape"):
        SequenceDecoder(LABELS).accept(np.zeros((3, 5)))
    with pytest.raises(UsageError, match="min_word_frames"):
        DecoderConfig(min_word_frames=0)


def test_word_errors() -> None:
    assert word_errors(list("2648"), list("2648")) == 0
    assert word_errors(list("2648"), list("4")) == 3
    assert word_errors(list("2648"), list("26548")) == 1
    assert word_errors(list("2648"), list("2748")) == 1
    assert word_errors([], list("12")) == 2


def test_frame_targets() -> None:
    # Words at samples [200, 600) and [560, 900) with hop 40: frames centred at 0, 40, ...
    t = frame_targets([(200, 600), (560, 900)], [0, 1], 30, 40, 9, edge_frames=1)
    assert t[0] == 9 and t[3] == 9  # centres 0 and 120: more than one hop before a word
    assert t[5] == -100  # centre 200: a word edge
    assert t[7] == 0  # centre 280: inside the first word
    assert t[14] == -100  # centre 560-599: both words (overlap)
    assert t[18] == 1
    assert t[29] == 9  # centre 1160: after the last word


def test_training_example_targets_follow_the_words() -> None:
    """space.training.sequence: a built window's frame targets name its words, in order."""
    from space.config import AugmentConfig
    from space.data import Augmenter
    from space.training.sequence import LABELS, make_example

    sr, hop = 16000, 160
    rng = np.random.default_rng(0)
    t = np.arange(int(0.3 * sr)) / sr
    clips = [(str(d), (0.3 * np.sin(2 * np.pi * (300 + 100 * d) * t)).astype(np.float32))
             for d in range(10)]
    pool = {"voices": {"fsdd-x": clips}, "by_kind": {"fsdd": ["fsdd-x"]}}
    aug = Augmenter(AugmentConfig.none(), sr)
    n = 3 * sr
    seen = 0
    for _ in range(20):
        w, tg = make_example(pool, n, rng, aug, hop, n // hop + 1)
        assert w.shape == (n,) and tg.shape == (n // hop + 1,)
        assert np.max(np.abs(w)) <= 1.0
        words = tg[tg >= 0]
        sil = LABELS.index("_silence_")
        assert set(np.unique(words)) <= set(range(len(LABELS)))
        # Each word is one run of its label (at least 0.3 s - edges = 26 frames), apart
        # from silence frames between: no label ever appears as a short blip.
        runs = np.split(words, np.flatnonzero(np.diff(words)) + 1)
        assert all(len(r) >= 20 for r in runs if r[0] != sil)
        seen += sum(r[0] != sil for r in runs)
    assert seen >= 20


def test_sequence_model_trains_through_fit(tmp_path) -> None:
    """space train-sequence's task: the one loop (fit) writes a frame-encoder checkpoint with
    the 12 sequence labels that SequenceModel loads, plus a resumable .last.pt."""
    from dataclasses import replace

    import torch

    from space.config import SEQUENCE_TRAIN, AugmentConfig
    from space.recognize.sequence.model import SequenceModel
    from space.training.loop import fit, last_path
    from space.training.sequence import LABELS, STEPS_PER_EPOCH, sequence_task

    sr = 16000
    t = np.arange(int(0.3 * sr)) / sr
    clips = [(str(d), (0.3 * np.sin(2 * np.pi * (300 + 100 * d) * t)).astype(np.float32))
             for d in range(10)]
    pool = {"voices": {"fsdd-x": clips}, "by_kind": {"fsdd": ["fsdd-x"]}}
    cfg = replace(SEQUENCE_TRAIN, epochs=1, batch_size=2, augment=AugmentConfig.none())
    tasks = []

    def make():
        tasks.append(sequence_task(pool, cfg, warm_start=False))
        return tasks[-1]

    out = tmp_path / "seq.pt"
    meta = fit(make, cfg, out, progress=False, log=lambda m: None)
    assert meta is not None and len(meta["history"]) == 1
    assert len(tasks[0].train_set) == STEPS_PER_EPOCH * 2
    model = SequenceModel(out)
    assert model.labels == LABELS
    for k, v in tasks[0].model.state_dict().items():
        assert torch.equal(model.encoder.state_dict()[k], v)
    post = model.posteriors(np.zeros(sr, np.float32), sr)
    assert post.shape == (sr // 160 + 1, len(LABELS))
    np.testing.assert_allclose(post.sum(1), 1.0, atol=1e-5)
    assert last_path(out).is_file()


def test_long_word_cost_splits_a_repeated_word() -> None:
    # 'a' for 40 frames with no pause: "a a" said without one, or one slow 'a'. Staying is
    # free and a second word costs the penalty (5), so without a length limit it is one word.
    P = post([("_silence_", 5), ("a", 40), ("_silence_", 5)])
    one = SequenceDecoder(LABELS, DecoderConfig(min_word_frames=8, word_penalty=5.0))
    assert words(one.decode(P)) == [("a", 5, 45)]
    # Beyond 25 frames each frame costs 1: staying 15 frames more costs 15 > 5, so two words;
    # they split where neither passes 25 frames (the first ends at 15..30).
    cfg = DecoderConfig(min_word_frames=8, word_penalty=5.0, long_word_frames=25,
                        long_word_cost=1.0)
    two = words(SequenceDecoder(LABELS, cfg).decode(P))
    assert [w[0] for w in two] == ["a", "a"] and two[0][1] == 5 and two[1][2] == 45
    assert two[0][2] == two[1][1] and 20 <= two[0][2] <= 30
    # ... a 28-frame 'a' pays 3 < 5: still one word.
    short = post([("_silence_", 5), ("a", 28), ("_silence_", 5)])
    assert words(SequenceDecoder(LABELS, cfg).decode(short)) == [("a", 5, 33)]
    # Streaming gives the same words as decoding at once.
    d, got = SequenceDecoder(LABELS, cfg), []
    for i in range(0, len(P), 4):
        got += words(d.accept(P[i : i + 4]))
    assert got + words(d.flush()) == two
    with pytest.raises(UsageError, match="long_word"):
        DecoderConfig(long_word_cost=-1.0)
