"""Bounded load on the web app: concurrent clients against 127.0.0.1, latency percentiles.

    python benchmarks/web_load.py [--clients 4] [--requests 200] [--max-s 120] [--out FILE]

Starts ``space serve`` on 127.0.0.1 (a free port; never another host) as a user would, sends
a 1-s clip of a spoken digit recorded as the page sends it (16-bit WAV at 48 kHz) from
``--clients`` threads at once, each waiting for its answer before sending the next, and
prints p50/p95/p99 latency, throughput and errors for

* ``POST /api/score`` (word, no picture): the target, p95 <= 100 ms with 4 clients;
* ``POST /api/score`` with ``plot=true`` (the page's request: adds the feedback PNG);
* ``POST /api/predict``.

Every run is bounded by ``--requests`` per endpoint and ``--max-s`` seconds.
References: the bundled set of the word when installed, else three FSDD training clips
(index >= 5) put in a temporary user references folder.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FSDD = ROOT.parent / "shared" / "data" / "fsdd" / "recordings"
HOST = "127.0.0.1"  # load tests only ever go to this machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def clip_48k_wav(word: str) -> bytes:
    """A 1.0-s, 48 kHz, 16-bit WAV of an FSDD test clip (index 0) with a little noise."""
    import soundfile as sf

    from space import audio

    y, _ = audio.load(FSDD / f"{word}_george_0.wav", sr=48000)
    out = np.zeros(48000, np.float32)
    a = (48000 - len(y)) // 2
    out[a : a + len(y)] = 0.5 * y / np.max(np.abs(y))
    out += np.random.default_rng(0).normal(0, 1e-3, 48000).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, out, 48000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def load(url: str, files: dict, data: dict, clients: int, n: int, max_s: float
         ) -> tuple[list[float], list[str], float]:
    import httpx

    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    left = [n]
    deadline = time.monotonic() + max_s

    def worker() -> None:
        with httpx.Client(timeout=30.0) as c:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                t0 = time.perf_counter()
                try:
                    r = c.post(url, files=files, data=data)
                    ok = r.status_code == 200
                    msg = f"{r.status_code} {r.text[:80]}"
                except httpx.HTTPError as e:
                    ok, msg = False, repr(e)
                dt = time.perf_counter() - t0
                with lock:
                    (lat if ok else errors).append(dt if ok else msg)  # type: ignore[arg-type]

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=200, help="per endpoint (bounded)")
    ap.add_argument("--max-s", type=float, default=120.0, help="time bound per endpoint")
    ap.add_argument("--word", default="7")
    ap.add_argument("--out", help="also append the markdown table to this file")
    args = ap.parse_args()
    if not 1 <= args.clients <= 16 or not 1 <= args.requests <= 5000:
        raise SystemExit("keep it bounded: 1-16 clients, 1-5000 requests")

    import httpx

    from space import pronounce
    from space.errors import ReferenceSetError

    env = dict(os.environ)
    tmp = tempfile.TemporaryDirectory(prefix="space-load-")
    try:
        pronounce.reference_paths(args.word)
    except ReferenceSetError:
        env["SPACE_REFERENCES_DIR"] = tmp.name
        os.environ["SPACE_REFERENCES_DIR"] = tmp.name
        pronounce.add_references(args.word, [FSDD / f"{args.word}_{s}_10.wav"
                                             for s in ("jackson", "theo", "lucas")])
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "space", "serve", "--host", HOST, "--port", str(port)],
        env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        wav = clip_48k_wav(args.word)
        files = {"file": ("attempt.wav", wav, "audio/wav")}
        cases = [
            ("POST /api/score", "/api/score", {"word": args.word}, args.requests),
            ("POST /api/score, plot=true", "/api/score", {"word": args.word, "plot": "true"},
             max(8, args.requests // 4)),
            ("POST /api/predict", "/api/predict", {}, args.requests),
        ]
        rows = [f"### Web app load: {args.clients} concurrent clients on {HOST}, 1-s clip "
                "(48 kHz 16-bit WAV)\n",
                "| request | n | errors | p50 ms | p95 ms | p99 ms | max ms | requests/s |",
                "|---|---|---|---|---|---|---|---|"]
        for name, path, data, n in cases:
            for _ in range(3):  # warm-up: models, references, calibration, JIT
                httpx.post(base + path, files=files, data=data, timeout=60).raise_for_status()
            lat, errors, wall = load(base + path, files, data, args.clients, n, args.max_s)
            ms = np.array(lat) * 1000 if lat else np.array([np.nan])
            p50, p95, p99 = np.percentile(ms, [50, 95, 99])
            row = (f"| {name} | {len(lat) + len(errors)} | {len(errors)} | {p50:.1f} | "
                   f"{p95:.1f} | {p99:.1f} | {np.max(ms):.1f} | {len(lat) / wall:.1f} |")
            rows.append(row)
            print(row, flush=True)
            for e in errors[:3]:
                print(f"  error: {e}", file=sys.stderr)
        text = "\n".join(rows) + "\n"
        print(text)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(text + "\n")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
