"""Scorers the pronunciation benchmarks compare, behind one interface.

A scorer is called as ``scorer(y, sr, word) -> Scored`` with a mono float array, its
sample rate and a bundled word folder name (``'3'``, ``'left'``). It may also have
``fit(items)`` (items: ``(y, sr, word, expert_score)``), which benchmarks/learners.py
calls on the training folds only. Add a scorer by adding a class and a line in SCORERS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Scored:
    """One attempt's result as the benchmarks read it.

    score: 0-100 (higher = better said).
    phones: per canonical phone of the word (CMUdict order), ``{"phone", "score",
        "attempt_start_s", "attempt_end_s"}``; None for a scorer without phones.
    worst_span: (start_s, end_s) in the attempt of the part the scorer blames most (the
        worst segment, or the lowest-scored phone); None when it names none.
    error: the message when the scorer refused the attempt (score is then 0).
    """

    score: float
    phones: list[dict] | None = None
    worst_span: tuple[float, float] | None = None
    error: str | None = None
    # the one verdict's (scorer "judge" only): the band, the first named error's kind and
    # canonical phone index, every phone named, and the rules the verdict breaks
    band: str | None = None
    kind: str | None = None
    named: int | None = None
    named_all: tuple[int, ...] = ()
    contradictions: tuple[str, ...] = ()

    @property
    def lowest_phone(self) -> int | None:
        if not self.phones:
            return None
        return int(np.argmin([p["score"] for p in self.phones]))


class Baseline:
    """Today's ``space.score`` (word folders' references, worst segment)."""

    name = "baseline"

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        import space
        from space.errors import SpaceError

        try:
            r = space.score(y, sr=sr, word=word, phones=False)  # the word score only
        except SpaceError as e:
            return Scored(0.0, error=str(e))
        seg = r.segments[0] if r.segments else None
        span = (seg.attempt_start_s, seg.attempt_end_s) if seg else None
        return Scored(float(r.score), None, span)


class PhoneScorer:
    """The phone-level scorer (space.pronounce.phone_score): GOP from a forced alignment
    of the word's phones plus posteriorgram DTW against the word's references."""

    name = "phones"
    part = "score"  # which phone score: "score" (both), "gop_score" or "dtw_score"

    def __init__(self) -> None:
        from space.pronounce import phone_score

        self.mod = phone_score

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        from space.errors import SpaceError

        try:
            r = self.mod.score_phones(y, sr, word)
        except SpaceError as e:
            return Scored(0.0, error=str(e))
        phones = [{"phone": p.phone, "score": getattr(p, self.part),
                   "attempt_start_s": p.attempt_start_s, "attempt_end_s": p.attempt_end_s}
                  for p in r.results]
        k = int(np.argmin([p["score"] for p in phones]))
        span = (phones[k]["attempt_start_s"], phones[k]["attempt_end_s"])
        word = self.mod.word_from_phones(np.array([p["score"] for p in phones]))
        return Scored(word, phones, span)


class GopScorer(PhoneScorer):
    """Ablation: the phone scorer's clarity (GOP) half alone."""

    name, part = "phones-gop", "gop_score"


class DtwScorer(PhoneScorer):
    """Ablation: the phone scorer's reference-comparison (posteriorgram DTW) half alone."""

    name, part = "phones-dtw", "dtw_score"


class Combined:
    """Mean of today's word-level score and the phone scorer's word score; the phones
    (and the blamed span) are the phone scorer's."""

    name = "combined"

    def __init__(self) -> None:
        self.base, self.phones = Baseline(), PhoneScorer()

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        b, p = self.base(y, sr, word), self.phones(y, sr, word)
        if p.error:
            return b
        return Scored(0.5 * (b.score + p.score), p.phones, p.worst_span, b.error)


class _RidgeFit:
    """A ridge regression from a scorer's figures (``features``) to the experts' 0-10
    median, x10. ``fit`` is called by benchmarks/learners.py on the training folds'
    speakers only; unfitted (the other benchmarks) it fits itself once on all the learners'
    clips (speechocean762 speakers, none of those benchmarks' voices)."""

    model = None

    def features(self, y: np.ndarray, sr: int, word: str) -> tuple[np.ndarray, Scored]:
        raise NotImplementedError

    def fit(self, items) -> None:
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X = np.stack([self.features(y, sr, w)[0] for y, sr, w, _ in items])
        t = np.array([m for *_, m in items])
        self.model = make_pipeline(StandardScaler(), Ridge(alpha=10.0)).fit(X, t)

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        if self.model is None:
            import learners

            its = learners.load_items()
            self.fit([(it["y"], learners.SR, it["folder"], it["median"]) for it in its])
        f, sc = self.features(y, sr, word)
        pred = float(self.model.predict(f[None])[0])
        return Scored(float(np.clip(10 * pred, 0, 100)), sc.phones, sc.worst_span)


