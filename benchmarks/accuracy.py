"""Accuracy of a digits model on FSDD's official test set: clean, with noise at 10 dB SNR,
and the same clip at several sample rates.

    python benchmarks/accuracy.py [--model digits] [--data ../shared/data/fsdd]

Noise at 10 dB comes in two kinds: the Speech Commands background recordings (the kind the
model trained with, other stretches of them) and babble made from Speech Commands speech
(a kind it never trained with).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def babble(sc_root: Path, sr: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Six overlapping talkers from Speech Commands clips: speech-like noise no model saw."""
    from space import audio

    clips = sorted(sc_root.glob("*/*.wav"))
    clips = [c for c in clips if not c.parent.name.startswith("_")]
    n = int(seconds * sr)
    out = np.zeros(n, dtype=np.float32)
    for _ in range(6):
        pos = 0
        track = np.zeros(n, dtype=np.float32)
        while pos < n:
            y, _ = audio.load(clips[rng.integers(len(clips))], sr=sr)
            y = audio.normalize_peak(y)
            k = min(len(y), n - pos)
            track[pos : pos + k] = y[:k]
            pos += k
        out += track
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="digits")
    ap.add_argument("--data", default=str(SHARED / "fsdd"))
    ap.add_argument("--speech-commands", default=str(SHARED / "speech_commands"))
    args = ap.parse_args()

    import soxr

    from space import audio
    from space.data import fsdd_splits
    from space.data.augment import NoiseBank, mix_noise
    from space.recognize.words.recognizer import load_model

    if not Path(args.data).is_dir():
        print(f"FSDD not found at {args.data}", file=sys.stderr)
        return 2
    rec = load_model(args.model)
    test = fsdd_splits(args.data).test
    rng = np.random.default_rng(0)
    sr = 8000
    clips = [audio.load(e.path)[0] for e in test]
    truth = np.array([e.label for e in test])

    def accuracy(waves: list[np.ndarray], rate: int) -> tuple[float, np.ndarray]:
        wins = np.stack([audio.prepare(w, rate, rec.feature_cfg) for w in waves])
        probs = rec.probabilities(wins)
        pred = np.array([rec.labels[i] for i in probs.argmax(1)])
        return float(np.mean(pred == truth)), pred

    rows = []
    clean, _ = accuracy(clips, sr)
    rows.append(("clean", clean))
    sc = Path(args.speech_commands)
    if (sc / "_background_noise_").is_dir():
        pad = np.zeros(int(0.25 * sr), dtype=np.float32)  # noise before and after the word

        def at_10db(cut_noise) -> list[np.ndarray]:
            padded = [np.concatenate([pad, y, pad]) for y in clips]
            return [mix_noise(yy, cut_noise(len(yy)), 10.0) for yy in padded]

        bank = NoiseBank(sc / "_background_noise_", sr)
        noisy = at_10db(lambda n: bank.sample(n, rng))
        rows.append(("background noise, 10 dB SNR", accuracy(noisy, sr)[0]))
        bab = babble(sc, sr, 60.0, rng)

        def cut_babble(n: int) -> np.ndarray:
            start = rng.integers(0, len(bab) - n)
            return bab[start : start + n]

        noisy = at_10db(cut_babble)
        rows.append(("babble (unseen noise kind), 10 dB SNR", accuracy(noisy, sr)[0]))
    preds = {}
    for rate in (8000, 16000, 44100, 48000):
        waves = [soxr.resample(y, sr, rate) if rate != sr else y for y in clips]
        preds[rate] = accuracy(waves, rate)[1]
    same = np.mean([len({preds[r][i] for r in preds}) == 1 for i in range(len(clips))])
    for rate in preds:
        rows.append((f"resampled to {rate / 1000:g} kHz", float(np.mean(preds[rate] == truth))))
    print(f"\nFSDD official test set ({len(clips)} clips), model `{args.model}`")
    print("| condition | accuracy | correct |\n|---|---|---|")
    for name, acc in rows:
        print(f"| {name} | {acc:.2%} | {round(acc * len(clips))}/{len(clips)} |")
    print(f"| same label at 8/16/44.1/48 kHz | {same:.2%} | {round(same * len(clips))}/{len(clips)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
