"""Data set readers, splits and augmentation.

Readers return lists of :class:`Example` per split; :class:`ClipDataset` turns them into
training windows through the same front end as prediction (:mod:`space.audio`).

Names load on first use: `space data download` and `space --help` must not import torch
(the augmentation and the dataset), which would cost seconds at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_getattr

if TYPE_CHECKING:
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

# name -> submodule that defines it
_LAZY = {
    "Augmenter": "augment",
    "ClipDataset": "dataset",
    "Example": "readers",
    "NoiseBank": "augment",
    "Splits": "readers",
    "detect_layout": "readers",
    "folder_splits": "readers",
    "fsdd_speakers": "readers",
    "fsdd_splits": "readers",
    "open_splits": "readers",
    "speech_commands_splits": "readers",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
