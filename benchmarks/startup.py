"""Cold start-up of the `space` command: each command run in fresh processes.

Every run is a new Python process (nothing imported yet; the OS file cache and the ONNX
graph cache warm after one untimed run, as on a machine that has used SPACE before; each
version timed has its own graph cache).
Prints the median, fastest and slowest of N runs, the peak memory, and the target of
issue 9, with the CPU model and the load average beside (the wall time of a process on a
busy machine includes the time it waited for a core: the CPU time column does not).

    python benchmarks/startup.py [--runs 5] [--save] [--baseline OLD/src]

``--baseline`` times another copy of the package (e.g. ``git archive`` of an older commit)
in the same run, interleaved, and adds the ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import cpu_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "3_three_espeak_female.wav"

# (name, arguments after `space`, target in s of wall time on a quiet machine)
CASES = [
    ("space --help", ["--help"], 0.5),
    ("space references list", ["references", "list"], 0.5),
    ("space predict FILE", ["predict", str(EXAMPLE)], 0.6),  # issue 20
    ("space score --word 3 FILE", ["score", "--word", "3", str(EXAMPLE)], 2.5),
    ("space score --word 3 missing.wav", ["score", "--word", "3", "missing.wav"], 0.5),
]


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall s, CPU s (user + system) and peak memory in MB of one fresh `space` process."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "space", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = 0  # reaped by wait4
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _env(src: Path, cache: Path) -> dict[str, str]:
    """The environment of a run of the package in ``src``, with its own graph cache (two
    versions sharing one would evict each other's graphs and time rebuilds)."""
    return {**os.environ, "SPACE_CACHE_DIR": str(cache), "PYTHONPATH": os.pathsep.join(
        [str(src), *filter(None, [os.environ.get("PYTHONPATH")])])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/startup.md")
    ap.add_argument("--baseline", type=Path, metavar="SRC",
                    help="also time the package in this src folder (an older version)")
    args = ap.parse_args(argv)
    import tempfile

    caches = tempfile.TemporaryDirectory(prefix="space-startup-")
    env = _env(ROOT / "src", Path(caches.name) / "this")
    base_env = _env(args.baseline, Path(caches.name) / "baseline") if args.baseline else None
    load_before = os.getloadavg()
    rows = []
    for name, cmd, target in CASES:
        run_once(cmd, env)  # untimed: file cache, the graph cache, .pyc files
        runs, base = [], []
        if base_env is not None:
            run_once(cmd, base_env)
        for _ in range(args.runs):  # interleaved: both see the same load
            runs.append(run_once(cmd, env))
            if base_env is not None:
                base.append(run_once(cmd, base_env))
        walls = [r[0] for r in runs]
        med = statistics.median(walls)
        row = (f"| `{name}` | {med:.2f} | {min(walls):.2f} | {max(walls):.2f} | "
               f"{statistics.median(r[1] for r in runs):.2f} | "
               f"{max(r[2] for r in runs):.0f} | {target:.1f} | "
               f"{'yes' if med <= target else 'no'} |")
        if base:
            b_wall = statistics.median(r[0] for r in base)
            b_cpu = statistics.median(r[1] for r in base)
            row += (f" {b_wall:.2f} | {b_cpu:.2f} | {b_wall / med:.1f}x | "
                    f"{b_cpu / statistics.median(r[1] for r in runs):.1f}x |")
        rows.append(row)
    load_after = os.getloadavg()
    lines = [
        "## Cold start-up (`benchmarks/startup.py`)", "",
        f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; load average (1, 5, 15 min) "
        f"{', '.join(f'{v:.1f}' for v in load_before)} before, "
        f"{', '.join(f'{v:.1f}' for v in load_after)} after; Python {platform.python_version()}; "
        f"{args.runs} fresh processes per command after one untimed run"
        + (f"; baseline: {args.baseline}" if args.baseline else "") + ".", "",
        "| command | median s | fastest s | slowest s | CPU s (median) | peak MB | target s "
        "| median within target |" + (" baseline median s | baseline CPU s | wall speed-up "
                                       "| CPU speed-up |" if base_env else ""),
        "|---|---:|---:|---:|---:|---:|---:|---|" + ("---:|---:|---:|---:|" if base_env else ""),
        *rows, "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.save:
        out = ROOT / "benchmarks" / "results" / "startup.md"
        out.write_text(text)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
