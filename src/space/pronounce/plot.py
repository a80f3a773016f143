"""Visual feedback for one scored attempt (matplotlib, no window).

Figures are made with matplotlib's object-oriented API (:func:`space.io.new_figure`: a
:class:`matplotlib.figure.Figure` on its own Agg canvas), never through pyplot: pyplot
keeps global state, so the web app had to draw one figure at a time under a lock; a
figure per call needs none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..io import new_figure

if TYPE_CHECKING:
    from .result import ScoreResult

SHADE = dict(color="tab:red", alpha=0.25, lw=0)
def _strip_legend() -> str:
    from .feedback import GOOD_PHONE, WEAK_PHONE

    return (f"sounds of the word (IPA, score 0-100): green >= {GOOD_PHONE:g}, amber >= "
            f"{WEAK_PHONE:g}, red and hatched below {WEAK_PHONE:g} (named above the strip); "
            "outlined: the weakest")


def _timed_phones(phones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The phones that have attempt times (all of a real result's)."""
    return [p for p in phones if p.get("attempt_start_s") is not None
            and p.get("attempt_end_s") is not None]


def _phone_strip(ax: Any, phones: list[dict[str, Any]], fb: dict[str, Any]) -> None:
    """The word's phones as boxes along the attempt's time axis, coloured by score level
    (:mod:`.feedback`), weak ones also hatched, IPA and score written in; the weakest phone
    outlined in black and named in words in the title."""
    from matplotlib.patches import Rectangle

    from .feedback import COLOURS, NO_WEAK_PHONE

    for k, (p, level) in enumerate(zip(phones, fb["levels"], strict=True)):
        a, b = float(p["attempt_start_s"]), float(p["attempt_end_s"])
        weakest = k == fb["weakest"]
        ax.add_patch(Rectangle((a, 0.0), b - a, 1.0, facecolor=COLOURS[level],
                               edgecolor="black" if weakest else "white",
                               lw=2.2 if weakest else 0.8,
                               hatch="///" if level == "weak" else None))
        ink = "black" if level == "fair" else "white"
        ax.text((a + b) / 2, 0.64, f"/{p.get('ipa', p.get('phone', '?'))}/", ha="center",
                va="center", fontsize=10, color=ink,
                fontweight="bold" if weakest else "normal")
        ax.text((a + b) / 2, 0.22, f"{float(p['score']):.0f}", ha="center", va="center",
                fontsize=7, color=ink)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    line = fb["text"] or NO_WEAK_PHONE
    if fb.get("caveat"):
        line += f" ({fb['caveat']})"
    ax.set_title(line, fontsize=9, loc="left", y=1.0, color=COLOURS["weak"] if fb["text"]
                 else "black")
    ax.figure.text(0.01, 0.01, _strip_legend(), fontsize=7, color="#555555")


def _spec(ax: Any, utt: Any, title: str, spans: list[tuple[float, float]]) -> None:
    n_mels, n = utt.spec.shape
    t0 = utt.time(0) - utt.hop_s / 2
    ax.imshow(utt.spec, origin="lower", aspect="auto", cmap="magma",
              extent=(t0, t0 + n * utt.hop_s, 0, n_mels), interpolation="nearest")
    for k, (a, b) in enumerate(spans):
        ax.axvspan(a, b, **SHADE)
        ax.text((a + b) / 2, n_mels * 0.92, str(k + 1), ha="center", va="top", color="white",
                fontsize=9, fontweight="bold")
    # Band numbers say nothing to a learner, and each tick is costly to make and draw.
    ax.set_yticks([])
    ax.set_ylabel("low → high\npitch band", fontsize=8)
    ax.set_title(title, fontsize=9, loc="left", y=1.0)  # y given: see _fixed_layout


def _fixed_layout(left: tuple[Any, ...], right: Any) -> None:
    """Axis labels at fixed places (in axes coordinates). matplotlib otherwise measures
    every tick label of the axes and its siblings on each draw to place the labels and the
    titles (a quarter of the drawing time); titles get a fixed ``y`` for the same reason."""
    for ax in left[:-1]:  # spectrograms: no tick labels on y
        ax.yaxis.set_label_coords(-0.045, 0.5)
    left[-1].yaxis.set_label_coords(-0.085, 0.5)  # the cost axis has numbers beside it
    left[-1].xaxis.set_label_coords(0.5, -0.25)
    right.yaxis.set_label_coords(-0.16, 0.5)
    right.xaxis.set_label_coords(0.5, -0.06)


