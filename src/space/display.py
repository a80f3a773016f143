"""Results that show themselves in Jupyter: HTML (and PNG) for a score and a prediction.

The result classes inherit :class:`ScoreDisplay` or :class:`PredictionDisplay`, which give
them ``_repr_html_`` (and, for a score, ``_repr_png_``); the HTML is built here, so a
result class needs no display code of its own. Everything is inline (the picture as a
base64 PNG, the recordings as base64 WAV in ``<audio>`` players), so a saved notebook
shows it without the files. Nothing here imports matplotlib or torch until a picture is
drawn.
"""

from __future__ import annotations

import base64
import html
import io
import wave
from typing import Any

import numpy as np

# Band colours of the score badge (the web app's palette).
BAND_COLOURS = {"excellent": "#1a7f37", "good": "#4d8f1f", "fair": "#b26a00", "poor": "#c0392b"}


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """Mono audio [shape=(n,)] in -1..1 at ``sr`` Hz -> a 16-bit PCM WAV file's bytes."""
    pcm = (np.clip(np.asarray(y, dtype=np.float64).ravel(), -1.0, 1.0) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sr))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def audio_html(y: np.ndarray | None, sr: int, label: str) -> str:
    """An ``<audio>`` player with the recording inline (base64 WAV), or '' without audio."""
    if y is None or np.size(y) == 0:
        return ""
    data = base64.b64encode(wav_bytes(y, sr)).decode("ascii")
    return (f'<div style="margin:2px 0"><span style="display:inline-block;min-width:9em">'
            f'{html.escape(label)}</span><audio controls preload="none" '
            f'src="data:audio/wav;base64,{data}"></audio></div>')


def png_html(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG inline."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<img alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:image/png;base64,{data}"/>')


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def feedback_png(result: Any) -> bytes:
    """The feedback picture of a score result as PNG, drawn once per result: Jupyter asks
    for the HTML and the PNG of the same output, and drawing takes a few hundred ms."""
    cached = getattr(result, "__dict__", {}).get("_feedback_png")
    if cached is None:
        from .io import png_bytes

        cached = png_bytes(result.plot())
        if hasattr(result, "__dict__"):
            result.__dict__["_feedback_png"] = cached
    return cached


def score_html(result: Any, *, picture: bool = True) -> str:
    """HTML of a pronunciation score: the score and band, the verdict's sentence, each
    word's score with its sounds coloured by the verdict, what the recogniser heard,
    warnings, the feedback picture and a player for the attempt.

    ``result`` is a :class:`space.pronounce.ScoreResult`.
    """
    from .pronounce.verdict.scores import COLOURS

    v = result.verdict
    colour = BAND_COLOURS.get(v.band, "#555")
    parts = [
        '<div class="space-score" style="font-family:sans-serif">',
        f'<div><span class="space-score-value" style="font-size:2em;font-weight:bold;'
        f'color:{colour}">{float(v.score):.0f}</span> '
        f'<span class="space-band" style="background:{colour};color:white;padding:1px 8px;'
        f'border-radius:8px">{html.escape(v.band)}</span> '
        f'<span style="color:#555">{html.escape(result.text)} &middot; '
        f'{html.escape(_name(str(result.attempt)))}</span></div>',
        f'<div class="space-sentence">{html.escape(v.sentence)}</div>',
    ]
    rows = []
    for w in v.words:
        sounds = " ".join(
            f'<span style="color:{COLOURS[p.level]}">/{html.escape(p.ipa)}/ {p.score:.0f}</span>'
            for p in w.phones)
        rows.append(f"<tr><td>{html.escape(w.word)}</td><td>{w.score:.0f}</td>"
                    f"<td>{html.escape(w.band)}</td><td>{sounds}</td></tr>")
    parts.append('<table style="margin:4px 0"><tr><th>word</th><th>score</th><th>band</th>'
                 f'<th>sounds</th></tr>{"".join(rows)}</table>')
    if v.heard is not None:  # the verdict's reading of the recogniser's check
        parts.append(f"<div>the model heard <b>{html.escape(v.heard)}</b></div>")
    for w in result.warnings:
        parts.append(f'<div style="color:#b26a00">warning: {html.escape(str(w))}</div>')
    if picture:
        parts.append(png_html(feedback_png(result), f"feedback: {v.band}"))
    parts.append(audio_html(result.audio, result.sr, "attempt"))
    parts.append("</div>")
    return "".join(parts)


def prediction_html(pred: Any) -> str:
    """HTML of a recognition result: the label, its probability and the alternatives as bars.

    ``pred`` is a :class:`space.recognize.Prediction` (label, probability, top_k, source).
    """
    top = pred.top_k or [(pred.label, pred.probability)]
    bars = "".join(
        f'<tr><td>{html.escape(str(lab))}</td><td style="width:12em"><div style="background:'
        f'#3b6ea5;height:0.9em;width:{100 * float(p):.1f}%"></div></td>'
        f"<td>{float(p):.3f}</td></tr>" for lab, p in top)
    src = f' <span style="color:#555">{html.escape(_name(str(pred.source)))}</span>' \
        if pred.source else ""
    return ('<div class="space-prediction" style="font-family:sans-serif">'
            f'<div><span class="space-label" style="font-size:1.6em;font-weight:bold">'
            f"{html.escape(str(pred.label))}</span> "
            f"({float(pred.probability):.3f}){src}</div>"
            f"<table>{bars}</table></div>")


class ScoreDisplay:
    """Mixin: a score result shows itself in Jupyter (HTML with picture and players; PNG)."""

    def _repr_html_(self) -> str:
        return score_html(self)

    def _repr_png_(self) -> bytes:
        return feedback_png(self)


class PredictionDisplay:
    """Mixin: a prediction shows itself in Jupyter."""

    def _repr_html_(self) -> str:
        return prediction_html(self)
