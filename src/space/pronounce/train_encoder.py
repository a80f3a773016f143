"""Train the frame encoder (``src/space/models/frames.pt``) on Speech Commands + FSDD.

    python -m space.pronounce.train_encoder --speech-commands DIR --fsdd DIR --out frames.pt

Recipe: every word of the Speech Commands training split (its validation and testing
speakers are never seen) and FSDD's training clips (index 5-49), one label per word plus a
'silence' label. Each epoch every clip gets the recogniser's speaker and microphone
augmentation (speed/pitch, EQ, reverb, gain, background noise, time shift), then SpecAugment.
The loss is a cross-entropy per 10 ms frame: speech frames must name their word, frames
well outside the speech 'silence'; frames near the speech edges are not scored. A few
minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .. import audio
from ..config import AugmentConfig
from ..data import Augmenter, Example, fsdd_splits, speech_commands_splits
from ..data.augment import spec_augment
from ..errors import DataError
from .frames import (
    DEFAULT_FEATURES,
    SILENCE,
    EncoderCheckpoint,
    EncoderConfig,
    FrameEncoder,
    save_encoder,
)

IGNORE = -100
EDGE_FRAMES = 3  # frames next to a speech edge are not scored either way


def _examples(sc: str | None, fsdd: str | None) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    val: list[Example] = []
    if sc:
        s = speech_commands_splits(sc)
        train += s.train
        val += s.val
    if fsdd:
        f = fsdd_splits(fsdd)
        train += f.train
        val += f.val
    if not train:
        raise DataError("no training data: give --speech-commands and/or --fsdd")
    return train, val


class _Clips:
    """Clean clips at the model rate with their speech bounds, decoded once."""

    def __init__(self, examples: list[Example], sr: int, top_db: float) -> None:
        self.y: list[np.ndarray] = []
        self.bounds: list[tuple[int, int]] = []
        for ex in examples:
            y, _ = audio.load(ex.path, sr=sr)
            self.y.append(y)
            self.bounds.append(audio.speech_bounds(y, sr, top_db=top_db))


def _batch(clips: _Clips, idx: np.ndarray, targets: np.ndarray, aug: Augmenter | None,
           rng: np.random.Generator, n: int, hop: int, n_frames: int,
           silence: int) -> tuple[torch.Tensor, torch.Tensor]:
    waves = np.zeros((len(idx), n), dtype=np.float32)
    labels = np.full((len(idx), n_frames), IGNORE, dtype=np.int64)
    centres = np.arange(n_frames) * hop
    for r, i in enumerate(idx):
        y, (start, end) = clips.y[i], clips.bounds[i]
        shift = 0
        if aug is not None:
            y, factor = aug.speed(y, rng)
            start, end = int(start / factor), int(end / factor)
            y = aug.colour(y, rng)
            shift = aug.shift(rng)
        span = end - start
        w = audio.fit_window(y, start - shift, end - shift, n)
        if span <= n:
            s0 = n // 2 - span // 2 + shift  # where fit_window put the speech start
        else:  # a long clip: fit_window kept the loudest part; score nothing in doubt
            s0 = 0
        s1 = s0 + min(span, n)
        if aug is not None:
            seg = y[start:end] if end > start else y
            w = aug.gain_and_noise(w, float(np.mean(seg**2)) + 1e-10, rng)
        waves[r] = audio.normalize_peak(w)
        lab = labels[r]
        lab[(centres >= s0) & (centres < s1)] = targets[i]
        e = EDGE_FRAMES * hop
        lab[(centres < s0 - e) | (centres >= s1 + e)] = silence
    return torch.from_numpy(waves), torch.from_numpy(labels)


def train_encoder(
    out: str | Path,
    *,
    speech_commands: str | None,
    fsdd: str | None,
    noise_dir: str | None = None,
    epochs: int = 6,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    threads: int = 2,
    cfg: EncoderConfig | None = None,
    log=print,
) -> EncoderCheckpoint:
    """Train and save the frame encoder; returns its checkpoint (see the module doc)."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    fcfg = DEFAULT_FEATURES
    train, val = _examples(speech_commands, fsdd)
    words = sorted({e.label for e in train})
    labels = [*words, SILENCE]
    index = {w: k for k, w in enumerate(labels)}
    cfg = cfg or EncoderConfig()
    cfg = EncoderConfig(**{**cfg.__dict__, "n_classes": len(labels)})
    t0 = time.time()
    tr_clips = _Clips(train, fcfg.sample_rate, fcfg.trim_top_db)
    va_clips = _Clips(val, fcfg.sample_rate, fcfg.trim_top_db) if val else None
    log(f"loaded {len(train)} training and {len(val)} validation clips, {len(words)} words "
        f"({time.time() - t0:.0f} s)")
    tr_t = np.array([index[e.label] for e in train])
    va_t = np.array([index[e.label] for e in val])
    aug_cfg = AugmentConfig(noise_dir=noise_dir, p_noise=0.8 if noise_dir else 0.0)
    aug = Augmenter(aug_cfg, fcfg.sample_rate)
    from ..audio.features import LogMel

    frontend = LogMel(fcfg)
    model = FrameEncoder(cfg, fcfg.n_mels)
    steps = epochs * (len(train) // batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps,
                                                pct_start=0.2)
    gen = torch.Generator().manual_seed(seed)
    n, hop, n_frames = fcfg.n_samples, fcfg.hop_length, fcfg.n_frames
    silence = index[SILENCE]
    best = (-1.0, None)
    for epoch in range(epochs):
        model.train()
        rng = np.random.default_rng((seed, epoch))
        order = rng.permutation(len(train))
        t_ep, tot, cnt = time.time(), 0.0, 0
        for b in range(len(train) // batch_size):
            idx = order[b * batch_size : (b + 1) * batch_size]
            x, y = _batch(tr_clips, idx, tr_t, aug, rng, n, hop, n_frames, silence)
            with torch.no_grad():
                feats = spec_augment(frontend(x), aug_cfg, gen)
            _, logits = model(feats)
            loss = F.cross_entropy(logits, y, ignore_index=IGNORE, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot, cnt = tot + float(loss.detach()), cnt + 1
        msg = f"epoch {epoch + 1}/{epochs}: loss {tot / max(cnt, 1):.3f}"
        if va_clips is not None:
            acc = _clip_accuracy(model, frontend, va_clips, va_t, n, hop, n_frames, silence)
            msg += f", validation word accuracy {acc:.3f}"
            if acc >= best[0]:
                best = (acc, {k: v.clone() for k, v in model.state_dict().items()})
        log(msg + f" ({time.time() - t_ep:.0f} s)")
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    meta = {"train_clips": len(train), "val_clips": len(val), "epochs": epochs,
            "val_word_accuracy": round(best[0], 4), "train_s": round(time.time() - t0, 1),
            "data": {"speech_commands": speech_commands, "fsdd": fsdd}}
    ck = EncoderCheckpoint(model, fcfg, labels, meta)
    save_encoder(ck, out)
    return ck


@torch.no_grad()
def _clip_accuracy(model, frontend, clips, targets, n, hop, n_frames, silence) -> float:
    """Word accuracy from the mean of the speech frames' logits (silence excluded)."""
    model.eval()
    right = 0
    rng = np.random.default_rng(0)
    for b in range(0, len(targets), 256):
        idx = np.arange(b, min(b + 256, len(targets)))
        x, y = _batch(clips, idx, targets, None, rng, n, hop, n_frames, silence)
        _, logits = model(frontend(x))
        speech = (y != silence) & (y != IGNORE)
        logits[:, silence] = -1e9
        mean = (logits * speech[:, None]).sum(2) / speech.sum(1, keepdim=True).clamp(min=1)
        right += int((mean.argmax(1).numpy() == targets[idx]).sum())
    return right / max(len(targets), 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m space.pronounce.train_encoder",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--speech-commands", help="Speech Commands folder (its training split)")
    p.add_argument("--fsdd", help="FSDD folder (its training split)")
    p.add_argument("--noise-dir", help="background noise recordings to mix in")
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dilations", default="1,2,4",
                   help="dilation of each temporal conv layer (their number sets the depth)")
    p.add_argument("--dim", type=int, default=EncoderConfig.dim)
    args = p.parse_args(argv)
    dil = tuple(int(x) for x in args.dilations.split(","))
    cfg = EncoderConfig(channels1d=(128,) * len(dil), dilations=dil, dim=args.dim)
    from ..errors import SpaceError

    try:
        train_encoder(args.out, speech_commands=args.speech_commands, fsdd=args.fsdd,
                      noise_dir=args.noise_dir, epochs=args.epochs, batch_size=args.batch_size,
                      lr=args.lr, seed=args.seed, threads=args.threads, cfg=cfg,
                      log=lambda m: print(m, file=sys.stderr, flush=True))
    except SpaceError as e:
        print(f"train_encoder: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
