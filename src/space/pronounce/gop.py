"""Goodness of Pronunciation (GOP) from PocketSphinx's US English acoustic model.

The model in the ``pocketsphinx`` wheel was trained on many real (American) speakers; no
SPACE training is involved. For one attempt at a known word:

1. **Forced alignment** of the word's CMUdict phones (:func:`.phones.force_align`):
   where each expected phone lies, and its acoustic score ``A_align`` (the log-likelihood
   of the phone's frames under the expected phone's context-dependent HMM).
2. **Free phone loop** (PocketSphinx ``allphone`` search with the wheel's phone language
   model) over the same audio: the best phone sequence with no word constraint, and its
   acoustic score per segment, spread evenly over the segment's frames (``A_loop``).
3. Per phone, ``gop = (A_align - A_loop) / n_frames`` over the phone's frames: a
   log-likelihood ratio per frame, about 0 when the expected phone is as likely as
   whatever the free loop heard there, strongly negative when something else was said.
   It is in PocketSphinx's integer acoustic-score units (log base 1.0001 after the
   decoder's senone-score scaling), the same units for every phone and clip.
4. Phone score ``100 * sigmoid((gop - GOP50) / GOP_SCALE)``; word score the mean of the
   phone scores. ``heard`` is the phone the free loop heard over most of the span.

:data:`GOP50` and :data:`GOP_SCALE` were set from native speakers (Speech Commands
*validation* speakers, 25 clips of each command word; ``benchmarks/gop_anchors.py``: per-
phone GOP mean -5.0, SD 21.1): a phone 1.5 native SDs below the native mean scores 50, the
native median phone about 97; native word scores have median 95. The learners' data
(speechocean762) is not used to set anything here.

Known limits (measured in ``benchmarks/results/learners.md``): the US model aligns real
speech well but is a weak recogniser of children's and accented speech, and about 3-8%
of clips (learners and natives alike) find no forced alignment (raised as AudioError).

>>> r = goodness(y, 16000, "three")              # doctest: +SKIP
>>> [(p.phone, round(p.score), p.heard) for p in r.phones]   # doctest: +SKIP
[('TH', 41, 'S'), ('R', 77, 'R'), ('IY', 90, 'IY')]
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..errors import AudioError
from .phones import HOP_S, SR, force_align, model_dir, pcm16, word_or_phones

# Native anchors (see the module doc): GOP at which a phone scores 50, and the logistic's
# scale (GOP units per e-fold).
GOP50 = -36.5
GOP_SCALE = 10.5
# Phone-loop symbols that are not phones (silence and the model's noise fillers).
_FILLERS = frozenset({"SIL", "+NSN+", "+SPN+", "+BREATH+", "+COUGH+", "+NOISE+", "+UH+",
                      "+UM+", "+SMACK+"})


@dataclass(frozen=True)
class GopPhone:
    """One expected phone of the attempt.

    phone: ARPAbet; start_s/end_s: its forced-aligned span in seconds into the attempt;
    gop: log-likelihood ratio per frame (aligned phone vs free phone loop; <= about 0);
    score: 0-100; heard: the free loop's phone over most of the span (None: silence).
    """

    phone: str
    start_s: float
    end_s: float
    gop: float
    score: float
    heard: str | None

    @property
    def sounded_like(self) -> str | None:
        """The phone heard instead, when the free loop heard another phone."""
        return self.heard if self.heard not in (None, self.phone) else None


@dataclass(frozen=True)
class GopResult:
    """Per-phone GOP of one attempt and the word score (mean of the phone scores)."""

    phones: list[GopPhone]
    score: float

    @property
    def lowest(self) -> int:
        """Index of the lowest-scored phone."""
        return int(np.argmin([p.score for p in self.phones]))


def phone_score(gop: np.ndarray | float) -> np.ndarray:
    """GOP per frame -> 0-100 (logistic through the native anchors)."""
    return 100.0 / (1.0 + np.exp(-(np.asarray(gop, dtype=np.float64) - GOP50) / GOP_SCALE))


_loop_lock = threading.Lock()
_loop = None


def _loop_decoder():  # noqa: ANN202 (a pocketsphinx.Decoder; the import is optional)
    global _loop
    if _loop is None:
        from pocketsphinx import Decoder

        _loop = Decoder(samprate=SR, lm=None, loglevel="FATAL", backtrace=False,
                        allphone=str(model_dir() / "en-us" / "en-us-phone.lm.bin"))
    return _loop


def phone_loop(raw: bytes) -> tuple[np.ndarray, list[str]]:
    """Free phone-loop decoding of :func:`.phones.pcm16` audio.

    Returns
    -------
    (frame_score, frame_phone) : np.ndarray [shape=(n_frames,)], list of str
        Each 10 ms frame's share of its segment's acoustic score (PocketSphinx integer
        units) and the phone (or filler) the loop put there.
    """
    with _loop_lock:
        d = _loop_decoder()
        try:
            d.start_utt()
            d.process_raw(raw, full_utt=True)
            d.end_utt()
        except RuntimeError as e:
            raise AudioError(f"phone loop decoding failed ({e})") from None
        lm = d.get_logmath()
        segs = [(s.word, s.start_frame, s.end_frame, lm.log(s.ascore)) for s in d.seg()]
    if not segs:
        raise AudioError("phone loop found nothing")
    n = max(end for _, _, end, _ in segs) + 1
    score = np.zeros(n)
    label = [""] * n
    for w, first, last, a in segs:
        score[first:last + 1] = a / (last - first + 1)
        label[first:last + 1] = [w] * (last - first + 1)
    return score, label


def goodness(y: np.ndarray, sr: int, word: str | None = None, *,
             phones: list[str] | None = None) -> GopResult:
    """GOP of each expected phone of an attempt at a known word.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio (float, about -1..1) at ``sr`` Hz; resampled to 16 kHz.
    word : str, optional
        The word meant (CMUdict; a digit folder '3' is 'three').
    phones : list of str, optional
        ARPAbet phones expected instead of the word's.

    Returns
    -------
    GopResult

    Raises
    ------
    PronunciationError
        Unknown word or phones.
    AudioError
        Empty audio, or no forced alignment (too short for the phones, or not speech).
    """
    phones = word_or_phones(word, phones)
    raw, off, dur = pcm16(y, sr)
    aligned = force_align(raw, phones)
    loop_score, loop_label = phone_loop(raw)
    out = []
    for name, s, n, a in aligned:
        n = max(n, 1)
        g = (a - float(loop_score[s:s + n].sum())) / n
        heard = [p for p in loop_label[s:s + n] if p and p not in _FILLERS]
        # Counter keeps first-seen order among equal counts: deterministic ties.
        top = Counter(heard).most_common(1)[0][0] if len(heard) * 2 > n else None
        out.append(GopPhone(name, float(np.clip(s * HOP_S - off, 0, dur)),
                            float(np.clip((s + n) * HOP_S - off, 0, dur)), float(g),
                            float(phone_score(g)), top))
    return GopResult(out, float(np.mean([p.score for p in out])))
