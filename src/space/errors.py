"""SPACE's one error family. Everything the package raises on bad input is a :class:`SpaceError`.

The faces map these to what their users see *by type*, in one table each: the CLI to an
exit code (:data:`space.cli.EXIT_CODES`), the web app to an HTTP status
(:data:`space.web.errors.HTTP_STATUS`). A message names the file or value at fault and what
to do about it, and never echoes data (arrays, file contents).

::

    SpaceError
    ├── AudioError            audio that cannot be used (silent, NaN/inf, bad rate, too short)
    │   ├── DecodeError       not audio, an unknown format, a truncated or damaged file
    │   ├── AudioTooLongError longer than the limit (checked from the header)
    │   └── NoSpeechError     no speech found (silence, hum, noise)
    ├── ModelError            a checkpoint that is missing, damaged or incompatible
    ├── DataError             a data set folder in the wrong layout, unusable clips
    │   └── DownloadError     a data set that could not be fetched or verified
    ├── ReferenceSetError     a reference set that is empty or unusable
    │   ├── UnknownWordError  a word with no references
    │   └── DamagedReferenceError  a stored reference that was deleted or damaged
    ├── PronunciationError    a word with no known pronunciation, phones outside ARPAbet
    ├── OutputError           an output that cannot be written (missing folder, disk full)
    └── UsageError            a bad parameter, option or configuration value (also a ValueError)
        └── TextError         a text to score that cannot be: empty, too long, a word not
                              in the pronunciation lexicon
"""

from __future__ import annotations


class SpaceError(Exception):
    """Base class of every error SPACE raises on purpose (bad input, bad config, bad model)."""


class AudioError(SpaceError):
    """Audio that cannot be used: missing, empty, silent, NaN/inf, unsupported rate..."""


class DecodeError(AudioError):
    """The bytes are not audio SPACE can decode (unknown format, truncated, damaged)."""


class AudioTooLongError(AudioError):
    """The recording is longer than the limit of the path that reads it."""


class NoSpeechError(AudioError):
    """The recording holds no speech (silence, hum or noise only)."""


class ModelError(SpaceError):
    """A model checkpoint is missing, corrupt or incompatible."""


class DataError(SpaceError):
    """A data set folder is not in the expected layout, or its clips cannot be used."""


class DownloadError(DataError):
    """A data set could not be downloaded or verified."""


class ReferenceSetError(SpaceError):
    """A pronunciation reference set is empty, unusable or inconsistent."""


class UnknownWordError(ReferenceSetError):
    """A word has no reference recordings (bundled or the user's)."""


class DamagedReferenceError(ReferenceSetError):
    """A stored reference recording cannot be read (deleted or corrupted under us)."""


class PronunciationError(SpaceError, KeyError):
    """A word with no known pronunciation, or phones outside the ARPAbet set."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class OutputError(SpaceError, OSError):
    """An output file or folder cannot be written (missing parent, a folder, read-only, full).

    Also an ``OSError``, so code that already tolerates a failed optional write (a cache
    in a read-only folder) keeps doing so."""


class UsageError(SpaceError, ValueError):
    """A parameter, command-line option or configuration value is out of range or
    inconsistent."""


class TextError(UsageError):
    """The text an attempt is scored against cannot be used: empty, too long, or a word the
    pronunciation lexicon (CMUdict) does not hold."""


def describe(value: object, limit: int = 60) -> str:
    """A short description of a value for an error message: its type and size, never its
    data (a list of 96,000 samples must not become the message)."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    if isinstance(value, (list, tuple, dict, set)):
        return f"{type(value).__name__} of {len(value)} items"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    text = repr(value)
    return text if len(text) <= limit else f"{type(value).__name__} ({text[:limit - 3]}...)"