class Fused(_RidgeFit):
    """A ridge regression from the word-level score and the phone scorer's figures
    (word score, mean/min phone score, mean/min clarity and reference-comparison halves,
    inserted sounds, digit-word flag) to the experts' 0-10 median, fitted by ``fit`` on
    the learners of the *other* folds (benchmarks/learners.py calls it per fold). Unfitted
    (benchmarks/mispronounce.py), it fits itself once on all the learners' clips: their
    speakers are not the benchmark's voices."""

    name = "fused"

    def __init__(self) -> None:
        self.base, self.phones = Baseline(), PhoneScorer()
        self.cache: dict = {}
        self.model = None

    def features(self, y: np.ndarray, sr: int, word: str) -> tuple[np.ndarray, Scored]:
        import hashlib

        key = (word, sr, hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest())
        if key not in self.cache:
            b = self.base(y, sr, word)
            try:
                r = self.phones.mod.score_phones(y, sr, word)
                ps = np.array([q.score for q in r.results])
                g = np.array([q.gop_score for q in r.results])
                d = np.array([q.dtw_score for q in r.results])
                ins = sum(q.inserted is not None for q in r.results)
                f = [b.score, r.score, ps.mean(), ps.min(), g.mean(), g.min(), d.mean(),
                     d.min(), ins]
                low = int(np.argmin(ps))
                sc = Scored(0.0, [{"phone": q.phone, "score": q.score,
                                   "attempt_start_s": q.attempt_start_s,
                                   "attempt_end_s": q.attempt_end_s} for q in r.results],
                            (r.results[low].attempt_start_s, r.results[low].attempt_end_s))
            except Exception:  # noqa: BLE001 (no phones: the word-level figures alone)
                f = [b.score, b.score, b.score, b.score, 50, 50, 50, 50, 0]
                sc = Scored(0.0, None, b.worst_span)
            f.append(1.0 if word.isdigit() else 0.0)
            self.cache[key] = (np.array(f, float), sc)
        return self.cache[key]



class PsGop:
    """GOP from PocketSphinx's US English acoustic model (space.pronounce.gop): forced
    alignment of the word's phones against a free phone loop, per phone; word score the
    mean phone score. Nothing fitted on the learners (anchors from native speakers). No
    forced alignment found -> refused (score 0)."""

    name = "ps-gop"

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        from space.errors import SpaceError
        from space.pronounce.gop import goodness

        try:
            r = goodness(y, sr, word)
        except SpaceError as e:
            return Scored(0.0, error=str(e))
        phones = [{"phone": p.phone, "score": p.score, "attempt_start_s": p.start_s,
                   "attempt_end_s": p.end_s} for p in r.phones]
        low = r.phones[r.lowest]
        return Scored(r.score, phones, (low.start_s, low.end_s))


class PsGopMean:
    """Untuned mean of today's score and ps-gop's word score (ps-gop refused: today's
    score alone); phones and blamed span from ps-gop when it has them."""

    name = "ps-gop-mean"

    def __init__(self) -> None:
        self.base, self.gop = Baseline(), PsGop()

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        b, g = self.base(y, sr, word), self.gop(y, sr, word)
        if g.error:
            return b
        return Scored(0.5 * (b.score + g.score), g.phones, g.worst_span, b.error)


class PsGopFit(_RidgeFit):
    """Ridge regression from (today's score, ps-gop word score, lowest ps-gop phone score,
    aligned flag) to the experts' 0-10 median, x10. ``fit`` is called by
    benchmarks/learners.py on the training folds' speakers only; unfitted (the other
    benchmarks) it fits itself once on all the learners' clips (speechocean762 speakers,
    none of those benchmarks' voices)."""

    name = "ps-gop-fit"

    def __init__(self) -> None:
        self.base, self.gop = Baseline(), PsGop()
        self.cache: dict = {}
        self.model = None

    def features(self, y: np.ndarray, sr: int, word: str) -> tuple[np.ndarray, Scored]:
        import hashlib

        key = (word, sr, hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest())
        if key not in self.cache:
            b, g = self.base(y, sr, word), self.gop(y, sr, word)
            if g.error or not g.phones:
                f = [b.score, 0.0, 0.0, 0.0]
            else:
                f = [b.score, g.score, min(p["score"] for p in g.phones), 1.0]
            self.cache[key] = (np.array(f), g if not g.error else b)
        return self.cache[key]



class Judge:
    """The shipped scorer: ``space.score`` (phone evidence fitted on the experts + the
    heard-word check + the recording's quality -> one verdict, space.pronounce.judge)."""

    name = "judge"

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        import space
        from space.errors import SpaceError
        from space.pronounce.judge import contradictions

        try:
            r = space.score(y, sr=sr, word=word)
        except SpaceError as e:
            return Scored(0.0, error=str(e))
        v = r.verdict
        w = v.words[0]
        phones = [{"phone": p.phone, "score": p.score, "attempt_start_s": p.start_s,
                   "attempt_end_s": p.end_s, "level": p.level} for p in w.phones]
        first = v.errors[0] if v.errors else None
        return Scored(v.score, phones, v.span, None, v.band,
                      first.kind if first else None,
                      first.phone_index if first else None,
                      tuple(e.phone_index for e in v.errors if e.phone_index is not None),
                      tuple(contradictions(v)))


SCORERS = {"judge": Judge, "baseline": Baseline, "phones": PhoneScorer, "phones-gop": GopScorer,
           "phones-dtw": DtwScorer, "combined": Combined,
           "fused": Fused, "ps-gop": PsGop, "ps-gop-mean": PsGopMean,
           "ps-gop-fit": PsGopFit}


def get_scorers(names: str) -> list:
    out = []
    for n in names.split(","):
        if n not in SCORERS:
            raise SystemExit(f"unknown scorer {n!r}; known: {', '.join(SCORERS)}")
        out.append(SCORERS[n]())
    return out


def roc_auc(pos, neg) -> float:
    from sklearn.metrics import roc_auc_score

    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    return float(roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg]))
