"""space train / space train-frames / space train-phones / space train-sequence: train a
recogniser, the frame encoder or the phone encoder of pronunciation scoring, or the
connected-digits frame model.

The flags map onto the config objects of :mod:`space.config`; their defaults and rules live
there (``--help`` shows them from the classes), and a value a config refuses is reported
here under the flag that set it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._common import add_quiet, show_progress

# Config field -> (flag, how the flag writes a pair). A FieldError on a field is reported
# under its flag.
FLAGS: dict[str, tuple[str, str]] = {
    "epochs": ("--epochs", ""), "batch_size": ("--batch-size", ""), "lr": ("--lr", ""),
    "copies": ("--copies", ""), "seed": ("--seed", ""), "threads": ("--threads", ""),
    "snr_db": ("--snr", "LOW,HIGH in dB"), "p_noise": ("--p-noise", ""), "p_vtlp": ("--vtlp", ""),
    "n_mels": ("--n-mels", ""), "fmax": ("--fmax", ""), "channels": ("--channels", ""),
    "dim": ("--dim", ""), "dilations": ("--dilations", ""), "unknown_share": ("--unknown-share", ""),
}


def _default(cfg: Any, name: str) -> str:
    value = getattr(cfg, name)
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _training_flags(p: argparse.ArgumentParser, train: Any) -> None:
    """Flags of :class:`~space.config.TrainConfig` and its augmentation, defaults from
    ``train`` (a TrainConfig)."""
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, help=f"passes over the data (default {train.epochs})")
    g.add_argument("--batch-size", type=int,
                   help=f"windows per optimizer step (default {train.batch_size})")
    g.add_argument("--lr", type=float,
                   help=f"peak learning rate of the one-cycle schedule (default {train.lr:g})")
    g.add_argument("--seed", type=int, help="seed of the initial weights, the order and the "
                   f"augmentation (default {train.seed})")
    g.add_argument("--threads", type=int,
                   help="torch threads (default: every CPU this process may use)")
    g.add_argument("--resume", help="continue from a <out>.last.pt checkpoint")
    a = p.add_argument_group("augmentation")
    aug = train.augment
    a.add_argument("--noise-dir", help="folder of background-noise recordings to mix in")
    a.add_argument("--snr", metavar="LOW,HIGH",
                   help="range of signal-to-noise ratios (dB) for the noise mixing "
                   f"(default {_default(aug, 'snr_db')})")
    a.add_argument("--p-noise", type=float,
                   help=f"share of examples that get noise (default {aug.p_noise:g})")
    # The ranges are space.data.vtlp's (a test keeps them equal); not imported here, so that
    # --help stays free of numpy.
    a.add_argument("--vtlp", type=float, metavar="P",
                   help="share of examples given another voice: formants x0.9-1.35 and pitch "
                   "x0.8-2.6, each on its own scale, timing kept (women's and children's voices "
                   f"from men's; space.data.vtlp) (default {aug.p_vtlp:g}: off)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    add_quiet(p)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from ..config import FeatureConfig, ModelConfig, TrainConfig

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
    m = p.add_argument_group("more training data")
    m.add_argument("--add-learners", metavar="DIR", help="a speechocean762_words folder: every "
                   "learner's clips of the model's words join the training split (zero..nine as "
                   "0..9; mispronounced clips left out; each --learner-repeat times an epoch)")
    m.add_argument("--learner-repeat", metavar="N", type=int, help="times each --add-learners "
                   "clip is drawn per epoch, each augmented anew (default 3; bundled commands: 6)")
    m.add_argument("--add-unknown", metavar="DIR", action="append",
                   help="a folder of other words (--task 12; repeat for more folders): "
                   "<word>/<speaker>_nohash_<n>.wav (e.g. sc_v1_words: a quarter of its "
                   "speakers train as _unknown_, the next quarter calibrates) or learners' "
                   "words from `space data words` (split by word: 60%% train, 20%% calibrate, "
                   "the rest held out); the calibration parts set the default minimum "
                   "probability stored in the model")
    m.add_argument("--init", metavar="CKPT",
                   help="start from this checkpoint's weights (same network, labels and "
                   "features) instead of random ones: a fine-tune")
    train = TrainConfig()
    _training_flags(p, train)
    g = p.add_argument_group("recogniser")
    g.add_argument("--copies", type=int,
                   help=f"augmented copies of each clip per epoch (default {train.copies})")
    g.add_argument("--unknown-share", type=float, metavar="S",
                   help="share of the loss carried by the _unknown_ class (its clips weighted "
                   "to it; e.g. 0.2), so that many --add-unknown words teach more words to "
                   "refuse without moving the class prior (default: as many as drawn)")
    g.add_argument("--channels",
                   help=f"conv channels per block (default {_default(ModelConfig(), 'channels')})")
    a = p.add_argument_group("augmentation switches")
    a.add_argument("--no-augment", action="store_true", help="switch every augmentation off")
    for stage, what in (("speed", "speed/pitch perturbation"), ("colour", "EQ/reverb"),
                        ("specaugment", "SpecAugment masks"), ("shift", "random time shift")):
        a.add_argument(f"--no-{stage}", action="store_true", help=f"no {what}")
    f = p.add_argument_group("features (stored in the checkpoint)")
    f.add_argument("--fmax", type=float,
                   help="upper mel band edge in Hz (default: 4000 for FSDD, 8000 otherwise)")
    f.add_argument("--n-mels", type=int,
                   help=f"mel bands of the front end (default {FeatureConfig().n_mels})")
    p.add_argument("--skip-bad", action="store_true",
                   help="leave out unusable files (named, with a count) instead of refusing "
                   "to train; every file's header is checked before training starts")

    _add_frames_parser(sub)
    _add_phones_parser(sub)
    _add_sequence_parser(sub)
    return p


def _add_frames_parser(sub: argparse._SubParsersAction) -> None:
    from ..config import FRAMES_TRAIN, EncoderConfig

    q = sub.add_parser(
        "train-frames",
        help="train the frame encoder of pronunciation scoring",
        description="Train the frame encoder (the shipped models/frames.pt) on the training "
        "splits of a Speech Commands folder and/or FSDD: one label per word and per 10 ms "
        "frame, plus silence, with the recogniser's augmentation. Writes the best checkpoint "
        "(by validation word accuracy) to --out and a resumable <out>.last.pt every epoch.",
    )
    q.add_argument("--speech-commands", help="Speech Commands folder (its training split)")
    q.add_argument("--fsdd", help="FSDD folder (its training split)")
    q.add_argument("--out", "-o", required=True, help="checkpoint to write (e.g. frames.pt)")
    _training_flags(q, FRAMES_TRAIN)
    enc = EncoderConfig()
    e = q.add_argument_group("encoder (stored in the checkpoint)")
    e.add_argument("--dilations", help="dilation of each temporal conv layer; their number sets "
                   f"the depth (default {_default(enc, 'dilations')})")
    e.add_argument("--dim", type=int, help=f"frame embedding size (default {enc.dim})")
    q.set_defaults(_run=run_frames)


def _add_phones_parser(sub: argparse._SubParsersAction) -> None:
    from ..config import PHONES_TRAIN

    r = sub.add_parser(
        "train-phones",
        help="train the phone encoder of phone-level pronunciation scores",
        description="Train the phone encoder (the shipped models/phones.pt) on forced-aligned "
        "phone labels (python -m space.training.phone_labels builds them; see "
        "docs/phones.md): one phone or silence per 10 ms frame, with the recogniser's "
        "augmentation. Writes the best checkpoint (by validation phone frame accuracy) to "
        "--out and a resumable <out>.last.pt every epoch.",
    )
    r.add_argument("--labels", help="phone labels file (phone_labels.json)")
    r.add_argument("--learners", help="instead of --labels: the speechocean762 training split "
                   "(its sentences' phones every expert marked right; --learner-cache must "
                   "hold python -m space.training.learner_labels's output)")
    r.add_argument("--learner-cache", help="the decoded audio and align.json of --learners")
    r.add_argument("--init", help="start from this phone model's weights (fine-tune)")
    r.add_argument("--hold-out", default="",
                   help="comma-separated speaker ids of --learners kept out to validate on")
    r.add_argument("--hold-out-half", type=int, choices=(0, 1),
                   help="instead of --hold-out: speaker half 0 or 1 of --learners (speakers "
                        "sorted by id, every other one; what python -m "
                        "space.pronounce.fit_scorer --learner-phones expects)")
    r.add_argument("--out", "-o", required=True, help="checkpoint to write (e.g. phones.pt)")
    _training_flags(r, PHONES_TRAIN)
    r.set_defaults(_run=run_phones)


def _add_sequence_parser(sub: argparse._SubParsersAction) -> None:
    from ..config import SEQUENCE_STEPS_PER_EPOCH, SEQUENCE_TRAIN

    t = sub.add_parser(
        "train-sequence",
        help="train the connected-digits frame model (space listen --grammar)",
        description="Train the connected-digits frame model (the shipped models/digitseq.pt) "
        "on digit sequences built on the fly from FSDD (minus the benchmark's held-out "
        "speakers theo and george), espeak-ng voices the benchmark does not use and, with "
        "--learners, speechocean762's even-id learners, through the recogniser's "
        f"augmentation. An epoch is {SEQUENCE_STEPS_PER_EPOCH} freshly drawn batches; "
        "writes --out and a resumable <out>.last.pt every epoch.",
    )
    t.add_argument("--fsdd", required=True, help="FSDD folder")
    t.add_argument("--speech-commands", required=True,
                   help="Speech Commands folder (its _background_noise_ is the default noise)")
    t.add_argument("--learners", help="speechocean762_words folder: its even-id speakers too")
    t.add_argument("--cache", required=True,
                   help="folder for the decoded and synthesised voice pool (built once)")
    t.add_argument("--out", "-o", required=True, help="checkpoint to write (e.g. digitseq.pt)")
    _training_flags(t, SEQUENCE_TRAIN)
    t.set_defaults(_run=run_sequence)


def _ints(flag: str, text: str) -> tuple[int, ...]:
    from ..errors import UsageError

    try:
        return tuple(int(c) for c in text.split(","))
    except ValueError:
        raise UsageError(f"{flag} must be comma-separated integers, not {text!r}") from None


def _given(args: argparse.Namespace, **names: str) -> dict[str, Any]:
    """Config fields the user set: ``field=attribute`` pairs whose attribute is not None."""
    return {f: getattr(args, a) for f, a in names.items() if getattr(args, a) is not None}


def train_config(args: argparse.Namespace, base: Any) -> Any:
    """The :class:`~space.config.TrainConfig` the flags describe, on top of ``base``.

    Raises :class:`~space.errors.UsageError` naming the flag of a refused value.
    """
    from dataclasses import replace

    from ..config import AugmentConfig
    from ..errors import UsageError

    snr = None
    if args.snr is not None:
        try:
            lo, hi = (float(v) for v in args.snr.split(","))
        except ValueError:
            raise UsageError(f"--snr must be two numbers LOW,HIGH in dB, not {args.snr!r}") from None
        snr = (lo, hi)
    if getattr(args, "no_augment", False):
        if args.vtlp:
            raise UsageError("--vtlp switches an augmentation on; --no-augment switches every "
                             "one off: give one of them")
        aug = AugmentConfig.none()
    else:
        off = [s for s in ("speed", "colour", "specaugment", "shift")
               if getattr(args, f"no_{s}", False)]
        changes = _given(args, noise_dir="noise_dir", p_noise="p_noise", p_vtlp="vtlp")
        if snr is not None:
            changes["snr_db"] = snr
        aug = replace(base.augment.without(*off), **changes)
    fields = dict(epochs="epochs", batch_size="batch_size", lr="lr", seed="seed",
                  threads="threads")
    if hasattr(args, "copies"):  # space train only
        fields["copies"] = "copies"
        fields["unknown_share"] = "unknown_share"
    return replace(base, augment=aug, **_given(args, **fields))


def _as_flag(e: Exception, args: argparse.Namespace) -> Exception:
    """A config's FieldError, re-worded under the flag that set the field."""
    from ..config import FieldError
    from ..errors import UsageError

    if not isinstance(e, FieldError) or e.field not in FLAGS:
        return e
    flag, pair = FLAGS[e.field]
    typed = getattr(args, flag[2:].replace("-", "_"), None)
    rule = e.rule
    if pair:  # "(low, high) with ..." -> "LOW,HIGH in dB with ..."
        rule = pair + rule[rule.index(")") + 1 :]
    return UsageError(f"{flag} must be {rule}, not {typed if typed is not None else e.value}")


