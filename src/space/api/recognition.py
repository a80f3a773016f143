"""Recognition for the faces: models by name, connected digits in a recording, streams.

Every function imports what it needs on first call, so a face that only lists or checks
things stays light (no torch).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelError, SpaceError

if TYPE_CHECKING:  # pragma: no cover
    from ..recognize.sequence.file import ConnectedResult
    from ..recognize.stream import StreamingRecognizer
    from ..recognize.words.recognizer import Recognizer
    from ..recognize.words.registry import ModelRegistry


def load_model(name_or_path: str | os.PathLike = "digits", *,
               engine: str | None = None) -> Recognizer:
    """A bundled model (``"digits"``, ``"commands"``) or a checkpoint file, ready to predict
    (see :func:`space.recognize.words.recognizer.load_model`)."""
    from ..recognize.words.recognizer import load_model as _load

    return _load(name_or_path, engine=engine)


def installed_models() -> list[str]:
    """The bundled models that are installed (``make models`` builds them), in order."""
    from ..recognize.bundled import BUNDLED, bundled_model_path

    out = []
    for name in BUNDLED:
        try:
            bundled_model_path(name)
        except ModelError:
            continue
        out.append(name)
    return out


def is_bundled(name: str) -> bool:
    """Whether ``name`` names a bundled model (installed or not) rather than a file."""
    from ..recognize.bundled import BUNDLED

    return name in BUNDLED


def model_registry(models: Mapping[str, str | os.PathLike]) -> ModelRegistry:
    """Models by the name a face shows -> bundled name or path, each loaded on first use
    and shared by the threads of a server."""
    from ..recognize.words.registry import ModelRegistry

    return ModelRegistry(models)


def engine_name(engine: str | None = None) -> str:
    """What runs the networks: ``"onnx"`` (ONNX Runtime) or ``"torch"``; ``engine``
    overrides ``$SPACE_ENGINE``."""
    from ..recognize.engines.runtime import engine_name as _name

    return _name(engine)


def check_grammar(grammar: str) -> int | None:
    """Check a connected-words grammar (``"any"`` or ``"digitsN"``) before any audio is
    decoded; returns N (None for any). Raises :class:`~space.errors.UsageError`."""
    from ..recognize.sequence.decode import parse_grammar

    return parse_grammar(grammar)


def recognize_connected(y: np.ndarray, sr: int, *, grammar: str = "any",
                        sequence: Any = None) -> ConnectedResult:
    """Connected digits in a whole recording ``[shape=(n,)]`` at ``sr`` Hz: each word with
    its times, the sequence per utterance and the waveform's drawing (``/api/sequence``,
    the same decoding as ``space listen --grammar``)."""
    from ..recognize.sequence.file import recognize_connected as _recognize

    return _recognize(y, sr, grammar=grammar, sequence=sequence)


def preload_sequence_model() -> bool:
    """Load the bundled connected-digits model now (a server's start); False when it is
    not installed (its requests then say so)."""
    from ..recognize.sequence.model import load_sequence_model

    try:
        load_sequence_model()
    except SpaceError:
        return False
    return True


def open_stream(recognizer: Recognizer | None, *, sr: int, **config: Any) -> StreamingRecognizer:
    """A streaming recogniser over chunks at ``sr`` Hz (``accept``/``flush``/``reset``);
    ``config``: :class:`space.recognize.stream.StreamConfig` fields (``grammar=`` for
    connected words, when ``recognizer`` may be None)."""
    from ..recognize.stream import StreamingRecognizer

    return StreamingRecognizer(recognizer, sr=sr, **config)


def stream_file(path: str | os.PathLike, *, chunk_s: float) -> tuple[int, Iterator[np.ndarray]]:
    """A file as chunks of ``chunk_s`` seconds (its rate, the chunks), as a microphone
    would give them."""
    from ..recognize.stream import iter_file

    return iter_file(path, chunk_s=chunk_s)


__all__ = ["check_grammar", "engine_name", "installed_models", "is_bundled", "load_model",
           "model_registry", "open_stream", "preload_sequence_model", "recognize_connected",
           "stream_file"]
