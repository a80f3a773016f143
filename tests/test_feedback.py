"""Feedback a learner can act on: recording quality, segments that name their phones, the
phone strip of the picture and its rules, and reference sets that disagree (issue 11)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space import audio
from space.pronounce.feedback import phone_feedback, phone_level, recording_caveat
from space.pronounce.quality import LIMITS, recording_quality
from space.pronounce.segments import Segment, name_phones

from .conftest import espeak

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


def _sphinx_and_model() -> bool:
    import importlib.util

    from space.pronounce import phone_encoder

    return (importlib.util.find_spec("pocketsphinx") is not None
            and phone_encoder.bundled_phone_model_path().is_file())


needs_phones = pytest.mark.skipif(not _sphinx_and_model(),
                                  reason="pocketsphinx or the phone model is missing")


@pytest.fixture(scope="module")
def word16(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """espeak-ng saying 'three' at 16 kHz, peak 0.5, with 0.3 s of near-silence each side
    (a very quiet noise floor, as any microphone has)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    p = espeak("three", tmp_path_factory.mktemp("q") / "three.wav")
    y, sr = sf.read(p, dtype="float32")
    y = audio.resample(y, sr, 16000)
    y = 0.5 * y / np.max(np.abs(y))
    pad = np.zeros(4800, np.float32)
    y = np.r_[pad, y, pad]
    return (y + np.random.default_rng(0).normal(0, 1e-4, len(y))).astype(np.float32)


def _noisy(y: np.ndarray, snr_db: float, seed: int = 1) -> np.ndarray:
    speech = np.mean(y[np.abs(y) > 0.01] ** 2)
    n = np.random.default_rng(seed).normal(0, np.sqrt(speech / 10 ** (snr_db / 10)), len(y))
    return (y + n).astype(np.float32)


# ---- recording quality ------------------------------------------------------------------

def test_quality_is_quiet_on_a_clean_recording(word16: np.ndarray) -> None:
    q = recording_quality(word16, 16000)
    assert q.label == "good" and q.score == 100.0
    assert q.warnings == []
    assert q.snr_db > 40 and q.clipped == 0.0
    assert -25 < q.level_dbfs < -5 and q.bandwidth_hz > 6500


def test_quality_falls_with_noise_and_says_it_is_the_recording(word16: np.ndarray) -> None:
    qs = [recording_quality(_noisy(word16, snr), 16000) for snr in (30, 15, 5, 0)]
    scores = [q.score for q in qs]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] + 50
    snrs = [q.snr_db for q in qs]
    assert snrs == sorted(snrs, reverse=True)
    assert qs[0].warnings == []
    assert qs[-1].label == "poor"
    (w,) = qs[-1].warnings
    assert w.startswith("background noise (signal-to-noise about") and LIMITS in w
    assert "the recording, not your pronunciation" in w


def test_quality_finds_clipping(word16: np.ndarray) -> None:
    q1 = recording_quality(np.clip(word16 * 3, -1, 1), 16000)
    q2 = recording_quality(np.clip(word16 * 10, -1, 1), 16000)
    assert 0.001 < q1.clipped < q2.clipped
    assert q2.score < q1.score < 80
    assert q2.label == "poor"
    assert any(w.startswith("the recording is clipped (too loud") and LIMITS in w
               for w in q1.warnings)
    # clipped at 22.05 kHz and resampled to 16 kHz, as the scorer sees it: still found
    y22 = audio.resample(word16, 16000, 22050)
    q3 = recording_quality(audio.resample(np.clip(y22 * 8, -1, 1), 22050, 16000), 16000)
    assert q3.clipped > 0.001 and any("clipped" in w for w in q3.warnings)


def test_quality_finds_a_quiet_far_microphone(word16: np.ndarray) -> None:
    levels = [recording_quality(word16 * 10 ** (db / 20), 16000) for db in (0, -20, -35)]
    assert [round(q.level_dbfs - levels[0].level_dbfs) for q in levels] == [0, -20, -35]
    assert levels[0].warnings == [] and levels[1].score < 100 and levels[2].label == "poor"
    (w,) = levels[2].warnings
    assert w.startswith("the recording is very quiet (speech at") and "far away" in w
    assert LIMITS in w


