"""Evaluation: accuracy, per-class precision/recall/F1, confusion matrix, misclassified files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...data import ClipDataset, Example
from ...errors import SpaceError
from .recognizer import Recognizer


@dataclass
class Report:
    """What :func:`evaluate` measured. ``to_dict()`` is the ``--json`` output."""

    labels: list[str]
    accuracy: float
    n: int
    per_class: dict[str, dict[str, float]]
    confusion: np.ndarray  # [shape=(classes, classes)], rows true, columns predicted
    misclassified: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "correct": int(round(self.accuracy * self.n)),
            "labels": self.labels,
            "per_class": self.per_class,
            "confusion_matrix": self.confusion.tolist(),
            "misclassified": self.misclassified,
            "skipped": self.skipped,
        }

    def text(self) -> str:
        lines = [f"accuracy: {self.accuracy:.4f} ({int(round(self.accuracy * self.n))}/{self.n})",
                 f"{'label':>12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
        for lab in self.labels:
            c = self.per_class[lab]
            lines.append(f"{lab:>12} {c['precision']:9.3f} {c['recall']:9.3f} "
                         f"{c['f1']:9.3f} {int(c['support']):8d}")
        if self.misclassified:
            lines.append(f"misclassified: {len(self.misclassified)}")
        if self.skipped:
            lines.append(f"skipped (unusable files): {len(self.skipped)}")
        return "\n".join(lines)


def evaluate(rec: Recognizer, examples: list[Example], *, batch_size: int = 128,
             progress: bool = False) -> Report:
    """Run ``rec`` over labelled examples (the same front end as prediction).

    Examples whose label the model does not know are an error; unreadable files are
    skipped and listed in ``Report.skipped``.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    from tqdm import tqdm

    unknown = sorted({e.label for e in examples} - set(rec.labels))
    if unknown:
        raise SpaceError(f"the data has labels the model does not know: {', '.join(unknown)} "
                         f"(model labels: {', '.join(rec.labels)})")
    if not examples:
        raise SpaceError("no examples to evaluate")
    ds = ClipDataset(examples, rec.labels, rec.feature_cfg)
    windows, targets, kept, skipped = [], [], [], []
    for i in tqdm(range(len(ds)), desc="loading", disable=not progress, leave=False):
        try:
            w, t = ds[i]
        except SpaceError as e:
            skipped.append({"file": examples[i].path, "error": str(e)})
            continue
        windows.append(w.numpy())
        targets.append(t)
        kept.append(examples[i])
    if not windows:
        raise SpaceError("none of the examples could be read")
    probs = rec.probabilities(windows, batch_size=batch_size)
    pred = probs.argmax(1)
    y = np.array(targets)
    idx = list(range(len(rec.labels)))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=idx, zero_division=0)
    per_class = {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                       "support": int(s[i])} for i, lab in enumerate(rec.labels)}
    mis = [{"file": kept[i].path, "true": rec.labels[y[i]], "predicted": rec.labels[pred[i]],
            "probability": float(probs[i, pred[i]])} for i in np.nonzero(pred != y)[0]]
    return Report(list(rec.labels), float(np.mean(pred == y)), len(y), per_class,
                  confusion_matrix(y, pred, labels=idx), mis, skipped)
