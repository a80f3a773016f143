"""What a client needs to draw the feedback picture itself, as a small JSON object.

The practice page draws the reference and attempt log-mel spectrograms, the per-frame DTW
cost along the attempt, the warping path and the worst segments on a canvas from this
object, so it never waits for a server-rendered PNG (the PNG, :mod:`space.pronounce.plot`,
stays for the CLI, ``plot=true`` and downloads).

Spectrograms are sent as 8-bit codes of one shared scale (both pictures use the same
colours for the same level), base64 of the row-major bytes ``[band, column]``: 40 bands x
100 frames is 4 kB of bytes, about 5.4 kB of base64, against about 40 kB as a JSON list of
floats. Long attempts are averaged down to at most :data:`MAX_COLUMNS` columns and more
bands than :data:`MAX_BANDS` are averaged in groups.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .frames import Utterance
    from .result import ScoreResult

MAX_BANDS = 40  # the bundled features have 40 mel bands: sent as they are
MAX_COLUMNS = 300  # 3 s at 10 ms; a longer attempt is averaged in groups of frames
LEVELS = 255  # 8-bit codes 0..255


def _pool(x: np.ndarray, axis: int, limit: int) -> tuple[np.ndarray, int]:
    """Average ``x`` in groups of ``step`` along ``axis`` so it has at most ``limit`` entries
    there (the last group may be shorter). Returns the pooled array and ``step``."""
    n = x.shape[axis]
    step = max(1, -(-n // limit))
    if step == 1:
        return x, 1
    starts = np.arange(0, n, step)
    return np.add.reduceat(x, starts, axis=axis) / np.diff(np.r_[starts, n]).reshape(
        [-1 if a == axis else 1 for a in range(x.ndim)]), step


def _spec(utt: Utterance, lo: float, hi: float) -> dict[str, Any]:
    spec, _ = _pool(np.asarray(utt.spec, np.float64), 0, MAX_BANDS)
    spec, step = _pool(spec, 1, MAX_COLUMNS)
    codes = np.clip(np.rint((spec - lo) / max(hi - lo, 1e-9) * LEVELS), 0, LEVELS)
    return {
        "bands": int(spec.shape[0]),
        "columns": int(spec.shape[1]),
        "frames": int(utt.frames.shape[0]),
        "offset_s": round(float(utt.offset_s), 5),  # time of frame 0's centre in the clip
        "hop_s": round(float(utt.hop_s), 6),  # time between frames
        "column_s": round(float(utt.hop_s * step), 6),  # width of one column
        "spec": base64.b64encode(codes.astype(np.uint8).tobytes()).decode("ascii"),
    }


def drawing(result: ScoreResult, *, max_path: int = 600) -> dict[str, Any]:
    """The drawing payload of one scored attempt (``/api/score``'s ``drawing`` field).

    Returns
    -------
    dict
        ``attempt`` and ``reference``: ``bands`` x ``columns`` spectrogram codes
        (``spec``: base64 of uint8, row-major, band 0 the lowest; code ``c`` is the level
        ``lo + c / 255 * (hi - lo)``), ``frames`` (feature frames), ``offset_s`` (time of
        frame 0's centre in the recording), ``hop_s`` and ``column_s`` (a column's width).
        ``range``: ``[lo, hi]`` of the shared spectrogram scale. ``path``: ``[i, j]``
        (attempt frame, reference frame) cells of the DTW path, at most ``max_path``
        (evenly thinned, ends kept); ``path_cost``: each cell's frame distance.
        ``frame_costs``: the DTW cost per attempt frame ``[shape=(frames,)]``, what the
        worst segments are found from. ``d100``, ``d0``: the calibration anchors (the
        references' own distance and other words' distance). ``phone_feedback``: what the
        page shows beside the result's ``phones`` (:func:`.feedback.phone_feedback`: a
        colour level per phone, the weakest phone's index and sentence, and a caveat when
        the recording is poor).
    """
    from .feedback import phone_feedback

    att, ref = result.attempt_utterance, result.reference_utterance
    both = np.concatenate([np.ravel(att.spec), np.ravel(ref.spec)])
    lo, hi = (float(v) for v in np.percentile(both, [1, 99.5])) if both.size else (0.0, 1.0)
    path, cost = result.alignment.path, result.alignment.path_cost
    if len(path) > max_path:
        keep = np.unique(np.linspace(0, len(path) - 1, max_path).round().astype(int))
        path, cost = path[keep], cost[keep]
    return {
        "attempt": _spec(att, lo, hi),
        "reference": _spec(ref, lo, hi),
        "range": [round(lo, 4), round(hi, 4)],
        "path": np.asarray(path, dtype=int).tolist(),
        "path_cost": np.round(np.asarray(cost, dtype=np.float64), 4).tolist(),
        "frame_costs": np.round(np.asarray(result.frame_costs, np.float64), 4).tolist(),
        "d100": round(float(result.calibration.d100), 5),
        "d0": round(float(result.calibration.d0), 5),
        "phone_feedback": phone_feedback(result.phones, result.word, result.quality),
    }


def decode_spec(entry: dict[str, Any], value_range: list[float]) -> np.ndarray:
    """A ``drawing()`` spectrogram entry back to levels ``[shape=(bands, columns)]`` (the
    inverse of the 8-bit coding, to within half a code step)."""
    codes = np.frombuffer(base64.b64decode(entry["spec"]), dtype=np.uint8)
    lo, hi = value_range
    return lo + codes.reshape(entry["bands"], entry["columns"]) / LEVELS * (hi - lo)
