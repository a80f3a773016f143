"""Fit the scorer of :mod:`.experts` on the speechocean762 experts' marks.

    python -m space.pronounce.fit_scorer --root ../shared/data/speechocean762_train \\
        --cache cache/so762 --out src/space/models/scorer.json

Each sentence goes through the path an attempt takes (:mod:`.acoustic` posteriors, the
sentence alignment of :mod:`.viterbi` on the corpus's canonical phones,
:func:`.gop_features.phone_features`); the features are cached in
``<cache>/features.<model hash>.npz``. Three small models are fitted (scikit-learn) and
written as plain JSON weights: phone (MLP, one hidden layer) on the experts' mean phone mark,
word (MLP) on the median word accuracy, sentence (linear) on the median sentence accuracy.
``benchmarks/sentences.py`` cross-validates the same fit, 5 folds by speaker.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data import speechocean as so
from ..errors import SpaceError
from . import experts
from .gop_features import SIL, phone_features
from .phones import PHONES

PHONE_HIDDEN = (32,)
WORD_HIDDEN = (16,)


@dataclass
class Table:
    """Features and the experts' marks of every phone, word and sentence.

    Phone rows: ``x`` [shape=(n, d)], ``y`` (mean mark x50), ``word`` (word row).
    Word rows: ``word_utt`` (sentence row), ``word_acc`` (median x10).
    Sentence rows: ``utt_speaker``, ``utt_acc`` (median x10).
    """

    x: np.ndarray
    y: np.ndarray
    word: np.ndarray
    word_utt: np.ndarray
    word_acc: np.ndarray
    utt_speaker: np.ndarray
    utt_acc: np.ndarray


def extract(root: str | Path, cache: str | Path, *, model: str | Path | None = None,
            log: Any = print) -> Table:
    """Features of every sentence (cached by the phone model's hash)."""
    from .acoustic import acoustic
    from .viterbi import align_sentence

    ac = acoustic(model)
    path = Path(cache) / f"features.{(ac.model.sha1 or 'model')[:12]}.npz"
    if path.is_file():
        d = np.load(path)
        return Table(**{k: d[k] for k in Table.__dataclass_fields__})
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    wrow: list[int] = []
    wutt: list[int] = []
    wacc: list[float] = []
    usp: list[int] = []
    uacc: list[float] = []
    utts = so.utterances(root)
    for k, (u, y) in enumerate(so.iter_audio(utts, cache)):
        fr = ac(y, so.SR, name=u.utt)
        idx = [[PHONES.index(p) for p in w.phones] for w in u.words]
        spans = align_sentence(fr.logp, idx, SIL)
        for w, i, s in zip(u.words, idx, spans, strict=True):
            xs.append(phone_features(fr.logp, i, s))
            ys.append(w.phone_score)
            wrow += [len(wutt)] * len(i)
            wutt.append(len(usp))
            wacc.append(w.accuracy * 10)
        usp.append(int(u.speaker))
        uacc.append(u.accuracy * 10)
        if (k + 1) % 250 == 0:
            log(f"features: {k + 1}/{len(utts)}")
    t = Table(np.concatenate(xs), np.concatenate(ys), np.array(wrow), np.array(wutt),
              np.array(wacc), np.array(usp), np.array(uacc))
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **t.__dict__)
    tmp.replace(path)
    return t


def _mlp(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], seed: int) -> experts.Net:
    """Fit an MLP (or, with no hidden layer, ridge) on targets 0-100; as an :class:`experts.Net`."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    if not hidden:
        from sklearn.linear_model import Ridge

        r = Ridge(alpha=1.0).fit(z, y / 100.0)
        layers: tuple[tuple[np.ndarray, np.ndarray], ...] = (
            (r.coef_[:, None], np.array([r.intercept_])),)
    else:
        from sklearn.neural_network import MLPRegressor

        m = MLPRegressor(hidden_layer_sizes=hidden, alpha=1e-3, max_iter=200, early_stopping=True,
                         random_state=seed).fit(z, y / 100.0)
        layers = tuple((w, b) for w, b in zip(m.coefs_, m.intercepts_, strict=True))
    return experts.Net(mean, scale, layers, out="clip")


def word_table(t: Table, phone_scores: np.ndarray) -> np.ndarray:
    """Word features [shape=(n_words, len(WORD_NAMES))] from per-phone scores."""
    order = np.argsort(t.word, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(t.word[order])) + 1, len(order)]
    return np.stack([experts.word_features(phone_scores[order[a:b]], t.x[order[a:b]])
                     for a, b in zip(bounds[:-1], bounds[1:], strict=True)])


def sentence_table(t: Table, phone_scores: np.ndarray, word_scores: np.ndarray) -> np.ndarray:
    """Sentence features [shape=(n_utts, len(SENTENCE_NAMES))]."""
    putt = t.word_utt[t.word]
    return np.stack([experts.sentence_features(word_scores[t.word_utt == u],
                                               phone_scores[putt == u])
                     for u in range(len(t.utt_acc))])


def fit(t: Table, utts: np.ndarray, *, seed: int = 0,
        meta: dict[str, Any] | None = None) -> experts.Scorer:
    """Fit on the sentences ``utts`` (row indices) of ``t``."""
    pmask = np.isin(t.word_utt[t.word], utts)
    wmask = np.isin(t.word_utt, utts)
    phone = _mlp(t.x[pmask], t.y[pmask], PHONE_HIDDEN, seed)
    wf = word_table(t, phone(t.x))
    word = _mlp(wf[wmask], t.word_acc[wmask], WORD_HIDDEN, seed)
    sf = sentence_table(t, phone(t.x), word(wf))
    sentence = _mlp(sf[utts], t.utt_acc[utts], (), seed)
    return experts.Scorer(phone, word, sentence, dict(meta or {}))


def predict(s: experts.Scorer, t: Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phone, word and sentence scores of every row of ``t``."""
    p = s.phone(t.x)
    w = s.word(word_table(t, p))
    return p, w, s.sentence(sentence_table(t, p, w))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=so.DEFAULT_ROOT)
    ap.add_argument("--cache", type=Path, default=so.DEFAULT_CACHE)
    ap.add_argument("--out", type=Path, default=experts.bundled_path())
    a = ap.parse_args(argv)
    try:
        t = extract(a.root, a.cache)
        s = fit(t, np.arange(len(t.utt_acc)), meta={
            "data": f"speechocean762 training split: {len(t.utt_acc)} sentences, "
                    f"{len(t.word_acc)} words, {len(t.y)} phones, "
                    f"{len(set(t.utt_speaker.tolist()))} speakers (all)",
            "fit": "python -m space.pronounce.fit_scorer; 5-fold-by-speaker figures: "
                   "benchmarks/sentences.py"})
        experts.save(s, a.out)
    except SpaceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
