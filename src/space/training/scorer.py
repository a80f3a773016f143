"""Fit the scorer of :mod:`space.pronounce.evidence.experts` on the speechocean762 experts' marks.

    python -m space.training.scorer --root ../shared/data/speechocean762_train \\
        --cache cache/so762 --out src/space/models/scorer.json

First the phone model's output layer is refitted (multinomial logistic regression on its
frame embeddings, :func:`fit_head`) on the sentences' frames of phones every expert marked
right (aligned by :mod:`.learner_labels`): once per half of the speakers, for held-out
posteriors, and once on all (shipped as ``phones_learners.pt``). Each sentence then goes
the path an attempt takes (posteriors from the head that did not see its speaker, the
sentence alignment of :mod:`space.pronounce.evidence.viterbi` on the corpus's canonical phones,
:func:`space.pronounce.evidence.gop_features.phone_features`). Three small models are fitted
(scikit-learn) and written as plain JSON weights: phone (:data:`SEEDS` MLPs of one hidden
layer, averaged into one net) on the experts' mean phone mark, word (the same) on the median
word accuracy, sentence (linear) on the median sentence accuracy.
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
from ..pronounce.evidence import experts
from ..pronounce.evidence.acoustic import bundled_path as acoustic_bundled_path
from ..pronounce.evidence.gop_features import SIL, phone_features
from ..pronounce.evidence.phone_model import PhoneModel
from ..pronounce.lexicon.phones import PHONES

Head = tuple[np.ndarray, np.ndarray]  # output layer: weights [classes, dim], biases [classes]
HEAD_FRAMES = 150_000  # frames the output layer is refitted on (of about 830,000)
PHONE_HIDDEN = (32,)
WORD_HIDDEN = (16,)
# MLPs fitted per level (seeds seed, seed + 1000, ...) and averaged: one MLP's early stop
# on a random tenth of the rows makes it vary from seed to seed, and the mean of five
# agrees better with the experts (benchmarks/sentences.py, issue 21's sixteenth round).
SEEDS = 5


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


def table(utts: Any, frames_of: Any, cache: str | Path, *, log: Any = print) -> Table:
    """:class:`Table` of ``utts`` whose frame log posteriors
    (:class:`space.pronounce.evidence.acoustic.Frames`) ``frames_of(utt, audio)`` gives."""
    from ..pronounce.evidence.viterbi import align_sentence

    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    wrow: list[int] = []
    wutt: list[int] = []
    wacc: list[float] = []
    usp: list[int] = []
    uacc: list[float] = []
    for k, (u, y) in enumerate(so.iter_audio(utts, cache)):
        fr = frames_of(u, y)
        logp = fr.logp
        idx = [[PHONES.index(p) for p in w.phones] for w in u.words]
        spans = align_sentence(logp, idx, SIL, loud=fr.loud)
        for w, i, s in zip(u.words, idx, spans, strict=True):
            xs.append(phone_features(logp, i, s))
            ys.append(w.phone_score)
            wrow += [len(wutt)] * len(i)
            wutt.append(len(usp))
            wacc.append(w.accuracy * 10)
        usp.append(int(u.speaker))
        uacc.append(u.accuracy * 10)
        if (k + 1) % 500 == 0:
            log(f"features: {k + 1}/{len(utts)}")
    return Table(np.concatenate(xs), np.concatenate(ys), np.array(wrow), np.array(wutt),
                 np.array(wacc), np.array(usp), np.array(uacc))


def _mlp(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], seed: int, *,
         seeds: int = SEEDS) -> experts.Net:
    """Fit on targets 0-100, as one :class:`experts.Net`: with no hidden layer a ridge
    regression; with one, ``seeds`` MLPs (random states ``seed + 1000 k``) side by side, their
    output weights divided by ``seeds``, so the net's output before the clip is their mean."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    if not hidden:
        from sklearn.linear_model import Ridge

        r = Ridge(alpha=1.0).fit(z, y / 100.0)
        return experts.Net(mean, scale, ((r.coef_[:, None], np.array([r.intercept_])),),
                           out="clip")
    from sklearn.neural_network import MLPRegressor

    if len(hidden) != 1:
        raise ValueError(f"one hidden layer, not {hidden}: MLPs average into one net only then")
    fits = [MLPRegressor(hidden_layer_sizes=hidden, alpha=1e-3, max_iter=200, early_stopping=True,
                         random_state=seed + 1000 * k).fit(z, y / 100.0) for k in range(seeds)]
    w1 = np.concatenate([m.coefs_[0] for m in fits], axis=1)
    b1 = np.concatenate([m.intercepts_[0] for m in fits])
    w2 = np.concatenate([m.coefs_[1] for m in fits], axis=0) / seeds
    b2 = np.mean([m.intercepts_[1] for m in fits], axis=0)
    return experts.Net(mean, scale, ((w1, b1), (w2, b2)), out="clip")


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


