"""Training and evaluation from config objects: what `space train`, `space evaluate` and
`space det` call."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import FeatureConfig, ModelConfig, TrainConfig
from ..data import Splits, open_splits
from ..errors import UsageError


def load_splits(data: str | os.PathLike, *, layout: str = "auto",
                holdout_speaker: str | None = None, task: str | None = None) -> Splits:
    """Read a data set folder into train/val/test examples and labels.

    ``task`` (Speech Commands layout only): ``"12"`` (ten commands + unknown + silence) or
    ``"all"`` (every word); ``None`` reads the folder as plain words, like ``"all"``.
    """
    if task is None:
        return open_splits(data, layout=layout, holdout_speaker=holdout_speaker)
    from ..data import detect_layout
    from ..data.commands import TASKS, task_splits

    if task not in TASKS:
        raise UsageError(f"--task must be one of {', '.join(TASKS)}, not {task!r}")
    found = detect_layout(data) if layout == "auto" else layout
    if found != "speech_commands" or holdout_speaker is not None:
        raise UsageError(f"--task is for Speech Commands data; {data} is read as {found!r}")
    return task_splits(data, task)


def default_features(layout: str) -> FeatureConfig:
    """The feature set-up a data set of ``layout`` trains with when none is given: FSDD is
    8 kHz audio, so its models use the band it holds (up to 4 kHz); others up to 8 kHz."""
    return FeatureConfig(fmax=4000.0 if layout == "fsdd" else 8000.0)


def train_model(
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    train: TrainConfig = TrainConfig(),
    model: ModelConfig | None = None,
    features: FeatureConfig | None = None,
    layout: str = "auto",
    holdout_speaker: str | None = None,
    task: str | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    skip_bad: bool = False,
    add_learners: str | os.PathLike | None = None,
    learner_repeat: int | None = None,
    add_unknown: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    init: str | os.PathLike | None = None,
) -> dict[str, Any] | None:
    """Train a recogniser on a data set folder, write the best checkpoint to ``out``, test it.

    Every file of the data set is checked first (headers: :func:`space.data.scan.
    scan_examples`). Unusable files stop the run before it starts, all of them named, or
    with ``skip_bad`` are left out (and counted in the summary's ``skipped``).

    Parameters
    ----------
    data : path
        FSDD, a Speech Commands folder, or one sub-folder of clips per label.
    out : path
        The checkpoint to write; ``<out>.last.pt`` is the resumable latest epoch. Checked
        before any work starts.
    train : TrainConfig
        Optimisation and augmentation (``train.augment``).
    model : ModelConfig, optional
        The CNN; its ``n_classes`` is set from the data. Default: :class:`ModelConfig`.
    features : FeatureConfig, optional
        The front end. Default: :func:`default_features` of the data set's layout. A
        resumed run keeps the features it started with.
    layout, holdout_speaker, task
        How to read ``data`` (:func:`load_splits`).
    resume : path, optional
        A ``<out>.last.pt`` to continue.
    skip_bad : bool
        Leave unusable files out instead of refusing to start.
    add_learners : path, optional
        A speechocean762_words folder: every learner's clips of the model's words join the
        training split (:func:`space.data.extra.learner_examples`, repeated
        ``learner_repeat`` times).
    learner_repeat : int, optional
        How many times each learner clip is drawn per epoch, each copy augmented anew.
        Default: :data:`~space.data.extra.LEARNER_REPEAT`; the bundled ``commands`` recipe
        takes 6.
    add_unknown : path or list of paths, optional
        Folders of other words (a task with an ``_unknown_`` class): a Speech Commands-layout
        folder (``<word>/<speaker>_nohash_<n>.wav``) gives its training quarter of
        speakers, a folder of learners' words (``space data words``) its training part of
        the words (:func:`space.data.extra.unknown_examples`). They join the training split
        as ``_unknown_``; after training, their calibration parts and the validation clips of
        the model's words set the checkpoint's default minimum probability
        (``meta["rejection"]``, :mod:`space.recognize.words.reject`).
    init : path, optional
        A checkpoint of the same network, labels and features to start from (a fine-tune)
        instead of seeded random weights.

    Returns
    -------
    dict or None
        ``checkpoint``, ``best_epoch``, ``val_acc``, ``test_acc``, ``n_test``, ``train_s``,
        ``labels``, ``skipped`` (and ``rejection`` with ``add_unknown``); ``None`` on a
        non-zero torchrun rank.
    """
    from ..data.augment import check_noise_dir
    from ..data.readers import UNKNOWN
    from ..io import check_output_path
    from ..recognize import checkpoint as ckpt_io
    from ..recognize.words.evaluate import evaluate
    from ..recognize.words.recognizer import Recognizer
    from ..training.loop import last_path
    from ..training.words import train as fit_recognizer

    if not isinstance(train, TrainConfig):
        raise UsageError(f"train must be a TrainConfig, not {type(train).__name__}")
    check_noise_dir(train.augment.noise_dir)
    _check_learner_repeat(learner_repeat, add_learners)
    # Refuse an unwritable out now, not after the whole run (and its <out>.last.pt too).
    out = check_output_path(out, what="--out")
    check_output_path(last_path(out), what="--out")
    splits = load_splits(data, layout=layout, holdout_speaker=holdout_speaker, task=task)
    unknown_dirs = ([] if add_unknown is None else [add_unknown]
                    if isinstance(add_unknown, (str, os.PathLike)) else list(add_unknown))
    splits, added = _add_examples(splits, add_learners, unknown_dirs, learner_repeat)
    splits, skipped = _drop_bad_files(splits, data, skip_bad=skip_bad)
    if not splits.train:
        raise UsageError(f"{data}: the training split is empty")
    if train.unknown_share is not None and UNKNOWN not in splits.labels:
        raise UsageError(f"--unknown-share weights the '{UNKNOWN}' class, and this task has "
                         "none (e.g. Speech Commands --task 12 has)")
    fcfg = features or default_features(str(splits.info.get("layout")))
    if resume is not None:
        fcfg = ckpt_io.load(resume).feature_cfg  # resuming keeps the features it started with
    mcfg = replace(model or ModelConfig(), n_classes=len(splits.labels))
    t0 = time.time()
    meta = {"data": str(data), **{k: str(v) for k, v in splits.info.items()}, **added}
    try:
        with sigterm_as_interrupt():
            ck = fit_recognizer(splits.train, splits.val, splits.labels, out, feature_cfg=fcfg,
                                model_cfg=mcfg, train_cfg=train, resume=resume, meta=meta,
                                progress=progress, init=init)
    except KeyboardInterrupt:
        last = last_path(out)
        if int(os.environ.get("RANK", "0")) == 0:
            import sys

            print("\n" + (f"{last} holds the last finished epoch: continue with --resume "
                          f"{last} (same --epochs)" if last.is_file() else
                          "no epoch had finished: nothing to resume"), file=sys.stderr)
        raise
    if int(os.environ.get("RANK", "0")) != 0:
        return None
    train_s = time.time() - t0
    test_acc, n_test = float("nan"), len(splits.test)
    if splits.test:
        test_acc = evaluate(Recognizer(ck), splits.test).accuracy
    ck.meta.test_acc, ck.meta.n_test, ck.meta.train_s = test_acc, n_test, round(train_s, 1)
    extra: dict[str, Any] = {}
    if unknown_dirs:
        ck.meta.rejection = extra["rejection"] = _calibrate_rejection(ck, splits, unknown_dirs)
    ckpt_io.save(ck, out, with_train_state=False)
    return {"checkpoint": str(out), "best_epoch": ck.meta.best_epoch,
            "val_acc": ck.meta.val_acc, "test_acc": test_acc, "n_test": n_test,
            "train_s": round(train_s, 1), "labels": ck.labels,
            "skipped": [{"file": b.path, "error": b.reason} for b in skipped], **extra}


def _calibrate_rejection(ck: Any, splits: Splits,
                         unknown_dirs: Sequence[str | os.PathLike]) -> dict[str, Any]:
    """The default minimum probability of a model with ``_unknown_``: from the calibration
    parts of the other words' folders and the validation clips of the model's words."""
    from ..data.extra import unknown_examples
    from ..data.readers import SILENCE, UNKNOWN
    from ..recognize.words.recognizer import Recognizer
    from ..recognize.words.reject import calibrate_model

    known = [e for e in splits.val if e.label not in (UNKNOWN, SILENCE)]
    others = [e for d in unknown_dirs
              for e in unknown_examples(d, splits.labels, part="calibrate")]
    return calibrate_model(Recognizer(ck), others, known)


def _check_learner_repeat(repeat: int | None, learners: str | os.PathLike | None) -> None:
    if repeat is None:
        return
    if learners is None:
        raise UsageError("--learner-repeat weights the clips of --add-learners; give "
                         "--add-learners DIR too")
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise UsageError(f"--learner-repeat must be a whole number >= 1, not {repeat!r}")


def _add_examples(splits: Splits, learners: str | os.PathLike | None,
                  unknown: list[str | os.PathLike],
                  repeat: int | None = None) -> tuple[Splits, dict[str, str]]:
    """``splits`` with the learners' clips and other words' clips added to its training
    split (:mod:`space.data.extra`), and what was added, for the checkpoint's meta."""
    from dataclasses import replace as dc_replace

    from ..data.extra import LEARNER_REPEAT, learner_examples, unknown_examples
    from ..data.readers import UNKNOWN
    from ..training.loop import portable_path

    repeat = LEARNER_REPEAT if repeat is None else repeat
    added: dict[str, str] = {}
    train = list(splits.train)
    if learners is not None:
        more = learner_examples(learners, splits.labels, repeat=repeat)
        train += more
        added["add_learners"] = (f"{portable_path(learners)}: {len(more) // repeat} "
                                 f"clips of {len({e.speaker for e in more})} learners, "
                                 f"x{repeat}")
    if unknown and UNKNOWN not in splits.labels:
        raise UsageError(f"--add-unknown needs a task with a '{UNKNOWN}' class (e.g. "
                         "Speech Commands --task 12)")
    said = []
    for folder in unknown:
        more = unknown_examples(folder, splits.labels, part="train")
        train += more
        words = {Path(e.path).parent.name for e in more}
        said.append(f"{portable_path(folder)}: {len(more)} clips of {len(words)} words, "
                    f"{len({e.speaker for e in more})} speakers (training part)")
    if said:
        added["add_unknown"] = "; ".join(said)
    return dc_replace(splits, train=train), added


def _drop_bad_files(splits: Splits, data: str | os.PathLike, *, skip_bad: bool
                    ) -> tuple[Splits, list[Any]]:
    """Scan every split's files; refuse (naming them all) or leave them out (``skip_bad``)."""
    import sys
    from dataclasses import replace as dc_replace

    from ..data.scan import describe_bad, scan_examples
    from ..errors import DataError

    bad = scan_examples(splits.train + splits.val + splits.test)
    if not bad:
        return splits, []
    if not skip_bad:
        raise DataError(f"{data}: {len(bad)} unusable file(s); fix or remove them, or pass "
                        f"--skip-bad to train without them:\n{describe_bad(bad)}")
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"skipping {len(bad)} unusable file(s) of {data}:\n{describe_bad(bad)}",
              file=sys.stderr)
    drop = {b.path for b in bad}

    def keep(xs: list) -> list:
        return [e for e in xs if e.path not in drop]

    return dc_replace(splits, train=keep(splits.train), val=keep(splits.val),
                      test=keep(splits.test)), bad


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``, a job scheduler) and SIGINT (Ctrl-C) stop work
    as KeyboardInterrupt, so writes in flight are cleaned up (atomic writes) and the last
    finished checkpoint stays valid. SIGINT is set explicitly too: a process started in the
    background by a non-interactive shell inherits SIGINT *ignored*, and training would
    then run on through Ctrl-C. Main thread only; elsewhere a no-op."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def model_task(rec: Any, data: str | os.PathLike, layout: str = "auto",
               task: str | None = None) -> str | None:
    """The Speech Commands task to read ``data`` with for model ``rec``: ``task`` when given,
    else the one the model was trained on (stored in its checkpoint), for Speech Commands
    folders only."""
    if task is not None:
        return task
    saved = rec.ckpt.meta.task
    if saved in ("12", "all") and layout in ("auto", "speech_commands"):
        from ..data import detect_layout

        if (detect_layout(data) if layout == "auto" else layout) == "speech_commands":
            return str(saved)
    return None