def test_quality_finds_narrowband_audio(word16: np.ndarray) -> None:
    y8 = audio.resample(audio.resample(word16, 16000, 8000), 8000, 16000)
    q = recording_quality(y8, 16000)
    assert q.bandwidth_hz < 4100 and q.label == "fair" and 60 <= q.score < 70
    (w,) = q.warnings
    assert w.startswith("narrowband audio") and "/θ/" in w and LIMITS in w


def test_score_reports_quality_and_its_warnings(word16: np.ndarray) -> None:
    """Through space.score: `quality` in the result and the JSON; noise warns about the
    recording (not a mispronunciation) and the clean attempt gets no quality warning."""
    from space import pronounce

    clean = pronounce.score(word16, sr=16000, word="three").to_dict()
    noisy = pronounce.score(_noisy(word16, 0), sr=16000, word="three").to_dict()
    assert set(clean["quality"]) == {"score", "label", "snr_db", "clipped", "level_dbfs",
                                     "bandwidth_hz", "warnings"}
    assert clean["quality"]["label"] == "good" and clean["quality"]["warnings"] == []
    assert not any(LIMITS in w for w in clean["warnings"])
    assert noisy["quality"]["label"] == "poor"
    assert noisy["quality"]["score"] < clean["quality"]["score"]
    assert any(w.startswith("background noise") and LIMITS in w for w in noisy["warnings"])
    json.dumps(noisy)


# ---- segments name their phones ---------------------------------------------------------

PHONES = [{"phone": "TH", "ipa": "θ", "attempt_start_s": 0.20, "attempt_end_s": 0.30, "score": 4.0},
          {"phone": "R", "ipa": "ɹ", "attempt_start_s": 0.30, "attempt_end_s": 0.38, "score": 85.0},
          {"phone": "IY", "ipa": "i", "attempt_start_s": 0.38, "attempt_end_s": 0.60, "score": 15.0}]


def test_segments_name_the_phones_they_cover() -> None:
    segs = [Segment(0.18, 0.34, 0.1, 0.2, 0.5),  # all of TH, half of R
            Segment(0.45, 0.50, 0.3, 0.35, 0.4),  # inside the long IY
            Segment(0.36, 0.40, 0.2, 0.25, 0.3),  # 20 ms of R and 20 ms of IY: half of itself each
            Segment(0.70, 0.80, 0.5, 0.6, 0.2)]  # after the word
    named = name_phones(segs, PHONES)
    assert [s.phones for s in named] == [("TH", "R"), ("IY",), ("R", "IY"), ()]
    assert [s.ipa for s in named] == [("θ", "ɹ"), ("i",), ("ɹ", "i"), ()]
    d = named[0].to_dict()
    assert d == {"attempt_start_s": 0.18, "attempt_end_s": 0.34, "reference_start_s": 0.1,
                 "reference_end_s": 0.2, "cost": 0.5, "phones": ["TH", "R"], "ipa": ["θ", "ɹ"]}
    # no phones (or phones without times): the segments come back unnamed
    assert name_phones(segs, []) == segs
    assert name_phones(segs[:1], [{"phone": "R", "ipa": "ɹ", "score": 4.0}])[0].phones == ()


# ---- the phone feedback rules -----------------------------------------------------------

def test_phone_levels_and_the_weakest_phone_sentence() -> None:
    from space.pronounce.phone_score import VERDICT_BELOW

    assert VERDICT_BELOW == 5.0  # red is where a phone is named in words
    assert [phone_level(s) for s in (100, 20, 19.9, 5, 4.9, 0)] == [
        "good", "good", "fair", "fair", "weak", "weak"]
    ph = [dict(p, sounded_like_ipa=None) for p in PHONES]
    ph[0]["sounded_like_ipa"] = "t"
    fb = phone_feedback(ph, "3")
    assert fb == {"levels": ["weak", "good", "fair"], "weakest": 0,
                  "text": "the /θ/ of 'three' sounded like /t/ (score 4)", "caveat": None}
    ph[0]["score"] = 5.0  # nothing below 5: no phone is named
    assert phone_feedback(ph, "3")["weakest"] is None
    assert phone_feedback(ph, "3")["text"] is None
    poor = {"label": "poor"}
    assert "the recording rather than your pronunciation" in recording_caveat(poor)
    assert phone_feedback(ph, "3", poor)["caveat"] == recording_caveat(poor)
    assert recording_caveat({"label": "fair"}) is None
    assert phone_feedback([], "3", poor) == {"levels": [], "weakest": None, "text": None,
                                             "caveat": None}


