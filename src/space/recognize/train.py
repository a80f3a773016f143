"""The training loop: single process, or several under ``torchrun`` (DistributedDataParallel).

The trainer knows nothing about the architecture: it gets a :class:`SpaceModel` built from
configs, feeds it waveform windows, and writes checkpoints that carry those configs.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ..config import FeatureConfig, ModelConfig, TrainConfig, to_dict
from ..data import Augmenter, ClipDataset, Example
from ..data.augment import spec_augment
from ..errors import UsageError
from . import checkpoint as ckpt_io
from .model import SpaceModel


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed() -> DistInfo:
    """Join the process group when launched by torchrun (gloo on CPU, nccl on GPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def last_path(out: Path) -> Path:
    """Where the resumable latest-epoch checkpoint lives beside the best one."""
    return out.with_name(out.stem + ".last" + out.suffix)


# OneCycleLR divides by its warm-up and anneal step counts (pct_start * total - 1 and the
# rest), so it fails with ZeroDivisionError on tiny runs; below this many steps the peak
# rate is held constant instead (a run that short learns little either way).
MIN_ONE_CYCLE_STEPS = 8


def lr_schedule(opt: torch.optim.Optimizer, lr: float,
                total_steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    """One-cycle schedule (25% warm-up) over ``total_steps``; constant ``lr`` when the run
    is shorter than :data:`MIN_ONE_CYCLE_STEPS` steps."""
    if total_steps < MIN_ONE_CYCLE_STEPS:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps,
                                               pct_start=0.25)


@torch.no_grad()
def predict_windows(model: torch.nn.Module, ds: ClipDataset, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for every item of an un-augmented dataset [shape=(n, classes)]."""
    model.eval()
    out = []
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False)
    for x, _ in loader:
        out.append(torch.softmax(model(x), dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


def train(
    train_examples: list[Example],
    val_examples: list[Example],
    labels: list[str],
    out: str | Path,
    *,
    feature_cfg: FeatureConfig = FeatureConfig(),
    model_cfg: ModelConfig | None = None,
    train_cfg: TrainConfig = TrainConfig(),
    resume: str | Path | None = None,
    meta: dict | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> ckpt_io.Checkpoint:
    """Train a model and write the best (by validation accuracy) checkpoint to ``out``.

    Every epoch also writes ``<out>.last.pt`` with optimizer state; pass it as ``resume``
    to continue an interrupted run. Under torchrun, every rank trains on its shard and
    rank 0 validates and writes.

    Returns the best checkpoint (on rank 0; the last state elsewhere).
    """
    from tqdm import tqdm

    dist_info = init_distributed()
    log = log or (lambda s: print(s, file=sys.stderr))
    say = log if dist_info.is_main else (lambda s: None)
    out = Path(out)
    model_cfg = model_cfg or ModelConfig(n_classes=len(labels))
    if model_cfg.n_classes != len(labels):
        raise UsageError(f"model has {model_cfg.n_classes} classes, data has {len(labels)}")
    seed_everything(train_cfg.seed)
    # CPUs this process may use (taskset / container cpusets), shared among local ranks
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(max(1, cpus // dist_info.world_size))

    augmenter = Augmenter(train_cfg.augment, feature_cfg.sample_rate)
    train_ds = ClipDataset(train_examples, labels, feature_cfg, augmenter=augmenter,
                           copies=train_cfg.copies, seed=train_cfg.seed)
    val_ds = ClipDataset(val_examples, labels, feature_cfg) if val_examples else None

    model = SpaceModel(feature_cfg, model_cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg.lr,
                            weight_decay=train_cfg.weight_decay)
    per_rank = math.ceil(len(train_ds) / dist_info.world_size)
    steps_per_epoch = max(1, math.ceil(per_rank / train_cfg.batch_size))
    sched = lr_schedule(opt, train_cfg.lr, train_cfg.epochs * steps_per_epoch)
    start_epoch, best_acc, history = 0, -1.0, []
    if resume is not None:
        prev = ckpt_io.load(resume)
        if prev.train_state is None:
            raise UsageError(f"{resume}: has no training state to resume from")
        if prev.labels != labels:
            raise UsageError(f"{resume}: was trained on labels {prev.labels}, data has {labels}")
        model.load_state_dict(prev.model.state_dict())
        opt.load_state_dict(prev.train_state["optimizer"])
        sched.load_state_dict(prev.train_state["scheduler"])
        planned = int(prev.meta.get("train_config", {}).get("epochs", train_cfg.epochs))
        if planned != train_cfg.epochs:
            raise UsageError(f"{resume}: that run was planned for {planned} epochs; resuming "
                              f"continues it, so use --epochs {planned}")
        start_epoch = int(prev.train_state["epoch"]) + 1
        best_acc = float(prev.train_state.get("best_val_acc", -1.0))
        history = list(prev.meta.get("history", []))
        say(f"resuming from {resume} at epoch {start_epoch + 1}")

    ddp_model: torch.nn.Module = model
    if dist_info.world_size > 1:
        from torch.nn.parallel import DistributedDataParallel

        ddp_model = DistributedDataParallel(model)
    gen = torch.Generator().manual_seed(train_cfg.seed + dist_info.rank)
    meta = dict(meta or {})
    meta.update(train_config=to_dict(train_cfg), n_train=len(train_examples),
                n_val=len(val_examples), world_size=dist_info.world_size)
    best: ckpt_io.Checkpoint | None = None
    t0 = time.time()
    for epoch in range(start_epoch, train_cfg.epochs):
        train_ds.set_epoch(epoch)
        order = np.random.default_rng((train_cfg.seed, epoch)).permutation(len(train_ds))
        shard = order[dist_info.rank :: dist_info.world_size]
        # Equal step counts on every rank, or DDP's all-reduce would wait forever.
        shard = np.resize(shard, steps_per_epoch * train_cfg.batch_size)[:per_rank]
        loader = DataLoader(torch.utils.data.Subset(train_ds, shard.tolist()),
                            batch_size=train_cfg.batch_size, shuffle=False,
                            num_workers=train_cfg.num_workers)
        ddp_model.train()

        def masks(feats: torch.Tensor) -> torch.Tensor:
            return spec_augment(feats, train_cfg.augment, gen)

        losses = []
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{train_cfg.epochs}", leave=False,
                   disable=not (progress and dist_info.is_main), file=sys.stderr)
        for x, y in bar:
            logits = ddp_model(x, feature_hook=masks)
            loss = F.cross_entropy(logits, y, label_smoothing=train_cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        train_loss = float(np.mean(losses)) if losses else float("nan")
        val_acc = float("nan")
        if dist_info.is_main and val_ds is not None:
            probs = predict_windows(model, val_ds)
            val_acc = float(np.mean(probs.argmax(1) == np.array(val_ds.targets)))
        history.append({"epoch": epoch + 1, "train_loss": train_loss, "val_acc": val_acc,
                        "elapsed_s": round(time.time() - t0, 1)})
        if dist_info.is_main:
            meta["history"] = history
            state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                     "epoch": epoch, "best_val_acc": max(best_acc, val_acc)}
            current = ckpt_io.Checkpoint(model, labels, dict(meta), state)
            ckpt_io.save(current, last_path(out))
            if val_ds is None or not val_acc < best_acc:  # ties go to the later epoch
                best_acc = val_acc if val_ds is not None else best_acc
                meta["best_epoch"], meta["val_acc"] = epoch + 1, val_acc
                best = ckpt_io.Checkpoint(model, labels, dict(meta), None)
                ckpt_io.save(best, out, with_train_state=False)
        say(f"epoch {epoch + 1}/{train_cfg.epochs}: loss {train_loss:.4f}, "
            f"val acc {val_acc:.4f} ({time.time() - t0:.0f} s)")
        if dist_info.world_size > 1:
            import torch.distributed as dist

            dist.barrier()
    if dist_info.world_size > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    if dist_info.is_main:
        return ckpt_io.load(out)
    return ckpt_io.Checkpoint(model, labels, meta, None)

