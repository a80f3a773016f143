"""Connected words: a frame model's posteriors decoded into a word sequence.

:class:`SequenceModel` wraps a frame model (the frame encoder's architecture and checkpoint
payload, see :mod:`space.pronounce.references.frames`, under format :data:`FORMAT`) trained on connected
words by :mod:`space.training.sequence`: audio in, per-10 ms class posteriors out, through the
package's one front end. :meth:`SequenceModel.decode` runs them through
:class:`space.recognize.sequence.decode.SequenceDecoder` and gives the words with times in seconds.
:class:`space.recognize.stream.StreamingRecognizer` uses it in its sequence mode (``grammar=...``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from ... import audio
from ...audio.features import LogMel
from .decode import DecodedWord, DecoderConfig, SequenceDecoder

# The checkpoint format (a FrameEncoder's payload, written by save_encoder under this name so
# that a frame encoder or phone model is refused); its version: checkpoint.FORMAT_VERSIONS.
FORMAT = "space-sequence-model"
WHAT = "connected-words model"
# Shortest input the model sees: its per-window feature normalisation was trained on
# 2-4 s windows, so a short stretch (one word) is padded to this.
MIN_INPUT_S = 2.0


def bundled_sequence_path() -> Path:
    return Path(str(resources.files("space") / "models" / "digitseq.pt"))


@dataclass
class TimedWord:
    """A decoded word with times in seconds from the start of the audio given."""

    label: str
    start_s: float
    end_s: float
    probability: float
    top_k: list[tuple[str, float]]


class SequenceModel:
    """A connected-words frame model.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Checkpoint of format :data:`FORMAT` (:func:`space.recognize.frame_model.save_encoder`,
        ``format=FORMAT``; ``space train-sequence`` writes one); default: the
        bundled ``digitseq.pt``.
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        from ..frame_model import load_encoder

        path = Path(path) if path is not None else bundled_sequence_path()
        ck = load_encoder(path, format=FORMAT, what=WHAT)
        self.encoder = ck.encoder.eval()
        self.cfg = ck.feature_cfg
        self.labels = ck.labels
        self.meta = ck.meta
        self.frontend = LogMel(self.cfg).eval()
        self.hop_s = self.cfg.hop_length / self.cfg.sample_rate

    @torch.no_grad()
    def posteriors(self, y: np.ndarray, sr: int) -> np.ndarray:
        """Mono audio ``[shape=(n,)]`` at ``sr`` Hz -> class posteriors
        ``[shape=(frames, n_labels)]``; frame ``k`` is centred at ``k * hop_s`` seconds."""
        x = audio.resample(np.asarray(y, dtype=np.float32), sr, self.cfg.sample_rate)
        n = len(x)
        need = int(MIN_INPUT_S * self.cfg.sample_rate)
        if n < need:  # pad after the audio: frame k keeps its time
            x = np.concatenate([x, np.zeros(need - n, np.float32)])
        feats = self.frontend(torch.from_numpy(audio.normalize_peak(x))[None])
        _, logits = self.encoder(feats)
        n_frames = n // self.cfg.hop_length + 1
        return torch.softmax(logits[0], dim=0).T[:n_frames].numpy().astype(np.float64)

    def decode(self, y: np.ndarray, sr: int, *, config: DecoderConfig | None = None
               ) -> list[TimedWord]:
        """The words in ``y``, by the decoder with ``config`` (default: any sequence)."""
        dec = SequenceDecoder(self.labels, config)
        return [self.timed(w) for w in dec.decode(self.posteriors(y, sr))]

    def timed(self, w: DecodedWord, offset_s: float = 0.0) -> TimedWord:
        """Frames -> seconds (a frame covers its centre +- half a hop)."""
        h = self.hop_s
        return TimedWord(w.label, offset_s + max(0.0, (w.start - 0.5) * h),
                         offset_s + (w.end - 0.5) * h, w.probability, w.top_k)


_LOADED: dict[str, SequenceModel] = {}


def load_sequence_model(path: str | os.PathLike | None = None) -> SequenceModel:
    """A :class:`SequenceModel`, loaded once per path."""
    key = str(path or bundled_sequence_path())
    if key not in _LOADED:
        _LOADED[key] = SequenceModel(path)
    return _LOADED[key]


__all__ = ["SequenceModel", "TimedWord", "bundled_sequence_path", "load_sequence_model"]
