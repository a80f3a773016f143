"""How often the no-speech check (space.audio.speech) refuses noise, and real speech.

    python benchmarks/speech_presence.py [--n 300] [--out benchmarks/results/speech_presence.md]

Refusal rates for: synthetic white noise; 1-s cuts of Speech Commands' background-noise
recordings (30 per file); FSDD and Speech Commands clips (every k-th file, ``--n`` each),
clean and with white noise mixed in at 10 and 5 dB SNR (speech power over the speech span);
espeak-ng words in two voices. Noise should be refused, speech never.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    from space import audio
    from space.audio.speech import MAX_FLATNESS, MIN_MODULATION_DB, has_speech

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

    rate("white noise, synthetic (8 and 16 kHz)",
         ((rng.normal(0, 0.1, sr).astype(np.float32), sr) for sr in [8000, 16000] * 25))
    noise_dir = DATA / "speech_commands" / "_background_noise_"
    for f in sorted(noise_dir.glob("*.wav")):
        y, sr = audio.load(f, max_duration_s=None)
        starts = rng.integers(0, len(y) - sr, 30)
        rate(f"background noise: {f.stem} (1-s cuts)", ((y[a : a + sr], sr) for a in starts))

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

    sets = [("FSDD", clips(DATA / "fsdd" / "recordings", "*.wav")),
            ("Speech Commands", clips(DATA / "speech_commands", "*/*.wav"))]
    for name, paths in sets:
        if not paths:
            continue
        for snr in (None, 10.0, 5.0):
            rate(f"{name} clips, " + ("clean" if snr is None else f"white noise at {snr:g} dB SNR"),
                 noisy(paths, snr))
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "yes", "no", "stop", "go", "left", "right", "banana", "pronunciation"]

    def espeak():
        for w in words:
            for voice in ("en-us", "en+f3"):
                wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", w],
                                     capture_output=True, check=True).stdout
                yield audio.load(wav)
    try:
        rate("espeak-ng words (2 voices)", espeak())
    except (OSError, subprocess.CalledProcessError):
        print("espeak-ng not installed: skipped", file=sys.stderr)
    lines = [f"### No-speech check (`space.audio.speech`: refused when spectral flatness > "
             f"{MAX_FLATNESS:g} and level modulation < {MIN_MODULATION_DB:g} dB)\n",
             "| audio | n | refused | refused % |", "|---|---|---|---|"]
    lines += [f"| {name} | {n} | {r} | {100 * r / max(n, 1):.1f}% |" for name, n, r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
