"""Speed and memory of recognition: one clip from a file (1 thread), batch throughput,
peak RSS of `space predict` on one file, and the shipped model's training time.

    python benchmarks/speed.py [--model digits] [--repeats 200]

Medians over many runs after warm-up; the machine is shared, so read ratios and medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from _timing import timed_ms


def median_ms(fn, repeats: int) -> float:
    return timed_ms(fn, n=repeats)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="digits")
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()

    import torch

    from space.recognize import checkpoint
    from space.recognize.recognizer import load_model, resolve_model

    rng = np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp())
    t = np.arange(16000) / 16000
    y = (0.3 * np.sin(2 * np.pi * 300 * t) * np.hanning(16000) + rng.normal(0, 0.01, 16000))
    clip = tmp / "clip.wav"
    sf.write(clip, y.astype(np.float32), 16000)
    clip8 = tmp / "clip8.wav"
    sf.write(clip8, y[::2].astype(np.float32), 8000)

    rec = load_model(args.model)
    rows = []
    torch.set_num_threads(1)
    one = median_ms(lambda: rec.predict(clip), args.repeats)
    rows.append(("predict one 1-s clip from a 16 kHz file, 1 thread", f"{one:.2f} ms", "<= 5 ms"))
    one8 = median_ms(lambda: rec.predict(clip8), args.repeats)
    rows.append(("predict one 1-s clip from an 8 kHz file, 1 thread", f"{one8:.2f} ms", "<= 5 ms"))
    win = rec.prepare(clip)
    model_only = median_ms(lambda: rec.probabilities(win[None]), args.repeats)
    rows.append(("  of which the model (features + CNN)", f"{model_only:.2f} ms", ""))

    torch.set_num_threads(2)
    files = [clip] * 512
    rates = []
    for _ in range(3):
        t0 = time.perf_counter()
        n = sum(1 for _ in rec.predict_many(files, batch_size=128))
        rates.append(n / (time.perf_counter() - t0))
    rows.append(("batch throughput from files (2 threads, batch 128)",
                 f"{statistics.median(rates):.0f} clips/s", ">= 500 clips/s"))
    wins = np.stack([win] * 256)
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        rec.probabilities(wins)
        rates.append(256 / (time.perf_counter() - t0))
    rows.append(("  model only on prepared windows", f"{statistics.median(rates):.0f} clips/s", ""))

    rss = []
    for _ in range(3):
        code = ("import resource,subprocess,sys;"
                f"subprocess.run([sys.executable,'-m','space','predict','--model',{args.model!r},{str(clip)!r}],"
                "stdout=subprocess.DEVNULL,check=True);"
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        rss.append(int(out.stdout.strip()) / 1024)
    rows.append(("peak RSS of `space predict` on one file", f"{statistics.median(rss):.0f} MB",
                 "<= 400 MB"))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "space", "predict", "--model", args.model, str(clip)],
                   stdout=subprocess.DEVNULL, check=True)
    rows.append(("wall time of that command (start-up included)",
                 f"{time.perf_counter() - t0:.2f} s", ""))
    meta = checkpoint.load(resolve_model(args.model)).meta
    if "train_s" in meta:
        rows.append((f"training the shipped `{args.model}` model (recorded at training)",
                     f"{meta['train_s'] / 60:.1f} min", "<= 5 min"))
    print(f"\nSpeed of `{args.model}` on this machine ({torch.get_num_threads()} threads max)")
    print("| measure | median | target |\n|---|---|---|")
    for name, val, target in rows:
        print(f"| {name} | {val} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
