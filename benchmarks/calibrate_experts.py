"""Fit (and check) the map from SPACE's anchor score to the experts' scale.

    python benchmarks/calibrate_experts.py [--write] [--out DIR]

Data:
- the learners: ../shared/data/speechocean762_words (679 clips, 121 speakers), target the
  experts' median word accuracy x10;
- wrong-word anchors: Speech Commands *validation* speakers (not the testing speakers of
  benchmarks/word_match.py), 20 clips of each command word scored against another command
  word's references, target 25: the experts' rubric gives 2-3 to a word "said as another
  word". Without them the learners alone (almost all 10/10) would send even a different
  word to about 90.

Method: a strictly increasing logistic ``100 * (c + (1 - c) * sigmoid(a * (s - b)))``
(weighted least squares, the two populations each with total weight 1 by default: how
often a learner says another word is unknown, so neither clip count decides the map;
:class:`space.pronounce.calibrate.ExpertsMap`) on the *anchor score*
(``Calibration.score(distance)``, what ``score`` reported before the map). Checked with
5-fold cross-validation by speaker (learners and anchor speakers both held out): mean
absolute error to the experts' scale, median score per class, Pearson r and AUC before
and after. ``--write`` fits on all the data and writes src/space/models/experts_map.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

import numpy as np
from _scorers import roc_auc

import space
from space import audio
from space.data import speech_commands_splits
from space.data.readers import SC_COMMANDS
from space.pronounce.calibrate import EXPERTS_MAP, ExpertsMap

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT.parent / "shared" / "data" / "speech_commands"
WRONG_WORD_TARGET = 25.0
WRONG_WORD_WEIGHT = 1.0


WITH_GOP = False  # --with-gop: map the mean of the anchor score and ps-gop instead


def anchor_score(y: np.ndarray, sr: int, word: str) -> float:
    """The score before the experts' map (the reference set's anchors alone); with
    --with-gop the untuned mean of it and space.pronounce.gop's word score (no forced
    alignment: the anchor score alone), i.e. benchmarks' ps-gop-mean before the map."""
    r = space.score(y, sr=sr, word=word)
    s = float(r.calibration.score(r.distance))
    if WITH_GOP:
        from space.pronounce.gop import goodness

        try:
            s = 0.5 * (s + goodness(y, sr, word).score)
        except space.SpaceError:
            pass
    return s


def learner_data() -> dict[str, np.ndarray]:
    import learners

    items = learners.load_items()
    s = []
    for it in items:
        try:
            s.append(anchor_score(it["y"], learners.SR, it["folder"]))
        except space.SpaceError:
            s.append(0.0)
    return {"score": np.array(s), "target": 10 * np.array([it["median"] for it in items]),
            "group": np.array([f"learner:{it['speaker']}" for it in items]),
            "cls": np.array([{10.0: "correct"}.get(it["median"], "accented" if it["median"] >= 7
                                                    else "mispronounced") for it in items])}


def native_data(per_word: int = 20) -> dict[str, np.ndarray]:
    """Speech Commands validation clips scored against another command word (the anchors,
    target 25) and against their own word (a check only: class 'native', not fitted)."""
    val = [e for e in speech_commands_splits(SC).val if e.label in SC_COMMANDS]
    words = list(SC_COMMANDS)
    s, g, c = [], [], []
    for i, w in enumerate(words):
        clips = sorted((e for e in val if e.label == w), key=lambda e: str(e.path))[:per_word]
        for k, e in enumerate(clips):
            other = words[(i + 1 + k % (len(words) - 1)) % len(words)]
            y, sr = audio.load(e.path, sr=16000)
            for target_word, cls in ((other, "wrong word"), (w, "native")):
                try:
                    s.append(anchor_score(y, sr, target_word))
                except space.SpaceError:
                    s.append(0.0)
                g.append(f"sc:{Path(e.path).name.split('_')[0]}")
                c.append(cls)
    cls_arr = np.array(c)
    return {"score": np.array(s), "group": np.array(g), "cls": cls_arr,
            "target": np.where(cls_arr == "native", 100.0, WRONG_WORD_TARGET)}


def fit(score: np.ndarray, target: np.ndarray, weight: np.ndarray) -> ExpertsMap:
    """Weighted least-squares logistic (weights: each clip's share of its population)."""
    from scipy.optimize import curve_fit

    def f(x, a, b, c):  # noqa: ANN001, ANN202
        return 100 * (c + (1 - c) / (1 + np.exp(-a * (x - b))))

    p, _ = curve_fit(f, score, target, p0=[0.05, 20.0, 0.1], sigma=1 / np.sqrt(weight),
                     bounds=([1e-3, -100.0, 0.0], [1.0, 100.0, 0.95]), maxfev=20000)
    return ExpertsMap(float(p[0]), float(p[1]), float(p[2]))


def figures(pred: np.ndarray, d: dict[str, np.ndarray], learner: np.ndarray) -> dict:
    t, cls = d["target"][learner], d["cls"][learner]
    p = pred[learner]
    out = {"mae": float(np.mean(np.abs(p - t))), "pearson": float(np.corrcoef(p, t)[0, 1]),
           "auc": roc_auc(p[t == 100], p[t <= 60])}
    for c in ("correct", "accented", "mispronounced"):
        out[f"median_{c}"] = float(np.median(p[cls == c]))
    for c, key in (("wrong word", "median_wrong_word"), ("native", "median_native")):
        m = d["cls"] == c
        out[key] = float(np.median(pred[m])) if m.any() else float("nan")
    return out


