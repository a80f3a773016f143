"""Issue 21 trial: reject words never trained on from the network's *features* instead of
its outputs (not shipped unless it wins).

    python benchmarks/feature_ood_trial.py [--model commands] [--fr 0.03,0.1,0.2]

The third round compared scores computed from the outputs (top probability, logit margin,
max-logit, energy: ``voices.py --scores``) and found that every one ranks the clips alike.
Out-of-distribution detectors that read the penultimate features instead are often better
on near misses, so this measures the two standard ones on the shipped ``commands`` model:

- **Mahalanobis** (Lee et al. 2018): the distance of the clip's pooled embedding (global
  average + max pooling, the head's input) to the nearest command's mean, under one
  covariance shared by the classes (Ledoit-Wolf shrinkage), fitted on the Speech Commands
  subset's *training* commands (the model's own training clips; no other word);
- **k nearest neighbours** (Sun et al. 2022): the cosine distance of the normalised
  embedding to its k-th nearest training command (k = 10).

Each score accepts a clip when its top label is a command and the score is within a
threshold that turns away ``--fr`` of the test commands (chosen on the test clips, as in
``voices.py --scores``: the most any calibration could get); the top probability is
measured beside them in the same run. At the issue's 3% the top label alone already turns
away 2.9% of the test commands, so the looser points (10%, 20%) say which score ranks
the clips better. Columns: other words rejected (words the model
never trained on: FSDD's digits, the learners' digits, the test split's other words and
the learners' held-out other words), and the learners' correctly said commands turned
away.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from voices import (
    COMMANDS,
    SET_TITLES,
    SHARED,
    correct_learner_clips,
    open_set_scores,
    threshold_at,
    unknown_sets,
    window_batches,
)

ROOT = Path(__file__).resolve().parents[1]
K = 10


def embeddings(rec, examples) -> tuple[np.ndarray, np.ndarray]:
    """(pooled embeddings [n, d], logits [n, classes]) through the PyTorch model."""
    import torch

    m = rec.model
    zs, ls = [], []
    with torch.no_grad():
        for w in window_batches(rec, examples):
            x = m.cnn.embed(m.frontend(torch.from_numpy(w)))
            z = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
            zs.append(z.numpy())
            ls.append(m.cnn.head(z).numpy())
    return np.concatenate(zs), np.concatenate(ls)


class FeatureScores:
    """Mahalanobis and kNN scores fitted on the training commands' embeddings (higher =
    more like a command, like a probability)."""

    def __init__(self, z: np.ndarray, y: np.ndarray) -> None:
        from sklearn.covariance import LedoitWolf

        self.classes = np.unique(y)
        self.means = np.stack([z[y == c].mean(0) for c in self.classes])
        centred = z - self.means[np.searchsorted(self.classes, y)]
        self.precision = LedoitWolf().fit(centred).precision_
        self.bank = z / np.linalg.norm(z, axis=1, keepdims=True)

    def __call__(self, z: np.ndarray) -> dict[str, np.ndarray]:
        d = z[:, None, :] - self.means[None]
        maha = np.einsum("nkd,de,nke->nk", d, self.precision, d).min(1)
        u = z / np.linalg.norm(z, axis=1, keepdims=True)
        knn = np.sort(1.0 - u @ self.bank.T, axis=1)[:, K - 1]
        return {"Mahalanobis distance to the nearest command (negated)": -maha,
                f"cosine distance to the {K}th nearest training command (negated)": -knn}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="commands")
    ap.add_argument("--fr", default="0.03,0.1,0.2",
                    help="shares of the test commands turned away, comma-separated")
    ap.add_argument("--words", default=str(ROOT / "build" / "so762_words"))
    args = ap.parse_args()
    from space.data import Example
    from space.data.commands import command_splits
    from space.data.readers import SC_COMMANDS
    from space.recognize import load_model

    t0 = time.time()
    shared = Path(SHARED)
    sc, learners = shared / "speech_commands", shared / "speechocean762_words"
    rec = load_model(args.model)
    sets = unknown_sets(sc, shared / "sc_v1_words", shared / "fsdd", learners,
                        Path(args.words))
    names = ["fsdd_digits", "learner_digits", "sc_test_unknown",
             *(["words_report"] if "words_report" in sets else [])]
    sets["learner_commands"] = [Example(str(c["path"]), c["word"], c["speaker"])
                                for c in correct_learner_clips(learners, COMMANDS)]
    train = [e for e in command_splits(sc).train if e.label in SC_COMMANDS]
    z_train, _ = embeddings(rec, train)
    fit = FeatureScores(z_train, np.array([e.label for e in train]))
    top = "top probability (shipped rule)"
    scores = {}
    for k in ["test_commands", "learner_commands", *names]:
        z, logits = embeddings(rec, sets[k])
        p = open_set_scores(logits, rec.labels)[top]  # -inf where the top label is not a command
        scores[k] = {top: p, **{n: np.where(np.isfinite(p), v, -np.inf)
                                for n, v in fit(z).items()}}
    lines = [f"## Feature-space open-set scores (`{args.model}`; "
             "benchmarks/feature_ood_trial.py)", "",
             f"Fitted on the {len(train)} training commands of the Speech Commands subset. "
             f"Threshold: the share of the {len(sets['test_commands'])} test commands turned "
             "away (chosen on them). Columns: other words rejected; last, the learners' "
             "correctly said commands turned away.", "",
             "| test commands turned away | score | "
             + " | ".join(f"{SET_TITLES[k]} ({len(sets[k])})" for k in names)
             + f" | learners' correct commands turned away ({len(sets['learner_commands'])}) |",
             "|---" * (len(names) + 3) + "|"]
    for fr in (float(f) for f in args.fr.split(",")):
        for name, test in scores["test_commands"].items():
            t = threshold_at(test, fr)
            rej = " | ".join(f"{(scores[s][name] < t).mean():.1%}" for s in names)
            lines.append(f"| {fr:.0%} | {name} | {rej} | "
                         f"{(scores['learner_commands'][name] < t).mean():.1%} |")
    print("\n".join(lines))
    print(f"\n(ran {time.time() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
