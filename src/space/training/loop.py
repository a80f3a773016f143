"""The one training loop, for every network SPACE trains: single process, or several under
``torchrun`` (DistributedDataParallel).

:func:`fit` knows nothing about the architecture (as nanoGPT's trainer): what differs
between the recogniser and the frame encoder of pronunciation scoring (the network, its
training windows, its loss, its validation number, its checkpoint) comes in as a
:class:`Task`. The loop owns the rest: seeding, thread count, AdamW with a one-cycle
schedule, epochs of shuffled (and, under torchrun, sharded) batches, SpecAugment's random
generator, the progress bar, validation, the best and the resumable last checkpoint.

Each network's task is beside this module: the word recogniser (:mod:`.words`), the
connected-digits frame model (:mod:`.sequence`), the frame encoder (:mod:`.frames`) and the
phone model (:mod:`.phones`).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from ..config import TrainConfig, to_dict
from ..data import ClipDataset
from ..data.augment import spec_augment
from ..errors import UsageError
from ..recognize import checkpoint as ckpt_io

Masks = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@dataclass
class Task:
    """What one kind of network brings to :func:`fit`.

    Attributes
    ----------
    model : torch.nn.Module
        The network that is optimised and checkpointed.
    labels : list[str]
        Its output classes (a resumed run must have the same).
    train_set : ClipDataset
        Training items ``(window [n_samples], target)``; ``set_epoch`` re-draws their
        augmentation each epoch.
    loss : callable
        ``(model, windows [b, n_samples], targets, spec_augment) -> scalar loss``; ``model``
        may be the DDP wrapper, ``spec_augment`` masks a log-mel batch in place.
    save : callable
        ``(path, meta, train_state or None) -> path``: write a checkpoint of ``model``.
    format : str
        The checkpoint format ``save`` writes (:mod:`space.recognize.checkpoint`).
    validate : callable, optional
        ``model -> number``, higher is better (the best checkpoint is chosen by it); run on
        rank 0 after every epoch. ``None``: no validation data, the last epoch is the best.
    metric : str
        What ``validate`` measures, for the log.
    """

    model: torch.nn.Module
    labels: list[str]
    train_set: ClipDataset
    loss: Callable[[torch.nn.Module, torch.Tensor, torch.Tensor, Masks], torch.Tensor]
    save: Callable[[Path, dict[str, Any], dict[str, Any] | None], Path]
    format: str
    validate: Callable[[torch.nn.Module], float] | None = None
    metric: str = "val acc"


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


def lr_schedule(opt: torch.optim.Optimizer, lr: float, total_steps: int, *,
                warmup: float = 0.25) -> torch.optim.lr_scheduler.LRScheduler:
    """One-cycle schedule (``warmup`` share rising) over ``total_steps``; constant ``lr``
    when the run is shorter than :data:`MIN_ONE_CYCLE_STEPS` steps."""
    if total_steps < MIN_ONE_CYCLE_STEPS:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps,
                                               pct_start=warmup)


def portable_path(path: str | os.PathLike | None) -> str | None:
    """A data path for a checkpoint's meta: relative to the working folder, so a shipped
    file names no machine's folders."""
    return None if path is None else os.path.relpath(path)


def _resume(resume: str | os.PathLike, task: Task, cfg: TrainConfig,
            opt: torch.optim.Optimizer, sched: Any) -> tuple[int, float, list[dict[str, Any]]]:
    """Load ``resume``'s weights, optimizer and schedule into the run; return the epoch to
    start from, the best validation so far and the history. Refuses a file of another run."""
    prev = ckpt_io.read(resume, format=task.format)
    state = prev.get("train_state")
    if not isinstance(state, dict):
        raise UsageError(f"{resume}: has no training state to resume from")
    prev_labels = [str(x) for x in prev.get("labels", [])]
    if prev_labels != task.labels:
        raise UsageError(f"{resume}: was trained on labels {prev_labels}, data has "
                         f"{task.labels}")
    prev_meta = prev.get("meta") or {}
    planned = int(prev_meta.get("train_config", {}).get("epochs", cfg.epochs))
    if planned != cfg.epochs:
        raise UsageError(f"{resume}: that run was planned for {planned} epochs; resuming "
                         f"continues it, so train with epochs={planned}")
    try:
        task.model.load_state_dict(prev["state_dict"])
    except (KeyError, RuntimeError):
        raise UsageError(f"{resume}: holds another network than the one configured "
                         "(resume with the configuration it was started with)") from None
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    return (int(state["epoch"]) + 1, float(state.get("best_val_acc", -1.0)),
            list(prev_meta.get("history", [])))


