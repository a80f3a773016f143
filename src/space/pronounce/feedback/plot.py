"""The feedback picture of one scored attempt (matplotlib, no window): the attempt's
spectrogram with the highlighted span shaded, and under it the words and their sounds as
boxes coloured by the verdict (:mod:`space.pronounce.verdict`), so the picture says what
the text says. It reads the verdict and the audio only, so the result object
(:mod:`.result`) can draw itself without this module knowing it.

Figures are made with matplotlib's object-oriented API (:func:`space.io.new_figure`),
never through pyplot: pyplot keeps global state, a figure per call needs none.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...io import new_figure
from ..verdict.judge import Verdict
from ..verdict.scores import COLOURS, GOOD_PHONE, WordScore

SHADE = dict(color="tab:red", alpha=0.3, lw=0)


def _legend() -> str:
    return (f"sounds (IPA, score 0-100): green >= {GOOD_PHONE:g}, amber below, red and "
            "hatched: named as wrong (the sentence above); shaded: the part to work on")


def _spectrogram(ax: Any, y: np.ndarray, sr: int) -> None:
    from ...audio.features import log_mel
    from ...config import FeatureConfig

    cfg = FeatureConfig(sample_rate=sr)
    spec = log_mel(y.astype(np.float32), cfg)
    n_mels, n = spec.shape
    hop = cfg.hop_ms / 1000.0
    ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
              extent=(0.0, n * hop, 0, n_mels))
    ax.set_yticks([])
    ax.set_ylabel("low → high\npitch band", fontsize=8)


def _fit(ax: Any, width_s: float, text: str, size: float) -> float | None:
    """The font size at which ``text`` fits a box ``width_s`` seconds wide on ``ax`` (down
    to 6 pt), or None when it does not fit even then (the box stays, unlabelled: the
    result's JSON and the page still name every sound)."""
    x0, x1 = ax.get_xlim()
    box_in = width_s / (x1 - x0) * ax.get_position().width * ax.figure.get_figwidth()
    need_in = 0.62 * size / 72 * len(text)  # about 0.6 em per character
    fit = size * min(1.0, box_in / need_in)
    return None if fit < 6 else fit


def _strip(ax: Any, words: Sequence[WordScore]) -> None:
    """Words (top row) and their sounds (bottom row) as boxes along the attempt's time;
    a label too wide for its box is made smaller, or left out rather than overlapping."""
    from matplotlib.patches import Rectangle

    for w in words:
        if not w.said:
            continue
        ax.add_patch(Rectangle((w.start_s, 0.55), w.end_s - w.start_s, 0.45,
                               facecolor="#eeeeee", edgecolor="white"))
        label = f"{w.word} {w.score:.0f}"
        size = _fit(ax, w.end_s - w.start_s, label, 8)
        if size is not None:
            ax.text((w.start_s + w.end_s) / 2, 0.78, label, ha="center", va="center",
                    fontsize=size)
        for p in w.phones:
            weak = p.level == "weak"
            ax.add_patch(Rectangle((p.start_s, 0.0), p.end_s - p.start_s, 0.5,
                                   facecolor=COLOURS[p.level], edgecolor="white", lw=0.8,
                                   hatch="///" if weak else None))
            size = _fit(ax, p.end_s - p.start_s, f"/{p.ipa}/", 9)
            if size is not None:
                ax.text((p.start_s + p.end_s) / 2, 0.25, f"/{p.ipa}/", ha="center",
                        va="center", fontsize=size,
                        color="black" if p.level == "fair" else "white",
                        fontweight="bold" if weak else "normal")
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("attempt time (s)")


def feedback(v: Verdict, audio: np.ndarray, sr: int, text: str, *, fig: Any = None) -> Any:
    """The attempt's log-mel spectrogram with the verdict's span shaded, the words and
    sounds coloured by the verdict, the score and the sentence as titles. Returns the
    figure.

    Parameters
    ----------
    v : Verdict
        The one judgement of the attempt.
    audio : np.ndarray [shape=(n,)]
        The attempt, mono at ``sr`` Hz.
    sr : int
    text : str
        The words scored (the figure's title).
    """
    fig = fig or new_figure((10, 4.6))
    # the whole sentence, on two lines where a tip makes it long (never cut at the edge)
    title = textwrap.wrap(v.sentence, 125)[:2]
    gs = fig.add_gridspec(2, 1, height_ratios=(2.2, 1), hspace=0.45, bottom=0.15,
                          top=0.88 if len(title) < 2 else 0.84)
    ax_s, ax_p = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    _spectrogram(ax_s, audio, sr)
    if v.span is not None:
        ax_s.axvspan(*v.span, **SHADE)
    ax_p.set_xlim(ax_s.get_xlim())
    _strip(ax_p, v.words)
    for ax in (ax_s, ax_p):
        ax.locator_params(axis="x", nbins=5)
        ax.tick_params(labelsize=8)
    ax_s.set_title("\n".join(title), fontsize=9, loc="left", y=1.0,
                   color=COLOURS["weak"] if v.errors else "black")
    fig.text(0.01, 0.01, _legend(), fontsize=7, color="#555555")
    fig.suptitle(f"{text}  |  score {v.score:.0f}/100 ({v.band})", fontsize=12,
                 fontweight="bold")
    return fig
