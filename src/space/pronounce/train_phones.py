"""Train the phone encoder (``src/space/models/phones.pt``) on forced-aligned phone labels.

    python -m space.pronounce.train_phones --labels cache/phone_labels.json \\
        --noise-dir ../shared/data/speech_commands/_background_noise_ --out phones.pt

Data: the labels file of :mod:`.phone_labels`: Speech Commands *training* speakers (its
validation speakers are the validation set, its testing speakers are never seen),
``sc_v1_words`` and FSDD's training clips. Not the learners' data and no synthetic
speech: those are what the scorer is measured on.

Each clip, each epoch: speed/pitch (+-15%), microphone colour and reverb, level and
background noise (5-30 dB), then SpecAugment; FSDD clips (8 kHz) and 30% of the
wide-band ones are narrowband (low-passed, their mel bands above 4 kHz set to 0), see
:mod:`.phone_encoder`. Loss: cross-entropy per 10 ms frame against the aligned phone
(silence outside the word); frames within 10 ms of a phone boundary are not scored (the
alignment is not that precise). Resumable: ``--out`` + ``.last.pt`` holds the state after
each epoch; run the same command again to go on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .. import audio
from ..config import AugmentConfig
from ..data import Augmenter
from ..data.augment import spec_augment
from .encoder import EncoderConfig, FrameEncoder
from .phone_encoder import (
    DEFAULT_CONFIG,
    FEATURES,
    LABELS,
    SIL,
    PhoneModel,
    high_bands,
    mask_narrowband,
    save_phone_model,
)

IGNORE = -100
P_NARROW = 0.3
EDGE_S = 0.01
PAD_S = 0.3  # audio kept around the aligned word
WINDOW_S = 0.8


QUIET_DB = -35.0  # frames this far below the clip's loudest are not scored as a phone


def _frame_db(y: np.ndarray, sr: int) -> np.ndarray:
    """Level of each 10 ms frame (25 ms window) in dB below the clip's loudest frame."""
    hop, n = sr // 100, int(0.025 * sr)
    yp = np.pad(y, (n // 2, n))
    k = len(y) // hop + 1
    idx = np.arange(k)[:, None] * hop + np.arange(n)[None, :]
    p = np.mean(yp[idx] ** 2, axis=1) + 1e-12
    return (10 * np.log10(p / p.max())).astype(np.float32)


class _Clips:
    def __init__(self, entries: list[tuple[str, dict]], sr: int) -> None:
        self.y, self.spans, self.narrow, self.db = [], [], [], []
        for path, e in entries:
            y, _ = audio.load(path, sr=sr, max_duration_s=None)
            ph = e["phones"]
            a = max(0, int((ph[0][1] - PAD_S) * sr))
            b = min(len(y), int((ph[-1][2] + PAD_S) * sr))
            self.y.append(y[a:b].astype(np.float32))
            self.spans.append(np.array([[LABELS.index(p), s - a / sr, t - a / sr]
                                        for p, s, t in ph], np.float64))
            self.narrow.append(e["sr"] <= 8000)
            self.db.append(_frame_db(self.y[-1], sr))


def _lowpass(y: np.ndarray, sr: int) -> np.ndarray:
    import soxr

    return soxr.resample(soxr.resample(y, sr, 8000), 8000, sr).astype(np.float32)[: len(y)]


def _batch(clips: _Clips, idx: np.ndarray, aug: Augmenter | None, rng: np.random.Generator,
           n: int, hop: int, sr: int) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    n_frames = n // hop + 1
    waves = np.zeros((len(idx), n), np.float32)
    labels = np.full((len(idx), n_frames), IGNORE, np.int64)
    narrow = np.zeros(len(idx), bool)
    centres = np.arange(n_frames) * hop
    for r, i in enumerate(idx):
        y, spans = clips.y[i], clips.spans[i].copy()
        nb = clips.narrow[i]
        if aug is not None and not nb and rng.random() < P_NARROW:
            y, nb = _lowpass(y, sr), True
        narrow[r] = nb
        f = 1.0
        if aug is not None:
            y, f = aug.speed(y, rng)
            spans[:, 1:] /= f
            y = aug.colour(y, rng)
        a, b = int(spans[0, 1] * sr), int(spans[-1, 2] * sr)
        span = b - a
        if span <= n:
            free = n - span
            pos = int(rng.integers(0, free + 1)) if aug is not None else free // 2
            start = a - pos  # clip sample at window sample 0
        else:
            start = a + (span - n) // 2
        w = np.zeros(n, np.float32)
        lo, hi = max(start, 0), min(start + n, len(y))
        if hi > lo:
            w[lo - start:hi - start] = y[lo:hi]
        if aug is not None:
            seg = y[a:b] if b > a else y
            w = aug.gain_and_noise(w, float(np.mean(seg ** 2)) + 1e-10, rng)
        waves[r] = audio.normalize_peak(w)
        t = (centres + start) / sr  # clip time of each frame
        lab = labels[r]
        lab[(t < spans[0, 1] - EDGE_S) | (t >= spans[-1, 2] + EDGE_S)] = SIL
        for p, s, e in spans:
            lab[(t >= s + EDGE_S) & (t < e - EDGE_S)] = int(p)
        # near-silent frames inside the word (a stop's closure, silence the aligner gave
        # to a final phone) are neither that phone nor scored as silence
        db = clips.db[i]
        k = np.clip((t * f * 100).astype(np.int64), 0, len(db) - 1)
        inside = (t >= spans[0, 1]) & (t < spans[-1, 2])
        lab[inside & (db[k] < QUIET_DB)] = IGNORE
        # frames outside the audio we have (window padding beyond the clip) stay silence
    return torch.from_numpy(waves), torch.from_numpy(labels), narrow


def _entries(labels: dict, splits: set[str], sources: set[str]) -> list[tuple[str, dict]]:
    return [(p, e) for p, e in sorted(labels["clips"].items())
            if e["split"] in splits and e["source"] in sources and e["phones"]]


def train(out: Path, labels_path: Path, *, noise_dir: str | None, epochs: int = 6,
          batch_size: int = 48, lr: float = 3e-3, seed: int = 0, threads: int = 1,
          cfg: EncoderConfig = DEFAULT_CONFIG, log=print) -> PhoneModel:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    fcfg = FEATURES
    data = json.loads(labels_path.read_text())
    train_e = _entries(data, {"train"}, {"speech_commands", "sc_v1_words", "fsdd"})
    val_e = _entries(data, {"val"}, {"speech_commands", "fsdd"})
    t0 = time.time()
    tr, va = _Clips(train_e, fcfg.sample_rate), _Clips(val_e, fcfg.sample_rate)
    log(f"loaded {len(tr.y)} training and {len(va.y)} validation clips "
        f"({time.time() - t0:.0f} s)")
    aug_cfg = AugmentConfig(noise_dir=noise_dir, p_noise=0.8 if noise_dir else 0.0,
                            time_masks=2, time_mask_width=4, freq_mask_width=5)
    aug = Augmenter(aug_cfg, fcfg.sample_rate)
    from ..features import LogMel

    frontend = LogMel(fcfg)
    high = high_bands(fcfg)
    model = FrameEncoder(cfg, fcfg.n_mels)
    steps_per = len(tr.y) // batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per,
                                                pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    # 0.8 s windows: every word here fits, and 20% less compute than the 1 s clips
    n, hop = int(WINDOW_S * fcfg.sample_rate), fcfg.hop_length
    state_path = Path(str(out) + ".last.pt")
    start_epoch, best = 0, (-1.0, None)
    if state_path.is_file():
        st = torch.load(state_path, map_location="cpu", weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        start_epoch, best = st["epoch"], (st["best_acc"], st["best"])
        log(f"resumed after epoch {start_epoch}")
    for epoch in range(start_epoch, epochs):
        model.train()
        rng = np.random.default_rng((seed, epoch))
        order = rng.permutation(len(tr.y))
        t_ep, tot, cnt = time.time(), 0.0, 0
        for b in range(steps_per):
            idx = order[b * batch_size:(b + 1) * batch_size]
            x, y, nb = _batch(tr, idx, aug, rng, n, hop, fcfg.sample_rate)
            with torch.no_grad():
                feats = spec_augment(mask_narrowband(frontend(x), nb, high), aug_cfg, gen)
            _, logits = model(feats)
            loss = F.cross_entropy(logits, y, ignore_index=IGNORE, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot, cnt = tot + float(loss.detach()), cnt + 1
            if b % 50 == 0:
                log(f"  epoch {epoch + 1} step {b}/{steps_per} loss {tot / cnt:.3f}")
        acc = _frame_accuracy(model, frontend, high, va, n, hop, fcfg.sample_rate)
        if acc >= best[0]:
            best = (acc, {k: v.clone() for k, v in model.state_dict().items()})
        log(f"epoch {epoch + 1}/{epochs}: loss {tot / max(cnt, 1):.3f}, validation phone "
            f"frame accuracy {acc:.3f} ({time.time() - t_ep:.0f} s)")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": epoch + 1, "best_acc": best[0],
                    "best": best[1]}, state_path)
        model_best = FrameEncoder(cfg, fcfg.n_mels)
        model_best.load_state_dict(best[1])
        model_best.eval()
        meta = {"train_clips": len(tr.y), "val_clips": len(va.y), "epochs": epoch + 1,
                "val_frame_accuracy": round(best[0], 4), "labels": str(labels_path)}
        save_phone_model(PhoneModel(model_best, fcfg, list(LABELS), meta), out)
    return PhoneModel(model_best, fcfg, list(LABELS))


@torch.no_grad()
def _frame_accuracy(model, frontend, high, clips: _Clips, n, hop, sr) -> float:
    """Share of scored speech frames (not silence) whose most likely phone is the label."""
    model.eval()
    right = tot = 0
    rng = np.random.default_rng(0)
    for b in range(0, len(clips.y), 128):
        idx = np.arange(b, min(b + 128, len(clips.y)))
        x, y, nb = _batch(clips, idx, None, rng, n, hop, sr)
        _, logits = model(mask_narrowband(frontend(x), nb, high))
        m = (y != IGNORE) & (y != SIL)
        right += int((logits.argmax(1)[m] == y[m]).sum())
        tot += int(m.sum())
    return right / max(tot, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m space.pronounce.train_phones",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--labels", default="cache/phone_labels.json")
    p.add_argument("--noise-dir")
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=48)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    train(Path(a.out), Path(a.labels), noise_dir=a.noise_dir, epochs=a.epochs,
          batch_size=a.batch_size, lr=a.lr, seed=a.seed, threads=a.threads,
          log=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
