"""space train: train a CNN on a data set folder."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "train",
        help="train a model on a data set folder",
        description="Train a CNN on FSDD, a Speech Commands folder or any folder with one "
        "sub-folder of clips per label. Writes the best checkpoint (by validation accuracy) "
        "to --out and a resumable <out>.last.pt every epoch. Runs under "
        "`torchrun --nproc_per_node=N -m space train ...` for multi-process training.",
    )
    p.add_argument("--data", required=True, help="data set folder")
    p.add_argument("--layout", default="auto", choices=["auto", "fsdd", "speech_commands", "folder"],
                   help="how the folder is organised (default: detect)")
    p.add_argument("--holdout-speaker", help="FSDD: leave this speaker out (test on them only)")
    p.add_argument("--task", choices=["12", "all"],
                   help="Speech Commands: 12 classes (10 commands + _unknown_ + _silence_) or "
                   "all words (default: every word folder is a class)")
    p.add_argument("--out", "-o", required=True, help="checkpoint to write (e.g. model.pt)")
    p.add_argument("--resume", help="continue from a <out>.last.pt checkpoint")
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=12)
    g.add_argument("--batch-size", type=int, default=64)
    g.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (one-cycle)")
    g.add_argument("--copies", type=int, default=1, help="augmented copies of each clip per epoch")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--channels", default="32,64,128,256", help="conv channels per block")
    from ..config import AugmentConfig

    default = AugmentConfig()
    a = p.add_argument_group("augmentation")
    a.add_argument("--noise-dir", help="folder of background-noise recordings to mix in")
    a.add_argument("--snr", metavar="LOW,HIGH",
                   help="range of signal-to-noise ratios (dB) for the noise mixing (default "
                   f"{default.snr_db[0]:g},{default.snr_db[1]:g})")
    a.add_argument("--p-noise", type=float,
                   help=f"share of examples that get noise (default {default.p_noise:g})")
    a.add_argument("--no-augment", action="store_true", help="switch every augmentation off")
    a.add_argument("--no-speed", action="store_true", help="no speed/pitch perturbation")
    a.add_argument("--no-colour", action="store_true", help="no EQ/reverb")
    a.add_argument("--no-specaugment", action="store_true", help="no SpecAugment masks")
    a.add_argument("--no-shift", action="store_true", help="no random time shift")
    f = p.add_argument_group("features (stored in the checkpoint)")
    f.add_argument("--fmax", type=float,
                   help="upper mel band edge in Hz (default: 4000 for FSDD, 8000 otherwise)")
    f.add_argument("--n-mels", type=int, default=40)
    p.add_argument("--skip-bad", action="store_true",
                   help="leave out unusable files (named, with a count) instead of refusing "
                   "to train; every file's header is checked before training starts")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    return p


def run(args: argparse.Namespace) -> int:
    from ..api import train_model
    from ..errors import UsageError

    try:
        channels = tuple(int(c) for c in args.channels.split(","))
    except ValueError:
        raise UsageError(f"--channels must be comma-separated integers, not {args.channels!r}") from None
    snr = None
    if args.snr is not None:
        try:
            lo, hi = (float(v) for v in args.snr.split(","))
        except ValueError:
            raise UsageError(f"--snr must be two numbers LOW,HIGH in dB, not {args.snr!r}") from None
        snr = (lo, hi)
    summary = train_model(
        args.data, args.out, layout=args.layout,
        holdout_speaker=args.holdout_speaker, resume=args.resume, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, copies=args.copies, seed=args.seed,
        channels=channels, noise_dir=args.noise_dir, augment=not args.no_augment,
        speed=not args.no_speed, colour=not args.no_colour,
        specaugment=not args.no_specaugment, shift=not args.no_shift, snr_db=snr,
        p_noise=args.p_noise, fmax=args.fmax, n_mels=args.n_mels, task=args.task, progress=not args.quiet,
        skip_bad=args.skip_bad,
    )
    if summary is None:  # a non-zero torchrun rank
        return 0
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {summary['checkpoint']} (best epoch {summary['best_epoch']}, val acc "
              f"{summary['val_acc']:.4f}; test acc {summary['test_acc']:.4f} on "
              f"{summary['n_test']} clips)", file=sys.stderr)
    return 0