def _fake_result(phones: list[dict]) -> object:
    """A real score result with the given phones (the picture and drawing read them)."""
    from dataclasses import replace

    from space import pronounce

    rng = np.random.default_rng(3)
    from .conftest import word_like

    y = word_like(0, 16000, rng)
    r = pronounce.score(y, sr=16000, references=[word_like(0, 16000, rng),
                                                 word_like(0, 16000, rng)], word="three")
    return replace(r, phones=phones)


def test_picture_has_a_phone_strip_only_with_phones() -> None:
    ph = [dict(p, sounded_like_ipa=None) for p in PHONES]
    ph[0]["sounded_like_ipa"] = "t"
    with_phones = _fake_result(ph).plot()
    without = _fake_result([]).plot()
    assert len(without.axes) == 4  # as before: reference, attempt, cost, matrix
    assert len(with_phones.axes) == 5
    strip = with_phones.axes[-1]
    texts = [t.get_text() for t in strip.texts]
    assert texts == ["/θ/", "4", "/ɹ/", "85", "/i/", "15"]
    assert strip.get_title(loc="left") == "the /θ/ of 'three' sounded like /t/ (score 4)"
    colours = [p.get_facecolor()[:3] for p in strip.patches]
    from matplotlib.colors import to_rgb

    from space.pronounce.feedback import COLOURS

    assert [tuple(round(c, 3) for c in col) for col in colours] == [
        tuple(round(c, 3) for c in to_rgb(COLOURS[lv])) for lv in ("weak", "good", "fair")]
    assert strip.patches[0].get_hatch() == "///" and strip.patches[1].get_hatch() is None
    # the strip shares the attempt's time axis
    assert strip.get_xlim() == with_phones.axes[1].get_xlim()


def test_drawing_carries_the_phone_feedback() -> None:
    from space.pronounce.drawing import drawing

    ph = [dict(p, sounded_like_ipa=None) for p in PHONES]
    d = drawing(_fake_result(ph))
    assert d["phone_feedback"]["levels"] == ["weak", "good", "fair"]
    assert d["phone_feedback"]["weakest"] == 0
    assert d["phone_feedback"]["text"] == "the /θ/ of 'three' was not clear (score 4)"
    assert drawing(_fake_result([]))["phone_feedback"]["levels"] == []


@needs_espeak
@needs_phones
def test_real_phones_name_segments_and_draw(word16: np.ndarray, tmp_path: Path) -> None:
    from space import pronounce

    r = pronounce.score(word16, sr=16000, word="three", phones=True)
    d = r.to_dict()
    assert [p["phone"] for p in d["phones"]] == ["TH", "R", "IY"]
    assert all(isinstance(p["reference_index"], int) and
               0 <= p["reference_index"] < len(d["references"]) for p in d["phones"])
    order = [p["phone"] for p in d["phones"]]
    for s in d["segments"]:
        assert set(s) >= {"phones", "ipa"}
        # in word order, and only phones of the word
        assert s["phones"] == [p for p in order if p in s["phones"]]
    assert any(s["phones"] for s in d["segments"])
    fig = r.plot(tmp_path / "fb.png")
    assert len(fig.axes) == 5 and (tmp_path / "fb.png").stat().st_size > 10_000


# ---- references that disagree -----------------------------------------------------------

def _voices(tmp: Path, text: str, voices: list[str], prefix: str) -> list[Path]:
    return [espeak(text, tmp / f"{prefix}_{v.replace('+', '_')}.wav", voice=v) for v in voices]


