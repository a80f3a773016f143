"""How often the no-speech check (space.audio.speech) refuses noise, tones, clicks, and speech.

    python benchmarks/speech_presence.py [--n 300] [--out benchmarks/results/speech_presence.md]

Refusal rates for: synthetic white noise; tones (100 Hz-3 kHz, alone, in noise, beeping),
hums (50-120 Hz sawtooth/square/harmonic series), clicks (one, a train, ticks), 50 ms
fragments cut from FSDD words; 1-s cuts of Speech Commands' background-noise recordings
(30 per file); FSDD and Speech Commands clips (every k-th file, ``--n`` each), clean and
with white noise mixed in at 10 and 5 dB SNR (speech power over the speech span); all the
learners' words (speechocean762); espeak-ng words in six voices. Non-speech should be
refused, speech never.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
VOICES = ("en-us", "en+f3", "en-gb", "en+m3", "en-us+f2", "en+klatt")


def synthetic(rng: np.random.Generator) -> dict[str, list[tuple[np.ndarray, int]]]:
    """Tones, hums, clicks: 1 s at 16 kHz each, or 8 kHz where said."""
    sr = 16000
    t = np.arange(sr) / sr
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms fades
    tones = [0.3 * np.sin(2 * np.pi * f * t) * ramp for f in (100, 150, 220, 300, 440, 700,
                                                               1000, 2000, 3000)]
    beeps = 0.3 * np.sin(2 * np.pi * 440 * t) * ((t * 4) % 1 < 0.5)
    hums = []
    for f0 in (50, 60, 100, 120):
        phase = (f0 * t) % 1
        hums += [2 * phase - 1, np.sign(np.sin(2 * np.pi * f0 * t)),
                 sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))]
    clicks = []
    for starts, shape in (([8000], np.full(16, 0.8)), (range(1000, sr, 4000), np.full(16, 0.8)),
                          (range(1000, sr, 2000), 0.5 * np.exp(-np.arange(160) / 20) *
                           rng.normal(0, 1, 160))):
        y = rng.normal(0, 1e-4, sr)
        for a in starts:
            y[a : a + len(shape)] += shape
        clicks.append(y)

    def f32(ys, k=1.0):
        return [((k * y / np.abs(y).max()) if k != 1.0 else y).astype(np.float32) for y in ys]
    return {
        "white noise, synthetic (8 and 16 kHz)":
            [(rng.normal(0, 0.1, r).astype(np.float32), r) for r in [8000, 16000] * 25],
        "tones 100 Hz-3 kHz, 1 s": [(y, sr) for y in f32(tones)],
        "tones in noise (30 dB SNR), beeping": [
            (y, sr) for y in f32([tones[1] + rng.normal(0, 0.01, sr), tones[4]
                                  + rng.normal(0, 0.01, sr), beeps])],
        "tones at 8 kHz (440, 1000 Hz)": [(0.3 * np.sin(2 * np.pi * f * np.arange(8000) / 8000)
                                           .astype(np.float32), 8000) for f in (440, 1000)],
        "hums 50-120 Hz (saw, square, harmonics)": [(y, sr) for y in f32(hums, 0.2)],
        "clicks (one, a train, ticks)": [(y, sr) for y in f32(clicks)],
        "tone of 50 ms": [(tones[4][:800].astype(np.float32), sr)],
    }


def main() -> int:
    from space import audio
    from space.audio.speech import has_speech

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="clips per data set (default 300)")
    ap.add_argument("--out", help="write the markdown table here")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows: list[tuple[str, int, int]] = []

    def rate(name: str, signals) -> None:
        n = refused = 0
        for y, sr in signals:
            n += 1
            refused += not has_speech(y, sr)
        rows.append((name, n, refused))
        print(f"{name}: {refused}/{n}", flush=True)

    for name, signals in synthetic(rng).items():
        rate(name, signals)
    noise_dir = DATA / "speech_commands" / "_background_noise_"
    for f in sorted(noise_dir.glob("*.wav")):
        y, sr = audio.load(f, max_duration_s=None)
        starts = rng.integers(0, len(y) - sr, 30)
        rate(f"background noise: {f.stem} (1-s cuts)", ((y[a : a + sr], sr) for a in starts))

    def fragments():
        for p in clips(DATA / "fsdd" / "recordings", "*.wav")[:50]:
            y, sr = audio.load(p)
            a, b = audio.speech_bounds(y, sr)
            yield y[(a + b) // 2 : (a + b) // 2 + int(0.05 * sr)], sr

    def clips(folder: Path, pattern: str) -> list[Path]:
        files = sorted(p for p in folder.glob(pattern) if "_background_noise_" not in str(p))
        return files[:: max(1, len(files) // args.n)][: args.n]

    def noisy(paths: list[Path], snr: float | None):
        for p in paths:
            y, sr = audio.load(p)
            if snr is not None:
                a, b = audio.speech_bounds(y, sr)
                sigma = np.sqrt(np.mean(y[a:b] ** 2) / 10 ** (snr / 10))
                y = (y + rng.normal(0, sigma, len(y))).astype(np.float32)
            yield y, sr

    rate("50 ms fragments of FSDD words", fragments())
    sets = [("FSDD", clips(DATA / "fsdd" / "recordings", "*.wav")),
            ("Speech Commands", clips(DATA / "speech_commands", "*/*.wav"))]
    for name, paths in sets:
        if not paths:
            continue
        for snr in (None, 10.0, 5.0):
            rate(f"{name} clips, " + ("clean" if snr is None else f"white noise at {snr:g} dB SNR"),
                 noisy(paths, snr))
    learners = sorted((DATA / "speechocean762_words" / "words").glob("*/*.wav"))
    if learners:
        rate("learners' words (speechocean762, all)", noisy(learners, None))
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "yes", "no", "stop", "go", "left", "right", "banana", "pronunciation"]

    def espeak():
        for w in words:
            for voice in VOICES:
                wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", w],
                                     capture_output=True, check=True).stdout
                yield audio.load(wav)
    try:
        rate(f"espeak-ng words ({len(VOICES)} voices)", espeak())
    except (OSError, subprocess.CalledProcessError):
        print("espeak-ng not installed: skipped", file=sys.stderr)
    lines = ["### No-speech check (`space.audio.speech`: too short, steady noise, steady tone)\n",
             "| audio | n | refused | refused % |", "|---|---|---|---|"]
    lines += [f"| {name} | {n} | {r} | {100 * r / max(n, 1):.1f}% |" for name, n, r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
