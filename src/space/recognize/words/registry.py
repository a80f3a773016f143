"""The recognisers a process uses, loaded once and shared: the CLI, the web app and the
pronunciation scorer's word check all ask one :class:`ModelRegistry`."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from ...errors import ModelError
from ..bundled import BUNDLED, bundled_model_path
from .recognizer import Recognizer, load_model


class ModelRegistry:
    """Named models (bundled names or checkpoint paths), each loaded on first use.

    Parameters
    ----------
    models : dict, optional
        Name shown to users -> bundled name, checkpoint path, or a loaded
        :class:`Recognizer`. Default: every bundled model that is installed.
    """

    def __init__(self, models: Mapping[str, str | os.PathLike | Recognizer] | None = None) -> None:
        if models is None:
            models = {}
            for name in BUNDLED:
                try:
                    bundled_model_path(name)
                except ModelError:
                    continue
                models[name] = name
        self._loaded = {k: v for k, v in models.items() if isinstance(v, Recognizer)}
        self.models = {k: str(v) if not isinstance(v, Recognizer) else (v.name or k)
                       for k, v in models.items()}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self.models)

    def get(self, name: str) -> Recognizer:
        """The loaded model ``name``; :class:`~space.errors.ModelError` if unknown."""
        if name not in self.models:
            raise ModelError(f"unknown model {name!r}; available: "
                             f"{', '.join(self.models) or 'none'}")
        with self._lock:
            rec = self._loaded.get(name)
            if rec is None:
                rec = self._loaded[name] = load_model(self.models[name])
            return rec

    def name_for_word(self, word: str) -> str | None:
        """The first model whose labels hold ``word`` (None for a word no model knows, or
        when none can be loaded)."""
        for name in self.models:
            try:
                if word in self.get(name).labels:
                    return name
            except ModelError:
                continue
        return None

    def for_word(self, word: str) -> Recognizer | None:
        """The model of :meth:`name_for_word`, loaded."""
        name = self.name_for_word(word)
        return None if name is None else self.get(name)

    def load_all(self) -> None:
        """Load every model now (a server does this before it reports ready)."""
        for name in self.models:
            self.get(name)


_default: ModelRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> ModelRegistry:
    """The bundled models, shared by everything in this process that needs them."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ModelRegistry()
        return _default
