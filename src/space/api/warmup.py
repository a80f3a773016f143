"""Load ahead what the first request of a long-running face would otherwise wait for.

A server calls :func:`warm_up` once before it accepts requests; what exactly is cached
(models, the frame encoder, reference sets, compiled DTW, the phone model) is the
library's business, not the face's.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import SpaceError


def warm_up(models: Any, references_dir: str | os.PathLike | None = None, *,
            phone_sets: bool = True) -> dict[str, str]:
    """Load the recognisers of ``models`` (a :class:`~space.recognize.words.registry.ModelRegistry`),
    the frame encoder, every word's reference set, DTW's compiled code, matplotlib (one
    full score with a picture) and the connected-digits model; with ``phone_sets``, build
    every word's phone reference set in a low-priority background thread.

    Returns
    -------
    dict
        What runs each network: ``{"model:<name>": "onnx"|"torch", "frames": ...}``.
    """
    from .. import audio, pronounce
    from ..pronounce.frames import default_featurizer
    from ..pronounce.reference_set import word_reference_set
    from .pronunciation import feedback_png
    from .recognition import preload_sequence_model

    engines: dict[str, str] = {}
    for name in models.names():
        try:
            engines[f"model:{name}"] = models.get(name).engine_name
        except SpaceError:
            continue  # a broken extra model: its requests report the error
    feat = default_featurizer()
    engines["frames"] = feat.engine.name if feat.encoder is not None else "torch"
    words = pronounce.list_words(references_dir)
    first: tuple[str, Path] | None = None
    for w in words:
        try:
            word_reference_set(w, feat, references_dir=references_dir)
            first = first or (w, pronounce.reference_paths(w, references_dir)[0])
        except SpaceError:
            continue  # a damaged user set: its requests report the error
    if first is not None:  # one real score end to end, phones and picture included (the
        # page asks for phones: their model and dictionary load here, not on a request)
        y, sr = audio.load(first[1])
        try:
            feedback_png(pronounce.score(y, word=first[0], sr=sr, models=models,
                                         references_dir=references_dir, phones=True))
        except SpaceError:
            pass
    preload_sequence_model()  # not installed: /api/sequence reports it (503)
    if phone_sets:
        phone_sets_in_background(words, references_dir)
    return engines


def phone_sets_in_background(words: list[str],
                             references_dir: str | os.PathLike | None = None) -> threading.Thread:
    """Build every word's phone reference set (about 0.3 s of CPU each, 11 s for the
    bundled 35) in a daemon thread, so a server is ready at once and the first phone score
    of a word does not pay for it; a request that comes first builds its own word's set
    (the cache is shared and locked). The thread runs at the lowest CPU priority and pauses
    between words, so requests that arrive meanwhile go first."""

    def build() -> None:
        from ..pronounce.phone_score import word_phone_set

        try:  # Linux: a thread is a task with its own nice value
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        for w in words:
            time.sleep(0.2)  # let the GIL and the cores go to requests between words
            try:
                word_phone_set(w, references_dir=references_dir)
            except Exception:  # noqa: BLE001 (no pronunciation, no model: a request says why)
                continue

    thread = threading.Thread(target=build, name="space-phone-sets", daemon=True)
    thread.start()
    return thread


__all__ = ["phone_sets_in_background", "warm_up"]