@needs_espeak
def test_references_add_names_the_clip_of_another_word(tmp_path: Path, capsys) -> None:
    """A user's set of 'seven' with a 'four' in it: `references add` names that clip (the
    digits model hears '4' in it and it is far from the others), so does every score
    against the set; the set without it is quiet."""
    from space import pronounce
    from space.cli import main

    refs = tmp_path / "refs"
    good = _voices(tmp_path, "seven", ["en-us", "en-gb", "en-us+f3"], "seven")
    wrong = espeak("four", tmp_path / "oops.wav", voice="en-us+m3")
    d = ["--references-dir", str(refs)]
    assert main(["references", *d, "add", "7", *map(str, good), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["warnings"] == [] and "warning" not in out.err
    assert main(["references", *d, "add", "7", str(wrong), "--json"]) == 0
    out = capsys.readouterr()
    (w,) = json.loads(out.out)["warnings"]
    assert w.startswith("reference oops.wav disagrees with the other references of '7' (they "
                        "would score it ")
    assert "the model hears '4'" in w
    assert w.endswith("is it another word? If so, remove it: `space references remove 7 oops.wav`")
    assert f"space references: warning: {w}" in out.err
    r = pronounce.score(good[0], word="7", references_dir=refs)
    assert w in r.warnings  # every score against the set says it too
    assert main(["references", *d, "remove", "7", "oops.wav"]) == 0
    r = pronounce.score(good[0], word="7", references_dir=refs)
    assert not any("disagrees" in x for x in r.warnings)


@needs_espeak
def test_a_word_no_model_knows_is_checked_by_distance(tmp_path: Path) -> None:
    """A made-up word (no model knows it): the distance-only rule names the odd clip, given
    on the command line (``--reference``), and says to leave it out."""
    from space import pronounce

    good = _voices(tmp_path, "blick", ["en-us", "en-gb", "en-us+f3"], "blick")
    wrong = espeak("seven", tmp_path / "odd.wav", voice="en-us+m3")
    r = pronounce.score(good[0], word="blick", references=[*map(str, good), str(wrong)])
    found = [w for w in r.warnings if "disagrees" in w]
    assert len(found) == 1 and found[0].startswith(
        "reference odd.wav disagrees with the other references of 'blick'")
    assert "model hears" not in found[0] and found[0].endswith("If so, leave it out")
    r = pronounce.score(good[0], word="blick", references=list(map(str, good)))
    assert not any("disagrees" in w for w in r.warnings)


def test_two_references_far_apart_are_both_named() -> None:
    from space.pronounce.agreement import Disagreement, disagreement_warnings

    (w,) = disagreement_warnings([Disagreement("a.wav", 3.0, 1.0), Disagreement("b.wav", 3.0, 1.0)],
                                 "7", user_set=True)
    assert w.startswith("the two references of '7' disagree: a.wav and b.wav are as far "
                        "apart as different words (score 3 against each other)")


@needs_phones
def test_cli_names_the_weakest_phone_and_blames_a_poor_recording(word16: np.ndarray,
                                                                 tmp_path: Path, capsys) -> None:
    from space.cli import main

    noisy = tmp_path / "noisy.wav"
    sf.write(noisy, _noisy(word16, 0), 16000)
    assert main(["score", "--word", "three", "--phones", str(noisy)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith(f"{noisy}\t3\t")
    assert "  the recording is poor (see the warnings): low sound scores may come from the " \
           "recording rather than your pronunciation" in lines
    weak = [x for x in lines if x.startswith("  the /")]
    assert len(weak) <= 1 and all(" of 'three' " in x for x in weak)
    assert f"space score: warning: {noisy}: background noise (signal-to-noise about" in err


@needs_espeak
def test_references_build_names_a_mislabelled_recording(tmp_path: Path, capsys) -> None:
    """A data set folder whose 'seven' holds a recording of 'four': `references build`
    names it (log on stderr and --json), and does not choose it as a reference."""
    from space.cli import main
    from space.data.readers import _bucket

    data = tmp_path / "data"

    def add(label: str, text: str, stem: str, voice: str) -> str:
        n = 0  # a name the folder layout's hash puts in the training split
        while _bucket(f"{label}/{stem}_{n}.wav") < 0.2:
            n += 1
        (data / label).mkdir(parents=True, exist_ok=True)
        espeak(text, data / label / f"{stem}_{n}.wav", voice=voice)
        return f"{stem}_{n}.wav"

    voices = ["en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb-x-rp", "en-us+f4"]
    for word in ("seven", "yes", "stop"):
        for v in voices:
            add(word, word, f"{word}_{v.replace('+', '_')}", v)
    odd = add("seven", "four", "mislabelled", "en-us+m7")
    assert main(["references", "build", "--data", str(data), "--out", str(tmp_path / "out"),
                 "--per-word", "3", "--json"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert odd not in {Path(c).stem + ".wav" for c in summary["words"]["7"]}
    (w,) = summary["warnings"]["7"]
    assert w.startswith("1 of 4 other recordings of '7' are nearly as far from its references "
                        "as other words are (scored below 25")
    assert w.endswith(odd)
    assert f"7: warning: {w}" in err