def fit(t: Table, utts: np.ndarray, *, seed: int = 0, seeds: int = SEEDS,
        meta: dict[str, Any] | None = None) -> experts.Scorer:
    """Fit on the sentences ``utts`` (row indices) of ``t``; ``seeds`` MLPs averaged per
    level (1: the recipe before issue 21's sixteenth round)."""
    pmask = np.isin(t.word_utt[t.word], utts)
    wmask = np.isin(t.word_utt, utts)
    phone = _mlp(t.x[pmask], t.y[pmask], PHONE_HIDDEN, seed, seeds=seeds)
    wf = word_table(t, phone(t.x))
    word = _mlp(wf[wmask], t.word_acc[wmask], WORD_HIDDEN, seed, seeds=seeds)
    sf = sentence_table(t, phone(t.x), word(wf))
    sentence = _mlp(sf[utts], t.utt_acc[utts], (), seed)
    return experts.Scorer(phone, word, sentence, dict(meta or {}))


def predict(s: experts.Scorer, t: Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phone, word and sentence scores of every row of ``t``."""
    p = s.phone(t.x)
    w = s.word(word_table(t, p))
    return p, w, s.sentence(sentence_table(t, p, w))


def embeddings(root: str | Path, cache: str | Path, model: PhoneModel) -> dict[str, np.ndarray]:
    """Per sentence: the phone encoder's frame embeddings after the ReLU (what its head
    reads) [shape=(t, dim)], frames as :class:`space.pronounce.evidence.acoustic.Acoustic` gives
    them (cached)."""
    import torch

    from .. import audio

    path = Path(cache) / f"embeddings.{(model.sha1 or 'model')[:12]}.npz"
    if path.is_file():
        return dict(np.load(path))
    cfg, out = model.feature_cfg, {}
    with torch.no_grad():
        for u, y in so.iter_audio(so.utterances(root), cache):
            n = max(cfg.n_samples, len(y))
            left = (n - len(y)) // 2
            w = np.zeros(n, np.float32)
            w[left:left + len(y)] = y
            feats = model.frontend(torch.from_numpy(audio.normalize_peak(w))[None])
            e = torch.relu(model.encoder.embeddings(feats))[0].numpy().T
            f0, f1 = -(-left // cfg.hop_length), min(len(e), (left + len(y)) // cfg.hop_length + 1)
            out[u.utt] = e[f0:f1].astype(np.float16)
            out[u.utt + "/offset_s"] = np.array([(f0 * cfg.hop_length - left) / cfg.sample_rate])
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(path)
    return out


def frame_targets(u: so.Utterance, words: list[dict], n: int, offset_s: float) -> np.ndarray:
    """Per frame [shape=(n,)]: the aligned phone
    (:data:`space.pronounce.evidence.phone_model.LABELS` index) where
    every expert marked it right, silence before, between (>= 30 ms) and after the words,
    -1 (not used) elsewhere and within 10 ms of a boundary."""
    from ..pronounce.evidence.phone_model import LABELS

    t = offset_s + np.arange(n) * 0.01
    lab = np.full(n, -1)
    lab[(t < words[0]["start_s"] - 0.01) | (t >= words[-1]["end_s"] + 0.01)] = SIL
    for prev, nxt in zip(words[:-1], words[1:], strict=True):
        if nxt["start_s"] - prev["end_s"] >= 0.03:
            lab[(t >= prev["end_s"] + 0.01) & (t < nxt["start_s"] - 0.01)] = SIL
    for w, a in zip(u.words, words, strict=True):
        for (p, s, e), ok in zip(a["phones"], w.all_right, strict=True):
            if ok:
                lab[(t >= s + 0.01) & (t < e - 0.01)] = LABELS.index(p)
    return lab


def fit_head(emb: dict[str, np.ndarray], utts: Any, align: dict[str, Any], *,
             max_frames: int = HEAD_FRAMES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The phone model's output layer refitted (multinomial logistic regression) on the
    frames of ``utts``: weights [shape=(classes, dim)] and biases [shape=(classes,)]."""
    from sklearn.linear_model import LogisticRegression

    from ..pronounce.evidence.phone_model import LABELS

    xs, ys = [], []
    for u in utts:
        e = emb[u.utt]
        lab = frame_targets(u, align[u.utt]["words"], len(e), float(emb[u.utt + "/offset_s"][0]))
        xs.append(e[lab >= 0].astype(np.float32))
        ys.append(lab[lab >= 0])
    x, y = np.concatenate(xs), np.concatenate(ys)
    i = np.random.default_rng(seed).choice(len(x), min(len(x), max_frames), replace=False)
    clf = LogisticRegression(C=1.0, max_iter=200).fit(x[i], y[i])
    w = np.zeros((len(LABELS), x.shape[1]))
    b = np.full(len(LABELS), -30.0)  # a class with no frames is never likely
    w[clf.classes_], b[clf.classes_] = clf.coef_, clf.intercept_
    return w, b


