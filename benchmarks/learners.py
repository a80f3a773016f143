"""Real learners against expert judges: speechocean762's digit and command words.

    python benchmarks/learners.py [--scorers judge,judge-heldout] [--folds 5] [--out DIR]

Data: ../shared/data/speechocean762_words (679 clips of Mandarin-L1 learners, each word
scored 0-10 by five experts; see its README). Each clip is scored as its word. Cross-
validated by speaker: a scorer with a ``fit`` step is fitted on
the other folds' speakers only (GroupKFold by speaker id) and measured on the held-out
speakers; a scorer without one (today's space.score) is never tuned on these clips.

Reported: Pearson r with the experts' median (command words, digit words, all), ROC AUC
correct (median 10) vs mispronounced (median <= 6); and for each phone marked wrong
(``(X)``) by a majority (>= 3 of 5) of the experts: for a phone scorer, whether its
lowest-scored phone is that phone; for any scorer, whether the span it blames most
overlaps that phone's span in the clip (PocketSphinx forced alignment).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from _scorers import Scored, get_scorers, roc_auc

from space import audio
from space.pronounce.lexicon.phones import pronunciation
from space.pronounce.lexicon.pocketsphinx import align

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "speechocean762_words"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
COMMANDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
SR = 16000
TOKEN = re.compile(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|\S+")


def folder(word: str) -> str:
    """The bundled references' folder of a spoken word ('three' -> '3')."""
    return str(DIGITS.index(word)) if word in DIGITS else word


def wrong_phones(expert_strings: list[str], canon: list[str], majority: int = 3) -> list[int]:
    """Canonical phone indices that at least ``majority`` experts marked wrong ``(X)``.

    An expert's phones are matched to the canonical (CMUdict) ones by name and occurrence
    (the second 'N' of 'nine' is the second 'N'); inserted phones ``[X]`` and extended
    phones that CMUdict lacks (IR, AX, ...) are not matched."""
    votes: Counter[int] = Counter()
    for s in expert_strings:
        seen: Counter[str] = Counter()
        marked: set[int] = set()
        for tok in TOKEN.findall(s):
            if tok.startswith("["):
                continue
            bad = tok.startswith("(")
            name = tok.strip("(){}").strip().rstrip("012")
            k = seen[name]
            seen[name] += 1
            occ = [i for i, p in enumerate(canon) if p == name]
            if bad and k < len(occ):
                marked.add(occ[k])
        votes.update(marked)
    return sorted(i for i, v in votes.items() if v >= majority)


def load_items() -> list[dict]:
    labels = json.loads((DATA / "labels.json").read_text())["clips"]
    items = []
    for rel, lab in sorted(labels.items()):
        y, _ = audio.load(DATA / rel, sr=SR)
        canon = pronunciation(lab["word"]) or []
        items.append({"path": rel, "word": lab["word"], "folder": folder(lab["word"]),
                      "speaker": lab["speaker"], "median": float(lab["accuracy_median"]),
                      "all10": all(a == 10 for a in lab["accuracy"]),
                      "cls": lab["class"], "y": y, "canon": canon,
                      "wrong": wrong_phones(lab["phones"], canon)})
    return items


