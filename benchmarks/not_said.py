"""Words of the text the learner did not say: how often the evidence calls them not said,
and how often it says so of words the learner did say.

    PYTHONPATH=src python benchmarks/not_said.py [--n 400] [--cache build/so762]

Data: speechocean762's training split (``../shared/data/speechocean762_train``). For each of
``--n`` sentences (a fixed shuffle): its own words, each with the experts' word accuracy,
and the same audio with one word of another sentence put into the text, at the end or in
the middle (a word the learner skipped). ``NOT_SAID_LPR``
(:mod:`space.pronounce.evidence.sentence`) is chosen on speaker half 0 (the highest catch
with at most 1% of the words experts rated >= 8 called not said) and reported on half 1,
then the other way round. The shipped phone net and scorer saw these speakers; the rule's
two inputs (phone lengths, log posterior ratios) are not fitted on the experts.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from _common import describe

from space.data import speechocean as so
from space.pronounce.evidence import sentence as S
from space.pronounce.evidence.acoustic import acoustic
from space.pronounce.evidence.gop_features import PHONES, phone_features
from space.pronounce.evidence.viterbi import align_sentence
from space.pronounce.lexicon.text import text_phones

SIL = len(PHONES)


def word_rows(y: np.ndarray, words: list[str]) -> list[dict]:
    """Per word of ``words``: every phone at the minimum length, mean log posterior ratio,
    and whether the shipped evidence calls it said."""
    ph = text_phones(words)
    idx = [[PHONES.index(p) for p in w] for w in ph]
    fr = acoustic()(y, 16000, name="attempt")
    spans = align_sentence(fr.logp, idx, SIL, min_frames=S.MIN_FRAMES, loud=fr.loud)
    ev = S.assess_audio(y, 16000, words, pronunciations=ph)
    out = []
    for i, sp, w in zip(idx, spans, ev.words, strict=True):
        f = phone_features(fr.logp, i, sp)
        out.append({"squeezed": all(b - a <= S.MIN_FRAMES for a, b in sp),
                    "lpr": float(f[:, 1].mean()), "score": w.score, "said": w.said})
    return out


def collect(n: int, cache: str, seed: int = 1) -> list[dict]:
    utts = list(so.utterances())
    random.Random(seed).shuffle(utts)
    rng = random.Random(seed + 1)
    half = so.speaker_folds(utts, 2)
    rows = []
    for u in utts[:n]:
        y = so.cached_audio(u, cache)
        words = [w.text.lower() for w in u.words]
        other = rng.choice(utts).words[0].text.lower()
        k = len(words) if len(words) <= 2 or rng.random() < 0.5 else rng.randrange(1, len(words))
        try:
            base = word_rows(y, words)
            skipped = word_rows(y, words[:k] + [other] + words[k:])[k]
        except Exception:  # a word outside CMUdict in the corpus's text
            continue
        for w, r in zip(u.words, base, strict=True):
            rows.append({**r, "skipped": False, "acc": w.accuracy, "half": half[u.speaker]})
        rows.append({**skipped, "skipped": True, "acc": 0.0, "half": half[u.speaker],
                     "where": "end" if k == len(words) else "middle"})
    return rows


def rate(rows: list[dict], rule) -> float:
    return float(np.mean([rule(r) for r in rows])) if rows else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--cache", default="build/so762",
                    help="decoded audio (make models' build/so762; written if missing)")
    args = ap.parse_args()
    rows = collect(args.n, args.cache)
    good = [r for r in rows if not r["skipped"] and r["acc"] >= 8]
    real = [r for r in rows if not r["skipped"]]
    skipped = [r for r in rows if r["skipped"]]
    print(f"{len(real)} words said ({len(good)} rated >= 8), {len(skipped)} skipped words "
          f"({sum(r.get('where') == 'middle' for r in skipped)} in the middle)\n")
    print("| rule | chosen on | skipped words called not said (held-out half) | words rated >= 8 "
          "called not said (held-out half) |")
    print("|---|---|---|---|")
    for tune in (0, 1):
        pick = None
        for t in np.arange(-1.0, -6.01, -0.25):
            def rule(r: dict, t: float = t) -> bool:
                return r["squeezed"] and r["lpr"] < t
            if rate([r for r in good if r["half"] == tune], rule) <= 0.01:
                pick = t
                break
        assert pick is not None

        def rule(r: dict, t: float = pick) -> bool:
            return r["squeezed"] and r["lpr"] < t
        test = [r for r in skipped if r["half"] != tune]
        print(f"| every phone at the minimum, lpr < {pick:.2f} | half {tune} | "
              f"{rate(test, rule):.0%} | {rate([r for r in good if r['half'] != tune], rule):.1%} |")
    print(f"| shipped (NOT_SAID_LPR = {S.NOT_SAID_LPR}, and the score rule) | - | "
          f"{rate(skipped, lambda r: not r['said']):.0%} (both halves) | "
          f"{rate(good, lambda r: not r['said']):.1%} (both halves) |")
    print(f"| fitted word score < 50 | - | {rate(skipped, lambda r: r['score'] < 50):.0%} | "
          f"{rate(good, lambda r: r['score'] < 50):.1%} |")
    print(f"\nmedian fitted word score of a skipped word: "
          f"{np.median([r['score'] for r in skipped]):.0f}\n")
    print(describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
