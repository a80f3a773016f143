"""Pronunciation scoring: exact DTW and the reference sets, the one verdict of space.score on
real words, bad input, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import librosa
import numpy as np
import pytest
import soundfile as sf

from space.cli import main as cli
from space.errors import AudioError, SpaceError, TextError, UsageError
from space.pronounce import add_references, list_words, reference_paths, score
from space.pronounce.references import dtw as seq
from space.pronounce.references.calibrate import Calibration, calibrate, equal_error_distance
from space.pronounce.verdict.judge import band, contradictions

from .conftest import SPEECH_COMMANDS, needs_speech_commands

# ---------------------------------------------------------------------------------------
# DTW


def test_dtw_textbook_example():
    # Mueller, Fundamentals of Music Processing (2015), Sec. 3.2.1: |x - y| cost.
    X = np.array([[1, 3, 9, 2, 1]], dtype=float)
    Y = np.array([[2, 0, 0, 8, 7, 2]], dtype=float)
    D = seq.accumulated_cost(X, Y, metric="euclidean")
    expected = [[1, 2, 3, 10, 16, 17],
                [2, 4, 5, 8, 12, 13],
                [9, 11, 13, 6, 8, 15],
                [9, 11, 13, 12, 11, 8],
                [10, 10, 11, 18, 17, 9]]
    np.testing.assert_array_equal(D, expected)
    al = seq.dtw(X, Y, metric="euclidean")
    assert al.total == 9
    assert al.path.tolist() == [[0, 0], [0, 1], [1, 2], [2, 3], [2, 4], [3, 5], [4, 5]]
    assert al.path_cost.tolist() == [1, 1, 3, 1, 2, 0, 1]
    assert al.distance == pytest.approx(9 / 7)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("seed", range(4))
def test_dtw_equals_librosa(seed, metric):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(16, int(rng.integers(5, 90))))
    Y = rng.normal(size=(16, int(rng.integers(5, 90))))
    D_ref, wp = librosa.sequence.dtw(X, Y, metric=metric)
    np.testing.assert_allclose(seq.accumulated_cost(X, Y, metric=metric), D_ref,
                               rtol=1e-4, atol=1e-4)
    al = seq.dtw(X, Y, metric=metric)
    np.testing.assert_array_equal(al.path, wp[::-1])
    assert al.total == pytest.approx(D_ref[-1, -1], rel=1e-4)
    assert al.distance == pytest.approx(D_ref[-1, -1] / len(wp), rel=1e-4)
    assert al.path_cost.sum() == pytest.approx(al.total, rel=1e-4)


def test_many_pairs_equal_one_by_one():
    rng = np.random.default_rng(0)
    seqs = [seq.frames(rng.normal(size=(8, int(rng.integers(10, 50))))) for _ in range(12)]
    i, j = np.triu_indices(12, k=1)
    pairs = np.stack([i, j], 1)
    packed = seq.pack(seqs)
    for threads in (1, 2):
        got = seq.distances(packed, packed, pairs, threads=threads)
        want = [seq.dtw_frames(seqs[a], seqs[b]).distance for a, b in pairs]
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_dtw_bad_input():
    with pytest.raises(UsageError, match="metric"):
        seq.dtw(np.ones((2, 3)), np.ones((2, 3)), metric="manhattan")
    with pytest.raises(UsageError, match="feature sizes differ"):
        seq.dtw(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(UsageError, match="non-empty"):
        seq.dtw(np.ones((2, 0)), np.ones((2, 3)))


# ---------------------------------------------------------------------------------------
# calibration


def test_calibration_anchors_and_bands():
    cal = Calibration(d100=0.1, d50=0.2, d0=0.4)
    assert cal.score(0.05) == 100 and cal.score(0.1) == 100
    assert cal.score(0.15) == pytest.approx(75)
    assert cal.score(0.2) == pytest.approx(50)
    assert cal.score(0.3) == pytest.approx(25)
    assert cal.score(1.0) == 0
    assert [band(s) for s in (100, 80, 79.9, 65, 50, 49.9, 0)] == [
        "excellent", "excellent", "good", "good", "fair", "poor", "poor"]


def test_calibrate_from_distances():
    within = np.array([[0, .1, .2], [.1, 0, .3], [.2, .3, 0]])
    genuine = np.linspace(0.1, 0.3, 21)
    impostor = np.linspace(0.25, 0.65, 21)
    cal = calibrate(within, genuine=genuine, impostor=impostor)
    assert cal.d100 == pytest.approx(0.1)  # leave-one-out distances .1, .1, .2
    assert cal.d0 == pytest.approx(0.45)  # impostor median
    assert 0.25 <= cal.d50 <= 0.3  # where the two lists cross
    assert equal_error_distance(np.array([1, 2, 3.0]), np.array([4, 5, 6.0])) == 3
    only_within = calibrate(within)
    assert only_within.d100 < only_within.d50 < only_within.d0
    with pytest.raises(UsageError):
        calibrate(np.zeros((1, 1)))


# ---------------------------------------------------------------------------------------
# scoring with the bundled references (no data set needed)


@pytest.fixture(scope="module")
def seven() -> tuple[np.ndarray, int]:
    y, sr = sf.read(reference_paths("7")[0], dtype="float32")
    return y, sr


@pytest.fixture(scope="module")
def three() -> tuple[np.ndarray, int]:
    y, sr = sf.read(reference_paths("3")[0], dtype="float32")
    return y, sr


def test_bundled_words():
    words = list_words()
    assert [str(d) for d in range(10)] == words[:10]
    assert {"yes", "no", "stop", "go"} <= set(words)
    assert len(reference_paths("seven")) == len(reference_paths("7")) >= 3


def test_a_reference_recording_scores_excellent(seven):
    r = score(str(reference_paths("7")[0]), word="7")
    assert r.score >= 80 and r.band == "excellent" and r.errors == ()
    assert r.sentence.startswith("well said") and contradictions(r.verdict) == []
    r2 = score(seven[0], sr=seven[1], word="seven")
    assert r2.score == pytest.approx(r.score, abs=1e-6)


def test_noise_lowers_the_score(seven):
    y, sr = seven
    rng = np.random.default_rng(0)
    noise = rng.normal(size=len(y)).astype(np.float32)
    p = float(np.mean(y**2))
    scores = []
    for snr in (None, 10, 0):
        x = y if snr is None else y + noise * np.sqrt(p / 10 ** (snr / 10))
        try:
            scores.append(score(x, sr=sr, word="7").score)
        except AudioError:  # drowned: no speech found is a correct answer too
            scores.append(0.0)
    assert scores[0] >= scores[1] >= scores[2]
    assert scores[2] < scores[0] - 5


def test_noise_and_tempo_factors_rise_smoothly():
    from space.pronounce.references.distance import noise_factor, tempo_factor

    snrs = [80, 50, 36, 27, 17, 12, 8, 0]
    f = [noise_factor(x) for x in snrs]
    assert np.all(np.diff(f) > 0) and f[0] == pytest.approx(1.0, abs=0.01)
    assert noise_factor(float("inf")) == 1.0
    t = [tempo_factor(r) for r in (1.0, 1.15, 1.3, 1.5, 1.75, 3.0)]
    assert np.all(np.diff(t) > 0) and t[0] == pytest.approx(1.0, abs=0.05)
    assert tempo_factor(0.5) == pytest.approx(tempo_factor(2.0))  # symmetric in the ratio


def test_estimated_snr_falls_with_noise(seven):
    from space.pronounce.evidence.quality import estimate_snr

    y, sr = seven
    rng = np.random.default_rng(0)
    noise = rng.normal(size=len(y)).astype(np.float32)
    p = float(np.mean(y**2))
    est = [estimate_snr(y + noise * np.sqrt(p / 10 ** (s / 10)), sr) for s in (30, 20, 10, 0)]
    assert np.all(np.diff(est) < 0)
    assert estimate_snr(np.zeros(100, np.float32), sr) == 80.0


def test_frames_blend_posteriors_and_log_mels(seven):
    from space.pronounce.references.frames import Featurizer, default_featurizer

    feat = default_featurizer()
    if feat.encoder is None:
        pytest.skip("no bundled frame encoder")
    u = feat(*seven)
    w = feat.mel_weight
    n_post = len(feat.encoder.labels)
    assert u.frames.shape[1] == n_post + ((feat.mel_coeffs or feat.cfg.n_mels) if w > 0 else 0)
    np.testing.assert_allclose(np.linalg.norm(u.frames, axis=1), 1.0, rtol=1e-4)
    if w > 0:  # cosine distance = (1 - w) posterior distance + w log-mel distance
        post = Featurizer(feat.encoder, mel_weight=0.0)(*seven).frames
        np.testing.assert_allclose(u.frames[:, :n_post], np.sqrt(1 - w) * post, atol=1e-5)
        assert f"+mel{w:g}" in feat.id


def test_set_distances_as_scored(seven, three):
    from space.pronounce.references.distance import match, set_distances, within_set
    from space.pronounce.references.frames import default_featurizer as featurizer
    from space.pronounce.references.sets import word_reference_set

    refs = word_reference_set("7").utterances
    att = [featurizer()(*seven), featurizer()(*three)]
    d = set_distances(att, refs)
    assert d[0] < d[1]
    assert d[1] == pytest.approx(match(att[1], refs).distance)
    loo = within_set(refs)
    assert len(loo) == len(refs) and min(loo) > 0


def test_bundled_frames_cache_matches_the_encoder():
    from space.pronounce.references.folders import bundled_dir
    from space.pronounce.references.frames import default_featurizer
    from space.pronounce.references.sets import load_utterance, read_frames_cache

    folder = bundled_dir() / "3"
    clips = reference_paths("3")
    feat = default_featurizer()
    cached = read_frames_cache(folder, clips, feat)
    assert cached is not None and len(cached) == len(clips)
    live = load_utterance(clips[0], None, str(clips[0]), feat)
    np.testing.assert_allclose(cached[0].frames, live.frames, atol=2e-3)
    assert cached[0].speech_s == pytest.approx(live.speech_s)
    assert read_frames_cache(folder, clips[:-1], feat) is None  # another set of clips: not used


def test_wrong_word_scores_lower(seven, three):
    right = score(seven[0], sr=seven[1], word="7").score
    r = score(three[0], sr=three[1], word="7")
    assert r.score < right - 30 and r.band == "poor"
    assert r.sentence  # says what is wrong (another word, a sound)
    assert contradictions(r.verdict) == []


def _replace_middle(y: np.ndarray, other: np.ndarray, sr: int, span_s: float = 0.2):
    from space import audio

    a, b = audio.speech_bounds(y, sr)
    oa, ob = audio.speech_bounds(other, sr)
    n = min(int(span_s * sr), b - a, ob - oa)
    s = a + (b - a - n) // 2
    t = oa + (ob - oa - n) // 2
    out = y.copy()
    piece = other[t:t + n]
    out[s:s + n] = piece * np.sqrt(np.mean(y[s:s + n] ** 2) / (np.mean(piece**2) + 1e-12))
    return out, s / sr, (s + n) / sr


def test_a_replaced_span_lowers_the_score_and_stays_consistent(seven, three):
    y, sr = seven
    x, a, b = _replace_middle(y, three[0], sr)
    clean = score(y, sr=sr, word="7")
    r = score(x, sr=sr, word="7")
    assert r.score < clean.score
    assert contradictions(r.verdict) == []
    if r.verdict.span is not None:  # the part to work on lies in the attempt
        assert 0 <= r.verdict.span[0] < r.verdict.span[1] <= len(y) / sr + 0.05


def test_json_object(seven):
    d = score(seven[0], sr=seven[1], word="seven").to_dict()
    assert set(d) == {"attempt", "text", "score", "band", "accuracy", "completeness",
                      "fluency", "cause", "sentence", "span", "heard", "errors", "words",
                      "recognized", "quality", "warnings"}
    assert d["text"] == "seven" and isinstance(d["attempt"], str)
    (w,) = d["words"]
    assert [p["phone"] for p in w["phones"]] == ["S", "EH", "V", "AH", "N"]
    assert all(0 <= p["score"] <= 100 and p["start_s"] < p["end_s"] for p in w["phones"])
    assert set(w["phones"][0]) == {"phone", "ipa", "start_s", "end_s", "score", "level",
                                   "heard", "heard_ipa"}
    assert 0 <= d["score"] <= 100 and d["band"] in ("excellent", "good", "fair", "poor")
    assert d["completeness"] == 100.0 and d["score"] == w["score"]
    if d["recognized"] is not None:  # the digits model is installed
        assert set(d["recognized"]) == {"label", "probability", "matches_word"}
        assert d["recognized"]["matches_word"] == (d["recognized"]["label"] == "7")
        assert d["heard"].endswith("% sure)")  # the verdict's reading of the check
    for e in d["errors"]:
        assert e["kind"] in ("substitution", "deletion", "unclear", "insertion")
    assert d["quality"]["label"] in ("good", "fair", "poor") and 0 <= d["quality"]["score"] <= 100
    json.dumps(d)


def test_plot_written(seven, tmp_path):
    r = score(seven[0], sr=seven[1], word="7")
    fig = r.plot(tmp_path / "fb.png")
    assert (tmp_path / "fb.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    assert r.audio.dtype == np.float32 and r.sr == 16000


# ---------------------------------------------------------------------------------------
# bad input: a clear error, never a crash or a meaningless 100


def test_bad_input_api(seven, tmp_path):
    y, sr = seven
    with pytest.raises(AudioError, match="silent"):
        score(np.zeros(sr, dtype=np.float32), sr=sr, word="7")
    with pytest.raises(AudioError, match="record just the text"):
        score(np.tile(y, 10), sr=sr, word="7")
    with pytest.raises(TextError, match="not in the pronunciation lexicon .*'qzxvw'"):
        score(y, sr=sr, word="qzxvw")
    with pytest.raises(TextError, match="empty"):
        score(y, sr=sr, text=" ... ")
    with pytest.raises(TextError, match="at most 30"):
        score(y, sr=sr, text="go " * 31)
    with pytest.raises(SpaceError, match="sr"):
        score(y, word="7")
    with pytest.raises(UsageError, match="one of the two"):
        score(y, sr=sr)


def _cli(capsys, *args) -> tuple[int, str, str]:
    rc = cli(["score", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_bad_input_one_line_exit_2(seven, tmp_path, capsys):
    y, sr = seven
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(sr), sr)
    long = tmp_path / "long.wav"
    sf.write(long, np.tile(y, 10), sr)
    ok = tmp_path / "ok.wav"
    sf.write(ok, y, sr)
    cases = [
        (["--word", "7", str(silent)], "silent"),
        (["--word", "7", str(long)], "record just the text"),
        (["--word", "qzxvw", str(ok)], "not in the pronunciation lexicon (CMUdict): 'qzxvw'"),
        (["--word", "ice cream", str(ok)], "is 2 words"),
        (["--text", "", str(ok)], "the text is empty"),
        ([str(ok)], "--word"),
        (["--word", "7", str(tmp_path / "missing.wav")], "missing.wav"),
    ]
    for args, msg in cases:
        rc, out, err = _cli(capsys, *args)
        assert rc == 2, args
        assert err.count("\n") == 1 and msg in err and err.startswith("space score: error:"), err


def test_cli_json_and_plot(seven, tmp_path, capsys):
    y, sr = seven
    ok = tmp_path / "ok.wav"
    sf.write(ok, y, sr)
    rc, out, err = _cli(capsys, "--word", "7", "--json", "--plot", str(tmp_path / "f.png"),
                        str(ok))
    assert rc == 0
    d = json.loads(out)
    assert d["attempt"] == str(ok) and d["band"] == "excellent" and d["text"] == "seven"
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_cli_exit_code_in_a_new_process(tmp_path):
    p = subprocess.run([sys.executable, "-m", "space", "score", "--word", "nope", "x.wav"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------
# the user's references


def test_add_references(seven, tmp_path, monkeypatch):
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    y, sr = seven
    files = []
    for i in range(2):
        p = tmp_path / f"take {i}.wav"
        sf.write(p, y * (0.5 + i * 0.3), sr)
        files.append(p)
    added = add_references("Seven-Teacher", files)
    assert [p.parent for p in added] == [tmp_path / "refs" / "seven-teacher"] * 2
    assert "seven-teacher" in list_words()
    for bad in ("../x", "a/b", ".hidden", "", "x" * 41, "a\\b", "con/../.."):
        with pytest.raises(UsageError):
            add_references(bad, files)
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    with pytest.raises(AudioError):
        add_references("other", [files[0], junk])
    assert not (tmp_path / "refs" / "other").exists()  # nothing copied half-way


def test_references_build(synthetic_dataset, tmp_path, capsys):
    out = tmp_path / "built"
    rc = cli(["references", "build", "--data", str(synthetic_dataset), "--out", str(out),
              "--per-word", "2", "--max-candidates", "12", "--quiet"])
    assert rc == 0
    for word in ("beep", "fall", "rise"):
        info = json.loads((out / word / "set.json").read_text())
        assert len(info["clips"]) == 2 and np.shape(info["within"]) == (2, 2)
        cal = info["calibration"]
        assert cal["d100"] < cal["d50"] < cal["d0"]
        assert len(list((out / word).glob("*.flac"))) == 2


# ---------------------------------------------------------------------------------------
# real speech (skipped without the shared data)


@needs_speech_commands
def test_unseen_speaker_right_word_beats_wrong_word():
    tests = [ln.strip() for ln in (SPEECH_COMMANDS / "testing_list.txt").read_text().split()]
    yes = [SPEECH_COMMANDS / t for t in tests if t.startswith("yes/")][:6]
    right = np.median([score(str(p), word="yes").score for p in yes])
    wrong = np.median([score(str(p), word="no").score for p in yes])
    assert right > wrong + 30