def evaluate_model(model: str | os.PathLike, data: str | os.PathLike, *, layout: str = "auto",
                   split: str = "test", holdout_speaker: str | None = None,
                   plot: str | os.PathLike | None = None, progress: bool = False,
                   task: str | None = None) -> tuple[Any, Path | None]:
    """Evaluate a model on a split of a data set folder; optionally write the confusion PNG.

    ``task``: Speech Commands task set-up (default: the one the model was trained on).
    Returns ``(Report, png_path_or_None)``.
    """
    from ..io import check_output_path, save_png
    from ..recognize.words import plots
    from ..recognize.words.evaluate import evaluate
    from ..recognize.words.recognizer import load_model

    if plot:
        check_output_path(plot, what="--plot")
    rec = load_model(model)
    task = model_task(rec, data, layout, task)
    splits = load_splits(data, layout=layout, holdout_speaker=holdout_speaker, task=task)
    examples = splits.get(split)
    report = evaluate(rec, examples, progress=progress)
    png = None
    if plot:
        fig = plots.confusion_matrix(
            report.confusion, report.labels,
            title=f"{Path(str(model)).stem} on {Path(str(data)).name} ({split}): "
            f"{report.accuracy:.1%}")
        png = save_png(fig, plot, dpi=110)
    return report, png


