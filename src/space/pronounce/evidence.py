"""Per-phone, per-word and per-sentence evidence of one attempt (the interface agreed with
branch s18m, whose version of this module replaces this one on merge)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PhoneEvidence:
    phone: str
    start_s: float
    end_s: float
    score: float  # 0-100 fitted on the experts
    heard: str | None  # substitution candidate
    missing: bool  # deletion candidate


@dataclass(frozen=True)
class WordEvidence:
    word: str
    start_s: float
    end_s: float
    score: float
    said: bool
    phones: tuple[PhoneEvidence, ...]


@dataclass(frozen=True)
class SentenceEvidence:
    words: tuple[WordEvidence, ...]
    accuracy: float
    completeness: float
    fluency: float | None
    inserted: tuple[tuple[float, float, str], ...] = ()


def assess_audio(y: np.ndarray, sr: int, words: list[str], *,
                 pronunciations: list[list[str]] | None = None) -> SentenceEvidence:
    """Interim evidence from the bundled phone model (clarity of a forced alignment),
    until s18m's fitted evidence model replaces this module."""
    from .phone_encoder import LABELS, force_align, posteriorgram
    from .phone_score import phone_model
    from .phones import pronunciation

    prons = pronunciations or [pronunciation(w) or [] for w in words]
    pg = posteriorgram(phone_model(), y, sr)
    logp = np.log(pg.post + 1e-6)
    seq = [LABELS.index(p) for pr in prons for p in pr]
    spans = force_align(logp, seq, min_frames=2)
    out, k = [], 0
    for w, pr in zip(words, prons, strict=True):
        ps = []
        for p in pr:
            a, b = spans[k]
            clar = float(pg.post[a:b, seq[k]].mean())
            mean = pg.post[a:b].mean(0)
            mean[seq[k]] = 0.0
            mean[-1] = 0.0
            j = int(mean.argmax())
            heard = LABELS[j] if clar < 0.2 and mean[j] > 2 * clar else None
            ps.append(PhoneEvidence(p, pg.time(a), pg.time(b), 100 * min(1.0, 2 * clar),
                                    heard, b - a <= 2 and clar < 0.05))
            k += 1
        sc = [q.score for q in ps]
        ws = 0.5 * float(np.mean(sc)) + 0.5 * float(np.min(sc))
        out.append(WordEvidence(w, ps[0].start_s, ps[-1].end_s, ws, ws > 5.0, tuple(ps)))
    said = [x for x in out if x.said]
    acc = float(np.mean([x.score for x in said])) if said else 0.0
    return SentenceEvidence(tuple(out), acc, 100.0 * len(said) / len(out), None)
