"""Bounded load and soak on the web app: concurrent clients against 127.0.0.1.

    python benchmarks/web_load.py [--clients 4] [--requests 200] [--max-s 120] [--out FILE]
    python benchmarks/web_load.py --soak [--clients 16] [--soak-s 120] [--out FILE]

Two modes. The default measures latency per endpoint (below). ``--soak`` first measures
``POST /api/score`` (no picture) at 4 and at 16 clients (p95 beside the load average), then
runs ``--clients`` clients for ``--soak-s`` seconds, each drawing requests from a fixed mix:
valid score/predict uploads, ``GET /api/words``, reference adds (a small pool of clips, so
the same recording is often added by several clients at once), invalid uploads (not audio,
a truncated WAV, white noise), oversize uploads, slow (trickled, chunked) uploads and
requests cancelled by the client mid-way. It reports p50/p95/p99 per request kind,
answers by status, unexpected answers (any 5xx, or a status the kind should not get), the
server's RSS at the start and end, and checks the references folder afterwards: no partial
or hidden temporary files, no recording stored twice, every clip decodable.

Starts ``space serve`` on 127.0.0.1 (a free port; never another host) as a user would, sends
a 1-s clip of a spoken digit recorded as the page sends it (16-bit WAV at 48 kHz) from
``--clients`` threads at once, each waiting for its answer before sending the next, and
prints p50/p95/p99 latency, throughput and errors for

* ``POST /api/score`` (word, no picture): the target, p95 <= 100 ms with 4 clients;
* ``POST /api/score`` with ``plot=true`` (the page's request: adds the feedback PNG);
* ``POST /api/predict``.

Every run is bounded by ``--requests`` per endpoint and ``--max-s`` seconds; every soak
client by ``--soak-s`` seconds and 10,000 requests, every request by a 60-s timeout.
References: the bundled set of the word when installed, else three FSDD training clips
(index >= 5) put in a temporary user references folder.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import HOST, describe, free_port, page_wav, run_clients

ROOT = Path(__file__).resolve().parents[1]
FSDD = ROOT.parent / "shared" / "data" / "fsdd" / "recordings"


def clip_48k_wav(word: str) -> bytes:
    """A 1.0-s, 48 kHz, 16-bit WAV of an FSDD test clip (index 0) with a little noise."""
    return page_wav(FSDD / f"{word}_george_0.wav")


def load(url: str, files: dict, data: dict, clients: int, n: int, max_s: float
         ) -> tuple[list[float], list[str], float]:
    """``clients`` clients posting ``files``/``data`` to ``url`` (:func:`_common.run_clients`);
    an answer other than 200 is an error."""

    def post(c: Any) -> str:
        r = c.post(url, files=files, data=data)
        return "" if r.status_code == 200 else f"{r.status_code} {r.text[:80]}"

    return run_clients(post, clients, n, max_s)


# ---------------------------------------------------------------------------------------
# soak

SOAK_MIX = [  # (kind, weight, statuses it may get)
    ("score", 30, {200}),
    ("predict", 22, {200}),
    ("words", 10, {200}),
    ("reference-add", 8, {200}),
    ("invalid", 12, {415, 422}),
    ("oversize", 6, {413}),
    ("slow-upload", 6, {200}),
    ("cancelled", 6, set()),  # the client gives up; the server must carry on
]


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc): contention-free cost."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body (for trickled uploads, sent in pieces)."""
    boundary = "spaceboundary7d3f"
    out = []
    for k, v in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   .encode())
    for field, name, data in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                   f'filename="{name}"\r\nContent-Type: audio/wav\r\n\r\n'.encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def send(c, base: str, word: str, inputs: dict, kind: str, rnd) -> str:  # noqa: ANN001
    """One request of a soak kind (``SOAK_MIX``); its status code, or what became of a
    cancelled one."""
    import httpx

    valid = inputs["valid"]
    if kind == "score":
        r = c.post(f"{base}/api/score", data={"word": word},
                   files={"file": ("a.wav", valid, "audio/wav")})
    elif kind == "predict":
        r = c.post(f"{base}/api/predict", files={"file": ("a.wav", valid, "audio/wav")})
    elif kind == "words":
        r = c.get(f"{base}/api/words")
    elif kind == "reference-add":
        name, data = rnd.choice(inputs["pool"])
        r = c.post(f"{base}/api/references/soak-{word}",
                   files=[("files", (name, data, "audio/wav"))])
    elif kind == "invalid":
        name, data = rnd.choice(inputs["invalid"])
        path = rnd.choice(["/api/score", "/api/predict"])
        r = c.post(base + path, data={"word": word}, files={"file": (name, data)})
    elif kind == "oversize":
        r = c.post(f"{base}/api/predict", files={"file": ("big.wav", inputs["oversize"])})
    elif kind == "slow-upload":
        body, ctype = multipart({"word": word}, [("file", "slow.wav", valid)])

        def trickle():  # 8 pieces over about 0.8 s, chunked: no Content-Length up front
            step = -(-len(body) // 8)
            for i in range(0, len(body), step):
                yield body[i : i + step]
                time.sleep(0.1)
        r = c.post(f"{base}/api/score", content=trickle(), headers={"content-type": ctype})
    else:  # cancelled: give up after a few ms, mid-upload or mid-answer
        try:
            c.post(f"{base}/api/score", data={"word": word},
                   files={"file": ("a.wav", valid, "audio/wav")},
                   timeout=httpx.Timeout(rnd.uniform(0.002, 0.05)))
        except httpx.TimeoutException:
            return "cancelled"
        return "answered before the cut"
    return str(r.status_code)


def warm_up(base: str, word: str, inputs: dict) -> None:
    """One request of each valid kind before the soak's first RSS reading: the server loads
    models and references on first use, which is not growth under load."""
    import random

    import httpx

    with httpx.Client(timeout=60.0) as c:
        for kind in ("score", "predict", "words", "reference-add"):
            code = send(c, base, word, inputs, kind, random.Random(0))
            if code != "200":
                raise SystemExit(f"warm-up: {kind} answered {code}")


def soak_inputs(word: str, max_upload: int) -> dict[str, object]:
    """Every body the soak sends, made once."""
    from space import audio

    valid = clip_48k_wav(word)
    rng = np.random.default_rng(0)
    pool = []  # reference clips: 4 distinct recordings of the word (adds race on the same ones)
    for spk in ("jackson", "theo", "lucas", "nicolas"):
        y, sr = audio.load(FSDD / f"{word}_{spk}_12.wav")
        pool.append((f"{spk}.wav", wav_bytes(y, sr)))
    noise = wav_bytes((0.1 * rng.standard_normal(16000)).astype(np.float32), 16000)
    return {
        "valid": valid,
        "pool": pool,
        "invalid": [("junk.wav", b"this is not audio " * 50), ("cut.wav", valid[: len(valid) // 3]),
                    ("noise.wav", noise)],
        "oversize": b"\0" * (max_upload + 256 * 1024),
    }


def soak(base: str, word: str, clients: int, seconds: float, inputs: dict, max_upload: int
         ) -> tuple[dict, dict, list]:
    """Run the mix; returns (latencies by kind, status counts by kind, unexpected answers)."""
    import random

    import httpx

    kinds, weights = [k for k, _, _ in SOAK_MIX], [w for _, w, _ in SOAK_MIX]
    allowed = {k: a for k, _, a in SOAK_MIX}
    lat: dict[str, list[float]] = {k: [] for k in kinds}
    status: dict[str, dict[str, int]] = {k: {} for k in kinds}
    unexpected: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        rnd = random.Random(i)
        with httpx.Client(timeout=60.0) as c:
            for _ in range(10_000):  # bounded in count as well as time
                if time.monotonic() >= deadline:
                    return
                kind = rnd.choices(kinds, weights)[0]
                t0 = time.perf_counter()
                try:
                    code = send(c, base, word, inputs, kind, rnd)
                except httpx.HTTPError as e:
                    code = f"client error {type(e).__name__}"
                dt = time.perf_counter() - t0
                with lock:
                    status[kind][code] = status[kind].get(code, 0) + 1
                    if code.isdigit():
                        lat[kind].append(dt)
                        if int(code) >= 500 or (allowed[kind] and int(code) not in allowed[kind]):
                            unexpected.append(f"{kind}: {code}")
                    elif kind != "cancelled":
                        unexpected.append(f"{kind}: {code}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, status, unexpected


def check_references(root: Path) -> list[str]:
    """Problems in a references folder after concurrent adds (empty list: none)."""
    import hashlib

    from space import audio

    problems = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        seen: dict[str, str] = {}
        for f in sorted(d.iterdir()):
            if f.name.startswith(".") or f.suffix == ".tmp":
                problems.append(f"leftover file {f}")
                continue
            if f.suffix.lower() not in (".wav", ".flac"):
                continue
            h = hashlib.sha256(f.read_bytes()).hexdigest()
            if h in seen:
                problems.append(f"{f.name} duplicates {seen[h]} in {d.name}")
            seen[h] = f.name
            try:
                audio.load(f)
            except Exception as e:  # any failure here is a partial file
                problems.append(f"{f}: {e}")
    return problems


def pct_row(name: str, values: list[float], extra: str = "") -> str:
    ms = np.array(values) * 1000 if values else np.array([np.nan])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"| {name} | {len(values)} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {np.max(ms):.0f} |{extra}"


def run_soak(args: argparse.Namespace, base: str, server: subprocess.Popen, refs: Path) -> str:
    import platform

    from space.threads import policy

    wav = clip_48k_wav(args.word)
    files = {"file": ("attempt.wav", wav, "audio/wav")}
    import httpx

    for _ in range(3):  # warm-up: models, references, calibration, JIT
        httpx.post(f"{base}/api/score", files=files, data={"word": args.word},
                   timeout=60).raise_for_status()
        httpx.post(f"{base}/api/predict", files=files, timeout=60).raise_for_status()
    rows = [f"## Web app under load ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs)\n",
            "### POST /api/score (no picture), 1-s 48 kHz WAV\n",
            "| clients | n | p50 ms | p95 ms | p99 ms | max ms | load average (1 min) before / after "
            "| server CPU ms per request |",
            "|---|---|---|---|---|---|---|---|"]
    for n_clients in (1, 4, 16):
        la0, c0 = os.getloadavg()[0], cpu_s(server.pid)
        lat, errors, _ = load(f"{base}/api/score", files, {"word": args.word}, n_clients,
                              args.requests if n_clients > 1 else max(10, args.requests // 4),
                              args.max_s)
        la1, c1 = os.getloadavg()[0], cpu_s(server.pid)
        per = 1000 * (c1 - c0) / max(1, len(lat) + len(errors))
        rows.append(pct_row(str(n_clients), lat, f" {la0:.2f} / {la1:.2f} | {per:.0f} |").replace(
            f"| {n_clients} | {len(lat)} |", f"| {n_clients} | {len(lat) + len(errors)} |"))
        if errors:
            rows.append(f"\n{len(errors)} errors, first: {errors[0]}\n")
        print(rows[-1], flush=True)
    inputs = soak_inputs(args.word, int(args.max_upload_mb * 1024 * 1024))
    warm_up(base, args.word, inputs)
    rss0 = rss_mb(server.pid)
    la0 = os.getloadavg()[0]
    t0 = time.monotonic()
    # RSS every 10 s: a plateau (allocator arenas and caches filling once) reads differently
    # from steady growth (a leak) though both end above where they started.
    timeline: list[tuple[float, float]] = [(0.0, rss0)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(10.0):
            timeline.append((time.monotonic() - t0, rss_mb(server.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lat, status, unexpected = soak(base, args.word, args.clients, args.soak_s, inputs,
                                   int(args.max_upload_mb * 1024 * 1024))
    wall = time.monotonic() - t0
    stop.set()
    sampler.join()
    time.sleep(2)  # let cancelled requests finish on the server
    rss1 = rss_mb(server.pid)
    timeline.append((time.monotonic() - t0, rss1))
    half = [(t, m) for t, m in timeline if t >= wall / 2]
    slope = (half[-1][1] - half[0][1]) / max(1e-9, half[-1][0] - half[0][0]) * 60 \
        if len(half) > 1 else float("nan")
    la1 = os.getloadavg()[0]
    problems = check_references(refs)
    total = sum(sum(v.values()) for v in status.values())
    n5xx = sum(n for v in status.values() for code, n in v.items() if code.isdigit()
               and int(code) >= 500)
    rows += ["", f"### Soak: {args.clients} clients for {wall:.0f} s, {total} requests "
             f"({total / wall:.1f}/s), load average {la0:.2f} -> {la1:.2f}\n",
             "| request kind | n answered | p50 ms | p95 ms | p99 ms | max ms | answers |",
             "|---|---|---|---|---|---|---|"]
    for k, _, _ in SOAK_MIX:
        answers = ", ".join(f"{c}: {n}" for c, n in sorted(status[k].items()))
        rows.append(pct_row(k, lat[k], f" {answers} |"))
    rows += ["",
             f"- 5xx answers: {n5xx}; unexpected answers: {len(unexpected)}"
             + (f" (first: {unexpected[:5]})" if unexpected else ""),
             f"- server RSS: {rss0:.0f} MB at the start of the soak, {rss1:.0f} MB at the end "
             f"({rss1 - rss0:+.0f} MB; target < 50 MB growth); every 10 s: "
             + ", ".join(f"{m:.0f}" for _, m in timeline)
             + f" MB; second half {slope:+.1f} MB/min",
             f"- references folder after {status['reference-add'].get('200', 0)} concurrent adds "
             f"of 4 distinct clips: {len([p for p in (refs / f'soak-{args.word}').glob('*')])} "
             f"files; problems: {problems or 'none'} (no partial, temporary or duplicate file)",
             "", "Reproduce: `PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/web_load.py "
             f"{' '.join(sys.argv[1:])}` (server: `space serve` on {HOST}, "
             f"threads by `space.threads`: {policy()}).",
             "The machine was shared with other jobs (load average above, on "
             f"{os.cpu_count()} CPUs): latencies are queueing behind them; the server CPU time per "
             "request is the contention-free cost."]
    text = "\n".join(rows) + "\n"
    print(text)
    ok = n5xx == 0 and not unexpected and not problems and rss1 - rss0 < 50
    print("PASS" if ok else "FAIL", file=sys.stderr)
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=200, help="per endpoint (bounded)")
    ap.add_argument("--max-s", type=float, default=120.0, help="time bound per endpoint")
    ap.add_argument("--word", default="7")
    ap.add_argument("--out", help="also append the markdown table to this file")
    ap.add_argument("--soak", action="store_true", help="the load-and-soak run (see above)")
    ap.add_argument("--soak-s", type=float, default=120.0, help="soak length (default 120 s)")
    ap.add_argument("--max-upload-mb", type=float, default=2.0,
                    help="--soak: the server's upload limit (oversize uploads exceed it)")
    args = ap.parse_args()
    if args.soak and "--clients" not in sys.argv:
        args.clients = 16
    if not 1 <= args.clients <= 16 or not 1 <= args.requests <= 5000 or not \
            0 < args.soak_s <= 600:
        raise SystemExit("keep it bounded: 1-16 clients, 1-5000 requests, soak <= 600 s")

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
    refs = Path(tmp.name) / "refs"  # the soak adds references here, never to the user's folder
    cmd = [sys.executable, "-m", "space", "serve", "--host", HOST, "--port", str(port)]
    if args.soak:
        cmd += ["--references-dir", str(refs), "--max-upload-mb", str(args.max_upload_mb)]
    server = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL, text=True)
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
        if args.soak:
            text = run_soak(args, base, server, refs)
            if args.out:
                with open(args.out, "w") as fh:
                    fh.write(text)
            return 0
        wav = clip_48k_wav(args.word)
        files = {"file": ("attempt.wav", wav, "audio/wav")}
        cases = [
            ("POST /api/score", "/api/score", {"word": args.word}, args.requests),
            ("POST /api/score, plot=true", "/api/score", {"word": args.word, "plot": "true"},
             max(8, args.requests // 4)),
            ("POST /api/predict", "/api/predict", {}, args.requests),
        ]
        rows = [f"### Web app load: {args.clients} concurrent clients on {HOST}, 1-s clip "
                "(48 kHz 16-bit WAV)\n", f"- {describe()}\n",
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
