"""Native anchors of the GOP scorer (space.pronounce.gop.GOP50 / GOP_SCALE).

    python benchmarks/gop_anchors.py [--per-word 25]

Per-phone GOP of native speakers: Speech Commands *validation* speakers (not the testing
speakers that benchmarks/word_match.py uses, not the learners), the first N clips of each
command word. Prints the distribution and the anchors it implies: GOP50 = native mean - 1.5
native SD (a phone that far below typical native speech scores 50), GOP_SCALE = SD / 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from space import audio
from space.errors import SpaceError
from space.pronounce import gop

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT.parent / "shared" / "data" / "speech_commands"
WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-word", type=int, default=25)
    args = ap.parse_args()
    val = set((SC / "validation_list.txt").read_text().split())
    g, scores, fails, cpu = [], [], 0, []
    for w in WORDS:
        files = sorted(p for p in (SC / w).glob("*.wav") if f"{w}/{p.name}" in val)
        for f in files[: args.per_word]:
            y, sr = audio.load(f, sr=16000)
            t = time.process_time()
            try:
                r = gop.goodness(y, sr, w)
            except SpaceError:
                fails += 1
                continue
            cpu.append(time.process_time() - t)
            g += [p.gop for p in r.phones]
            scores.append(r.score)
    g_arr = np.array(g)
    mu, sd = float(g_arr.mean()), float(g_arr.std())
    print(f"native clips: {len(scores)} scored, {fails} not aligned; {len(g_arr)} phones")
    print("| per-phone GOP | mean | SD | p10 | median | p90 |")
    print("|---|---|---|---|---|---|")
    print(f"| natives | {mu:.1f} | {sd:.1f} | {np.percentile(g_arr, 10):.1f} | "
          f"{np.median(g_arr):.1f} | {np.percentile(g_arr, 90):.1f} |")
    print(f"\nimplied GOP50 = {mu - 1.5 * sd:.1f}, GOP_SCALE = {sd / 2:.1f} "
          f"(shipped: {gop.GOP50}, {gop.GOP_SCALE})")
    print(f"native word score with the shipped anchors: median {np.median(scores):.0f}, "
          f"p10 {np.percentile(scores, 10):.0f}; CPU per clip median {1000 * np.median(cpu):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
