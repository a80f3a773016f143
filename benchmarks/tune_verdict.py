"""Where the verdict names a sound: space.pronounce.verdict.judge.NAMED_BELOW, chosen on half of the
learners' speakers and measured on the other half.

    python benchmarks/tune_verdict.py [--budget 0.08]

Data: ../shared/data/speechocean762_words (benchmarks/learners.py). Each clip's evidence
is computed once; the verdict is re-judged at each threshold. Chosen on the even-numbered
speakers: the highest threshold at which at most ``--budget`` of the words all five
experts rated 10 get a sound named (a higher threshold names more real errors). Reported
on the odd-numbered speakers: that false-alarm rate, how often the first named sound is
one most experts marked wrong, and contradictions.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from learners import SR, load_items

from space.pronounce.verdict import judge as J


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=0.08)
    args = ap.parse_args()
    from space.errors import SpaceError
    from space.pronounce.assess import recognized
    from space.pronounce.evidence.sentence import assess_audio
    from space.pronounce.lexicon.text import text_phones, text_words

    items, evs = [], []
    for it in load_items():
        words = text_words(it["folder"])
        try:
            ev = assess_audio(it["y"], SR, words, pronunciations=text_phones(words))
        except SpaceError:
            continue
        items.append(it)
        evs.append((ev, recognized(words[0], it["y"], SR)))
    even = [int(it["speaker"]) % 2 == 0 for it in items]

    def measure(th: float, half: bool) -> tuple[float, float, int, int]:
        J.NAMED_BELOW = th
        fa, hit, bad = [], [], 0
        for it, (ev, heard), e in zip(items, evs, even, strict=True):
            if e != half:
                continue
            v = J.judge(ev, heard=heard)
            bad += bool(J.contradictions(v))
            named = [x.phone_index for x in v.errors if x.phone_index is not None]
            if it["all10"]:
                fa.append(bool(named))
            if it["wrong"] and v.errors and v.errors[0].phone_index is not None:
                hit.append(v.errors[0].phone_index in it["wrong"])
        return float(np.mean(fa)), float(np.mean(hit)) if hit else float("nan"), len(hit), bad

    grid = np.arange(5.0, 61.0, 2.5)
    ok = [th for th in grid if measure(th, True)[0] <= args.budget]
    best = max(ok) if ok else float(grid[0])
    print(f"### Where a sound is named (NAMED_BELOW), budget {args.budget:.0%} false alarms on "
          "words all experts rated 10\n")
    print("| threshold | speakers | sound named on all-10 words | first named = a phone most "
          "experts marked (n) | contradictions |\n|---|---|---|---|---|")
    for th in sorted({*grid[::4], best}):
        for half, name in ((True, "even (tuning)"), (False, "odd (held out)")):
            fa, hit, n, bad = measure(th, half)
            mark = " **chosen**" if th == best else ""
            print(f"| {th:g}{mark} | {name} | {fa:.0%} | {hit:.0%} ({n}) | {bad} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
