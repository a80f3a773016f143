"""Controlled mispronunciations: the same synthetic voice saying a word right and with one
sound changed, scored as that word.

    python benchmarks/mispronounce.py [--scorers judge] [--voices N] [--out DIR]

Each word's correct phones (CMUdict, with stress) and each error (an edited phone string)
are spoken by espeak-ng from phonemes (``[[...]]``), so the correct and the wrong attempt
go through the same synthesis. 20 words (the digits and the ten command words), 46 error
kinds in 8 classes, 10 voices (male, female and child-like
pitch, several rates). Every correct attempt is also scored resampled to 48 kHz with
white noise at 25 dB SNR.

Reported per scorer: within-voice win rate (the correct attempt outscores its own voice's
mispronunciation; ties count half), pooled ROC AUC correct vs mispronounced, both per error
class, noisy-correct vs clean-mispronounced win rate, and localisation: for a phone scorer,
how often its lowest-scored phone is the changed phone (for an inserted sound, either
neighbour counts); for any scorer, how often the span it blames most overlaps the changed
sound in the attempt (forced-aligned; for a deleted sound the 60 ms around where it was),
next to the same figure on the correct attempts (the chance level of that test).
Nothing is tuned on these voices.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from _scorers import Scored, get_scorers, roc_auc

from space.pronounce.lexicon.pocketsphinx import align

ROOT = Path(__file__).resolve().parents[1]

# Correct pronunciations with stress (1 primary, 0 none), CMUdict.
WORDS: dict[str, str] = {
    "0": "Z IH1 R OW0", "1": "W AH1 N", "2": "T UW1", "3": "TH R IY1", "4": "F AO1 R",
    "5": "F AY1 V", "6": "S IH1 K S", "7": "S EH1 V AH0 N", "8": "EY1 T", "9": "N AY1 N",
    "yes": "Y EH1 S", "no": "N OW1", "up": "AH1 P", "down": "D AW1 N", "left": "L EH1 F T",
    "right": "R AY1 T", "on": "AA1 N", "off": "AO1 F", "stop": "S T AA1 P", "go": "G OW1",
}

# (word, class, name, wrong phones)
ERRORS: list[tuple[str, str, str, str]] = [
    ("3", "th", "three->tree", "T R IY1"),
    ("3", "th", "three->free", "F R IY1"),
    ("3", "th", "three->sree", "S R IY1"),
    ("7", "voicing", "seven->sefen", "S EH1 F AH0 N"),
    ("0", "voicing", "zero->sero", "S IH1 R OW0"),
    ("down", "voicing", "down->town", "T AW1 N"),
    ("go", "voicing", "go->ko", "K OW1"),
    ("up", "voicing", "up->ub", "AH1 B"),
    ("2", "voicing", "two->doo", "D UW1"),
    ("5", "voicing", "five->vive", "V AY1 V"),
    ("8", "voicing", "eight->ade", "EY1 D"),
    ("off", "voicing", "off->ov", "AO1 V"),
    ("6", "final_deletion", "six->sick", "S IH1 K"),
    ("left", "final_deletion", "left->lef", "L EH1 F"),
    ("8", "final_deletion", "eight->ay", "EY1"),
    ("stop", "final_deletion", "stop->stah", "S T AA1"),
    ("right", "final_deletion", "right->rye", "R AY1"),
    ("9", "final_deletion", "nine->nigh", "N AY1"),
    ("5", "final_deletion", "five->fie", "F AY1"),
    ("right", "r_l", "right->light", "L AY1 T"),
    ("left", "r_l", "left->reft", "R EH1 F T"),
    ("3", "r_l", "three->thlee", "TH L IY1"),
    ("0", "r_l", "zero->zelo", "Z IH1 L OW0"),
    ("4", "r_l", "four->foal", "F AO1 L"),
    ("7", "v_w_b", "seven->seben", "S EH1 B AH0 N"),
    ("7", "v_w_b", "seven->sewen", "S EH1 W AH0 N"),
    ("5", "v_w_b", "five->fibe", "F AY1 B"),
    ("1", "v_w_b", "one->von", "V AH1 N"),
    ("1", "v_w_b", "one->bun", "B AH1 N"),
    ("6", "vowel", "six->seeks", "S IY1 K S"),
    ("left", "vowel", "left->lift", "L IH1 F T"),
    ("up", "vowel", "up->op", "AA1 P"),
    ("yes", "vowel", "yes->yis", "Y IH1 S"),
    ("stop", "vowel", "stop->stope", "S T OW1 P"),
    ("off", "vowel", "off->oaf", "OW1 F"),
    ("on", "vowel", "on->un", "AH1 N"),
    ("no", "vowel", "no->naw", "N AO1"),
    ("down", "vowel", "down->doan", "D OW1 N"),
    ("2", "vowel", "two->tuh", "T UH1"),
    ("stop", "epenthesis", "stop->estop", "EH0 S T AA1 P"),
    ("stop", "epenthesis", "stop->sutop", "S AH0 T AA1 P"),
    ("6", "epenthesis", "six->sixa", "S IH1 K S AH0"),
    ("left", "epenthesis", "left->lefta", "L EH1 F T AH0"),
    ("5", "epenthesis", "five->fiva", "F AY1 V AH0"),
    ("3", "epenthesis", "three->thuree", "TH AH0 R IY1"),
    ("yes", "other", "yes->jes", "JH EH1 S"),
]

# (name, espeak voice, pitch 0-99, rate wpm): male, female, child-like (high pitch).
VOICES: list[tuple[str, str, int, int]] = [
    ("m1", "en-us+m1", 50, 165), ("m3", "en-us+m3", 40, 150), ("m7", "en-us+m7", 55, 180),
    ("low", "en-us", 25, 135), ("f1", "en-us+f1", 60, 160), ("f2", "en-us+f2", 65, 170),
    ("f3", "en-us+f3", 55, 150), ("f4", "en-us+f4", 70, 185), ("child1", "en-us+f4", 95, 150),
    ("child2", "en-us+f2", 90, 190),
]

# ARPAbet -> espeak-ng phoneme mnemonics (en-us); AH unstressed is the schwa.
ESPEAK = {
    "AA": "A:", "AE": "a", "AH": "V", "AO": "O:", "AW": "aU", "AY": "aI", "EH": "E",
    "ER": "3:", "EY": "eI", "IH": "I", "IY": "i:", "OW": "oU", "OY": "OI", "UH": "U",
    "UW": "u:", "B": "b", "CH": "tS", "D": "d", "DH": "D", "F": "f", "G": "g", "HH": "h",
    "JH": "dZ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "N", "P": "p", "R": "r",
    "S": "s", "SH": "S", "T": "t", "TH": "T", "V": "v", "W": "w", "Y": "j", "Z": "z",
    "ZH": "Z",
}
NOISE_SNR_DB = 25.0
KIND = {"replace": "substitution", "delete": "deletion", "insert": "insertion"}
HIGH_SR = 48000


def espeak_phonemes(arpa: str) -> str:
    out = []
    for p in arpa.split():
        base, stress = p.rstrip("012"), p[len(p.rstrip("012")):]
        if base == "AH" and stress == "0":
            out.append("@")
        else:
            out.append(("'" if stress == "1" else "") + ESPEAK[base])
    return "".join(out)


def synth(arpa: str, voice: tuple[str, str, int, int]) -> tuple[np.ndarray, int]:
    _, v, pitch, rate = voice
    wav = subprocess.run(["espeak-ng", "-v", v, "-p", str(pitch), "-s", str(rate), "--stdout",
                          f"[[{espeak_phonemes(arpa)}]]"], capture_output=True, check=True).stdout
    y, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return y, sr


def bare(arpa: str) -> list[str]:
    return [p.rstrip("012") for p in arpa.split()]


def changed_indices(correct: list[str],
                    wrong: list[str]) -> tuple[list[int], list[int], str, int]:
    """(indices into correct counted as 'the changed phone', indices into wrong spanning
    the changed sound in the attempt, the diff op, where in wrong the edit starts) from a
    diff of the two phone strings."""
    ops = [o for o in difflib.SequenceMatcher(a=correct, b=wrong, autojunk=False).get_opcodes()
           if o[0] != "equal"]
    if len(ops) != 1:
        raise ValueError(f"{correct} -> {wrong}: expected one edit, got {ops}")
    op, i1, i2, j1, j2 = ops[0]
    if op == "replace":
        return list(range(i1, i2)), list(range(j1, j2)), op, j1
    if op == "delete":
        return list(range(i1, i2)), [j for j in (j1 - 1, j1) if 0 <= j < len(wrong)], op, j1
    return [i for i in (i1 - 1, i1) if 0 <= i < len(correct)], list(range(j1, j2)), op, j1


def add_noise(y: np.ndarray, sr: int, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    from space import audio

    a, b = audio.speech_bounds(y, sr)
    p = float(np.mean(y[a:b] ** 2)) + 1e-12
    n = rng.standard_normal(len(y)).astype(np.float32)
    return (y + n * np.sqrt(p / 10 ** (snr_db / 10))).astype(np.float32)


@dataclass
class Attempt:
    word: str
    voice: str
    kind: str  # "correct", "noisy" or the error name
    cls: str
    y: np.ndarray
    sr: int
    accept: list[int]  # canonical phone indices counted as the changed phone
    span: tuple[float, float] | None  # the changed sound's span in this attempt
    op: str = ""  # the edit: "replace", "delete" or "insert" ("" for a correct attempt)


def span_of(spans, widx: list[int], deleted_at: int | None) -> tuple[float, float] | None:
    """The changed sound's span in the attempt from its forced alignment: the span of the
    wrong phones ``widx``, or for a deletion (``deleted_at`` = the index in the wrong
    string where the phone is missing) the 60 ms around that boundary."""
    if spans is None or not widx:
        return None
    if deleted_at is not None:
        t = spans[deleted_at - 1].end_s if deleted_at > 0 else spans[0].start_s
        return (t - 0.03, t + 0.03)
    return (min(spans[i].start_s for i in widx), max(spans[i].end_s for i in widx))


def make_attempts(voices, seed: int = 0) -> list[Attempt]:
    import librosa

    rng = np.random.default_rng(seed)
    out: list[Attempt] = []
    for v in voices:
        for w, arpa in WORDS.items():
            y, sr = synth(arpa, v)
            out.append(Attempt(w, v[0], "correct", "correct", y, sr, [], None))
            y48 = librosa.resample(y, orig_sr=sr, target_sr=HIGH_SR)
            out.append(Attempt(w, v[0], "noisy", "correct", add_noise(y48, HIGH_SR, NOISE_SNR_DB,
                                                                      rng), HIGH_SR, [], None))
        for w, cls, name, wrong in ERRORS:
            c, x = bare(WORDS[w]), bare(wrong)
            acc, widx, op, j1 = changed_indices(c, x)
            y, sr = synth(wrong, v)
            try:
                spans = align(y, sr, phones=x)
            except Exception:  # noqa: BLE001 (no alignment: no localisation for this one)
                spans = None
            at = j1 if op == "delete" else None
            out.append(Attempt(w, v[0], name, cls, y, sr, acc, span_of(spans, widx, at), op))
    return out


def overlaps(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    return a is not None and b is not None and min(a[1], b[1]) > max(a[0], b[0])


def evaluate(scorer, attempts: list[Attempt]) -> dict:
    t0 = time.perf_counter()
    res: dict[tuple[str, str, str], Scored] = {}
    for a in attempts:
        res[(a.word, a.voice, a.kind)] = scorer(a.y, a.sr, a.word)
    elapsed = time.perf_counter() - t0
    correct = {(a.word, a.voice): res[(a.word, a.voice, "correct")].score
               for a in attempts if a.kind == "correct"}
    noisy = {(a.word, a.voice): res[(a.word, a.voice, "noisy")].score
             for a in attempts if a.kind == "noisy"}
    wrong = [a for a in attempts if a.cls != "correct"]
    rows = []
    for a in wrong:
        r = res[(a.word, a.voice, a.kind)]
        c, n = correct[(a.word, a.voice)], noisy[(a.word, a.voice)]
        low = r.lowest_phone
        # the same span test on the correct attempt of this voice, for the chance level:
        # the changed phone's span in the correct attempt (forced-aligned)
        rows.append({
            "cls": a.cls, "kind": a.kind, "voice": a.voice, "word": a.word, "score": r.score,
            "correct": c, "noisy": n,
            "win": 1.0 if c > r.score else 0.5 if c == r.score else 0.0,
            "noisy_win": 1.0 if n > r.score else 0.5 if n == r.score else 0.0,
            "phone_hit": None if low is None else float(low in a.accept),
            # the one verdict's (scorer 'judge'): the first named sound is the changed one,
            # and the kind of error it names is the kind made
            "named_hit": None if r.named is None and r.kind != "insertion" else
            float(r.kind == "insertion" and a.op == "insert" or r.named in a.accept),
            "kind_hit": None if r.kind is None else float(r.kind == KIND[a.op]),
            "span_hit": float(overlaps(r.worst_span, a.span)) if a.span else None,
        })
    # chance level of the span test: the correct attempt's worst span against the changed
    # phones' span in that correct attempt
    chance = []
    for a in wrong:
        ca = next(x for x in attempts if x.word == a.word and x.voice == a.voice
                  and x.kind == "correct")
        try:
            spans = align(ca.y, ca.sr, phones=bare(WORDS[a.word]))
            sp = (min(spans[i].start_s for i in a.accept), max(spans[i].end_s for i in a.accept))
        except Exception:  # noqa: BLE001
            continue
        chance.append(float(overlaps(res[(a.word, a.voice, "correct")].worst_span, sp)))
    errors = sum(1 for r in res.values() if r.error)
    perfect = [r for a in attempts if a.kind == "correct"
               for r in [res[(a.word, a.voice, a.kind)]] if not r.error]
    return {"contradictions": sum(bool(r.contradictions) for r in res.values()),
            "false_alarm": float(np.mean([bool(r.named_all) for r in perfect])),
            "rows": rows, "correct": list(correct.values()), "noisy": list(noisy.values()),
            "chance_span": float(np.mean(chance)) if chance else float("nan"),
            "errors": errors, "n": len(res), "ms_per_attempt": 1000 * elapsed / len(res)}


def summarize(name: str, ev: dict) -> dict:
    rows = ev["rows"]
    pos = ev["correct"]

    def block(rs: list[dict]) -> dict:
        ph = [r["phone_hit"] for r in rs if r["phone_hit"] is not None]
        sp = [r["span_hit"] for r in rs if r["span_hit"] is not None]
        return {
            "n": len(rs), "win": float(np.mean([r["win"] for r in rs])),
            "auc": roc_auc(pos, [r["score"] for r in rs]),
            "noisy_win": float(np.mean([r["noisy_win"] for r in rs])),
            "phone_hit": float(np.mean(ph)) if ph else float("nan"),
            "span_hit": float(np.mean(sp)) if sp else float("nan"),
            **{k: (float(np.mean(v)) if v else float("nan"), len(v)) for k in
               ("named_hit", "kind_hit")
               for v in [[r[k] for r in rs if r[k] is not None]]},
            "median_wrong": float(np.median([r["score"] for r in rs])),
        }

    out = {"scorer": name, "all": block(rows), "classes": {}, "errors": ev["errors"],
           "n_attempts": ev["n"], "chance_span": ev["chance_span"],
           "median_correct": float(np.median(pos)), "median_noisy": float(np.median(ev["noisy"])),
           "noisy_auc": roc_auc(ev["noisy"], [r["score"] for r in rows]),
           "ms_per_attempt": ev["ms_per_attempt"], "contradictions": ev["contradictions"],
           "false_alarm": ev["false_alarm"]}
    for c in sorted({r["cls"] for r in rows}):
        out["classes"][c] = block([r for r in rows if r["cls"] == c])
    out["kinds"] = {k: block([r for r in rows if r["kind"] == k])["win"]
                    for k in sorted({r["kind"] for r in rows})}
    return out


def fmt(x: float, pct: bool = True) -> str:
    if x != x:
        return "-"
    return f"{x:.0%}" if pct else f"{x:.3f}"


def table(sums: list[dict]) -> str:
    lines = ["| scorer | class | n | within-voice win | AUC correct vs wrong | noisy-correct "
             "beats clean-wrong | lowest phone = changed | blamed span covers change |",
             "|---|---|---|---|---|---|---|---|"]
    for s in sums:
        for c, b in [("**all**", s["all"]), *s["classes"].items()]:
            lines.append(f"| {s['scorer']} | {c} | {b['n']} | {fmt(b['win'])} | "
                         f"{fmt(b['auc'], False)} | {fmt(b['noisy_win'])} | "
                         f"{fmt(b['phone_hit'])} | {fmt(b['span_hit'])} |")
    lines += ["", "| scorer | median score correct / noisy-correct / wrong | AUC noisy-correct vs "
              "wrong | blamed span covers the same phones on correct attempts (chance) | "
              "refused | ms per attempt |", "|---|---|---|---|---|---|"]
    for s in sums:
        lines.append(f"| {s['scorer']} | {s['median_correct']:.0f} / {s['median_noisy']:.0f} / "
                     f"{s['all']['median_wrong']:.0f} | {fmt(s['noisy_auc'], False)} | "
                     f"{fmt(s['chance_span'])} | {s['errors']}/{s['n_attempts']} | "
                     f"{s['ms_per_attempt']:.0f} |")
    lines += ["", "| scorer | class | first named sound = the changed sound (n named) | kind "
              "of error named = kind made (n) |", "|---|---|---|---|"]
    for s in sums:
        for c, b in [("**all**", s["all"]), *s["classes"].items()]:
            (nh, nn), (kh, kn) = b["named_hit"], b["kind_hit"]
            lines.append(f"| {s['scorer']} | {c} | {fmt(nh)} ({nn}/{b['n']}) | {fmt(kh)} "
                         f"({kn}) |")
    lines += ["", "| scorer | a sound named on a correct attempt | contradictions |",
              "|---|---|---|"]
    for s in sums:
        lines.append(f"| {s['scorer']} | {fmt(s['false_alarm'])} | {s['contradictions']}/"
                     f"{s['n_attempts']} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorers", default="judge")
    ap.add_argument("--voices", type=int, default=len(VOICES))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    voices = VOICES[: args.voices]
    attempts = make_attempts(voices)
    print(f"### Controlled mispronunciations: {len(WORDS)} words, {len(ERRORS)} error kinds in "
          f"{len({e[1] for e in ERRORS})} classes, {len(voices)} voices (espeak-ng), "
          f"{len(attempts)} attempts; noisy = 48 kHz, {NOISE_SNR_DB:g} dB white noise\n")
    sums = []
    for sc in get_scorers(args.scorers):
        s = summarize(sc.name, evaluate(sc, attempts))
        sums.append(s)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"mispronounce_{sc.name}.json").write_text(json.dumps(s, indent=1))
    t = table(sums)
    print(t)
    print("\nWithin-voice win per error kind:\n")
    print("| kind | " + " | ".join(s["scorer"] for s in sums) + " |")
    print("|---|" + "---|" * len(sums))
    for k in sums[0]["kinds"]:
        print(f"| {k} | " + " | ".join(fmt(s["kinds"][k]) for s in sums) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