def feedback(result: ScoreResult, *, fig: Any = None) -> Any:
    """Reference and attempt log-mel spectrograms one above the other with the worst
    segments shaded (numbered worst first) on both, the per-frame DTW cost along the
    attempt, and the DTW cost matrix with the warping path. Returns the figure."""
    from .align import _cosine_cost

    phones = _timed_phones(list(result.phones))
    if fig is None:
        fig = new_figure((11, 7.2) if phones else (11, 6.2))
    if phones:  # a strip of the word's phones under the attempt's spectrogram
        gs = fig.add_gridspec(4, 2, width_ratios=(2.2, 1), height_ratios=(1, 1, 0.42, 1),
                              hspace=0.6, wspace=0.22)
    else:
        gs = fig.add_gridspec(3, 2, width_ratios=(2.2, 1), hspace=0.55, wspace=0.22)
    att, ref, al = result.attempt_utterance, result.reference_utterance, result.alignment
    segs = result.segments
    ax_r = fig.add_subplot(gs[0, 0])
    ax_a = fig.add_subplot(gs[1, 0])
    # Not sharex=ax_a: shared axes update each other's ticks on every draw (slow); the same
    # limits are set below instead.
    ax_c = fig.add_subplot(gs[3 if phones else 2, 0])
    ax_m = fig.add_subplot(gs[:, 1])
    ref_name = result.reference_paths[result.best_reference].rsplit("/", 1)[-1]
    _spec(ax_r, ref, f"closest reference: {ref_name}",
          [(s.reference_start_s, s.reference_end_s) for s in segs])
    _spec(ax_a, att, f"attempt: {result.attempt.rsplit('/', 1)[-1]}",
          [(s.attempt_start_s, s.attempt_end_s) for s in segs])
    cost = result.frame_costs
    t = att.time(np.arange(len(cost)))
    ax_c.plot(t, cost, color="k", lw=1)
    # Lines labelled in place: a legend box costs as much to lay out as an axes' ticks.
    for d, color, ls, text in ((result.calibration.d100, "tab:green", "--",
                                "references' own distance"),
                               (result.calibration.d0, "tab:red", ":", "a typical other word")):
        ax_c.axhline(d, color=color, ls=ls, lw=0.8)
        ax_c.text(0.995, d, text, transform=ax_c.get_yaxis_transform(), ha="right",
                  va="bottom", fontsize=7, color=color)
    for s in segs:
        ax_c.axvspan(s.attempt_start_s, s.attempt_end_s, **SHADE)
    ax_c.set_xlabel("attempt time (s)")
    ax_c.set_ylabel("frame cost")
    ax_c.set_xlim(ax_a.get_xlim())
    if phones:
        from .feedback import phone_feedback

        fb = phone_feedback(phones, result.word, result.quality)
        ax_p = fig.add_subplot(gs[2, 0])
        _phone_strip(ax_p, phones, fb)
        ax_p.set_xlim(ax_a.get_xlim())
        ax_p.tick_params(labelsize=8)
        ax_p.locator_params(axis="x", nbins=3)
        if fb["weakest"] is not None:  # the weakest phone outlined on the attempt too
            w = phones[fb["weakest"]]
            ax_a.axvspan(w["attempt_start_s"], w["attempt_end_s"], fill=False, ec="cyan",
                         lw=1.6, ls="--")
    C = _cosine_cost(att.frames, ref.frames)
    n, m = C.shape
    a0, r0 = att.time(0) - att.hop_s / 2, ref.time(0) - ref.hop_s / 2
    ax_m.imshow(C, origin="lower", aspect="auto", cmap="viridis", interpolation="nearest",
                extent=(r0, r0 + m * ref.hop_s, a0, a0 + n * att.hop_s))
    ax_m.plot(ref.time(al.path[:, 1]), att.time(al.path[:, 0]), color="w", lw=1.2)
    for s in segs:
        ax_m.axhspan(s.attempt_start_s, s.attempt_end_s, **SHADE)
    ax_m.set_xlabel("reference time (s)")
    ax_m.set_ylabel("attempt time (s)")
    ax_m.set_title("DTW cost matrix and path", fontsize=9, y=1.0)
    for ax in (ax_r, ax_a, ax_c, ax_m):  # few ticks: making and drawing them is most of the time
        ax.locator_params(nbins=3)
        ax.tick_params(labelsize=8)
    _fixed_layout((ax_r, ax_a, ax_c), ax_m)
    word = result.word if result.word is not None else "(own references)"
    rec = ""
    if result.recognized is not None:
        r = result.recognized
        rec = f"  |  heard: {r['label']} ({r['probability']:.0%})"
    fig.suptitle(f"word: {word}  |  score {result.score:.0f}/100 ({result.band}){rec}",
                 fontsize=12, fontweight="bold")
    return fig
