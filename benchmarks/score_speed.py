"""Speed of one pronunciation score, 1 thread: a warm word score, a warm 5-s sentence and
a cold ``space score --word`` (a fresh process each run), with the machine beside.

    python benchmarks/score_speed.py [--repeats 50] [--cold-runs 5]

The sentence is espeak-ng reading a fixed text (about 5 s); the word is the bundled
example '7'. Medians of every run; the cold runs include Python's start-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import describe, timed_ms

ROOT = Path(__file__).resolve().parents[1]
WORD = ROOT / "examples" / "7_seven_espeak_male.wav"
SENTENCE = ("the quick brown fox jumps over the lazy dog and then it runs away into the "
            "woods")


def cold_s(runs: int) -> float:
    env = {**os.environ, "SPACE_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "space", "score", "--word", "7", str(WORD)]
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # OS caches warm
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--cold-runs", type=int, default=5)
    args = ap.parse_args()

    import space
    from space import audio
    from space import threads as space_threads

    space_threads.apply(1)  # the package's policy: engines follow it
    before = describe()
    yw, srw = audio.load(WORD)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "sentence.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), SENTENCE], check=True)
        ys, srs = audio.load(wav)
    rows = [
        ("warm word score (1 s, '7')", timed_ms(
            lambda: space.score(yw, sr=srw, word="7"), n=args.repeats, warmup=1)[0], "ms", "<= 30 ms"),
        (f"warm sentence score ({len(ys) / srs:.1f} s, {len(SENTENCE.split())} words)",
         timed_ms(lambda: space.score(ys, sr=srs, text=SENTENCE), n=max(5, args.repeats // 5),
                  warmup=1)[0],
         "ms", "<= 300 ms"),
        ("cold `space score --word 7 FILE` (new process)", cold_s(args.cold_runs), "s",
         "<= 2.5 s"),
    ]
    print("### Pronunciation score speed, 1 thread\n")
    print(f"- before: {before}\n- after: {describe()}\n")
    print("| measure | median | target |\n|---|---|---|")
    for name, v, unit, target in rows:
        print(f"| {name} | {v:.{0 if unit == 'ms' else 2}f} {unit} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
