"""The one door: what the faces (the CLI, the web app, ``listen``) call.

* :mod:`.training` training and evaluation from config objects (``space train``,
  ``evaluate``, ``det``);
* :mod:`.recognition` models by name, connected digits in a recording, streams;
* :mod:`.pronunciation` words and references, a scored attempt, its picture and drawing;
* :mod:`.warmup` what a server loads before its first request.

Names load their module on first use, so ``import space.api`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:  # the names' real types for type checkers
    from .pronunciation import (
        add_reference_clips,
        check_text,
        check_word,
        display_name,
        feedback_png,
        list_words,
        reference_paths,
        reference_warnings,
        score,
        score_event,
        warm_pictures,
        word_sources,
    )
    from .recognition import (
        check_grammar,
        engine_name,
        installed_models,
        is_bundled,
        load_model,
        model_registry,
        open_stream,
        preload_sequence_model,
        recognize_connected,
        stream_file,
    )
    from .training import (
        default_features,
        det_model,
        evaluate_model,
        load_splits,
        model_task,
        sigterm_as_interrupt,
        train_model,
    )
    from .warmup import warm_up

_MODULES = {
    "pronunciation": ["add_reference_clips", "check_text", "check_word", "display_name",
                      "feedback_png", "list_words", "reference_paths", "reference_warnings",
                      "score", "score_event", "warm_pictures", "word_sources"],
    "recognition": ["check_grammar", "engine_name", "installed_models", "is_bundled",
                    "load_model", "model_registry", "open_stream", "preload_sequence_model",
                    "recognize_connected", "stream_file"],
    "training": ["default_features", "det_model", "evaluate_model", "load_splits",
                 "model_task", "sigterm_as_interrupt", "train_model"],
    "warmup": ["warm_up"],
}
_LAZY: dict[str, str | tuple[str, str]] = {n: m for m, names in _MODULES.items() for n in names}

__all__ = ["add_reference_clips", "check_grammar", "check_text", "check_word",
    "default_features", "det_model", "display_name", "engine_name", "evaluate_model",
    "feedback_png", "installed_models", "is_bundled", "list_words", "load_model", "load_splits",
    "model_registry", "model_task", "open_stream", "preload_sequence_model",
    "recognize_connected", "reference_paths", "reference_warnings", "score", "score_event",
    "sigterm_as_interrupt", "stream_file", "train_model", "warm_pictures", "warm_up",
    "word_sources"]

__getattr__ = lazy_getattr(__name__, _LAZY)
