"""Visual feedback for one scored attempt (matplotlib, no window)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..io import new_figure

if TYPE_CHECKING:
    from .result import ScoreResult

SHADE = dict(color="tab:red", alpha=0.25, lw=0)


def _spec(ax: Any, utt: Any, title: str, spans: list[tuple[float, float]]) -> None:
    n_mels, n = utt.spec.shape
    t0 = utt.time(0) - utt.hop_s / 2
    ax.imshow(utt.spec, origin="lower", aspect="auto", cmap="magma",
              extent=(t0, t0 + n * utt.hop_s, 0, n_mels), interpolation="nearest")
    for k, (a, b) in enumerate(spans):
        ax.axvspan(a, b, **SHADE)
        ax.text((a + b) / 2, n_mels * 0.92, str(k + 1), ha="center", va="top", color="white",
                fontsize=9, fontweight="bold")
    ax.set_ylabel("mel band")
    ax.set_title(title, fontsize=9, loc="left")


def feedback(result: ScoreResult, *, fig: Any = None) -> Any:
    """Reference and attempt log-mel spectrograms one above the other with the worst
    segments shaded (numbered worst first) on both, the per-frame DTW cost along the
    attempt, and the DTW cost matrix with the warping path. Returns the figure."""
    from .align import _cosine_cost

    if fig is None:
        fig = new_figure((11, 6.2))
    gs = fig.add_gridspec(3, 2, width_ratios=(2.2, 1), hspace=0.55, wspace=0.22)
    att, ref, al = result.attempt_utterance, result.reference_utterance, result.alignment
    segs = result.segments
    ax_r = fig.add_subplot(gs[0, 0])
    ax_a = fig.add_subplot(gs[1, 0])
    ax_c = fig.add_subplot(gs[2, 0], sharex=ax_a)
    ax_m = fig.add_subplot(gs[:, 1])
    ref_name = result.reference_paths[result.best_reference].rsplit("/", 1)[-1]
    _spec(ax_r, ref, f"closest reference: {ref_name}",
          [(s.reference_start_s, s.reference_end_s) for s in segs])
    _spec(ax_a, att, f"attempt: {result.attempt.rsplit('/', 1)[-1]}",
          [(s.attempt_start_s, s.attempt_end_s) for s in segs])
    cost = result.frame_costs
    t = att.time(np.arange(len(cost)))
    ax_c.plot(t, cost, color="k", lw=1)
    ax_c.axhline(result.calibration.d100, color="tab:green", ls="--", lw=0.8,
                 label="references' own distance (score 100)")
    ax_c.axhline(result.calibration.d0, color="tab:red", ls=":", lw=0.8,
                 label="other words (score 0)")
    for s in segs:
        ax_c.axvspan(s.attempt_start_s, s.attempt_end_s, **SHADE)
    ax_c.set_xlabel("attempt time (s)")
    ax_c.set_ylabel("frame cost")
    ax_c.legend(fontsize=7, loc="upper right", framealpha=0.6)
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
    ax_m.set_title("DTW cost matrix and path", fontsize=9)
    for ax in (ax_r, ax_a, ax_c, ax_m):  # few ticks: making and drawing them is most of the time
        ax.locator_params(nbins=4)
    word = result.word if result.word is not None else "(own references)"
    rec = ""
    if result.recognized is not None:
        r = result.recognized
        rec = f"  |  heard: {r['label']} ({r['probability']:.0%})"
    fig.suptitle(f"word: {word}  |  score {result.score:.0f}/100 ({result.band}){rec}",
                 fontsize=12, fontweight="bold")
    return fig