def run(args: argparse.Namespace) -> int:
    from ..api import default_features, train_model
    from ..config import FieldError, ModelConfig, TrainConfig
    from ..data import detect_layout

    try:
        model = None
        if args.channels is not None:
            model = ModelConfig(channels=_ints("--channels", args.channels))
        train = train_config(args, TrainConfig())
        features = None
        given = _given(args, fmax="fmax", n_mels="n_mels")
        if given:  # on top of the data set's default band
            from dataclasses import replace

            layout = detect_layout(args.data) if args.layout == "auto" else args.layout
            features = replace(default_features(layout), **given)
    except FieldError as e:
        raise _as_flag(e, args) from None
    summary = train_model(args.data, args.out, train=train, model=model, features=features,
                          layout=args.layout, holdout_speaker=args.holdout_speaker, task=args.task,
                          resume=args.resume, progress=show_progress(args), skip_bad=args.skip_bad,
                          add_learners=args.add_learners, learner_repeat=args.learner_repeat,
                          add_unknown=args.add_unknown, init=args.init)
    if summary is None:  # a non-zero torchrun rank
        return 0
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {summary['checkpoint']} (best epoch {summary['best_epoch']}, val acc "
              f"{summary['val_acc']:.4f}; test acc {summary['test_acc']:.4f} on "
              f"{summary['n_test']} clips)", file=sys.stderr)
        if "rejection" in summary:
            r = summary["rejection"]
            print(f"default minimum probability {r['min_probability']:g} (false accepts "
                  f"{r['false_accept']:.1%} of {r['n_unknown']} other-word clips, false "
                  f"rejects {r['false_reject']:.1%} of {r['n_known']} validation clips)",
                  file=sys.stderr)
    return 0


