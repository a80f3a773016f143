"""Load ahead what the first request of a long-running face would otherwise wait for.

A server calls :func:`warm_up` once before it accepts requests; what exactly is cached
(the recognisers, the pronunciation lexicon, the phone model and scorer, matplotlib) is
the library's business, not the face's.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import SpaceError


def warm_up(models: Any, references_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Load the recognisers of ``models`` (a
    :class:`~space.recognize.words.registry.ModelRegistry`), the pronunciation lexicon,
    the phone model and scorer, matplotlib (one full score of a bundled reference with a
    picture) and the connected-digits model.

    Returns
    -------
    dict
        What runs each network: ``{"model:<name>": "onnx"|"torch"}``.
    """
    from .. import audio, pronounce
    from .pronunciation import feedback_png, score
    from .recognition import preload_sequence_model

    engines: dict[str, str] = {}
    for name in models.names():
        try:
            engines[f"model:{name}"] = models.get(name).engine_name
        except SpaceError:
            continue  # a broken extra model: its requests report the error
    for w in pronounce.list_words(references_dir)[:1]:
        try:
            path = pronounce.reference_paths(w, references_dir)[0]
            y, sr = audio.load(path)
            feedback_png(score(y, word=w, sr=sr, models=models))
        except SpaceError:
            pass  # a damaged set or a word the lexicon lacks: a request says why
    preload_sequence_model()  # not installed: /api/sequence reports it (503)
    return engines


__all__ = ["warm_up"]
