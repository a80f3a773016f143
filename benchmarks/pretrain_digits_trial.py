"""Issue 21 trial: the `digits` recipe started from convolutions that first learnt from
Speech Commands' ~200 voices and sc_v1's 779 (not shipped unless it wins).

FSDD has six adult men; the digits model learns its features from them and the learners.
Here the network's conv blocks start from a 12-class Speech Commands model trained with the
digits model's own front end (mel bands up to 4 kHz) on the subset's training speakers
and sc_v1's training quarter as `_unknown_`, *without* any learner (so the learners held
out stay unseen); the digits head starts afresh and the whole shipped recipe runs from
there. Each run is compared with the same recipe from random weights (its figures in
`benchmarks/results/synth_digits.md`, "without").

    space train --data ../shared/data/speech_commands --task 12 --fmax 4000 \\
      --add-unknown ../shared/data/sc_v1_words --epochs 20 \\
      --noise-dir ../shared/data/speech_commands/_background_noise_ \\
      --out ../cache-12/pretrain/sc_fmax4k.pt
    python benchmarks/pretrain_digits_trial.py loso nicolas   # FSDD's worst held-out speaker
    python benchmarks/pretrain_digits_trial.py cv even        # learners with odd ids held out
    python benchmarks/pretrain_digits_trial.py loso nicolas --scratch --seed 1
                                     # the baseline from random weights, another seed: how
                                     # much a second seed alone moves the figure
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import voices  # noqa: E402


def init_checkpoint(pretrained: Path, labels: list[str], out: Path) -> Path:
    """``pretrained``'s conv blocks and front end with a fresh head for ``labels``."""
    import torch

    from space.recognize import checkpoint as ckpt_io
    from space.recognize.words.model import SpaceModel

    src = ckpt_io.load(pretrained)
    torch.manual_seed(0)
    model = SpaceModel(src.feature_cfg, replace(src.model_cfg, n_classes=len(labels)))
    state = {k: v for k, v in src.model.state_dict().items() if not k.startswith("cnn.head.")}
    left = model.load_state_dict(state, strict=False)
    if left.unexpected_keys or set(left.missing_keys) != {"cnn.head.weight", "cnn.head.bias"}:
        raise SystemExit(f"{pretrained}: not the digits network ({left})")
    return ckpt_io.save(ckpt_io.Checkpoint(model, list(labels)), out, with_train_state=False)


def main() -> int:
    from space.api import default_features
    from space.recognize import load_model
    from space.training.words import train

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["loso", "cv"])
    ap.add_argument("which", help="loso: the FSDD speaker held out; cv: even or odd")
    ap.add_argument("--scratch", action="store_true", help="random weights (the baseline)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    mode, which = args.mode, args.which
    cache = voices.ROOT.parent / "cache-12"
    pretrained = cache / "pretrain" / "sc_fmax4k.pt"
    train_ex, val_ex, test_ex, labels, tcfg = voices.digits_recipe(mode, which)
    tcfg = replace(tcfg, seed=args.seed)
    tag = f"{mode}_{which}" + ("_scratch" if args.scratch else "") + f"_seed{args.seed}"
    init = None
    if not args.scratch:
        if not pretrained.is_file():
            raise SystemExit(f"{pretrained} is missing: train it first (this file's docstring)")
        init = init_checkpoint(pretrained, labels, cache / "pretrain" / f"init_{tag}.pt")
    out = cache / "pretrain" / f"{tag}.pt"
    train(train_ex, val_ex, labels, out, feature_cfg=default_features("fsdd"),
          train_cfg=tcfg, progress=False, init=init)
    voices.digits_trial_report(load_model(out), mode, which, test_ex, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
