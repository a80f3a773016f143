"""Feedback a learner can act on: recording quality, segments that name their phones, the
phone strip of the picture and its rules, and reference sets that disagree (issue 11)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space import audio
from space.pronounce.evidence.quality import LIMITS, recording_quality

from .conftest import espeak

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


def _sphinx_and_model() -> bool:
    import importlib.util

    from space.pronounce.evidence import phone_model as phone_encoder

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


# ---- the verdict on a real attempt -------------------------------------------------------

@needs_phones
def test_real_phones_have_times_and_draw(word16: np.ndarray, tmp_path: Path) -> None:
    """'three' said by espeak-ng: one word, its three phones in order with times inside the
    attempt, levels from the verdict; the picture has the spectrogram and the strip."""
    from space import pronounce
    from space.pronounce.verdict.judge import contradictions

    r = pronounce.score(word16, sr=16000, word="three")
    d = r.to_dict()
    (w,) = d["words"]
    assert [p["phone"] for p in w["phones"]] == ["TH", "R", "IY"]
    assert [p["ipa"] for p in w["phones"]] == ["θ", "ɹ", "i"]
    times = [t for p in w["phones"] for t in (p["start_s"], p["end_s"])]
    assert times == sorted(times) and 0.2 <= times[0] and times[-1] <= len(word16) / 16000
    assert all(p["level"] in ("good", "fair", "weak") for p in w["phones"])
    assert contradictions(r.verdict) == []
    fig = r.plot(tmp_path / "fb.png")
    assert len(fig.axes) == 2 and (tmp_path / "fb.png").stat().st_size > 10_000


def test_strip_labels_never_overlap(tmp_path: Path) -> None:
    """A sentence in a long recording (short phones on the picture's time axis): every
    label drawn in the phone strip fits its box and no two labels overlap; a box too narrow
    for its label stays unlabelled rather than printed over its neighbours."""
    from space import pronounce
    from space.pronounce.feedback.plot import feedback

    p = espeak("we call it bear and the sixth thing", tmp_path / "s.wav")
    y, sr = sf.read(p, dtype="float32")
    y = np.r_[y, np.zeros(6 * sr, np.float32)]  # 6 s of silence after: the phones shrink
    r = pronounce.score(y, sr=sr, text="we call it bear and the sixth thing")
    fig = feedback(r.verdict, y, sr, "we call it bear and the sixth thing")
    fig.canvas.draw()
    strip = fig.axes[1]
    boxes = [t.get_window_extent() for t in strip.texts]
    n_phones = sum(len(w.phones) for w in r.words)
    assert 0 < len(boxes) < n_phones + len(r.words)  # some labels left out, some drawn
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)


# ---- references that disagree -----------------------------------------------------------

def _voices(tmp: Path, text: str, voices: list[str], prefix: str) -> list[Path]:
    return [espeak(text, tmp / f"{prefix}_{v.replace('+', '_')}.wav", voice=v) for v in voices]


@needs_espeak
def test_references_add_names_the_clip_of_another_word(tmp_path: Path, capsys) -> None:
    """A user's set of 'seven' with a 'four' in it: `references add` names that clip (the
    digits model hears '4' in it and it is far from the others), so does every score
    against the set; the set without it is quiet."""
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
    assert main(["references", *d, "remove", "7", "oops.wav"]) == 0


def test_two_references_far_apart_are_both_named() -> None:
    from space.pronounce.references.agreement import Disagreement, disagreement_warnings

    (w,) = disagreement_warnings([Disagreement("a.wav", 3.0, 1.0), Disagreement("b.wav", 3.0, 1.0)],
                                 "7", user_set=True)
    assert w.startswith("the two references of '7' disagree: a.wav and b.wav are as far "
                        "apart as different words (score 3 against each other)")


@needs_phones
def test_cli_one_sentence_and_the_recording_warning(word16: np.ndarray,
                                                                 tmp_path: Path, capsys) -> None:
    from space.cli import main

    noisy = tmp_path / "noisy.wav"
    sf.write(noisy, _noisy(word16, 0), 16000)
    assert main(["score", "--word", "three", str(noisy)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith(f"{noisy}\tthree\t")
    # one sentence: the recording (a poor score), a named sound, or praise; then each
    # sound's score unless the recording explains the score
    assert len(lines) in (2, 3) and lines[1].startswith("  ")
    if len(lines) == 3:
        assert re.fullmatch(r"  sounds  /θ/ \d+[!~]?  /ɹ/ \d+[!~]?  /i/ \d+[!~]?", lines[2])
    else:
        assert "recording" in lines[1]
    if "\tpoor" in lines[0]:
        assert "recording" in lines[1] or "of 'three'" in lines[1]
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
