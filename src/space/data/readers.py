"""Readers for FSDD, the Speech Commands layout and any folder-per-label data set."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..io import audio_files

FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")
SC_COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
UNKNOWN = "_unknown_"
SILENCE = "_silence_"


@dataclass(frozen=True)
class Example:
    """One training/evaluation item: an audio file (or a span of one) and its label."""

    path: str
    label: str
    speaker: str | None = None
    offset_s: float = 0.0  # start of the span to use (for 'silence' cut from long noise)
    duration_s: float | None = None  # None: the whole file


@dataclass
class Splits:
    """Train/validation/test examples and the label list (sorted, stable)."""

    train: list[Example]
    val: list[Example]
    test: list[Example]
    labels: list[str]
    info: dict[str, object] = field(default_factory=dict)

    def get(self, name: str) -> list[Example]:
        if name not in ("train", "val", "test", "all"):
            raise DataError(f"unknown split {name!r} (use train, val, test or all)")
        if name == "all":
            return self.train + self.val + self.test
        split: list[Example] = getattr(self, name)
        return split


def _require_dir(root: Path) -> None:
    if not root.exists():
        raise DataError(f"{root}: data folder not found")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")


def detect_layout(root: str | os.PathLike) -> str:
    """``"fsdd"``, ``"speech_commands"`` or ``"folder"``, from what the folder holds."""
    root = Path(root)
    _require_dir(root)
    rec = root / "recordings" if (root / "recordings").is_dir() else root
    wavs = [p.name for p in rec.glob("*.wav")][:50]
    if wavs and all(FSDD_NAME.match(w) for w in wavs):
        return "fsdd"
    if (root / "testing_list.txt").exists() or (root / "validation_list.txt").exists():
        return "speech_commands"
    return "folder"


def fsdd_speakers(root: str | os.PathLike) -> list[str]:
    rec = _fsdd_dir(Path(root))
    return sorted({m.group(2) for p in rec.glob("*.wav") if (m := FSDD_NAME.match(p.name))})


def _fsdd_dir(root: Path) -> Path:
    _require_dir(root)
    rec = root / "recordings" if (root / "recordings").is_dir() else root
    if not any(FSDD_NAME.match(p.name) for p in rec.glob("*.wav")):
        raise DataError(
            f"{root}: no FSDD recordings found (expected recordings/<digit>_<speaker>_<n>.wav)"
        )
    return rec


def fsdd_splits(root: str | os.PathLike, *, holdout_speaker: str | None = None) -> Splits:
    """Free Spoken Digit Dataset splits.

    Official (``holdout_speaker=None``): index 0-4 test, 5-7 validation, 8-49 training.
    Leave-one-speaker-out: all of that speaker's clips are the test set; the others'
    index 5-7 validate and the rest trains.
    """
    rec = _fsdd_dir(Path(root))
    train: list[Example] = []
    val: list[Example] = []
    test: list[Example] = []
    speakers = set()
    for p in sorted(rec.glob("*.wav")):
        m = FSDD_NAME.match(p.name)
        if not m:
            continue
        digit, speaker, idx = m.group(1), m.group(2), int(m.group(3))
        speakers.add(speaker)
        ex = Example(str(p), digit, speaker)
        if holdout_speaker is not None:
            if speaker == holdout_speaker:
                test.append(ex)
            elif 5 <= idx <= 7:
                val.append(ex)
            else:
                train.append(ex)
        elif idx <= 4:
            test.append(ex)
        elif idx <= 7:
            val.append(ex)
        else:
            train.append(ex)
    if holdout_speaker is not None and holdout_speaker not in speakers:
        raise DataError(
            f"speaker {holdout_speaker!r} is not in {root} (speakers: {', '.join(sorted(speakers))})"
        )
    labels = sorted({e.label for e in train + val + test})
    mode = f"leave-one-speaker-out ({holdout_speaker})" if holdout_speaker else "official"
    return Splits(train, val, test, labels, {"layout": "fsdd", "split": mode})


def _read_list(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {ln.strip() for ln in path.read_text().splitlines() if ln.strip()}


def speech_commands_splits(root: str | os.PathLike, *, words: list[str] | None = None) -> Splits:
    """Speech Commands layout (``<word>/<speaker>_nohash_<n>.wav``), split by the list files.

    ``words``: keep only these words (default: every word folder). The 12-class task
    (commands + unknown + silence) is built on top by :mod:`space.data.commands`.
    """
    root = Path(root)
    _require_dir(root)
    val_list = root / "validation_list.txt"
    test_list = root / "testing_list.txt"
    if not val_list.exists() or not test_list.exists():
        raise DataError(
            f"{root}: not a Speech Commands folder (expected validation_list.txt and "
            "testing_list.txt beside <word>/ folders)"
        )
    val_set, test_set = _read_list(val_list), _read_list(test_list)
    word_dirs = sorted(
        d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))
    )
    if words is not None:
        missing = sorted(set(words) - {d.name for d in word_dirs})
        if missing:
            raise DataError(f"{root}: no folder for word(s) {', '.join(missing)}")
        word_dirs = [d for d in word_dirs if d.name in set(words)]
    train: list[Example] = []
    val: list[Example] = []
    test: list[Example] = []
    for d in word_dirs:
        files = sorted(p for p in d.iterdir() if p.suffix.lower() == ".wav")
        if not files:
            raise DataError(f"{d}: word folder has no .wav clips")
        for p in files:
            rel = f"{d.name}/{p.name}"
            ex = Example(str(p), d.name, p.name.split("_nohash_")[0])
            (test if rel in test_set else val if rel in val_set else train).append(ex)
    if not word_dirs:
        raise DataError(f"{root}: no <word>/ folders with clips")
    labels = sorted({e.label for e in train + val + test})
    return Splits(train, val, test, labels, {"layout": "speech_commands", "split": "lists"})


def _bucket(name: str) -> float:
    """Stable 0-1 value from a name: the same file lands in the same split on any machine."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def folder_splits(root: str | os.PathLike, *, val_fraction: float = 0.1,
                  test_fraction: float = 0.1) -> Splits:
    """Any ``<label>/<clip>`` folder, split by a stable hash of ``label/file name``."""
    root = Path(root)
    _require_dir(root)
    label_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))
    if len(label_dirs) < 2:
        raise DataError(
            f"{root}: expected one sub-folder per label (at least 2) holding audio clips"
        )
    train: list[Example] = []
    val: list[Example] = []
    test: list[Example] = []
    for d in label_dirs:
        files = audio_files(d, recursive=True)
        if not files:
            raise DataError(f"{d}: label folder '{d.name}' has no audio clips")
        for p in files:
            ex = Example(str(p), d.name, None)
            b = _bucket(f"{d.name}/{p.name}")
            (test if b < test_fraction else val if b < test_fraction + val_fraction else train).append(ex)
    labels = [d.name for d in label_dirs]
    return Splits(train, val, test, labels, {"layout": "folder", "split": "hash"})


def open_splits(root: str | os.PathLike, *, layout: str = "auto",
                holdout_speaker: str | None = None) -> Splits:
    """Read any supported data set folder; ``layout``: auto, fsdd, speech_commands, folder."""
    if layout == "auto":
        layout = detect_layout(root)
    if holdout_speaker is not None and layout != "fsdd":
        raise DataError("a held-out speaker (holdout_speaker) is only defined for FSDD")
    if layout == "fsdd":
        return fsdd_splits(root, holdout_speaker=holdout_speaker)
    if layout == "speech_commands":
        return speech_commands_splits(root)
    if layout == "folder":
        return folder_splits(root)
    raise DataError(f"unknown layout {layout!r} (use auto, fsdd, speech_commands or folder)")
