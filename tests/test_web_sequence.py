"""The web app's connected mode, ``POST /api/sequence`` (FastAPI's TestClient): several
digits in one recording, their times and drawing, and the errors a client can cause."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="httpx (dev extra) is needed by FastAPI's TestClient")
from fastapi.testclient import TestClient  # noqa: E402

from space.recognize.sequence import connected  # noqa: E402
from space.recognize.sequence.file import recognize_connected, waveform_drawing  # noqa: E402
from space.recognize.sequence.model import bundled_sequence_path  # noqa: E402
from space.recognize.stream import StreamingRecognizer  # noqa: E402
from space.web import create_app  # noqa: E402

from .conftest import FSDD, needs_espeak, needs_fsdd  # noqa: E402

SR = 16000
needs_model = pytest.mark.skipif(not bundled_sequence_path().is_file(),
                                 reason="connected-digits model digitseq.pt not built")


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def padded(y: np.ndarray, sr: int = SR) -> np.ndarray:
    quiet = np.zeros(sr // 2, np.float32)
    return np.concatenate([quiet, np.asarray(y, np.float32), quiet])


@pytest.fixture
def client(tiny_model: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    app = create_app(model=str(tiny_model), max_upload_bytes=2 * 1024 * 1024, preload=False,
                     max_sequence_s=6.0)
    with TestClient(app) as c:
        yield c


def post(client, data: bytes, grammar: str | None = None, name: str = "pin.wav"):
    form = {} if grammar is None else {"grammar": grammar}
    return client.post("/api/sequence", files={"file": (name, data)}, data=form)


@needs_espeak
@needs_model
def test_espeak_pin_every_word_in_order(client) -> None:
    """espeak-ng saying a PIN in one breath (a voice the model did not train on), sent at
    48 kHz like a browser recording."""
    from space.audio.load import resample

    y = padded(connected.espeak("two six four eight", voice="en-us", speed=150))
    r = post(client, wav_bytes(resample(y, SR, 48000), 48000), "digits4")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["sequence"] == ["2", "6", "4", "8"] and d["grammar"] == "digits4"
    assert [w["label"] for w in d["words"]] == d["sequence"]
    assert set(d["words"][0]) == {"label", "probability", "start_s", "end_s", "top_k"}
    # The speech starts after the 0.5 s of quiet and the words follow one another.
    assert 0.45 <= d["words"][0]["start_s"] < 0.8
    for a, b in zip(d["words"], d["words"][1:]):
        assert a["start_s"] < a["end_s"] <= b["start_s"] + 0.05
    assert d["words"][-1]["end_s"] <= d["duration_s"] - 0.4
    assert d["utterances"] == [{"sequence": ["2", "6", "4", "8"], "grammar": "digits4",
                                "start_s": d["words"][0]["start_s"],
                                "end_s": d["words"][-1]["end_s"]}]
    assert d["sr"] == 48000 and d["warnings"] == []
    dr = d["drawing"]
    assert dr["columns"] == 600 and len(dr["min"]) == len(dr["max"]) == 600
    assert abs(dr["duration_s"] - d["duration_s"]) < 1e-3
    assert 0.3 < dr["peak"] <= 1.0 and min(dr["min"]) == -max(-v for v in dr["min"])
    # Any number of digits: at most one error where espeak runs "four" into "eight".
    r = post(client, wav_bytes(y, SR))  # grammar defaults to "any"
    assert r.status_code == 200 and r.json()["grammar"] == "any"
    assert connected.word_errors(["2", "6", "4", "8"], r.json()["sequence"]) <= 1


@needs_fsdd
@needs_model
def test_fsdd_sequence_matches_the_stream_the_cli_runs(client) -> None:
    """Clips of a held-out FSDD speaker joined with short gaps: the endpoint gives the
    words, and exactly the events a stream fed 20 ms chunks gives (``space listen``)."""
    rng = np.random.default_rng(3)
    digits = ["9", "1", "5", "0", "3"]
    clips = [(d, connected.trim(sf.read(FSDD / "recordings" / f"{d}_theo_{i}.wav",
                                        dtype="float32")[0], 8000))
             for i, d in enumerate(digits)]
    seq = connected.build(clips, 8000, rng, connected.SequenceConfig(gap_s=(0.0, 0.1)))
    data = wav_bytes(seq.y, 8000)
    r = post(client, data, "digits5")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["sequence"] == digits
    # Each word lies on its clip's span (within 120 ms).
    for w, (a, b) in zip(d["words"], seq.spans):
        assert abs(w["start_s"] - a / 8000) < 0.12 and abs(w["end_s"] - b / 8000) < 0.12
    y, _ = sf.read(io.BytesIO(data), dtype="float32")  # the 16-bit samples the server got
    s = StreamingRecognizer(None, sr=8000, grammar="digits5")
    events = [e for i in range(0, len(y), 160) for e in s.accept(y[i : i + 160])]
    events += s.flush()
    assert [e.to_dict() for e in events] == d["words"]


def test_bad_requests(client) -> None:
    y = padded(np.sin(2 * np.pi * 300 * np.arange(SR) / SR).astype(np.float32) * 0.3)
    r = post(client, wav_bytes(y, SR), "pin")
    assert r.status_code == 422
    assert r.json()["detail"] == ("grammar 'pin': use 'any' or 'digitsN' with N in 1..32 "
                                  "(e.g. 'digits4')")
    assert post(client, wav_bytes(y, SR), "digits0").status_code == 422
    r = post(client, b"this is not audio at all" * 40, "any", name="pin.wav")
    assert r.status_code == 415 and "cannot decode" in r.json()["detail"]
    r = post(client, wav_bytes(np.zeros(7 * SR, np.float32) + 0.01, SR), "any")
    assert r.status_code == 413 and "6" in r.json()["detail"]  # max_sequence_s=6
    r = post(client, wav_bytes(np.zeros(2 * SR, np.float32), SR), "any")
    assert r.status_code == 422 and "no speech" in r.json()["detail"]
    noise = np.random.default_rng(0).normal(0, 0.05, 2 * SR).astype(np.float32)
    r = post(client, wav_bytes(noise, SR), "any")
    assert r.status_code == 422 and "no speech found" in r.json()["detail"]
    r = client.post("/api/sequence", data={"grammar": "any"})
    assert r.status_code == 422 and "file" in r.json()["detail"]


def test_no_digit_heard_is_a_clear_answer(client, monkeypatch) -> None:
    """Speech with no digit in it: 200, no words, and a warning that says so."""
    from space.recognize.sequence import file as seqfile

    def nothing(y, sr, *, grammar="any", **kw):  # what the model says for "hello there"
        return seqfile.ConnectedResult([], [], grammar, len(y) / sr, waveform_drawing(y, sr))

    monkeypatch.setattr(seqfile, "recognize_connected", nothing)
    t = np.arange(SR) / SR  # a glide: a steady tone would be "no speech found" (422)
    y = padded(np.sin(2 * np.pi * 300 * (t + 0.2 * t**2)).astype(np.float32) * 0.3)
    r = post(client, wav_bytes(y, SR))
    assert r.status_code == 200
    d = r.json()
    assert d["words"] == [] and d["sequence"] == [] and d["utterances"] == []
    assert d["warnings"] == ["no digits heard: say the digits clearly, one after another"]


def test_waveform_drawing_values() -> None:
    y = np.array([0.0, 0.5, -0.25, 0.1, -0.8, 0.3, 0.0, 0.2], np.float32)
    d = waveform_drawing(y, 8, columns=4)
    assert d["columns"] == 4 and d["column_s"] == 0.25 and d["duration_s"] == 1.0
    assert d["max"] == [0.5, 0.1, 0.3, 0.2] and d["min"] == [0.0, -0.25, -0.8, 0.0]
    assert d["peak"] == 0.8
    short = waveform_drawing(y[:3], 8, columns=600)  # fewer samples than columns
    assert short["columns"] == 3 and short["max"] == [0.0, 0.5, -0.25]


@needs_espeak
@needs_model
def test_recognize_connected_is_the_stream() -> None:
    y = padded(connected.espeak("one five nine", voice="en-gb", speed=150))
    res = recognize_connected(y, SR, grammar="digits3")
    assert res.sequence == ["1", "5", "9"] and res.duration_s == len(y) / SR
    assert res.to_dict()["words"] == [w.to_dict() for w in res.words]
