"""Speed of recognition and scoring, PyTorch and ONNX Runtime side by side in one run:
one clip from a file (1 thread), batch throughput from files (2 threads), peak RSS and
wall time of ``space predict``.

    python benchmarks/speed.py [--model digits] [--repeats 200] [--out benchmarks/results/speed.md]

Each measure runs the two engines in alternating rounds (so a burst of load from other
programs hits both), reports the median of every run and the ratio torch / onnx. The CPU
model, core count and load average are printed with the table: on a shared machine the
ratios mean more than the absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
from _common import describe

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("torch", "onnx")
EXAMPLE = ROOT / "examples" / "7_seven_espeak_male.wav"


def interleaved(fns: dict[str, Callable[[], object]], *, n: int, rounds: int = 5,
                warmup: int = 5, cpu: bool = False) -> dict[str, float]:
    """Median seconds per call of each function, timed in ``rounds`` alternating blocks
    (``cpu``: this thread's CPU time instead of wall time: what the call costs, without the
    time it waited for a core on a busy machine)."""
    clock = time.thread_time if cpu else time.perf_counter
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    per = max(1, n // rounds)
    for _ in range(rounds):
        for k, fn in fns.items():
            for _ in range(per):
                t = clock()
                fn()
                times[k].append(clock() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def bare_pipeline(rec: object) -> Callable[[Path], np.ndarray]:
    """The least a script could do for one file with the model's cached ONNX graph: read,
    resample, crop or pad to the window, one session run at 1 thread (the baseline the
    package's warm ``predict(file)`` is compared with)."""
    import onnxruntime as ort
    import soxr

    from space.recognize.engines.runtime import cached_graph
    from space.recognize.words.recognizer import KIND

    graph, _ = cached_graph(rec.path, KIND)  # type: ignore[attr-defined, misc]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(graph), sess_options=opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    cfg = rec.feature_cfg  # type: ignore[attr-defined]

    def run(path: Path) -> np.ndarray:
        y, sr = sf.read(path, dtype="float32")
        if sr != cfg.sample_rate:
            y = soxr.resample(y, sr, cfg.sample_rate)
        w = np.zeros(cfg.n_samples, np.float32)
        w[: min(len(y), cfg.n_samples)] = y[: cfg.n_samples]
        return sess.run(None, {name: w[None]})[0]

    return run


def rss_and_wall(model: str, clip: Path, engine: str) -> tuple[float, float]:
    """Median peak RSS (MB) and wall time (s) of `space predict` on one file, 3 runs."""
    env = {**os.environ, "SPACE_ENGINE": engine}
    rss, wall = [], []
    for _ in range(3):
        code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
                f"subprocess.run([sys.executable,'-m','space','predict','--model',{model!r},"
                f"{str(clip)!r}],stdout=subprocess.DEVNULL,check=True);"
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
                "time.perf_counter()-t)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env=env)
        r, w = out.stdout.split()
        rss.append(int(r) / 1024)
        wall.append(float(w))
    return statistics.median(rss), statistics.median(wall)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="digits")
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--word", default="7", help="word for the space.score measure")
    ap.add_argument("--out", help="also write the markdown table to this file")
    args = ap.parse_args()


    from space.recognize import load_model

    before = describe()
    from space import audio

    # A spoken word (a tone is refused as no speech): the bundled example '7', 1 s at 16 kHz
    # and at 8 kHz.
    tmp = Path(tempfile.mkdtemp())
    y, _ = audio.load(EXAMPLE, sr=16000)
    y = np.pad(y, (0, max(0, 16000 - len(y))))[:16000]
    clip = tmp / "clip.wav"
    sf.write(clip, y.astype(np.float32), 16000)
    clip8 = tmp / "clip8.wav"
    sf.write(clip8, audio.load(clip, sr=8000)[0], 8000)

    from space import threads as space_threads

    space_threads.apply(1)  # the package's policy: engines follow it
    recs = {e: load_model(args.model, engine=e) for e in ENGINES}
    rows: list[tuple[str, dict[str, float], str, str]] = []  # name, per engine, unit, target

    def ms(name: str, fns: dict[str, Callable[[], object]], target: str, n: int) -> None:
        med = interleaved(fns, n=n)
        rows.append((name, {k: 1000 * v for k, v in med.items()}, "ms", target))
        print(f"{name}: " + ", ".join(f"{k} {1000 * v:.2f} ms" for k, v in med.items()),
              flush=True)

    bare = bare_pipeline(recs["onnx"])
    med = interleaved({**{e: (lambda r=r: r.predict(clip)) for e, r in recs.items()},
                       "bare": lambda: bare(clip)}, n=args.repeats)
    rows.append(("predict one 1-s clip from a 16 kHz file, 1 thread",
                 {e: 1000 * med[e] for e in ENGINES}, "ms", "<= 3 ms"))
    print(f"predict(file): torch {1000 * med['torch']:.2f} ms, onnx {1000 * med['onnx']:.2f} ms,"
          f" bare onnxruntime pipeline {1000 * med['bare']:.2f} ms", flush=True)
    bare_ratio = med["onnx"] / med["bare"]
    cpu = interleaved({"onnx": lambda: recs["onnx"].predict(clip), "bare": lambda: bare(clip)},
                      n=args.repeats, cpu=True)
    ms("predict one 1-s clip from an 8 kHz file, 1 thread",
       {e: (lambda r=r: r.predict(clip8)) for e, r in recs.items()}, "", args.repeats)
    win = recs["onnx"].prepare(clip)[None]
    ms("  of which the model (features + CNN)",
       {e: (lambda r=r: r.probabilities(win)) for e, r in recs.items()}, "", args.repeats)

    # Batch: 2 threads for each engine.
    for r in recs.values():
        r.set_threads(2)
    files = [clip] * 512
    thr: dict[str, list[float]] = {e: [] for e in ENGINES}
    wins = np.stack([win[0]] * 256)
    mthr: dict[str, list[float]] = {e: [] for e in ENGINES}
    for _ in range(3):
        for e, r in recs.items():
            t0 = time.perf_counter()
            n = sum(1 for _ in r.predict_many(files, batch_size=128))
            thr[e].append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            r.probabilities(wins)
            mthr[e].append(256 / (time.perf_counter() - t0))
    rows.append(("batch throughput from files (2 threads, batch 128)",
                 {e: statistics.median(v) for e, v in thr.items()}, "clips/s", ">= 600 clips/s"))
    rows.append(("  model only on prepared windows (2 threads)",
                 {e: statistics.median(v) for e, v in mthr.items()}, "clips/s", ""))
    print("batch:", {e: round(statistics.median(v)) for e, v in thr.items()}, flush=True)
    for r in recs.values():
        r.set_threads(1)
    from space import threads as space_threads

    space_threads.apply(1)  # the package's policy: engines follow it

    # The pronunciation score's speed: benchmarks/score_speed.py.

    res = {e: rss_and_wall(args.model, clip, e) for e in ENGINES}
    rows.append(("peak RSS of `space predict` on one file", {e: v[0] for e, v in res.items()},
                 "MB", "<= 400 MB"))
    rows.append(("wall time of that command (start-up included)",
                 {e: v[1] for e, v in res.items()}, "s", ""))

    after = describe()
    lines = [f"### Speed of `{args.model}`: PyTorch and ONNX Runtime side by side", "",
             f"- before: {before}", f"- after: {after}", "",
             "| measure | torch | onnx | torch / onnx | target |", "|---|---|---|---|---|"]
    for name, v, unit, target in rows:
        # For rates the ratio is onnx / torch, so > 1 always means onnx is better.
        ratio = v["onnx"] / v["torch"] if unit in ("clips/s",) else v["torch"] / v["onnx"]
        digits = 2 if unit in ("ms", "s") else 0
        a, b = (f"{v[e]:.{digits}f} {unit}" for e in ("torch", "onnx"))
        lines.append(f"| {name} | {a} | {b} | {ratio:.2f}x | {target} |")
    lines.append("")
    lines.append(f"Warm `predict(file)` with ONNX Runtime is {bare_ratio:.2f}x the bare pipeline "
                 f"in wall time and {cpu['onnx'] / cpu['bare']:.2f}x in CPU time "
                 f"({1000 * cpu['onnx']:.2f} / {1000 * cpu['bare']:.2f} ms), each pair measured "
                 f"in the same rounds (bare: {1000 * med['bare']:.2f} ms wall; soundfile read, "
                 "soxr to 16 kHz, crop or pad to the window, one `InferenceSession.run` of the "
                 "same cached graph at 1 thread; no checks, no speech bounds; target <= 1.4x).")
    lines.append("")
    lines.append("Medians; ratios > 1 mean ONNX Runtime is faster (for clips/s: onnx / torch). "
                 "Memory: lower is better; the RSS ratio is torch / onnx too.")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