def _epoch_loader(train_set: Any, cfg: TrainConfig, epoch: int, dist_info: Any,
                  per_rank: int, steps_per_epoch: int) -> DataLoader:
    """This rank's shard of one epoch's shuffled order, in batches."""
    train_set.set_epoch(epoch)
    order = np.random.default_rng((cfg.seed, epoch)).permutation(len(train_set))
    shard = order[dist_info.rank :: dist_info.world_size]
    # Equal step counts on every rank, or DDP's all-reduce would wait forever.
    shard = np.resize(shard, steps_per_epoch * cfg.batch_size)[:per_rank]
    return DataLoader(torch.utils.data.Subset(train_set, shard.tolist()),
                      batch_size=cfg.batch_size, shuffle=False, num_workers=cfg.num_workers)


def fit(make_task: Callable[[], Task], cfg: TrainConfig, out: str | os.PathLike, *,
        resume: str | os.PathLike | None = None, meta: dict[str, Any] | None = None,
        progress: bool = True, log: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """Train the task's network; write the best checkpoint to ``out`` and, every epoch, a
    resumable ``<out>.last.pt`` (optimizer and schedule state; pass it as ``resume``).

    ``make_task`` is called after seeding, so the network's initial weights follow
    ``cfg.seed``. Under torchrun every rank trains on its shard of each epoch; rank 0
    validates and writes.

    Returns the meta stored with the best checkpoint on rank 0, ``None`` on other ranks.
    """
    from tqdm import tqdm

    dist_info = init_distributed()
    log = log or (lambda s: print(s, file=sys.stderr))
    say = log if dist_info.is_main else (lambda s: None)
    out = Path(out)
    seed_everything(cfg.seed)
    # CPUs this process may use (taskset / container cpusets), shared among local ranks
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(cfg.threads or max(1, cpus // dist_info.world_size))

    task = make_task()
    model, train_set = task.model, task.train_set
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    per_rank = math.ceil(len(train_set) / dist_info.world_size)
    steps_per_epoch = max(1, math.ceil(per_rank / cfg.batch_size))
    sched = lr_schedule(opt, cfg.lr, cfg.epochs * steps_per_epoch, warmup=cfg.warmup)
    start_epoch, best_val = 0, -1.0
    history: list[dict[str, Any]] = []
    if resume is not None:
        start_epoch, best_val, history = _resume(resume, task, cfg, opt, sched)
        say(f"resuming from {resume} at epoch {start_epoch + 1}")
    ddp_model: torch.nn.Module = model
    if dist_info.world_size > 1:
        ddp_model = torch.nn.parallel.DistributedDataParallel(model)
    gen = torch.Generator().manual_seed(cfg.seed + dist_info.rank)

    def masks(feats: torch.Tensor) -> torch.Tensor:
        return spec_augment(feats, cfg.augment, gen)

    meta = dict(meta or {})
    train_config = to_dict(cfg)
    train_config["augment"]["noise_dir"] = portable_path(cfg.augment.noise_dir)
    meta.update(train_config=train_config, world_size=dist_info.world_size)
    t0 = time.time()
    for epoch in range(start_epoch, cfg.epochs):
        loader = _epoch_loader(train_set, cfg, epoch, dist_info, per_rank, steps_per_epoch)
        ddp_model.train()
        losses = []
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=not (progress and dist_info.is_main), file=sys.stderr)
        for x, y in bar:
            loss = task.loss(ddp_model, x, y, masks)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        train_loss = float(np.mean(losses)) if losses else float("nan")
        val = float("nan")
        if dist_info.is_main and task.validate is not None:
            val = float(task.validate(model))
        history.append({"epoch": epoch + 1, "train_loss": train_loss, "val_acc": val,
                        "elapsed_s": round(time.time() - t0, 1)})
        if dist_info.is_main:
            meta["history"] = history
            state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                     "epoch": epoch, "best_val_acc": max(best_val, val)}
            task.save(last_path(out), dict(meta), state)
            if task.validate is None or not val < best_val:  # ties go to the later epoch
                best_val = val if task.validate is not None else best_val
                meta["best_epoch"], meta["val_acc"] = epoch + 1, val
                task.save(out, dict(meta), None)
        say(f"epoch {epoch + 1}/{cfg.epochs}: loss {train_loss:.4f}, "
            f"{task.metric} {val:.4f} ({time.time() - t0:.0f} s)")
        if dist_info.world_size > 1:
            import torch.distributed as dist

            dist.barrier()
    if dist_info.world_size > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    return meta if dist_info.is_main else None
