"""Where the verdict names a sound: space.pronounce.verdict.judge.NAMED_BELOW, chosen on some of the
learners' speakers and measured on the others, with models that never saw the speaker.

    SPACE_BENCH_HALVES=DIR python benchmarks/tune_verdict.py [--budget 0.08]

Data: ../shared/data/speechocean762_words (benchmarks/learners.py). Each clip's evidence
is computed once, as ``space.score`` computes it (cut to its speech, the recording's
quality, the heard-word check), by a phone model and a scorer fitted without the clip's
speaker (``$SPACE_BENCH_HALVES``: see ``_scorers.JudgeHeldOut``); the verdict is re-judged
at each threshold. Speakers in five folds (:func:`space.data.speechocean.speaker_folds`):
the threshold is chosen on folds 0-2, the highest at which at most ``--budget`` of the
words all five experts rated 10 get a sound named (a higher threshold names more real
errors); reported on folds 3-4: that false-alarm rate, how often the first named sound is
one most experts marked wrong, and contradictions.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _scorers import JudgeHeldOut
from learners import SR, load_items

from space.pronounce.verdict import judge as J


def evidence(items: list[dict]) -> list[tuple[dict, object, object, str]]:
    """``(item, evidence, heard, quality label)`` of each clip ``space.score`` can score."""
    from space.audio import trim_silence
    from space.errors import SpaceError
    from space.pronounce.assess import recognized
    from space.pronounce.evidence import acoustic, experts
    from space.pronounce.evidence.quality import estimate_snr, recording_quality
    from space.pronounce.evidence.sentence import assess_audio
    from space.pronounce.lexicon.text import text_phones, text_words

    held = JudgeHeldOut()
    out = []
    for it in items:
        ac, sc = held.models[held.half[it["speaker"]]]
        acoustic._shared, experts.bundled = ac, (lambda sc=sc: sc)
        words = text_words(it["folder"])
        try:
            cut, _ = trim_silence(it["y"], SR)
            ev = assess_audio(cut, SR, words, pronunciations=text_phones(words))
        except SpaceError:
            continue
        q = recording_quality(it["y"], SR, snr_db=estimate_snr(it["y"], SR))
        out.append((it, ev, recognized(words[0], cut, SR), q.label))
    return out


def measure(evs: list, th: float, folds: set[int], fold_of: dict[str, int]
            ) -> tuple[float, float, int, int, int]:
    """False alarms on all-10 words, first named = experts' wrong phone (n), contradictions,
    words judged, at threshold ``th`` on the speakers of ``folds``."""
    J.NAMED_BELOW = th
    fa, hit, bad, n = [], [], 0, 0
    for it, ev, heard, q in evs:
        if fold_of[it["speaker"]] not in folds:
            continue
        n += 1
        v = J.judge(ev, heard=heard, quality_label=q)
        bad += bool(J.contradictions(v))
        if it["all10"]:
            fa.append(any(x.phone_index is not None for x in v.errors))
        if it["wrong"] and v.errors and v.errors[0].phone_index is not None:
            hit.append(v.errors[0].phone_index in it["wrong"])
    return (float(np.mean(fa)), float(np.mean(hit)) if hit else float("nan"), len(hit), bad,
            n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=0.08)
    args = ap.parse_args()
    from space.data import speechocean as so

    fold_of = so.speaker_folds(so.utterances(), 5)
    shipped = J.NAMED_BELOW
    evs = evidence(load_items())
    tune, test = {0, 1, 2}, {3, 4}
    grid = np.arange(5.0, 91.0, 2.5)
    ok = [th for th in grid if measure(evs, th, tune, fold_of)[0] <= args.budget]
    best = max(ok) if ok else float(grid[0])
    print(f"### Where a sound is named (NAMED_BELOW), budget {args.budget:.0%} false alarms on "
          "words all experts rated 10; models fitted without the clip's speaker\n")
    print("| threshold | speakers (clips) | sound named on all-10 words | first named = a phone "
          "most experts marked (n) | contradictions |\n|---|---|---|---|---|")
    for th in sorted({*grid[::4], *grid[-8:], best, shipped}):
        for folds, name in ((tune, "folds 0-2 (tuning)"), (test, "folds 3-4 (held out)")):
            fa, hit, n, bad, k = measure(evs, th, folds, fold_of)
            mark = (" **chosen**" if th == best else "") + (" (shipped)" if th == shipped else "")
            print(f"| {th:g}{mark} | {name} ({k}) | {fa:.0%} | {hit:.0%} ({n}) | {bad} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
