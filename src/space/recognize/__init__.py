"""Word recognition, by topic:

* :mod:`.words` isolated words: the CNN (:mod:`.words.model`), batch inference
  (:class:`Recognizer`), the model registry, open-set rejection, evaluation and DET;
* :mod:`.sequence` connected words: the frame model, its Viterbi decoder, the stream's
  sequence mode, whole recordings, and the training recipe with its synthetic data;
* :mod:`.engines` ONNX Runtime / PyTorch engines and the one ONNX writer (export);
* shared by all: the checkpoint format (:mod:`.checkpoint`), the one training loop
  (:mod:`space.training.loop`), the frame encoder network (:mod:`.frame_model`, also pronunciation's),
  the bundled models (:mod:`.bundled`) and streaming (:mod:`.stream`, :mod:`.events`).

Imports point down: faces and ``pronounce`` import from here, never the other way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from .bundled import BUNDLED, bundled_model_path, resolve_model

if TYPE_CHECKING:  # the names' real types for type checkers
    from .words.recognizer import Prediction, Recognizer, load_model

# Lazy (PEP 562): importing a light submodule (.bundled, .events, .sequence.decode) must
# not pull in torch through the recogniser.
_LAZY: dict[str, str | tuple[str, str]] = {
    "Prediction": "words.recognizer",
    "Recognizer": "words.recognizer",
    "load_model": "words.recognizer",
}

__all__ = ["BUNDLED", "Prediction", "Recognizer", "bundled_model_path", "load_model", "resolve_model"]

__getattr__ = lazy_getattr(__name__, _LAZY)
