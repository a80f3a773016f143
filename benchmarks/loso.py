"""FSDD leave-one-speaker-out accuracy: train on 5 speakers, test on the 6th, for each.

    python benchmarks/loso.py [--speakers george,lucas] [--epochs 12] [train options...]

The shipped digits recipe (make models):

    python benchmarks/loso.py --copies 2 --epochs 12 --snr 0,25 --p-noise 0.9 \
        --no-specaugment --vtlp 0.5 --add-learners ../shared/data/speechocean762_words

Prints one row per held-out speaker and the mean. Unseen speakers are what users bring,
so this (not the official split) is the number the digits recipe is tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FSDD = ROOT.parent / "shared" / "data" / "fsdd"
DEFAULT_NOISE = ROOT.parent / "shared" / "data" / "speech_commands" / "_background_noise_"


def run_loso(data: str, speakers: list[str], keep: str | None = None, **train_kwargs) -> list[dict]:
    """Train with each speaker held out in turn; one row (accuracy, clips, seconds) per speaker.

    ``train_kwargs``: :func:`space.api.train_model`'s config objects (``train``, ``model``,
    ``features``). ``keep``: a folder to keep the checkpoints in (``<speaker>.pt``), for
    error analysis."""
    from space.api import train_model

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for spk in speakers:
            t0 = time.time()
            s = train_model(data, folder / f"{spk}.pt", holdout_speaker=spk, progress=False,
                            **train_kwargs)
            rows.append({"speaker": spk, "accuracy": s["test_acc"], "n": s["n_test"],
                         "train_s": round(time.time() - t0, 1)})
            print(f"  {spk:>10}: {s['test_acc']:.4f} ({time.time() - t0:.0f} s)", file=sys.stderr)
    return rows


def recipe(*, epochs: int = 12, copies: int = 1, noise_dir: str | None = None,
           without: tuple[str, ...] = (), seed: int = 0, threads: int = 0, **augment) -> dict:
    """``train_model`` keyword arguments for the digits recipe with the named augmentation
    stages off (``AugmentConfig.without``) and ``augment`` fields changed."""
    from dataclasses import replace

    from space.config import AugmentConfig, TrainConfig

    aug = replace(AugmentConfig(noise_dir=noise_dir).without(*without), **augment)
    return {"train": TrainConfig(epochs=epochs, copies=copies, seed=seed, threads=threads,
                                 augment=aug)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_FSDD))
    ap.add_argument("--noise-dir", default=str(DEFAULT_NOISE))
    ap.add_argument("--speakers", help="comma-separated subset (default: all six)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--channels", default="32,64,128,256")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-colour", action="store_true")
    ap.add_argument("--no-specaugment", action="store_true")
    ap.add_argument("--no-shift", action="store_true")
    ap.add_argument("--no-noise", action="store_true")
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--snr", help="LOW,HIGH dB for the noise mixing (default: the recipe's)")
    ap.add_argument("--p-noise", type=float)
    ap.add_argument("--vtlp", type=float, default=0.0, help="voice warp probability (p_vtlp)")
    ap.add_argument("--add-learners", help="also train on these learners' words (space train "
                    "--add-learners); the held-out FSDD speaker stays the test set")
    ap.add_argument("--learner-repeat", type=int, help="times each --add-learners clip is "
                    "drawn per epoch (space train --learner-repeat; default: its default)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per training (0: all)")
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument("--keep", help="keep the checkpoints in this folder")
    args = ap.parse_args()

    from space.data import fsdd_speakers

    if not Path(args.data).is_dir():
        print(f"FSDD not found at {args.data}", file=sys.stderr)
        return 2
    speakers = args.speakers.split(",") if args.speakers else fsdd_speakers(args.data)
    without = [s for s in ("speed", "colour", "specaugment", "shift", "noise")
               if getattr(args, f"no_{s}")]
    if args.no_augment:
        without = ["speed", "colour", "shift", "gain", "noise", "specaugment"]
    noise = {}
    if args.snr and not args.no_augment:
        noise["snr_db"] = tuple(float(v) for v in args.snr.split(","))
    if args.p_noise is not None and not args.no_augment:
        noise["p_noise"] = args.p_noise
    if args.vtlp:
        noise["p_vtlp"] = args.vtlp
    from space.config import ModelConfig

    rows = run_loso(
        args.data, speakers, keep=args.keep, add_learners=args.add_learners,
        learner_repeat=args.learner_repeat,
        model=ModelConfig(channels=tuple(int(c) for c in args.channels.split(","))),
        **recipe(epochs=args.epochs, copies=args.copies, noise_dir=args.noise_dir,
                 without=tuple(without), threads=args.threads, **noise),
    )
    mean = sum(r["accuracy"] for r in rows) / len(rows)
    flags = " ".join(a for a in sys.argv[1:] if a.startswith("--no")) or "full recipe"
    if args.snr or args.p_noise is not None:
        flags += f", noise at {args.snr or 'default'} dB SNR, p={args.p_noise}"
    if args.vtlp:
        flags += f", VTLP p={args.vtlp}"
    if args.add_learners:
        from space.data.extra import LEARNER_REPEAT

        flags += (f", learners' words from {Path(args.add_learners).name} "
                  f"x{args.learner_repeat or LEARNER_REPEAT}")
    print(f"\nFSDD leave-one-speaker-out ({flags}, {args.epochs} epochs, {args.copies} copies per clip)")
    print("| held-out speaker | accuracy | clips | train s |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['speaker']} | {r['accuracy']:.2%} | {r['n']} | {r['train_s']:.0f} |")
    print(f"| **mean** | **{mean:.2%}** | | |")
    from _common import describe

    print(f"\n{describe()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "mean": mean, "argv": sys.argv[1:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
