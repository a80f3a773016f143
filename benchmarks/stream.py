"""Streaming recognition: latency per word, real-time factor, word accuracy, false words.

    python benchmarks/stream.py [--model digits] [--sets fsdd,espeak] [--snr 20,10] [--out FILE]

What it does, in one run (numbers side by side, medians and ratios):

* builds long recordings from isolated test clips with random pauses (0.6-1.6 s) and a
  random gain (-6..+3 dB) per word, with continuous background noise from Speech Commands'
  ``_background_noise_`` (cycled, random offsets) at the given SNR (speech-active RMS over
  noise RMS), and a known truth: (label, start, end) per word;
* feeds each recording through :class:`space.recognize.stream.StreamingRecognizer` in 20 ms chunks
  (what a microphone callback delivers), with and without noise suppression, at 16 kHz
  and at 48 kHz (a browser or laptop microphone);
* per word: processing latency = wall time of the ``accept()`` call that returned its event
  (that chunk's VAD plus the segment's prepare + model); the VAD hangover (silence needed
  to know the word ended) is a fixed wait on top, stated separately;
* real-time factor = total processing time / audio duration;
* word accuracy = truth words matched (time overlap) by an event with the right label;
  also missed words, wrong labels and extra events;
* false words per minute on noise-only audio: every ``_background_noise_`` file streamed
  alone, at its own level.

Sets of clips:

* ``fsdd``: FSDD's official test clips (index 0-4, 300 clips, 6 speakers). These clips were
  never trained on, but their speakers were (FSDD has only 6), so this is the easy case.
* ``espeak``: the ten digits spoken by espeak-ng in 8 voices at 2 speeds (160 clips):
  speakers no model here has heard, synthetic.
* ``commands``: Speech Commands testing-list clips of the 10 command words (unseen speakers,
  many microphones), 30 per word; needs the ``commands`` model.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FSDD = SHARED / "fsdd" / "recordings"
SC = SHARED / "speech_commands"
NOISE = SC / "_background_noise_"
SR = 16000
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ESPEAK_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-us+f3", "en-gb+f2", "en+m3",
                 "en-029", "en-us+m7"]
COMMANDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]


def load16(path: Path) -> np.ndarray:
    from space.audio.load import load

    return load(path, sr=SR, max_duration_s=None)[0]


def clips_fsdd() -> list[tuple[str, np.ndarray]]:
    files = sorted(p for p in FSDD.glob("*.wav") if int(p.stem.split("_")[2]) < 5)
    return [(p.stem.split("_")[0], load16(p)) for p in files]


def clips_espeak() -> list[tuple[str, np.ndarray]]:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for v in ESPEAK_VOICES:
            for speed in (130, 170):
                for d, w in enumerate(DIGIT_WORDS):
                    p = Path(tmp) / f"{d}.wav"
                    subprocess.run(["espeak-ng", "-v", v, "-s", str(speed), "-w", str(p), w],
                                   check=True, capture_output=True)
                    out.append((str(d), load16(p)))
    return out


def clips_commands(per_word: int = 30) -> list[tuple[str, np.ndarray]]:
    listed = (SC / "testing_list.txt").read_text().split()
    out = []
    for w in COMMANDS:
        files = sorted(f for f in listed if f.startswith(w + "/"))[:per_word]
        out += [(w, load16(SC / f)) for f in files]
    return out


def noise_bed(n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples of background noise: the noise files cycled from random offsets, unit RMS."""
    files = sorted(NOISE.glob("*.wav"))
    parts, total = [], 0
    while total < n:
        y = load16(files[int(rng.integers(len(files)))])
        off = int(rng.integers(len(y) // 2))
        seg = y[off : off + int(rng.integers(5, 20) * SR)]
        seg = seg / (np.sqrt(np.mean(seg**2)) + 1e-9)
        parts.append(seg)
        total += len(seg)
    return np.concatenate(parts)[:n].astype(np.float32)


def speech_rms(y: np.ndarray) -> float:
    from space.audio import speech_bounds

    a, b = speech_bounds(y, SR, top_db=30)
    return float(np.sqrt(np.mean(y[a:b] ** 2)))


def build_recording(clips: list[tuple[str, np.ndarray]], snr_db: float | None, seed: int
                    ) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Clips in random order with pauses and noise; truth as (label, start_s, end_s)."""
    from space.audio import speech_bounds

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(clips))
    pieces, truth, t = [np.zeros(int(0.8 * SR), np.float32)], [], int(0.8 * SR)
    levels = []
    for i in order:
        label, y = clips[i]
        y = y / (speech_rms(y) + 1e-9) * 0.1 * 10 ** (rng.uniform(-6, 3) / 20)
        levels.append(speech_rms(y))
        a, b = speech_bounds(y, SR, top_db=30)
        truth.append((label, (t + a) / SR, (t + b) / SR))
        pause = np.zeros(int(rng.uniform(0.6, 1.6) * SR), np.float32)
        pieces += [y.astype(np.float32), pause]
        t += len(y) + len(pause)
    rec = np.concatenate(pieces)
    if snr_db is not None:
        noise_rms = float(np.median(levels)) / 10 ** (snr_db / 20)
        rec = rec + noise_bed(len(rec), rng) * noise_rms
    peak = float(np.max(np.abs(rec)))
    if peak > 0.99:
        rec = rec * (0.99 / peak)
    return rec.astype(np.float32), truth


def run_stream(rec_model, y: np.ndarray, sr: int, *, chunk_ms: float = 20.0, **cfg):
    """Feed y in chunks; return events with per-event processing latency, and total time."""
    from space.recognize.stream import StreamingRecognizer

    s = StreamingRecognizer(rec_model, sr=sr, **cfg)
    n = max(1, int(round(chunk_ms / 1000 * sr)))
    events, lat, total = [], [], 0.0
    for i in range(0, len(y), n):
        t0 = time.perf_counter()
        evs = s.accept(y[i : i + n])
        dt = time.perf_counter() - t0
        total += dt
        events += evs
        lat += [dt] * len(evs)
    t0 = time.perf_counter()
    evs = s.flush()
    dt = time.perf_counter() - t0
    total += dt
    events += evs
    lat += [dt] * len(evs)
    return events, lat, total, s.cfg


def score_events(events, truth) -> dict[str, int]:
    """Match events to truth words one-to-one by time overlap (largest overlap first)."""
    pairs = []
    for i, ev in enumerate(events):
        for j, (_, a, b) in enumerate(truth):
            ov = min(ev.end_s, b) - max(ev.start_s, a)
            if ov > 0:
                pairs.append((ov, i, j))
    used_e, used_t, correct, wrong = set(), set(), 0, 0
    for _, i, j in sorted(pairs, reverse=True):
        if i in used_e or j in used_t:
            continue
        used_e.add(i)
        used_t.add(j)
        if events[i].label == truth[j][0]:
            correct += 1
        else:
            wrong += 1
    return {"words": len(truth), "correct": correct, "wrong": wrong,
            "missed": len(truth) - len(used_t), "extra": len(events) - len(used_e)}


def resample(y: np.ndarray, sr: int) -> np.ndarray:
    from space.audio.load import resample as rs

    return y if sr == SR else rs(y, SR, sr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="digits")
    ap.add_argument("--sets", default="fsdd,espeak", help="fsdd, espeak, commands")
    ap.add_argument("--snr", default="20,10", help="SNRs in dB of the background noise")
    ap.add_argument("--rates", default="16000,48000", help="stream rates in Hz")
    ap.add_argument("--chunk-ms", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--out", help="also append the markdown tables to this file")
    args = ap.parse_args()


    import space
    from space import threads as space_threads

    space_threads.apply(args.threads)  # the package's policy: engines follow it
    model = space.load_model(args.model)
    makers = {"fsdd": clips_fsdd, "espeak": clips_espeak, "commands": clips_commands}
    rates = [int(r) for r in args.rates.split(",")]
    snrs = [float(s) for s in args.snr.split(",")]
    lines = [f"### Streaming, model `{args.model}`, {args.chunk_ms:g} ms chunks, "
             f"torch threads {args.threads}\n"]
    hangover = None

    rows = ["| clips | SNR dB | rate Hz | noise suppr. | words | correct | wrong | missed | "
            "extra | accuracy | latency p50 / p95 / max ms | RTF |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for set_name in args.sets.split(","):
        clips = makers[set_name]()
        for snr in snrs:
            rec16, truth = build_recording(clips, snr, args.seed)
            dur = len(rec16) / SR
            for sr in rates:
                y = resample(rec16, sr)
                for nr in (False, True):
                    model.predict(y[: sr], sr=sr)  # warm-up
                    events, lat, total, cfg = run_stream(model, y, sr, chunk_ms=args.chunk_ms,
                                                         noise_reduce=nr)
                    hangover = cfg.hangover_ms
                    m = score_events(events, truth)
                    ms = sorted(1000 * x for x in lat) or [float("nan")]
                    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
                    row = (f"| {set_name} ({len(clips)}, {dur / 60:.1f} min) | {snr:g} | {sr} | "
                           f"{'yes' if nr else 'no'} | {m['words']} | {m['correct']} | "
                           f"{m['wrong']} | {m['missed']} | {m['extra']} | "
                           f"{100 * m['correct'] / m['words']:.1f}% | "
                           f"{statistics.median(ms):.1f} / {p95:.1f} / {ms[-1]:.1f} | "
                           f"{total / dur:.4f} |")
                    rows.append(row)
                    print(row, flush=True)
    lines += rows
    lines.append(f"\nVAD hangover (silence that ends a word, a wait on top of the latency "
                 f"above): {hangover:g} ms.\n")

    rows = ["| noise file | minutes | rate Hz | noise suppr. | false words | per minute |",
            "|---|---|---|---|---|---|"]
    tot = {False: [0, 0.0], True: [0, 0.0]}
    for f in sorted(NOISE.glob("*.wav")):
        y16 = load16(f)
        for sr in rates[:1]:
            y = resample(y16, sr)
            for nr in (False, True):
                events, _, _, _ = run_stream(model, y, sr, chunk_ms=args.chunk_ms, noise_reduce=nr)
                mins = len(y) / sr / 60
                tot[nr][0] += len(events)
                tot[nr][1] += mins
                labels = ",".join(e.label for e in events)
                row = (f"| {f.stem} | {mins:.2f} | {sr} | {'yes' if nr else 'no'} | "
                       f"{len(events)}{f' ({labels})' if labels else ''} | "
                       f"{len(events) / mins:.2f} |")
                rows.append(row)
                print(row, flush=True)
    for nr in (False, True):
        rows.append(f"| **all** | {tot[nr][1]:.2f} | {rates[0]} | {'yes' if nr else 'no'} | "
                    f"{tot[nr][0]} | **{tot[nr][0] / tot[nr][1]:.2f}** |")
        print(rows[-1])
    lines += ["", *rows, ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
