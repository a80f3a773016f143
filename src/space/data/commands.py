"""Speech Commands task set-ups: 12 classes (keyword spotting) and all words.

The 12-class task is the one Warden (2018, arXiv:1804.03209) and the TensorFlow
``speech_commands`` recipe define: the ten commands, ``_unknown_`` for every other word,
and ``_silence_`` cut from the long ``_background_noise_`` recordings. In each split the
recipe adds silence and unknown examples amounting to 10% each of that split's command
clips. The split itself comes from ``validation_list.txt``/``testing_list.txt`` (a hash of
the speaker id), so one speaker is never in two sets.

The noise recordings are not in the list files; each recording is cut in time instead
(first 80% for training, next 10% validation, last 10% test), so no stretch of noise is
both trained and tested on.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import audio_files
from .readers import SC_COMMANDS, SILENCE, UNKNOWN, Example, Splits, speech_commands_splits

TASKS = ("12", "all")
NOISE_FOLDER = "_background_noise_"
SILENCE_PERCENT = 10.0  # silence examples per split, as % of its command clips (TF recipe)
UNKNOWN_PERCENT = 10.0  # unknown-word examples per split, same
SILENCE_S = 1.0  # length of a silence example: the data set's clip length
# Time ranges (fractions of each noise recording) that each split may cut silence from.
NOISE_RANGES = {"train": (0.0, 0.8), "val": (0.8, 0.9), "test": (0.9, 1.0)}


def _expected(root: Path) -> str:
    return f"expected {root}/<word>/<speaker>_nohash_<n>.wav"


def _check_words(root: Path, words: tuple[str, ...]) -> None:
    for w in words:
        d = root / w
        if not d.is_dir():
            raise DataError(
                f"{root}: no folder for command word '{w}' (the 12-class task needs clips of "
                f"each of {', '.join(words)}; {_expected(root)})"
            )


def _check_labels(splits: Splits, labels: list[str], root: Path, task: str) -> None:
    """Every label needs training clips, or the model would learn a class it never saw."""
    have = {e.label for e in splits.train}
    for lab in labels:
        if lab not in have:
            raise DataError(
                f"{root}: label '{lab}' has no clips in the training split of the {task} task "
                "(all of them are listed in validation_list.txt/testing_list.txt, or its "
                f"folder is empty; {_expected(root)})"
            )


def noise_files(root: str | Path) -> list[tuple[Path, float]]:
    """The background-noise recordings and their durations in seconds."""
    import soundfile as sf

    folder = Path(root) / NOISE_FOLDER
    if not folder.is_dir():
        raise DataError(
            f"{folder}: folder not found (the 12-class task cuts '{SILENCE}' examples from the "
            "long noise recordings there, as in the Speech Commands download)"
        )
    out = []
    for p in audio_files(folder):
        try:
            dur = float(sf.info(str(p)).duration)
        except Exception as e:  # soundfile raises several types for a bad header
            first = str(e).splitlines()[0]
            raise DataError(f"{p}: cannot read noise recording ({first})") from None
        # Each split's share must hold at least one whole silence clip.
        if dur * min(b - a for a, b in NOISE_RANGES.values()) >= SILENCE_S:
            out.append((p, dur))
    if not out:
        raise DataError(
            f"{folder}: no usable noise recordings (expected .wav files of at least "
            f"{SILENCE_S / min(b - a for a, b in NOISE_RANGES.values()):.0f} s)"
        )
    return out


def silence_examples(noise: list[tuple[Path, float]], split: str, n: int,
                     rng: np.random.Generator) -> list[Example]:
    """``n`` one-second spans from the ``split``'s time range of the noise recordings, taken
    from each recording in turn at random offsets."""
    lo, hi = NOISE_RANGES[split]
    out = []
    for i in range(n):
        path, dur = noise[i % len(noise)]
        a, b = lo * dur, hi * dur - SILENCE_S
        offset = round(float(rng.uniform(a, b)), 3)
        out.append(Example(str(path), SILENCE, f"noise:{path.stem}", offset, SILENCE_S))
    return out


def command_splits(
    root: str | os.PathLike,
    *,
    commands: tuple[str, ...] = SC_COMMANDS,
    silence_percent: float = SILENCE_PERCENT,
    unknown_percent: float = UNKNOWN_PERCENT,
    oversample_unknown: bool = True,
    seed: int = 0,
) -> Splits:
    """The 12-class task: ``commands`` + ``_unknown_`` + ``_silence_``.

    Parameters
    ----------
    root : path
        A Speech Commands folder (``<word>/`` folders, the two list files and
        ``_background_noise_/``), the full download or a subset laid out the same way.
    silence_percent, unknown_percent : float
        Silence and unknown examples added to each split, as a percentage of its command
        clips (10 and 10 in the standard recipe).
    oversample_unknown : bool
        When a training split has fewer unknown-word clips than the recipe asks for (the
        subset: 97 for 228), repeat them (each repeat is augmented differently) so the
        model sees the standard class proportions. Validation and test never repeat a clip.
    seed : int
        Which unknown clips and silence offsets are drawn; fixed so splits are stable.

    Returns
    -------
    Splits
        Labels sorted: ``_silence_``, ``_unknown_``, then the commands alphabetically.
    """
    root = Path(root)
    base = speech_commands_splits(root)  # checks the list files and empty word folders
    _check_words(root, commands)
    if not any(e.label not in commands for e in base.get("all")):
        raise DataError(
            f"{root}: no words besides the commands (the 12-class task takes '{UNKNOWN}' "
            f"examples from the other word folders; {_expected(root)})"
        )
    noise = noise_files(root)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Example]] = {}
    info: dict[str, object] = {"layout": "speech_commands", "split": "lists", "task": "12"}
    for name in ("train", "val", "test"):
        known = [e for e in base.get(name) if e.label in commands]
        others = [e for e in base.get(name) if e.label not in commands]
        n_extra = math.ceil(len(known) * unknown_percent / 100)
        picked = [others[i] for i in rng.permutation(len(others))]
        if len(picked) < n_extra and name == "train" and oversample_unknown and picked:
            picked = [picked[i % len(picked)] for i in range(n_extra)]
        unknown = [Example(e.path, UNKNOWN, e.speaker) for e in picked[:n_extra]]
        n_silence = math.ceil(len(known) * silence_percent / 100) if known else 0
        parts[name] = known + unknown + silence_examples(noise, name, n_silence, rng)
        info[f"{name}_counts"] = (f"{len(known)} command, {len(unknown)} unknown "
                                  f"({len({e.path for e in unknown})} distinct clips), "
                                  f"{n_silence} silence")
    labels = sorted([SILENCE, UNKNOWN, *commands])
    splits = Splits(parts["train"], parts["val"], parts["test"], labels, info)
    _check_labels(splits, labels, root, "12-class")
    return splits


def all_words_splits(root: str | os.PathLike) -> Splits:
    """Every word folder is a class (35 on the full v0.02 set), no silence/unknown."""
    root = Path(root)
    splits = speech_commands_splits(root)
    _check_labels(splits, splits.labels, root, "all-words")
    splits.info["task"] = "all"
    return splits


def task_splits(root: str | os.PathLike, task: str) -> Splits:
    """``task``: ``"12"`` (commands + unknown + silence) or ``"all"`` (every word)."""
    if task == "12":
        return command_splits(root)
    if task == "all":
        return all_words_splits(root)
    raise DataError(f"unknown Speech Commands task {task!r} (use 12 or all)")
