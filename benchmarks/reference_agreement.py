"""Does a word's reference set name the clip of another word in it?

A user's set for word W: ``k`` recordings of W; a bad set has one of them replaced by a
recording of another word. Each set is calibrated as a user's own set is
(``calibrate_against_bundled``) and checked by :func:`space.pronounce.references.agreement.disagreeing`,
with the bundled model's opinion (the rule for words a model knows) and without it (the
distance-only rule for any other word). Reported: how often the wrong clip is named (and
only it), and how often a set of only W is flagged at all (false alarms), also counting
only flags on clips with an SNR of 10 dB or more (Speech Commands holds clips that are
mostly noise: flagging those is right).

Sources: Speech Commands command words by different speakers of one split (``--split``;
``testing`` is what the thresholds were looked at on, ``validation`` is held out: other
speakers), or espeak-ng voices (clean, one synthesizer: a teacher's set).

    python benchmarks/reference_agreement.py --split validation --sets 60 --per-set 3,5
    python benchmarks/reference_agreement.py --source espeak --sets 40 --per-set 3,5
"""

from __future__ import annotations

import argparse
import io
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from space.pronounce.references.agreement import disagreeing, heard_in
from space.pronounce.references.frames import default_featurizer
from space.pronounce.references.sets import calibrate_against_bundled, load_utterance

COMMANDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
VOICES = ["en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb-x-rp+f4", "en-us+m7", "en-029",
          "en-gb-scotland+f2"]


def _espeak(word: str, voice: str) -> tuple[np.ndarray, int]:
    import soundfile as sf

    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "--stdout", word],
                         capture_output=True, check=True).stdout
    y, sr = sf.read(io.BytesIO(wav), dtype="float32")
    pad = np.zeros(sr // 5, np.float32)
    return np.r_[pad, y, pad], sr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data/speech_commands")
    ap.add_argument("--source", choices=["speech-commands", "espeak"], default="speech-commands")
    ap.add_argument("--split", choices=["testing", "validation"], default="validation")
    ap.add_argument("--sets", type=int, default=60, help="bad sets (and as many good) per size")
    ap.add_argument("--per-set", default="3,5", help="references per set, comma-separated")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    feat = default_featurizer()
    sr_model = feat.cfg.sample_rate
    cache: dict[str, object] = {}
    rng = np.random.default_rng(args.seed)
    root = Path(args.data)
    by_word: dict[str, list[str]] = defaultdict(list)
    if args.source == "speech-commands":
        listed = [line.strip() for line in
                  (root / f"{args.split}_list.txt").read_text().splitlines() if line.strip()]
        for rel in listed:
            if rel.split("/")[0] in COMMANDS:
                by_word[rel.split("/")[0]].append(rel)
    else:
        for w in COMMANDS:
            by_word[w] = [f"{v}/{w}" for v in VOICES]

    def utt(key: str):
        if key not in cache:
            if args.source == "espeak":
                voice, word = key.split("/")
                y, sr = _espeak(word, voice)
                cache[key] = load_utterance(y, sr, key, feat)
            else:
                cache[key] = load_utterance(root / key, None, key, feat)
        return cache[key]

    def speaker(key: str) -> str:
        return key.split("/")[1].split("_")[0] if args.source != "espeak" else key.split("/")[0]

    print(f"source: {args.source}" + (f" ({args.split} speakers)" if args.source != "espeak"
                                      else ""))
    print()
    print("| refs per set | rule | bad sets | wrong clip named (only it) | named (with others) "
          "| good sets flagged | flagged, clips >= 10 dB SNR | ms per check (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for k in [int(x) for x in args.per_set.split(",")]:
        stats = {r: defaultdict(int) for r in ("model + distance", "distance only")}
        times: dict[str, list[float]] = {r: [] for r in stats}
        for _ in range(args.sets):
            w = str(rng.choice(COMMANDS))
            spk: dict[str, str] = {}
            for key in rng.permutation(by_word[w]):
                spk.setdefault(speaker(str(key)), str(key))
            clips = list(spk.values())[:k]
            other = str(rng.choice([c for c in COMMANDS if c != w]))
            wrong_pool = [c for c in by_word[other] if speaker(c) != speaker(clips[-1])]
            wrong = str(rng.choice(wrong_pool or by_word[other]))
            for bad in (False, True):
                keys = clips[:-1] + [wrong] if bad else clips
                utts = [utt(x) for x in keys]
                cal = calibrate_against_bundled(w, utts, feat)
                for rule in stats:
                    t0 = time.perf_counter()
                    heard = heard_in(utts, w, sr_model) if rule == "model + distance" else None
                    found = disagreeing(utts, keys, cal, heard=heard, word=w)
                    times[rule].append(1000 * (time.perf_counter() - t0))
                    names = {d.clip for d in found}
                    st = stats[rule]
                    if bad:
                        st["any"] += Path(wrong).name in names
                        st["only"] += names == {Path(wrong).name}
                    else:
                        st["fa"] += bool(found)
                        snr = {Path(x).name: utts[i].snr_db for i, x in enumerate(keys)}
                        st["fa_clean"] += any(snr[c] >= 10 for c in names)
        n = args.sets
        for rule, st in stats.items():
            print(f"| {k} | {rule} | {n} | {st['only'] / n:.0%} | {st['any'] / n:.0%} | "
                  f"{st['fa'] / n:.0%} | {st['fa_clean'] / n:.0%} | {np.median(times[rule]):.1f} |")


if __name__ == "__main__":
    main()
