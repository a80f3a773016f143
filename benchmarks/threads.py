"""Threads per network call: 1 against 2, on a quiet machine and on a busy one.

    python benchmarks/threads.py [--repeats 25] [--rounds 8] [--load 2] [--out FILE]

The evidence for the package's one thread policy (``space.threads``). Each measure runs in
a fresh process with ``SPACE_THREADS`` set (so it goes through the policy the faces use):
a warm ``Recognizer.predict(file)`` of the bundled example '7' with the bundled ``digits``
model, and a warm ``space.score`` of the same clip as the word '7' (phones included, no
picture). The settings alternate in rounds (so a burst of load from other programs hits
both); then the same again while ``--load`` processes spin on the CPU (a machine busy with
other work), and quiet again with two threads of one process calling at once (the web
app's requests side by side). Prints medians and 95th percentiles of every call,
and the ratio 2 threads / 1 thread (> 1: the second thread costs time), with the machine
and its load average beside.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import describe

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "examples" / "7_seven_espeak_male.wav"
THREADS = (1, 2)


def worker(repeats: int, callers: int) -> dict[str, list[float]]:
    """In this process: ms per warm call of predict(file) and of score(word), ``repeats``
    each from each of ``callers`` threads calling at the same time (a server's requests)."""
    from concurrent.futures import ThreadPoolExecutor

    import space
    from space import audio

    rec = space.load_model("digits")
    y, sr = audio.load(CLIP)
    calls = {"predict": lambda: rec.predict(CLIP), "score": lambda: space.score(y, sr=sr, word="7")}
    out: dict[str, list[float]] = {}
    for name, fn in calls.items():
        for _ in range(5):
            fn()

        def loop(_: int, fn=fn) -> list[float]:
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                fn()
                times.append(1000 * (time.perf_counter() - t))
            return times

        with ThreadPoolExecutor(callers) as pool:
            out[name] = [t for ts in pool.map(loop, range(callers)) for t in ts]
    return out


def spin() -> None:  # pragma: no cover - a background load, killed by the parent
    while True:
        pass


def p95(v: list[float]) -> float:
    return sorted(v)[min(len(v) - 1, int(0.95 * len(v)))]


def measure(repeats: int, rounds: int, callers: int) -> dict[int, dict[str, list[float]]]:
    """Every call's ms per thread count, the counts alternating over ``rounds`` processes."""
    got: dict[int, dict[str, list[float]]] = {n: {} for n in THREADS}
    for _ in range(rounds):
        for n in THREADS:
            env = {**os.environ, "SPACE_THREADS": str(n), "PYTHONPATH": str(ROOT / "src")}
            env.pop("OMP_NUM_THREADS", None)
            res = subprocess.run([sys.executable, __file__, "--worker", str(repeats),
                                  "--callers", str(callers)], env=env,
                                 capture_output=True, text=True, check=True)
            for k, v in json.loads(res.stdout.splitlines()[-1]).items():
                got[n].setdefault(k, []).extend(v)
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=25, help="timed calls per process")
    ap.add_argument("--rounds", type=int, default=8, help="processes per thread count")
    ap.add_argument("--load", type=int, default=os.cpu_count() or 2,
                    help="spinning processes for the busy run (default: one per CPU)")
    ap.add_argument("--out", help="also write the markdown table to this file")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--callers", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.callers)))
        return 0

    lines = ["### Threads per network call: 1 vs 2 (`benchmarks/threads.py`)", ""]
    results = {}
    # (machine, callers): quiet and busy with other programs, one caller (the CLI, a script);
    # quiet with two callers at once in one process (the web app's requests side by side).
    for cond, callers in (("quiet", 1), ("busy", 1), ("quiet", 2)):
        spinners = [mp.Process(target=spin, daemon=True) for _ in range(args.load)] \
            if cond == "busy" else []
        for p in spinners:
            p.start()
        try:
            before = describe()
            key = f"{cond}, {callers} caller{'s' if callers > 1 else ''}"
            results[key] = measure(args.repeats, args.rounds, callers)
            lines += [f"- {key} ({len(spinners)} spinning processes), before: {before}",
                      f"- {key}, after: {describe()}"]
        finally:
            for p in spinners:
                p.terminate()
                p.join()
        print(f"{key} done", file=sys.stderr, flush=True)
    lines += ["", "| machine, callers | call | 1 thread median / p95 | 2 threads median / p95 | "
              "2 / 1 (median) | 2 / 1 (p95) |", "|---|---|---|---|---|---|"]
    for cond, res in results.items():
        for call in ("predict", "score"):
            one, two = res[1][call], res[2][call]
            m1, m2 = statistics.median(one), statistics.median(two)
            lines.append(f"| {cond} | warm {call} ('7') | {m1:.2f} / {p95(one):.2f} ms | "
                         f"{m2:.2f} / {p95(two):.2f} ms | {m2 / m1:.2f}x | "
                         f"{p95(two) / p95(one):.2f}x |")
    lines += ["", f"{args.rounds} processes x {args.repeats} calls per cell, after 5 untimed "
              "calls (per caller); busy: one pure-Python spinning process per CPU besides whatever else "
              "ran (the load average says)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
