"""Where a warm ``space.score`` (no picture) spends its time, per engine (cProfile).

    python benchmarks/profile_score.py [--n 200] [--word 7] [--out FILE]

Scores one example attempt ``--n`` times after warm-up with the frame encoder and the
recogniser on PyTorch, then on ONNX Runtime, and prints the cumulative time of each stage
per score: the frame encoder (log-mel front end + encoder network), the windowing around it,
the recogniser check, finding the cached reference set, DTW against every reference,
worst segments, and the noise estimate. cProfile adds overhead to every Python call, so
the total here is above the plain timing that ``benchmarks/speed.py`` reports; the shares
are what to read.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

from _machine import describe

ROOT = Path(__file__).resolve().parents[1]
# (label, file suffix, function name): cumulative time of these functions per score.
STAGES = [
    ("frame encoder network (log-mel + encoder)", "engine.py", "run@frames"),
    ("  windowing, speech bounds, resampling", "frames.py", "window"),
    ("  noise estimate (SNR)", "frames.py", "estimate_snr"),
    ("recogniser check (prepare + network)", "scoring.py", "recognized"),
    ("finding the cached reference set", "reference_set.py", "word_reference_set"),
    ("DTW against every reference + frame costs", "distance.py", "match"),
    ("worst segments", "segments.py", "worst_segments"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--word", default="7")
    ap.add_argument("--clip", default=str(ROOT / "examples" / "7_seven_espeak_male.wav"))
    ap.add_argument("--out", help="also write the markdown table to this file")
    args = ap.parse_args()

    import torch

    from space import audio, pronounce
    from space.pronounce import frames as frames_mod
    from space.pronounce.frames import Featurizer, bundled_encoder_path, load_encoder
    from space.recognize.words.recognizer import load_model
    from space.recognize.words.registry import ModelRegistry

    torch.set_num_threads(1)
    y, sr = audio.load(args.clip)
    ck = load_encoder(bundled_encoder_path())
    lines = ["### Warm `space.score` profile (cProfile), 1 thread", "",
             f"- {describe()}", "",
             "| stage | torch ms/score | torch share | onnx ms/score | onnx share |",
             "|---|---|---|---|---|"]
    results = {}
    for engine in ("torch", "onnx"):
        frames_mod._default = Featurizer(ck, engine=engine)  # the process-wide featurizer
        models = ModelRegistry({"digits": load_model("digits", engine=engine)})
        for _ in range(20):
            pronounce.score(y, word=args.word, sr=sr, models=models)
        t0 = time.perf_counter()
        for _ in range(args.n):
            pronounce.score(y, word=args.word, sr=sr, models=models)
        plain = (time.perf_counter() - t0) / args.n
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            pronounce.score(y, word=args.word, sr=sr, models=models)
        prof.disable()
        stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
        total = sum(ct for (f, _, name), (_, _, _, ct, _) in stats.items()
                    if f.endswith("scoring.py") and name == "score")
        got = {}
        for label, suffix, name in STAGES:
            fn_name, _, caller = name.partition("@")
            ct_sum = 0.0
            for (f, _, n), (_, _, _, ct, callers) in stats.items():
                if not (f.endswith(suffix) and n == fn_name):
                    continue
                if caller == "frames":  # engine.run called from the Featurizer only
                    ct = sum(c[3] for (cf, _, cn), c in callers.items()
                             if cf.endswith("frames.py") and cn == "__call__")
                ct_sum += ct
            got[label] = ct_sum / args.n
        got["total (profiled)"] = total / args.n
        got["total without the profiler"] = plain
        results[engine] = got
    for label in [s[0] for s in STAGES] + ["total (profiled)", "total without the profiler"]:
        t, o = results["torch"][label], results["onnx"][label]
        tt, to = results["torch"]["total (profiled)"], results["onnx"]["total (profiled)"]
        lines.append(f"| {label} | {1000 * t:.2f} | {100 * t / tt:.0f}% | {1000 * o:.2f} | "
                     f"{100 * o / to:.0f}% |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