def frame_accuracy(emb: dict[str, np.ndarray], utts: Any, align: dict[str, Any],
                   head: tuple[np.ndarray, np.ndarray]) -> float:
    """Share of the phone frames (:func:`frame_targets`, silence left out) of ``utts``
    whose likeliest class under ``head`` is the aligned phone."""
    right = total = 0
    for u in utts:
        e = emb[u.utt].astype(np.float32)
        lab = frame_targets(u, align[u.utt]["words"], len(e), float(emb[u.utt + "/offset_s"][0]))
        m = (lab >= 0) & (lab != SIL)
        right += int(((e[m] @ head[0].T + head[1]).argmax(axis=1) == lab[m]).sum())
        total += int(m.sum())
    return right / max(total, 1)


def learner_table(root: str | Path, cache: str | Path, *, model: PhoneModel | None = None,
                  log: Any = print) -> tuple[Table, Head, list[Head]]:
    """The scorer's training table with held-out posteriors: the speakers are split in two
    halves (:func:`space.data.speechocean.speaker_folds`), each half's posteriors come from
    a head fitted on the other half. Also returns the head fitted on every speaker (what
    ships) and the two halves' heads (``heads[h]`` did not see half ``h``)."""
    from ..pronounce.evidence.acoustic import Frames
    from ..pronounce.evidence.phone_model import bundled_phone_model_path, load_phone_model
    from .learner_labels import load_alignment

    model = model or load_phone_model(bundled_phone_model_path())
    utts = list(so.utterances(root))
    align = load_alignment(cache)
    emb = embeddings(root, cache, model)
    half = so.speaker_folds(utts, 2)
    heads = [fit_head(emb, [u for u in utts if half[u.speaker] != h], align) for h in (0, 1)]
    hw, hb = model.encoder.head.weight, model.encoder.head.bias
    assert hb is not None  # the head is a Conv1d with a bias
    old = (hw.detach().numpy()[:, :, 0], hb.detach().numpy())
    for h in (0, 1):
        held = [u for u in utts if half[u.speaker] == h]
        log(f"speaker half {h} held out: phone frame accuracy "
            f"{frame_accuracy(emb, held, align, old):.3f} (phones.pt) -> "
            f"{frame_accuracy(emb, held, align, heads[h]):.3f} (output layer refitted)")

    def frames_of(u: so.Utterance, y: np.ndarray) -> Frames:
        w, b = heads[half[u.speaker]]
        z = emb[u.utt].astype(np.float64) @ w.T + b
        z -= z.max(axis=1, keepdims=True)
        logp = (z - np.log(np.exp(z).sum(axis=1, keepdims=True))).astype(np.float32)
        cfg = model.feature_cfg
        return Frames.of_audio(logp, float(emb[u.utt + "/offset_s"][0]),
                               cfg.hop_length / cfg.sample_rate, False, y, so.SR)

    return table(utts, frames_of, cache, log=log), fit_head(emb, utts, align), heads


def check_halves(models: tuple[PhoneModel, PhoneModel], utts: Any) -> None:
    """Raise :class:`DataError` unless ``models[h]`` was trained without the speakers of
    half ``h`` (:func:`space.data.speechocean.speaker_folds` with k=2) and validated on
    them (``space train-phones --learners --hold-out``): the table's posteriors must come
    from a model that never saw the speaker."""
    from ..errors import DataError

    half = so.speaker_folds(utts, 2)
    for h, m in enumerate(models):
        want = sorted(s for s, f in half.items() if f == h)
        got = sorted(m.meta.get("val_speakers") or ())
        if got != want or set(m.meta.get("train_speakers") or ()) & set(want):
            raise DataError(f"held-out phone model {h} was not trained with exactly speaker "
                            f"half {h} held out (space train-phones --learners --hold-out "
                            "the speakers of speaker_folds(utts, 2) == h)")


