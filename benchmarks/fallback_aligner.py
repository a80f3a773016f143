"""Which net should align the learners' sentences PocketSphinx cannot? (issue 21, sixteenth
round)

    PYTHONPATH=src python benchmarks/fallback_aligner.py [--n 300] [--cache build/so762]

``space.training.learner_labels`` aligns about 385 of the 2,500 speechocean762 sentences,
those PocketSphinx finds no alignment of, with the bundled phone net (``phones_learners.pt``
as committed: the previous build's) and the Viterbi aligner. The only net the build makes
before those labels is ``phones.pt``. Neither answer can be checked on the 385 themselves,
so each net aligns ``--n`` sentences that PocketSphinx *did* align, of speakers the
committed ``phones_learners.pt`` never trained on (its ``val_speakers``), and its phone
start times are compared with PocketSphinx's. Needs ``build/so762`` (``make
build/so762/align.json``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _common import describe

from space.data import speechocean as so
from space.errors import DataError
from space.pronounce.evidence.acoustic import Acoustic
from space.pronounce.evidence.gop_features import SIL
from space.pronounce.evidence.phone_model import load_phone_model
from space.pronounce.evidence.viterbi import align_sentence
from space.pronounce.lexicon.phones import PHONES
from space.training.learner_labels import load_alignment

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "src" / "space" / "models"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="sentences (default 300)")
    ap.add_argument("--cache", type=Path, default=ROOT / "build" / "so762")
    ap.add_argument("--root", type=Path, default=so.DEFAULT_ROOT)
    args = ap.parse_args()
    try:
        utts_done = load_alignment(args.cache)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    nets = {name: Acoustic(load_phone_model(MODELS / name))
            for name in ("phones.pt", "phones_learners.pt")}
    held = set(nets["phones_learners.pt"].model.meta["val_speakers"])
    utts = [u for u in so.utterances(args.root)
            if u.speaker in held and utts_done.get(u.utt, {}).get("aligner") == "pocketsphinx"]
    utts = utts[:: max(1, len(utts) // args.n)][: args.n]  # spread over the speakers
    off: dict[str, list[np.ndarray]] = {k: [] for k in nets}
    for u, y in so.iter_audio(utts, args.cache):
        words = [[PHONES.index(p) for p in w.phones] for w in u.words]
        ref = np.array([p[1] for w in utts_done[u.utt]["words"] for p in w["phones"]])
        for name, net in nets.items():
            fr = net(y, so.SR)
            spans = align_sentence(fr.logp, words, SIL)
            starts = np.array([fr.time(a - 0.5) for w in spans for a, _ in w])
            off[name].append(np.abs(starts - ref))
    print(f"## Fallback aligner against PocketSphinx ({len(utts)} sentences of "
          f"{len({u.speaker for u in utts})} speakers `phones_learners.pt` never trained on)\n")
    print(describe() + "\n")
    print("| net | phone starts within 20 ms | within 50 ms | median off | "
          "sentences with a start > 200 ms off |")
    print("|---|---|---|---|---|")
    for name, v in off.items():
        a = np.concatenate(v)
        print(f"| {name} | {np.mean(a <= 0.02):.1%} | {np.mean(a <= 0.05):.1%} | "
              f"{np.median(a) * 1000:.0f} ms | {np.mean([x.max() > 0.2 for x in v]):.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
