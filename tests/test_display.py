"""Results show themselves in Jupyter: score (badge, picture, players) and prediction."""

from __future__ import annotations

import base64
import io
import re
import wave

import numpy as np

from space.display import prediction_html, wav_bytes
from space.recognize import Prediction

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "3_three_espeak_female.wav"


def test_wav_bytes_round_trip():
    y = 0.5 * np.sin(np.linspace(0, 100, 1600))
    data = wav_bytes(y, 16000)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == \
            (1, 2, 16000, 1600)
        back = np.frombuffer(w.readframes(1600), "<i2") / 32767
    assert np.max(np.abs(back - y)) < 1e-4


def test_prediction_html_escapes_and_shows_alternatives():
    p = Prediction("<b>3</b>", 0.9, [("<b>3</b>", 0.9), ("8", 0.1)], source="/x/clip.wav")
    h = p._repr_html_()
    assert h == prediction_html(p)
    assert "&lt;b&gt;3&lt;/b&gt;" in h and "<b>3</b>" not in h
    assert "0.900" in h and ">8<" in h and "clip.wav" in h and "/x/" not in h
    assert 'width:90.0%' in h and 'width:10.0%' in h


def test_score_result_html_and_png():
    import space

    r = space.score(str(EXAMPLE), word="3")
    h = r._repr_html_()
    assert f">{r.score:.0f}<" in h and f">{r.band}<" in h and "three &middot;" in h
    assert r.sentence.replace("'", "&#x27;") in h  # the verdict's sentence
    assert re.search(r"the model heard <b>3 \(\d+% sure\)</b>", h)
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', h)
    assert len(imgs) == 1 and base64.b64decode(imgs[0])[:8] == b"\x89PNG\r\n\x1a\n"
    players = re.findall(r'<audio controls preload="none" src="data:audio/wav;base64,([^"]+)"', h)
    assert len(players) == 1  # the attempt
    with wave.open(io.BytesIO(base64.b64decode(players[0]))) as w:
        assert w.getframerate() == r.sr and w.getnframes() == len(r.audio)
    png = r._repr_png_()
    assert png == base64.b64decode(imgs[0])  # drawn once, shown twice
