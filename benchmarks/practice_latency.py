"""Latency of the practice page as a learner feels it, PyTorch and ONNX Runtime side by side.

    python benchmarks/practice_latency.py [--attempts 200] [--max-s 90] [--out FILE]

For each engine, starts ``space serve`` on 127.0.0.1 (a free port; never another host) with
``SPACE_ENGINE`` set, and measures

* the first ``POST /api/score`` right after ``/api/health`` first answers ``"ready": true``
  (target <= 100 ms: models and references are loaded at start, not on first use);
* one *attempt* as the page sends it: ``POST /api/score`` (word, no picture: the page draws
  it from the JSON; for a word a model knows, its ``recognized`` is what the page shows as
  heard), plus ``POST /api/predict`` at once for a word no model knows; with 4 and with 16
  concurrent clients (targets: p95 <= 150 ms at 4; >= 40 attempts/s at 16 with
  no errors);
* ``POST /api/score`` with ``plot=true`` (the PNG, for downloads), 4 clients (p95 <= 400 ms).

The clip is a 1-s, 48 kHz, 16-bit WAV of an espeak-ng example (what a browser records and
the page uploads). Every phase is bounded by a request count and ``--max-s`` seconds.
``benchmarks/web_load.py`` measures the single endpoints under load; this script measures
what one page action costs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from _common import HOST, describe, free_port, page_wav, run_clients

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("torch", "onnx")


def measure(engine: str, wav: bytes, word: str, args: argparse.Namespace) -> list[dict]:
    import httpx

    port = free_port()
    base = f"http://{HOST}:{port}"
    env = {**os.environ, "SPACE_ENGINE": engine}
    server = subprocess.Popen(
        [sys.executable, "-m", "space", "serve", "--host", HOST, "--port", str(port),
         "--png-workers", str(args.png_workers)],
        env=env, stderr=subprocess.DEVNULL)
    files = {"file": ("attempt.wav", wav, "audio/wav")}
    rows: list[dict] = []
    try:
        t_start = time.perf_counter()
        deadline = time.monotonic() + 120
        while True:
            try:
                h = httpx.get(f"{base}/api/health", timeout=1)
                if h.status_code == 200 and h.json().get("ready"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"the {engine} server did not start")
            time.sleep(0.02)
        ready_s = time.perf_counter() - t_start
        health = h.json()
        t0 = time.perf_counter()
        r = httpx.post(f"{base}/api/score", files=files, data={"word": word}, timeout=60)
        first = time.perf_counter() - t0
        r.raise_for_status()
        rows.append({"name": "first POST /api/score after health says ready", "n": 1,
                     "errors": 0, "p50": first, "p95": first, "rate": None,
                     "note": f"server ready after {ready_s:.1f} s; engines {health.get('engines')}"})

        pool = ThreadPoolExecutor(32)

        words = httpx.get(f"{base}/api/words", timeout=10).json()["words"]
        known = any(w["word"] == word and w["model"] for w in words)

        def attempt(c) -> str:
            # What app.js sends for one attempt: /api/score alone for a word a model knows
            # (its `recognized` says what was heard), else /api/score and /api/predict at once.
            fs = pool.submit(c.post, f"{base}/api/score", files=files, data={"word": word})
            reqs = [fs] if known else [fs, pool.submit(c.post, f"{base}/api/predict",
                                                       files=files, data={})]
            bad = [f"{x.status_code} {x.text[:80]}" for x in (f.result() for f in reqs)
                   if x.status_code != 200]
            return "; ".join(bad)

        def png(c) -> str:
            x = c.post(f"{base}/api/score", files=files, data={"word": word, "plot": "true"})
            return "" if x.status_code == 200 and "plot_png" in x.json() else f"{x.status_code}"

        for _ in range(5):  # warm the client side and the server's thread pool
            with httpx.Client(timeout=60) as c:
                attempt(c)
        what = "POST /api/score" if known else "score + predict"
        cases = [(f"page attempt ({what}), {k} clients", attempt, k, args.attempts)
                 for k in (4, 16)]
        cases.append(("POST /api/score plot=true (PNG), 4 clients", png, 4,
                      max(16, args.attempts // 4)))
        for name, fn, k, n in cases:
            lat, errors, wall = run_clients(fn, k, n, args.max_s)
            ms = np.array(lat) if lat else np.array([np.nan])
            rows.append({"name": name, "n": len(lat) + len(errors), "errors": len(errors),
                         "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
                         "rate": len(lat) / wall, "note": ""})
            print(engine, name, f"p50 {1000 * rows[-1]['p50']:.0f} ms, p95 "
                  f"{1000 * rows[-1]['p95']:.0f} ms, {rows[-1]['rate']:.1f}/s, "
                  f"errors {len(errors)}", flush=True)
            for e in errors[:3]:
                print(f"  error: {e}", file=sys.stderr)
        pool.shutdown()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attempts", type=int, default=200, help="per phase (bounded)")
    ap.add_argument("--max-s", type=float, default=90.0, help="time bound per phase")
    ap.add_argument("--word", default="7")
    ap.add_argument("--clip", default=str(ROOT / "examples" / "7_seven_espeak_male.wav"))
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--png-workers", type=int, default=0,
                    help="the server's picture worker processes (space serve --png-workers)")
    ap.add_argument("--out", help="also write the markdown table to this file")
    args = ap.parse_args()
    if not 1 <= args.attempts <= 2000:
        raise SystemExit("keep it bounded: 1-2000 attempts per phase")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    wav = page_wav(Path(args.clip))
    before = describe()
    results = {e: measure(e, wav, args.word, args) for e in engines}
    after = describe()
    lines = ["### Practice page latency: `space serve` on 127.0.0.1, 1-s 48 kHz WAV attempt", "",
             f"- before: {before}", f"- after: {after}", "",
             "| measure | engine | n | errors | p50 ms | p95 ms | per s | note |",
             "|---|---|---|---|---|---|---|---|"]
    for i in range(len(results[engines[0]])):
        for e in engines:
            r = results[e][i]
            rate = f"{r['rate']:.1f}" if r["rate"] is not None else ""
            lines.append(f"| {r['name']} | {e} | {r['n']} | {r['errors']} | "
                         f"{1000 * r['p50']:.0f} | {1000 * r['p95']:.0f} | {rate} | {r['note']} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
