"""SPACE: Spectrogram Pronunciation Analysis CNN Engine.

Recognise isolated spoken words with a small CNN on log-mel spectrograms and score
pronunciation against reference recordings.

>>> import space
>>> model = space.load_model("digits")
>>> model.predict("seven.wav").label  # doctest: +SKIP
'7'

Heavy modules (torch, librosa, matplotlib) load on first use, not at import.
"""

from __future__ import annotations

from typing import Any

from ._lazy import lazy_getattr
from ._version import __version__
from .errors import (
    AudioError,
    AudioTooLongError,
    DataError,
    DecodeError,
    DownloadError,
    ModelError,
    NoSpeechError,
    ReferenceSetError,
    SpaceError,
    UnknownWordError,
    UsageError,
)

_LAZY: dict[str, str | tuple[str, str]] = {
    "AugmentConfig": "config",
    "FeatureConfig": "config",
    "ModelConfig": "config",
    "TrainConfig": "config",
    "Prediction": "recognize",
    "Recognizer": "recognize",
    "evaluate_model": ("api.training", "evaluate_model"),
    "load_audio": ("audio", "load"),
    "load_model": "recognize",
    "log_mel": ("audio.features", "log_mel"),
    "score": ("pronounce", "score"),
    "train_model": ("api.training", "train_model"),
}

__all__ = sorted(
    [
        "AudioError",
        "AudioTooLongError",
        "DataError",
        "DecodeError",
        "DownloadError",
        "ModelError",
        "NoSpeechError",
        "ReferenceSetError",
        "SpaceError",
        "UnknownWordError",
        "UsageError",
        "__version__",
        *_LAZY,
    ]
)

__getattr__ = lazy_getattr(__name__, _LAZY)
