"""Sentences: phone, word and utterance accuracy PCC with the speechocean762 experts.

    python benchmarks/sentences.py --root ../shared/data/speechocean762_train \\
        --cache cache/so762 [--model phones.pt] [--speed]

The scorer of :mod:`space.training.scorer` is cross-validated 5 folds by speaker on
the corpus's training split (125 speakers): fitted on four folds' speakers, scored on the
fifth's, every sentence scored once by a scorer that never saw its speaker. Printed next
to the published figures on the corpus's test split (GOPT, Gong et al. 2022; the Kaldi
recipe). The phone posteriors of each speaker come from an output layer fitted on the other
half of the speakers (:func:`space.training.scorer.learner_table`), so no figure
has seen the speaker it scores. ``--baseline``: the same with ``phones.pt`` as shipped.
``--learner-phones HALF0 HALF1``: the same with whole phone nets retrained on the sentences,
net ``h`` without speaker half ``h`` (``space train-phones --learners --hold-out``).
``--speed``: warm time of ``assess_audio`` on a 1-word and a ~5 s sentence, one thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from space.data import speechocean as so  # noqa: E402
from space.training import scorer as fit_scorer  # noqa: E402

PUBLISHED = [("GOPT (test split, Gong et al. 2022)", 0.612, 0.533, 0.714),
             ("Kaldi gop_speechocean762 recipe", 0.42, None, None)]


def pcc(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def cross_validate(t: fit_scorer.Table, k: int = 5, seeds: int = fit_scorer.SEEDS
                   ) -> tuple[np.ndarray, ...]:
    """Out-of-fold phone, word and sentence scores (folds by speaker); ``seeds`` MLPs
    averaged per level (the shipped :data:`space.training.scorer.SEEDS`, or 1 as before
    issue 21's sixteenth round)."""
    speakers = sorted(set(t.utt_speaker.tolist()))
    fold_of = {s: i % k for i, s in enumerate(speakers)}
    fold = np.array([fold_of[s] for s in t.utt_speaker.tolist()])
    p, w, u = np.zeros(len(t.y)), np.zeros(len(t.word_acc)), np.zeros(len(t.utt_acc))
    for f in range(k):
        s = fit_scorer.fit(t, np.flatnonzero(fold != f), seed=f, seeds=seeds)
        pp, ww, uu = fit_scorer.predict(s, t)
        ut = fold == f
        p[ut[t.word_utt[t.word]]] = pp[ut[t.word_utt[t.word]]]
        w[ut[t.word_utt]] = ww[ut[t.word_utt]]
        u[ut] = uu[ut]
    return p, w, u


def speed(reps: int = 20) -> list[tuple[str, float]]:
    from space import threads
    from space.pronounce.evidence.sentence import assess_audio


    threads.apply(1)  # the one thread policy's setter (torch and ONNX Runtime alike)
    ac_threads = 1
    from space.pronounce.evidence.acoustic import acoustic

    utts = so.utterances(ARGS.root)
    long = min((u for u in utts), key=lambda u: abs(len(so.cached_audio(u, ARGS.cache)) / so.SR - 5))
    word = next(u for u in utts if len(u.words) >= 1)
    out = []
    for name, u, words in (("warm word", word, [word.words[0].text]),
                           (f"warm {len(so.cached_audio(long, ARGS.cache)) / so.SR:.1f} s sentence",
                            long, [w.text for w in long.words])):
        y = so.cached_audio(u, ARGS.cache)
        if name == "warm word":
            y = y[: int(0.8 * so.SR)]
        acoustic().engine(False).set_threads(ac_threads)
        assess_audio(y, so.SR, words)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            assess_audio(y, so.SR, words)
            ts.append(time.perf_counter() - t0)
        out.append((name, float(np.median(ts)) * 1000))
    return out


def baseline_table() -> fit_scorer.Table:
    """The same features with the shipped ``phones.pt`` as it is (its head trained on the
    38 words of Speech Commands and FSDD, never on these learners)."""
    from space.pronounce.evidence.acoustic import Acoustic
    from space.pronounce.evidence.phone_model import bundled_phone_model_path, load_phone_model

    ac = Acoustic(load_phone_model(bundled_phone_model_path()))
    return fit_scorer.table(so.utterances(ARGS.root), lambda u, y: ac(y, so.SR).logp,
                            ARGS.cache, log=lambda m: None)


def main() -> None:
    from _common import describe

    t0 = time.time()
    t, _, _ = fit_scorer.learner_table(
        ARGS.root, ARGS.cache, log=lambda m: print(m) if 'frame accuracy' in m else None)
    p, w, u = cross_validate(t)
    rows = [("phones.pt, output layer refitted on the other half's speakers + fitted scorer",
             pcc(p, t.y), pcc(w, t.word_acc), pcc(u, t.utt_acc)),
            ("same posteriors, mean log posterior ratio alone (no scorer)",
             pcc(t.x[:, 1], t.y), None, None)]
    if ARGS.learner_phones:
        from space.pronounce.evidence.phone_model import load_phone_model

        models = tuple(load_phone_model(m) for m in ARGS.learner_phones)
        n = fit_scorer.heldout_table(ARGS.root, ARGS.cache, (models[0], models[1]),
                                     log=lambda m: None)
        np_, nw, nu = cross_validate(n)
        op, ow, ou = cross_validate(n, seeds=1)
        rows += [("phone net retrained on the other half's sentences (--learner-phones) + "
                  f"fitted scorer ({fit_scorer.SEEDS} MLPs averaged per level)",
                  pcc(np_, n.y), pcc(nw, n.word_acc), pcc(nu, n.utt_acc)),
                 ("same posteriors, one MLP per level (the scorer before issue 21's "
                  "sixteenth round)", pcc(op, n.y), pcc(ow, n.word_acc), pcc(ou, n.utt_acc)),
                 ("same posteriors, mean log posterior ratio alone", pcc(n.x[:, 1], n.y),
                  None, None)]
    if ARGS.baseline:
        b = baseline_table()
        bp, bw, bu = cross_validate(b)
        rows += [("phones.pt as shipped (38 words) + fitted scorer",
                  pcc(bp, b.y), pcc(bw, b.word_acc), pcc(bu, b.utt_acc)),
                 ("phones.pt as shipped, mean log posterior ratio alone",
                  pcc(b.x[:, 1], b.y), None, None)]
    print(f"speechocean762 training split: {len(t.utt_acc)} sentences, {len(t.word_acc)} "
          f"words, {len(t.y)} phones, {len(set(t.utt_speaker.tolist()))} speakers; scorer "
          f"5-fold by speaker ({time.time() - t0:.0f} s)")
    print()
    print("| posteriors / scorer | phone PCC | word accuracy PCC | utterance accuracy PCC |")
    print("|---|---|---|---|")
    for name, a, b_, c in rows + PUBLISHED:
        cells = ["" if v is None else f"{v:.3f}" for v in (a, b_, c)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if ARGS.speed:
        print()
        print("| assess_audio, 1 thread, ONNX Runtime | median ms |")
        print("|---|---|")
        for name, ms in speed():
            print(f"| {name} | {ms:.1f} |")
    print()
    print(describe())


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=so.DEFAULT_ROOT)
    ap.add_argument("--cache", type=Path, default=so.DEFAULT_CACHE)
    ap.add_argument("--baseline", action="store_true",
                    help="also the shipped phones.pt as it is (a pass over the corpus, minutes)")
    ap.add_argument("--learner-phones", type=Path, nargs=2, metavar=("HALF0", "HALF1"),
                    help="also phone models retrained on the sentences with speaker half 0 / 1 "
                         "held out (space train-phones --learners --hold-out)")
    ap.add_argument("--speed", action="store_true")
    ARGS = ap.parse_args()
    main()
