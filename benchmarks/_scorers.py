"""Scorers the pronunciation benchmarks compare, behind one interface.

A scorer is called as ``scorer(y, sr, word) -> Scored`` with a mono float array, its
sample rate and a word (``'3'``, ``'left'``; the digits by their bundled folder names). It may also have
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


def bench_folder(env: str, scorer: str, *files: str):  # noqa: ANN201
    """The folder ``$env`` names, holding ``files``; else exit saying what to set."""
    import os
    from pathlib import Path

    d = Path(os.environ.get(env, ""))
    if not all((d / f).is_file() for f in files):
        raise SystemExit(f"{scorer}: set ${env} to a folder of {', '.join(files)}")
    return d


class Judge:
    """The shipped scorer: ``space.score`` (phone evidence fitted on the experts + the
    heard-word check + the recording's quality -> one verdict, space.pronounce.verdict.judge)."""

    name = "judge"

    def __call__(self, y: np.ndarray, sr: int, word: str, models=None) -> Scored:  # noqa: ANN001
        import space
        from space.errors import SpaceError
        from space.pronounce.verdict.judge import contradictions

        try:
            r = space.score(y, sr=sr, word=word, models=models)
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


class JudgeHeldOut(Judge):
    """``space.score`` with, for each clip, a phone model and a scorer that never saw its
    speaker: ``$SPACE_BENCH_HALVES`` (a folder) holds ``phones_half{h}.pt`` and
    ``scorer_half{h}.json``, both fitted without speaker half ``h`` of speechocean762
    (:func:`space.data.speechocean.speaker_folds`, k=2; ``python -m
    space.training.scorer --halves-out``). The shipped models saw every speaker of
    ``../shared``, so the learners' figures are only held out through this scorer."""

    name = "judge-heldout"
    by_speaker = True

    def __init__(self) -> None:
        from space.data import speechocean as so
        from space.pronounce.evidence import experts
        from space.pronounce.evidence.acoustic import Acoustic
        from space.pronounce.evidence.phone_model import load_phone_model

        d = bench_folder("SPACE_BENCH_HALVES", self.name, "phones_half0.pt", "phones_half1.pt",
                         "scorer_half0.json", "scorer_half1.json")
        self.half = so.speaker_folds(so.utterances(), 2)
        self.models = [(Acoustic(load_phone_model(d / f"phones_half{h}.pt")),
                        experts.load(d / f"scorer_half{h}.json")) for h in (0, 1)]

    def __call__(self, y: np.ndarray, sr: int, word: str, speaker: str | None = None
                 ) -> Scored:
        from space.pronounce.evidence import acoustic, experts

        if speaker is None:
            raise RuntimeError("judge-heldout scores learners' clips only (needs the speaker)")
        ac, sc = self.models[self.half[speaker]]
        acoustic._shared = ac  # the process-wide phone model and scorer, for this clip
        experts.bundled = lambda: sc
        return super().__call__(y, sr, word)


class JudgeFoldRecogniser(Judge):
    """``space.score`` with, for each clip, a `commands` recogniser that never trained on its
    speaker (the judge reads the recogniser: the heard-word check). ``$SPACE_BENCH_COMMANDS``
    holds ``commands_even.pt`` (trained on the learners with even ids) and
    ``commands_odd.pt``, e.g. ``benchmarks/variant_trial.py learners-x6 even|odd``'s fold
    models; the phone model and the scorer are the shipped ones."""

    name = "judge-fold-recogniser"
    by_speaker = True

    def __init__(self) -> None:
        from space import api

        d = bench_folder("SPACE_BENCH_COMMANDS", self.name, "commands_even.pt", "commands_odd.pt")
        self.models = {f: api.model_registry({"digits": "digits",
                                              "commands": str(d / f"commands_{f}.pt")})
                       for f in ("even", "odd")}

    def __call__(self, y: np.ndarray, sr: int, word: str, speaker: str | None = None
                 ) -> Scored:
        if speaker is None:
            raise RuntimeError("judge-fold-recogniser scores learners' clips only")
        # the fold model that trained on the other parity
        return super().__call__(y, sr, word, self.models["odd" if int(speaker) % 2 == 0
                                                        else "even"])


class References:
    """The bundled references' evidence alone: DTW of the attempt's frames against the
    word's reference set, calibrated on the set (space.pronounce.references.distance / calibrate):
    the old headline score before the experts' map, kept to measure whether the
    references add anything to the phones' evidence."""

    name = "references"

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        from space.errors import SpaceError
        from space.pronounce.references.distance import match
        from space.pronounce.references.frames import default_featurizer
        from space.pronounce.references.sets import load_utterance, word_reference_set

        try:
            feat = default_featurizer()
            refs = word_reference_set(word, feat)
            att = load_utterance(y, sr, "attempt", feat)
            return Scored(float(refs.calibration.score(match(att, refs.utterances).distance)))
        except SpaceError as e:
            return Scored(0.0, error=str(e))


class JudgeReferences:
    """Does the references' DTW evidence help? A ridge regression from (the judge's score,
    the references' score) to the experts' median x10, fitted by benchmarks/learners.py
    on the training folds' speakers only. The verdict's other fields are the judge's."""

    name = "judge+references"

    def __init__(self) -> None:
        self.judge, self.refs = Judge(), References()
        self.model = None
        self.cache: dict = {}

    def both(self, y: np.ndarray, sr: int, word: str) -> tuple[np.ndarray, Scored]:
        import hashlib

        key = (word, sr, hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest())
        if key not in self.cache:
            j, r = self.judge(y, sr, word), self.refs(y, sr, word)
            self.cache[key] = (np.array([j.score, r.score]), j)
        return self.cache[key]

    def fit(self, items) -> None:
        from sklearn.linear_model import Ridge

        X = np.stack([self.both(y, sr, w)[0] for y, sr, w, _ in items])
        self.model = Ridge(alpha=1.0).fit(X, [10 * m for *_, m in items])

    def __call__(self, y: np.ndarray, sr: int, word: str) -> Scored:
        from dataclasses import replace

        f, j = self.both(y, sr, word)
        if self.model is None:
            raise RuntimeError("judge+references is fitted by benchmarks/learners.py only")
        return replace(j, score=float(np.clip(self.model.predict(f[None])[0], 0, 100)))


SCORERS = {"judge": Judge, "judge-heldout": JudgeHeldOut,
           "judge-fold-recogniser": JudgeFoldRecogniser, "references": References,
           "judge+references": JudgeReferences}


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
