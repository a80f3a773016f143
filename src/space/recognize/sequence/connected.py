"""Connected-word recordings built from isolated clips: training data and benchmarks.

People rarely pause between the words of a PIN or a phone number. A recording of
connected words is built here from isolated clips of one voice: each clip cut to its
speech (energy bounds), the next one starting after a short gap or slightly *before* the
previous one ended (a crude coarticulated overlap), each at its own level, the whole
optionally in background noise. The truth comes with it, per word: the label and the
sample span of its speech, from which per-frame targets follow (:func:`frame_targets`).

The same builder serves training (``space.training.sequence``) and the benchmark
(``benchmarks/connected.py``), so the two cannot drift apart in what "connected" means.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import audio
from ...errors import DataError, UsageError

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
IGNORE = -100  # frame target that is not scored (word edges, overlaps)


@dataclass(frozen=True)
class SequenceConfig:
    """How clips are joined. Times in s, levels in dB."""

    gap_s: tuple[float, float] = (-0.05, 0.2)  # negative: the next word overlaps the last
    gain_db: tuple[float, float] = (-4.0, 4.0)  # per-word level change around the first
    lead_s: tuple[float, float] = (0.3, 0.6)  # silence before the first and after the last
    top_db: float = 30.0  # speech bounds of each clip (what counts as the word)

    def __post_init__(self) -> None:
        if self.gap_s[0] > self.gap_s[1] or self.lead_s[0] < 0 or self.lead_s[0] > self.lead_s[1]:
            raise UsageError("gap_s and lead_s must be (low, high) ranges, lead_s >= 0")


@dataclass
class Sequence:
    """A built recording.

    Attributes
    ----------
    y : np.ndarray [shape=(n,)]
        Audio at ``sr``, peak at most 0.99.
    sr : int
    labels : list[str]
        The words in order.
    spans : list[tuple[int, int]]
        Each word's speech as sample indices ``[start, end)`` into ``y``.
    """

    y: np.ndarray
    sr: int
    labels: list[str]
    spans: list[tuple[int, int]]


def trim(y: np.ndarray, sr: int, *, top_db: float = 30.0) -> np.ndarray:
    """A clip cut to its speech (energy bounds, see :func:`space.audio.speech_bounds`)."""
    a, b = audio.speech_bounds(y, sr, top_db=top_db)
    return np.asarray(y[a:b], dtype=np.float32)


def build(words: list[tuple[str, np.ndarray]], sr: int, rng: np.random.Generator,
          cfg: SequenceConfig | None = None) -> Sequence:
    """Join trimmed clips ``[(label, y)]`` (all at ``sr``) into one connected recording.

    Each clip is scaled to the same speech RMS (0.1) times a random gain; gaps are drawn
    from ``cfg.gap_s`` (an overlap never exceeds a third of either word).
    """
    cfg = cfg or SequenceConfig()
    if not words:
        raise DataError("connected: no words to join")
    lead = int(rng.uniform(*cfg.lead_s) * sr)
    starts: list[int] = []
    clips: list[np.ndarray] = []
    t = lead
    for k, (_, y) in enumerate(words):
        y = np.asarray(y, dtype=np.float32)
        rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2))) + 1e-9
        y = y / rms * 0.1 * 10 ** (rng.uniform(*cfg.gain_db) / 20)
        if k > 0:
            gap = int(rng.uniform(*cfg.gap_s) * sr)
            # An overlap longer than a third of a word would hide it: no listener could say it.
            gap = max(gap, -min(len(clips[-1]), len(y)) // 3)
            t = starts[-1] + len(clips[-1]) + gap
        starts.append(t)
        clips.append(y)
    n = starts[-1] + len(clips[-1]) + int(rng.uniform(*cfg.lead_s) * sr)
    out = np.zeros(n, dtype=np.float32)
    for s, y in zip(starts, clips, strict=True):
        out[s : s + len(y)] += y
    peak = float(np.max(np.abs(out)))
    if peak > 0.99:
        out *= 0.99 / peak
    return Sequence(out, sr, [w for w, _ in words],
                    [(s, s + len(y)) for s, y in zip(starts, clips, strict=True)])


def frame_targets(spans: list[tuple[int, int]], labels: list[int], n_frames: int, hop: int,
                  silence: int, *, edge_frames: int = 2) -> np.ndarray:
    """Per-frame class targets ``[shape=(n_frames,)]`` for a built recording.

    Frame ``k`` is centred on sample ``k * hop`` (centred STFT). Frames inside a word's span
    get its label; frames more than ``edge_frames`` outside every span get ``silence``;
    frames near an edge, or where two words overlap, get :data:`IGNORE`.
    """
    centres = np.arange(n_frames) * hop
    out = np.full(n_frames, silence, dtype=np.int64)
    e = edge_frames * hop
    for a, b in spans:  # the neighbourhood of every word first: not silence, not scored
        out[(centres >= a - e) & (centres < b + e)] = IGNORE
    count = np.zeros(n_frames, dtype=np.int64)
    for (a, b), lab in zip(spans, labels, strict=True):
        inside = (centres >= a + e) & (centres < b - e)
        out[inside] = lab
        count[(centres >= a) & (centres < b)] += 1
    out[count > 1] = IGNORE  # overlapped frames belong to two words
    return out


def espeak(text: str, *, voice: str, speed: int = 160, pitch: int = 50,
           sr: int = 16000) -> np.ndarray:
    """``text`` spoken by espeak-ng ``voice`` at ``speed`` words/min and ``pitch`` (0-99),
    at ``sr`` Hz. Raises :class:`DataError` if espeak-ng is not installed or fails."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise DataError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "say.wav"
        r = subprocess.run([exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(p),
                            text], capture_output=True)
        if r.returncode != 0 or not p.is_file():
            raise DataError(f"espeak-ng failed for voice {voice!r}: {r.stderr.decode()[:200]}")
        y, _ = audio.load(p, sr=sr, max_duration_s=None)
    return y


def word_errors(ref: list[str], hyp: list[str]) -> int:
    """Edit distance (substitutions + deletions + insertions) between two word lists."""
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(hyp)]


__all__ = ["DIGIT_WORDS", "IGNORE", "Sequence", "SequenceConfig", "build",
           "espeak", "frame_targets", "trim", "word_errors"]
