"""Data set readers, splits and augmentation.

Readers return lists of :class:`Example` per split; :class:`ClipDataset` turns them into
training windows through the same front end as prediction (:mod:`space.audio`).
"""

from .augment import Augmenter, NoiseBank
from .dataset import ClipDataset
from .readers import (
    Example,
    Splits,
    detect_layout,
    folder_splits,
    fsdd_speakers,
    fsdd_splits,
    open_splits,
    speech_commands_splits,
)

__all__ = [
    "Augmenter",
    "ClipDataset",
    "Example",
    "NoiseBank",
    "Splits",
    "detect_layout",
    "folder_splits",
    "fsdd_speakers",
    "fsdd_splits",
    "open_splits",
    "speech_commands_splits",
]