def pearson(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def run(scorer, items: list[dict], folds: int) -> tuple[list[Scored], float, float]:
    """Held-out scores, mean wall ms per clip, median CPU ms per clip (process time)."""
    from sklearn.model_selection import GroupKFold

    out: list[Scored | None] = [None] * len(items)
    cpu: list[float] = []

    def call(i: int) -> Scored:
        t = time.process_time()
        if getattr(scorer, "by_speaker", False):  # models that did not see this speaker
            r = scorer(items[i]["y"], SR, items[i]["folder"], speaker=items[i]["speaker"])
        else:
            r = scorer(items[i]["y"], SR, items[i]["folder"])
        cpu.append(time.process_time() - t)
        return r

    t0 = time.perf_counter()
    groups = [it["speaker"] for it in items]
    if hasattr(scorer, "fit"):
        for tr, te in GroupKFold(folds).split(items, groups=groups):
            scorer.fit([(items[i]["y"], SR, items[i]["folder"], items[i]["median"]) for i in tr])
            for i in te:
                out[i] = call(i)
    else:
        for i in range(len(items)):
            out[i] = call(i)
    wall_ms = 1000 * (time.perf_counter() - t0) / len(items)
    return out, wall_ms, 1000 * float(np.median(cpu))  # type: ignore[return-value]


def summarize(name: str, items: list[dict], res: list[Scored], ms: float,
              cpu_ms: float = float("nan")) -> dict:
    s = np.array([r.score for r in res])
    med = np.array([it["median"] for it in items])
    groups = {"command words": [it["word"] in COMMANDS for it in items],
              "digit words": [it["word"] in DIGITS for it in items],
              "all": [True] * len(items)}
    out = {"scorer": name, "ms_per_clip": ms, "cpu_ms_median": cpu_ms,
           "refused": sum(1 for r in res if r.error),
           "groups": {}}
    for g, m in groups.items():
        m = np.array(m)
        pos = s[m & (med == 10)]
        neg = s[m & (med <= 6)]
        out["groups"][g] = {"n": int(m.sum()), "pearson": pearson(s[m], med[m]),
                            "auc": roc_auc(pos, neg), "n_correct": len(pos), "n_wrong": len(neg),
                            "median_correct": float(np.median(pos)) if len(pos) else float("nan")}
    ph, sp = [], []
    for it, r in zip(items, res, strict=True):
        if not it["wrong"]:
            continue
        low = r.lowest_phone
        if low is not None:
            ph.append(float(low in it["wrong"]))
        if r.worst_span is not None:
            try:
                spans = align(it["y"], SR, phones=it["canon"])
            except Exception:  # noqa: BLE001 (no alignment: not counted)
                continue
            hit = any(min(r.worst_span[1], spans[i].end_s) > max(r.worst_span[0], spans[i].start_s)
                      for i in it["wrong"])
            sp.append(float(hit))
    out["phone_hit"] = float(np.mean(ph)) if ph else float("nan")
    out.update(verdicts(items, res))
    out["span_hit"] = float(np.mean(sp)) if sp else float("nan")
    out["n_marked"] = sum(1 for it in items if it["wrong"])
    # Per clip (path -> score, held-out): what benchmarks/calibrate_experts.py fits the
    # experts'-scale map on, and what a later scorer can be compared with clip by clip.
    out["clips"] = {it["path"]: round(float(r.score), 3) for it, r in zip(items, res, strict=True)}
    return out


def verdicts(items: list[dict], res: list[Scored]) -> dict:
    """The one verdict's figures (scorer 'judge'): the phone it names first is one most
    experts marked wrong (clips with such a phone), a sound named on a word all five
    experts rated 10 (the false alarms), and verdicts that contradict themselves."""
    named = [float(r.named in it["wrong"]) for it, r in zip(items, res, strict=True)
             if it["wrong"] and r.named is not None]
    marked = [it for it in items if it["wrong"]]
    perfect = [r for it, r in zip(items, res, strict=True) if it["all10"] and not r.error]
    return {"named_hit": float(np.mean(named)) if named else float("nan"),
            "n_named": len(named), "n_marked_clips": len(marked),
            "false_alarm": float(np.mean([bool(r.named_all) for r in perfect]))
            if perfect else float("nan"), "n_all10": len(perfect),
            "contradictions": sum(bool(r.contradictions) for r in res),
            "contradiction_examples": [c for r in res for c in r.contradictions][:5]}


def fmt(x: float, pct: bool = False) -> str:
    if x != x:
        return "-"
    return f"{x:.0%}" if pct else f"{x:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorers", default="judge")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    items = load_items()
    print(f"### Learners (speechocean762 words): {len(items)} clips, "
          f"{len({it['speaker'] for it in items})} speakers, {args.folds}-fold by speaker; "
          f"{sum(1 for it in items if it['wrong'])} clips with a phone most experts marked "
          "wrong\n")
    sums = []
    for sc in get_scorers(args.scorers):
        res, ms, cpu_ms = run(sc, items, args.folds)
        s = summarize(sc.name, items, res, ms, cpu_ms)
        sums.append(s)
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / f"learners_{sc.name}.json").write_text(json.dumps(s, indent=1))
    print("| scorer | group | n | Pearson r (median) | AUC 10 vs <=6 (n) | median score of "
          "correct |")
    print("|---|---|---|---|---|---|")
    for s in sums:
        for g, b in s["groups"].items():
            print(f"| {s['scorer']} | {g} | {b['n']} | {fmt(b['pearson'])} | {fmt(b['auc'])} "
                  f"({b['n_correct']}/{b['n_wrong']}) | {b['median_correct']:.0f} |")
    print("\n| scorer | lowest phone = experts' wrong phone | blamed span covers it | refused | "
          "ms per clip (wall, mean) | CPU ms per clip (median) |")
    print("|---|---|---|---|---|---|")
    for s in sums:
        print(f"| {s['scorer']} | {fmt(s['phone_hit'], True)} | {fmt(s['span_hit'], True)} | "
              f"{s['refused']}/{len(items)} | {s['ms_per_clip']:.0f} | {s['cpu_ms_median']:.0f} |")
    print("\n| scorer | first named sound = a phone most experts marked (clips named / "
          "marked) | a sound named on words all experts rated 10 (n) | contradictions |")
    print("|---|---|---|---|")
    for s in sums:
        print(f"| {s['scorer']} | {fmt(s['named_hit'], True)} ({s['n_named']}/"
              f"{s['n_marked_clips']}) | {fmt(s['false_alarm'], True)} ({s['n_all10']}) | "
              f"{s['contradictions']}/{len(items)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
