"""Word recognition: the CNN, its one training loop, checkpoints, evaluation, export,
batch inference (:class:`Recognizer`) and streaming (:mod:`space.recognize.stream`)."""

from .recognizer import BUNDLED, Prediction, Recognizer, bundled_model_path, load_model, resolve_model

__all__ = ["BUNDLED", "Prediction", "Recognizer", "bundled_model_path", "load_model", "resolve_model"]