def run_frames(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..config import FRAMES_TRAIN, EncoderConfig, FieldError
    from ..errors import UsageError
    from ..training.frames import train_encoder

    if not (args.speech_commands or args.fsdd):
        raise UsageError("give --speech-commands and/or --fsdd (the data to train on)")
    try:
        train = train_config(args, FRAMES_TRAIN)
        encoder = EncoderConfig()
        if args.dilations is not None:
            dil = _ints("--dilations", args.dilations)
            encoder = replace(encoder, dilations=dil, channels1d=(encoder.channels1d[0],) * len(dil))
        if args.dim is not None:
            encoder = replace(encoder, dim=args.dim)
    except FieldError as e:
        raise _as_flag(e, args) from None
    _check_noise_dir(train)
    ck = train_encoder(args.out, speech_commands=args.speech_commands, fsdd=args.fsdd,
                       train=train, encoder=encoder, resume=args.resume,
                       progress=show_progress(args),
                       log=lambda m: print(m, file=sys.stderr, flush=True))
    return _report(args, None if ck is None else ck.meta, None if ck is None else ck.labels,
                   "val word acc")


def _check_noise_dir(train: Any) -> None:
    """Refuse a --noise-dir that is not a folder before any data is loaded."""
    from ..data.augment import check_noise_dir

    check_noise_dir(train.augment.noise_dir, flag="--noise-dir")


def _report(args: argparse.Namespace, meta: dict[str, Any] | None, labels: list[str] | None,
            metric: str) -> int:
    """Print what an encoder training wrote (a JSON summary with --json); ``meta`` is None on
    a non-zero torchrun rank, which prints nothing."""
    if meta is None:
        return 0
    summary = {"checkpoint": str(args.out), "best_epoch": meta.get("best_epoch"),
               "val_acc": meta.get("val_acc"), "labels": labels}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {args.out} (best epoch {summary['best_epoch']}, {metric} "
              f"{summary['val_acc']:.4f})", file=sys.stderr)
    return 0


def _checked_train_config(args: argparse.Namespace, recipe: Any) -> Any:
    """The TrainConfig of a network's recipe with the flags applied; bad values reported
    under their flags, a missing --noise-dir refused before any data is loaded."""
    from ..config import FieldError

    try:
        cfg = train_config(args, recipe)
    except FieldError as e:
        raise _as_flag(e, args) from None
    _check_noise_dir(cfg)
    return cfg


def run_phones(args: argparse.Namespace) -> int:
    from ..config import PHONES_TRAIN
    from ..errors import UsageError
    from ..training.phones import train, train_learners

    cfg = _checked_train_config(args, PHONES_TRAIN)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    if args.learners:
        if not args.learner_cache:
            raise UsageError("--learners needs --learner-cache")
        held = {s.strip() for s in args.hold_out.split(",") if s.strip()}
        if args.hold_out_half is not None:
            from ..data import speechocean as so

            half = so.speaker_folds(so.utterances(args.learners), 2)
            held = {s for s, f in half.items() if f == args.hold_out_half}
        m = train_learners(args.out, root=args.learners, cache=args.learner_cache,
                           val_speakers=held, init=args.init, train_cfg=cfg,
                           resume=args.resume, progress=show_progress(args), log=log)
    elif args.labels:
        m = train(args.out, args.labels, train_cfg=cfg, resume=args.resume,
                  progress=show_progress(args), log=log)
    else:
        raise UsageError("give --labels or --learners")
    return _report(args, None if m is None else m.meta, None if m is None else m.labels,
                   "val phone frame acc")


def run_sequence(args: argparse.Namespace) -> int:
    from ..config import SEQUENCE_TRAIN
    from ..training.sequence import train_sequence

    train = _checked_train_config(args, SEQUENCE_TRAIN)
    ck = train_sequence(args.out, fsdd=args.fsdd, speech_commands=args.speech_commands,
                        cache=args.cache, learners=args.learners, train=train,
                        resume=args.resume, progress=show_progress(args),
                        log=lambda m: print(m, file=sys.stderr, flush=True))
    # no validation set (benchmarks/connected.py measures held-out voices): val_acc is NaN
    return _report(args, None if ck is None else ck.meta, None if ck is None else ck.labels,
                   "val (none)")
