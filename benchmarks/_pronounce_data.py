"""Shared set-up of the pronunciation benchmarks: Speech Commands references and attempts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from space import audio
from space.data import speech_commands_splits
from space.data.readers import SC_COMMANDS
from space.pronounce.calibrate import set_distance
from space.pronounce.encoder import Featurizer, Utterance, load_encoder
from space.pronounce.medoids import medoids, pairwise

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT.parent / "shared" / "data" / "speech_commands"


@dataclass
class Clip:
    path: str
    word: str
    speaker: str
    utt: Utterance | None = None


def featurizer(encoder: str | None) -> Featurizer:
    return Featurizer(load_encoder(encoder)) if encoder else Featurizer()


def clips(split: str, words=SC_COMMANDS, limit: int | None = None, seed: int = 0) -> list[Clip]:
    s = speech_commands_splits(SC)
    out = [Clip(e.path, e.label, e.speaker or "") for e in s.get(split) if e.label in words]
    if limit is not None:
        rng = np.random.default_rng(seed)
        by: dict[str, list[Clip]] = {}
        for c in out:
            by.setdefault(c.word, []).append(c)
        out = []
        for w in sorted(by):
            idx = rng.permutation(len(by[w]))[:limit]
            out += [by[w][i] for i in sorted(idx)]
    return out


def embed(feat: Featurizer, cs: list[Clip]) -> None:
    for c in cs:
        y, sr = audio.load(c.path)
        c.utt = feat(y, sr, name=c.path)


def build_refs(cs: list[Clip], k: int) -> dict[str, list[Clip]]:
    refs = {}
    for w in sorted({c.word for c in cs}):
        group = [c for c in cs if c.word == w]
        d = pairwise([c.utt.frames for c in group])
        idx = medoids(d, k, speakers=[c.speaker for c in group])
        refs[w] = [group[i] for i in idx]
    return refs


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a same-word attempt > score of a different-word one), ties count half."""
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[pos, neg]))


def attempt_distances(attempts: list[Clip], refs: dict[str, list[Clip]]) -> tuple[
        np.ndarray, list[str]]:
    """[shape=(attempts, words)] set distances."""
    words = sorted(refs)
    flat = [r.utt.frames for w in words for r in refs[w]]
    d = pairwise([a.utt.frames for a in attempts], flat)
    ks = [len(refs[w]) for w in words]
    cols = np.cumsum([0, *ks])
    out = np.array([[set_distance(d[i, cols[j]:cols[j + 1]]) for j in range(len(words))]
                    for i in range(len(attempts))])
    return out, words


if __name__ == "__main__":
    import argparse

    import torch

    torch.set_num_threads(1)
    p = argparse.ArgumentParser()
    p.add_argument("--encoder")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--cands", type=int, default=120)
    args = p.parse_args()
    t0 = time.time()
    feat = featurizer(args.encoder)
    tr = clips("train", limit=args.cands)
    te = clips("test")
    embed(feat, tr)
    embed(feat, te)
    t1 = time.time()
    refs = build_refs(tr, args.k)
    t2 = time.time()
    D, words = attempt_distances(te, refs)
    truth = np.array([words.index(c.word) for c in te])
    pos = -D[np.arange(len(te)), truth]
    mask = np.ones_like(D, bool)
    mask[np.arange(len(te)), truth] = False
    neg = -D[mask]
    acc = float(np.mean(D.argmin(1) == truth))
    print(f"{feat.name} k={args.k}: AUC {auc(pos, neg):.4f}  nearest-word acc {acc:.3f}  "
          f"({len(te)} attempts; embed {t1 - t0:.0f}s medoids {t2 - t1:.0f}s)")