def det_model(model: str | os.PathLike, data: str | os.PathLike, *, layout: str = "auto",
              split: str = "test", task: str | None = None,
              plot: str | os.PathLike | None = "det.png", json_out: str | os.PathLike | None = None,
              hop_s: float = 0.1, seed: int = 0, progress: bool = False) -> Any:
    """Detection-error sweep of a keyword model over a long stream made from a split.

    Writes the DET plot (``plot``) and the numbers (``json_out``, default: beside the plot)
    when given. Returns the :class:`~space.recognize.words.det.DetResult`.
    """
    from ..io import check_output_path, save_json
    from ..recognize.words import det
    from ..recognize.words.recognizer import load_model

    if plot:
        check_output_path(plot, what="--det")
        check_output_path(json_out or Path(plot).with_suffix(".json"), what="--det")
    elif json_out:
        check_output_path(json_out, what="--det")
    rec = load_model(model)
    task = model_task(rec, data, layout, task)
    splits = load_splits(data, layout=layout, task=task)
    noise = None
    if (Path(data) / "_background_noise_").is_dir():
        noise = str(Path(data) / "_background_noise_")
    result = det.run_det(rec, splits.get(split), noise_dir=noise, hop_s=hop_s, seed=seed,
                         progress=progress)
    if plot:
        det.save_plot(result, plot, title=f"{Path(str(model)).stem} on {Path(str(data)).name} "
                      f"({split}, {result.hours * 60:.0f} min stream)")
        if json_out is None:
            json_out = Path(plot).with_suffix(".json")
    if json_out:
        save_json(result.to_dict(), json_out)
    return result