def heldout_table(root: str | Path, cache: str | Path,
                  models: tuple[PhoneModel, PhoneModel], *, log: Any = print) -> Table:
    """The scorer's training table with posteriors from whole phone models trained on the
    learners (:func:`.train_phones.train_learners`): half ``h`` of the speakers is scored
    by ``models[h]``, trained on the other half only (checked, :func:`check_halves`)."""
    from ..pronounce.evidence.acoustic import Acoustic

    utts = list(so.utterances(root))
    check_halves(models, utts)
    half = so.speaker_folds(utts, 2)
    acs = [Acoustic(m) for m in models]
    return table(utts, lambda u, y: acs[half[u.speaker]](y, so.SR), cache, log=log)


def with_head(model: PhoneModel, head: tuple[np.ndarray, np.ndarray],
              meta: dict[str, Any]) -> PhoneModel:
    """A copy of ``model`` with its output layer set to ``head``."""
    import copy

    import torch

    enc = copy.deepcopy(model.encoder)
    w, b = head
    with torch.no_grad():
        enc.head.weight.copy_(torch.from_numpy(w[:, :, None]).float())
        assert enc.head.bias is not None
        enc.head.bias.copy_(torch.from_numpy(b).float())
    return PhoneModel(enc, model.feature_cfg, list(model.labels), {**model.meta, **meta})


def fit_halves(t: Table, root: str | Path) -> list[experts.Scorer]:
    """Per speaker half ``h``: the scorer fitted on the other half's sentences only (what a
    held-out benchmark scores half ``h``'s speakers with)."""
    half = so.speaker_folds(list(so.utterances(root)), 2)
    hu = np.array([half[f"{s:04d}"] for s in t.utt_speaker.tolist()])
    return [fit(t, np.flatnonzero(hu != h), meta={"held_out_half": h}) for h in (0, 1)]


def main(argv: list[str] | None = None) -> int:
    from ..pronounce.evidence.phone_model import bundled_phone_model_path, load_phone_model, save_phone_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=so.DEFAULT_ROOT)
    ap.add_argument("--cache", type=Path, default=so.DEFAULT_CACHE)
    ap.add_argument("--out", type=Path, default=experts.bundled_path())
    ap.add_argument("--phones-out", type=Path, default=acoustic_bundled_path())
    ap.add_argument("--learner-phones", type=Path, nargs=2, metavar=("HALF0", "HALF1"),
                    help="phone models trained on the learners with speaker half 0 / 1 held "
                         "out (space train-phones --learners --hold-out): the posteriors "
                         "the scorer is fitted on (default: phones.pt's output layer "
                         "refitted on each half)")
    ap.add_argument("--phones", type=Path,
                    help="with --learner-phones: the one trained on every speaker, written "
                         "to --phones-out")
    ap.add_argument("--halves-out", type=Path,
                    help="also write scorer_half{0,1}.json (fitted without that half's "
                         "speakers) here, for held-out benchmarks")
    a = ap.parse_args(argv)
    try:
        if a.learner_phones:
            if a.phones is None:
                raise SpaceError("--learner-phones needs --phones (the model to ship)")
            halves = tuple(load_phone_model(p) for p in a.learner_phones)
            t = heldout_table(a.root, a.cache, (halves[0], halves[1]))
            ship = load_phone_model(a.phones)
            how = "from a phone model trained on the other half's sentences"
        else:
            base = load_phone_model(bundled_phone_model_path())
            t, head, heads = learner_table(a.root, a.cache, model=base)
            note = ("output layer refitted on the speechocean762 training split's frames "
                    "(phones all experts marked right; python -m space.training.scorer)")
            ship = with_head(base, head, {"head": note})
            if a.halves_out:
                for h in (0, 1):
                    save_phone_model(with_head(base, heads[h], {"head": note, "held_out_half": h}),
                                     a.halves_out / f"phones_half{h}.pt")
            how = "from a phone head fitted on the other half"
        s = fit(t, np.arange(len(t.utt_acc)), meta={
            "data": f"speechocean762 training split: {len(t.utt_acc)} sentences, "
                    f"{len(t.word_acc)} words, {len(t.y)} phones, "
                    f"{len(set(t.utt_speaker.tolist()))} speakers (all); posteriors of each "
                    f"half of the speakers {how}",
            "fit": "python -m space.training.scorer; 5-fold-by-speaker figures: "
                   "benchmarks/sentences.py"})
        experts.save(s, a.out)
        save_phone_model(ship, a.phones_out)
        if a.halves_out:
            for h, sh in enumerate(fit_halves(t, a.root)):
                experts.save(sh, a.halves_out / f"scorer_half{h}.json")
    except SpaceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out} and {a.phones_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
