"""SPACE's exceptions. Everything the package raises on bad input is a :class:`SpaceError`."""

from __future__ import annotations


class SpaceError(Exception):
    """Base class of every error SPACE raises on purpose (bad input, bad config, bad model)."""


class AudioError(SpaceError):
    """An audio file or array cannot be used: missing, not audio, empty, silent, too long..."""


class ConfigError(SpaceError, ValueError):
    """A parameter or configuration value is out of range or inconsistent."""


class ModelError(SpaceError):
    """A model checkpoint is missing, corrupt or incompatible."""


class DataError(SpaceError):
    """A data set folder is not in the expected layout."""


class DecodeError(AudioError):
    """The bytes are not audio SPACE can decode (unknown format, damaged, truncated)."""


class AudioTooLongError(AudioError):
    """A clip is longer than allowed (checked from the header, before decoding)."""


class NoSpeechError(AudioError):
    """The audio decodes but holds no speech (silence, noise, hum)."""
