"""The scorer fitted on the experts: phone features -> phone, word and sentence scores.

Three small networks (each a standardisation, optional ReLU hidden layers and a sigmoid
output scaled to 0-100), stored as plain JSON weights in ``src/space/models/scorer.json``
(no pickle: the file loads with any numpy), fitted by :mod:`space.training.scorer` on the
speechocean762 experts' marks:

* phone: the per-phone features of :mod:`.gop_features` -> the experts' mean phone mark
  (right 2, accented 1, wrong 0; x50);
* word: :func:`word_features` (its phones' scores and features) -> the experts' median
  word accuracy x10;
* sentence: :func:`sentence_features` (its words' scores) -> the experts' median sentence
  accuracy x10.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError

FORMAT = "space-expert-scorer"
VERSION = 1
WORD_NAMES = ("mean", "min", "max", "std", "n_phones", "lpr_mean", "lpr_min", "sil_mean",
              "log_dur", "low_share")
SENTENCE_NAMES = ("mean", "min", "std", "low_share", "phone_mean", "phone_min", "n_words")


@dataclass(frozen=True)
class Net:
    """Standardise, ReLU hidden layers, a linear output, then x100 through a sigmoid
    (``out="sigmoid"``) or clipped to 0-100 (``out="clip"``)."""

    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    out: str = "sigmoid"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Features [shape=(n, d)] -> scores 0-100 [shape=(n,)]."""
        h = (np.asarray(x, np.float64) - self.mean) / self.scale
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        if self.out == "clip":
            return np.clip(100.0 * h[:, 0], 0.0, 100.0)
        return 100.0 / (1.0 + np.exp(-np.clip(h[:, 0], -40, 40)))

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "out": self.out,
                "layers": [[w.tolist(), b.tolist()] for w, b in self.layers]}

    @classmethod
    def from_dict(cls, d: dict[str, Any], n_in: int) -> Net:
        layers = tuple((np.asarray(w, np.float64), np.asarray(b, np.float64))
                       for w, b in d["layers"])
        net = cls(np.asarray(d["mean"], np.float64), np.asarray(d["scale"], np.float64), layers,
                  str(d.get("out", "sigmoid")))
        dims = [n_in] + [w.shape[1] for w, _ in layers]
        ok = (net.out in ("sigmoid", "clip") and net.mean.shape == net.scale.shape == (n_in,)
              and layers and dims[-1] == 1
              and all(w.shape == (a, b.shape[0]) for (w, b), a in zip(layers, dims, strict=False)))
        if not ok:
            raise ValueError("layer shapes do not chain")
        return net


@dataclass(frozen=True)
class Scorer:
    phone: Net
    word: Net
    sentence: Net
    meta: dict[str, Any]


def word_features(phone_scores: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """One word's features [shape=(len(WORD_NAMES),)] from its phones' scores
    [shape=(k,)] and :func:`.gop_features.phone_features` rows [shape=(k, d)]."""
    s = np.asarray(phone_scores, np.float64)
    return np.array([s.mean(), s.min(), s.max(), s.std(), len(s), feats[:, 1].mean(),
                     feats[:, 1].min(), feats[:, 5].mean(), np.log(np.exp(feats[:, 6]).sum()),
                     (s < 50).mean()])


def sentence_features(word_scores: np.ndarray, phone_scores: np.ndarray) -> np.ndarray:
    """A sentence's features [shape=(len(SENTENCE_NAMES),)] from its words' and phones'
    scores."""
    w = np.asarray(word_scores, np.float64)
    p = np.asarray(phone_scores, np.float64)
    return np.array([w.mean(), w.min(), w.std(), (w < 70).mean(), p.mean(), p.min(), len(w)])


def bundled_path() -> Path:
    return Path(str(resources.files("space") / "models" / "scorer.json"))


def save(scorer: Scorer, path: str | os.PathLike) -> Path:
    """Write the scorer as JSON, atomically."""
    from ...io import save_json

    return save_json({"format": FORMAT, "version": VERSION, "meta": scorer.meta,
                      "phone": scorer.phone.to_dict(), "word": scorer.word.to_dict(),
                      "sentence": scorer.sentence.to_dict()}, path, indent=None)


def load(path: str | os.PathLike | None = None) -> Scorer:
    """Read a scorer file (the bundled one by default). Raises :class:`ModelError`."""
    from .gop_features import N_FEATURES

    p = Path(path) if path is not None else bundled_path()
    try:
        d = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"{p}: cannot read the pronunciation scorer ({e})") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT or d.get("version") != VERSION:
        raise ModelError(f"{p}: not a {FORMAT} v{VERSION} file (rebuild it with make models)")
    try:
        return Scorer(Net.from_dict(d["phone"], N_FEATURES),
                      Net.from_dict(d["word"], len(WORD_NAMES)),
                      Net.from_dict(d["sentence"], len(SENTENCE_NAMES)), dict(d.get("meta", {})))
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{p}: damaged pronunciation scorer ({e})") from None


@lru_cache(maxsize=1)
def bundled() -> Scorer:
    return load()
