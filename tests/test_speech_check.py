"""Tones, hums, clicks and fragments are "no speech found" on every face; real voices pass."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.audio.speech import has_speech, speech_problem
from space.cli import main
from space.errors import NoSpeechError

from .conftest import espeak, needs_espeak

SR = 16000


def sounds() -> dict[str, np.ndarray]:
    """One second of each non-speech sound at 16 kHz (the fragment: 50 ms)."""
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    hum = 2 * ((60 * t) % 1) - 1  # mains hum: a 60 Hz sawtooth
    clicks = rng.normal(0, 1e-4, SR)
    for a in range(1000, SR, 4000):
        clicks[a : a + 16] += 0.8
    beeps = np.sin(2 * np.pi * 1000 * t) * ((t * 4) % 1 < 0.5)
    return {"tone": 0.5 * np.sin(2 * np.pi * 440 * t), "hum": 0.2 * hum, "clicks": clicks,
            "beeps": 0.3 * beeps, "fragment": 0.5 * np.sin(2 * np.pi * 300 * t[:800])}


@pytest.mark.parametrize("name", ["tone", "hum", "clicks", "beeps", "fragment"])
def test_non_speech_is_refused_with_a_reason(name: str) -> None:
    y = sounds()[name].astype(np.float32)
    problem = speech_problem(y, SR)
    assert problem is not None
    want = "shorter than any word" if name in ("clicks", "fragment") else "steady tone or hum"
    assert want in problem


@pytest.fixture
def wavs(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, y in sounds().items():
        out[name] = tmp_path / f"{name}.wav"
        sf.write(out[name], y.astype(np.float32), SR, subtype="PCM_16")
    return out


@pytest.mark.parametrize("name", ["tone", "hum", "clicks", "fragment"])
def test_every_cli_face_says_no_speech(name, wavs, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    p = str(wavs[name])
    for argv in (["predict", p], ["score", "--word", "7", p], ["references", "add", "7", p]):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert "no speech found" in err and err.count("\n") == 1, (argv, err)
    assert not (tmp_path / "refs" / "7").exists()
    for extra in ([], ["--grammar", "any"]):  # isolated words, connected digits
        assert main(["listen", "--input", p, "--fast", *extra]) == 0
        out, err = capsys.readouterr()
        assert out == "" and "no speech found" in err, (extra, out)


def test_python_api_refuses_a_tone(wavs) -> None:
    import space

    with pytest.raises(NoSpeechError, match="steady tone or hum"):
        space.load_model("digits").predict(wavs["tone"])
    with pytest.raises(NoSpeechError, match="no speech found"):
        space.score(wavs["tone"], word="7")


def test_web_faces_say_no_speech(wavs, tmp_path, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from space.web import create_app

    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    with TestClient(create_app()) as c:
        for name in ("tone", "fragment"):
            data = wavs[name].read_bytes()
            for url, form in (("/api/predict", {}), ("/api/score", {"word": "7"}),
                              ("/api/sequence", {"grammar": "any"})):
                r = c.post(url, files={"file": (f"{name}.wav", data)}, data=form)
                assert r.status_code == 422 and "no speech found" in r.json()["detail"], url
            r = c.post("/api/references/7", files=[("files", (f"{name}.wav", data))])
            assert r.status_code == 422 and "no speech found" in r.json()["detail"]
    assert not (tmp_path / "refs" / "7").exists()


@needs_espeak
def test_espeak_voices_pass(tmp_path: Path) -> None:
    """Every espeak voice family, words short and long, at 16 kHz and espeak's own 22 kHz."""
    from space import audio

    refused = []
    for voice in ("en-us", "en+f3", "en-gb", "en+m3", "en-us+f2", "en+klatt"):
        for word in ("no", "up", "eight", "six", "oh", "seven"):
            y, sr = audio.load(espeak(word, tmp_path / "w.wav", voice=voice))
            for rate in (sr, SR):
                if not has_speech(audio.resample(y, sr, rate), rate):
                    refused.append((voice, word, rate))
    assert refused == []


def test_bytes_of_a_tone_are_refused_like_a_file() -> None:
    from space import audio

    buf = io.BytesIO()
    sf.write(buf, sounds()["tone"].astype(np.float32), SR, format="WAV")
    with pytest.raises(NoSpeechError, match="steady tone"):
        audio.load_input(buf.getvalue(), name="tone.wav")