def main() -> int:
    from sklearn.model_selection import GroupKFold

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="write the shipped map")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--wrong-weight", type=float, default=WRONG_WORD_WEIGHT,
                    help="total weight of the wrong-word anchors relative to the learners")
    ap.add_argument("--cache", help="npz of the scores (made if missing): refit without rescoring")
    ap.add_argument("--with-gop", action="store_true",
                    help="map the mean of the anchor score and ps-gop (not what score ships)")
    args = ap.parse_args()
    global WITH_GOP
    WITH_GOP = args.with_gop
    if args.with_gop and args.write:
        raise SystemExit("--with-gop is a measurement: score() does not compute GOP; no --write")
    if args.cache and Path(args.cache).exists():
        z = np.load(args.cache)
        d = {k: z[k] for k in ("score", "target", "group", "cls")}
    else:
        L, W = learner_data(), native_data()
        d = {k: np.r_[L[k], W[k]] for k in L}
        if args.cache:
            np.savez(args.cache, **d)
    learner = ~np.char.startswith(d["group"].astype(str), "sc:")
    wrong = d["cls"] == "wrong word"
    n_l, n_w = int(learner.sum()), int(wrong.sum())
    # Each population gets a total weight (learners 1, wrong words --wrong-weight): how
    # often a learner says another word is unknown, so neither count decides the map.
    # Natives said right are only checked (weight 0 would divide by zero in curve_fit's
    # sigma): they are left out of every fit.
    used = learner | wrong
    weight = np.where(learner, 1.0 / n_l, args.wrong_weight / n_w) * int(used.sum())
    cv = np.zeros(len(d["score"]))
    fold_auc = []
    for tr, te in GroupKFold(5).split(d["score"], groups=d["group"]):
        tr = tr[used[tr]]
        m = fit(d["score"][tr], d["target"][tr], weight[tr])
        cv[te] = m(d["score"][te])
        lt = te[learner[te]]
        fold_auc.append(roc_auc(cv[lt][d["target"][lt] == 100], cv[lt][d["target"][lt] <= 60]))
    before, after = figures(d["score"], d, learner), figures(cv, d, learner)
    m_all = fit(d["score"][used], d["target"][used], weight[used])
    n_spk = len(set(d["group"][learner]))
    print(f"### Calibration to the experts' scale: {n_l} learners' clips "
          f"({n_spk} speakers) + {n_w} wrong-word anchors (target "
          f"{WRONG_WORD_TARGET:.0f}, total weight {args.wrong_weight:g} x the learners'); "
          "5-fold CV by speaker\n")
    print("| | MAE to experts x10 | median: learners correct | accented | mispronounced | "
          "natives, right word (check) | wrong word | Pearson r | AUC 10 vs <=6 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, f in (("before (anchor score)", before), ("after (held-out map)", after)):
        print(f"| {name} | {f['mae']:.1f} | {f['median_correct']:.0f} | "
              f"{f['median_accented']:.0f} | {f['median_mispronounced']:.0f} | "
              f"{f['median_native']:.0f} | {f['median_wrong_word']:.0f} | "
              f"{f['pearson']:.3f} | {f['auc']:.3f} |")
    print(f"\nAUC inside each held-out fold (the same before and after that fold's map, which "
          f"keeps the order): mean {np.nanmean(fold_auc):.3f}. The pooled held-out AUC above "
          "changes only because five slightly different maps are pooled; the shipped map "
          "(one map) leaves every AUC and win rate as it was.")
    grid = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    print(f"\nmap fitted on all the data: a={m_all.a:.4f} b={m_all.b:.2f} c={m_all.c:.3f}")
    print("| anchor score | " + " | ".join(str(x) for x in grid) + " |")
    print("|---" * (len(grid) + 1) + "|")
    print("| experts' scale | " + " | ".join(f"{m_all(x):.0f}" for x in grid) + " |")
    meta = {
        "applies_to": "the anchor score Calibration.score(distance) of pronounce/scoring.score",
        "data": f"speechocean762_words ({n_l} clips, {n_spk} speakers; target "
                f"experts' median x10) + {n_w} Speech Commands validation clips scored "
                f"against another command word (target {WRONG_WORD_TARGET:.0f}: rubric 2-3 "
                f"'said as another word'); total weight of the anchors {args.wrong_weight:g} x "
                "the learners'",
        "fit": "weighted least squares (scipy.optimize.curve_fit), CV by speaker; "
               "benchmarks/calibrate_experts.py",
        "date": datetime.date.today().isoformat(),
        "space_version": space.__version__,
        "cv_by_speaker": {"before": before, "after": after},
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "calibrate_experts.json").write_text(json.dumps(
        {"before": before, "after": after, "fold_auc": fold_auc,
         "map": {"a": m_all.a, "b": m_all.b, "c": m_all.c}}, indent=1))
    if args.write:
        from space.io import save_json

        mp = ExpertsMap(m_all.a, m_all.b, m_all.c, tuple(meta.items()))
        save_json(mp.to_dict(), EXPERTS_MAP)
        print(f"\nwrote {EXPERTS_MAP}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
