"""Right word vs wrong word: does a scorer give an attempt at word W a higher score as W
than as another command word?

    python benchmarks/word_match.py [--scorers judge] [--per-word 20]

Attempts: Speech Commands *testing* speakers (never seen by any model here), ``--per-word``
clips of each of the ten command words, each scored as each of the ten words. Reports ROC
AUC of scores same-word vs different-word, and how often the
attempt's own word gets the highest score.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from _scorers import get_scorers, roc_auc

from space import audio
from space.data import speech_commands_splits
from space.data.readers import SC_COMMANDS

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT.parent / "shared" / "data" / "speech_commands"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorers", default="judge")
    ap.add_argument("--per-word", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    test = [e for e in speech_commands_splits(SC).test if e.label in SC_COMMANDS]
    clips = []
    for w in SC_COMMANDS:
        g = [e for e in test if e.label == w]
        clips += [g[i] for i in sorted(rng.permutation(len(g))[: args.per_word])]
    ys = [audio.load(e.path, sr=16000)[0] for e in clips]
    words = list(SC_COMMANDS)
    print(f"### Right vs wrong word: {len(clips)} attempts by Speech Commands testing speakers "
          f"x {len(words)} words\n")
    print("| scorer | ROC AUC same vs other word | own word scores highest | refused |")
    print("|---|---|---|---|")
    for sc in get_scorers(args.scorers):
        S = np.zeros((len(clips), len(words)))
        refused = 0
        for i, y in enumerate(ys):
            for j, w in enumerate(words):
                r = sc(y, 16000, w)
                S[i, j] = r.score
                refused += r.error is not None
        truth = np.array([words.index(e.label) for e in clips])
        same = np.zeros_like(S, bool)
        same[np.arange(len(clips)), truth] = True
        auc = roc_auc(S[same], S[~same])
        top = float(np.mean(S.argmax(1) == truth))
        print(f"| {sc.name} | {auc:.3f} | {top:.1%} | {refused}/{S.size} |")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / f"word_match_{sc.name}.json").write_text(
            json.dumps({"auc": auc, "top1": top, "n": len(clips), "refused": refused}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
