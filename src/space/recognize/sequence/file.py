"""Connected words in a whole recording: the stream's sequence mode run over it at once.

:func:`recognize_connected` feeds a recording through
:class:`space.recognize.stream.StreamingRecognizer` in sequence mode (``grammar=...``), the
code ``space listen --grammar`` runs, and returns every word with its times, the
utterances (one per stretch of speech up to a pause) and what a client needs to draw where
each word lies on the waveform (:func:`waveform_drawing`). The stream's events do not
depend on how the audio is cut into chunks, so the answer is the one ``space listen --input
FILE --fast --grammar G`` prints. The web app's ``POST /api/sequence`` returns
:meth:`ConnectedResult.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stream import StreamingRecognizer, WordEvent
from .decode import parse_grammar

DRAW_COLUMNS = 600  # waveform columns sent to a client: a wide canvas at one per pixel


@dataclass
class ConnectedResult:
    """Words found in a recording by the sequence mode.

    Attributes
    ----------
    words : list[WordEvent]
        Every word in order (times in s from the start of the recording).
    utterances : list[dict]
        One ``{"sequence", "grammar", "start_s", "end_s"}`` per stretch of speech (what
        ``space listen --json --grammar`` prints after an utterance).
    grammar : str
    duration_s : float
    drawing : dict
        :func:`waveform_drawing` of the recording.
    """

    words: list[WordEvent]
    utterances: list[dict[str, Any]]
    grammar: str
    duration_s: float
    drawing: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def sequence(self) -> list[str]:
        """The labels of every word, in order."""
        return [w.label for w in self.words]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``words`` (the ``space listen --json`` event objects), ``sequence``,
        ``utterances``, ``grammar``, ``duration_s``, ``drawing``."""
        return {"grammar": self.grammar, "sequence": self.sequence,
                "words": [w.to_dict() for w in self.words], "utterances": self.utterances,
                "duration_s": round(self.duration_s, 3), "drawing": self.drawing}


def waveform_drawing(y: np.ndarray, sr: int, *, columns: int = DRAW_COLUMNS) -> dict[str, Any]:
    """The waveform's envelope for drawing: the lowest and highest sample per column.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio, full scale +-1.
    sr : int
        Its rate in Hz.
    columns : int
        At most this many columns (fewer for a recording shorter than ``columns`` samples).

    Returns
    -------
    dict
        ``columns``, ``column_s`` (seconds per column: column ``k`` covers
        ``[k * column_s, (k + 1) * column_s)``), ``duration_s``, ``min`` and ``max``
        ``[shape=(columns,)]`` (sample values, 4 decimals) and ``peak`` (the largest
        absolute sample: a client scales by it so a quiet recording still fills its strip).
    """
    y = np.asarray(y, dtype=np.float32)
    n = len(y)
    cols = max(1, min(columns, n))
    edges = np.linspace(0, n, cols + 1).round().astype(int)
    lo = np.minimum.reduceat(y, edges[:-1]) if n else np.zeros(1, np.float32)
    hi = np.maximum.reduceat(y, edges[:-1]) if n else np.zeros(1, np.float32)
    return {"columns": cols, "column_s": round(n / sr / cols, 6), "duration_s": round(n / sr, 4),
            "min": np.round(lo.astype(np.float64), 4).tolist(),
            "max": np.round(hi.astype(np.float64), 4).tolist(),
            "peak": round(float(np.max(np.abs(y))) if n else 0.0, 4)}


def recognize_connected(y: np.ndarray, sr: int, *, grammar: str = "any", sequence: Any = None,
                        min_probability: float = 0.4) -> ConnectedResult:
    """Every word of a recording of connected digits (``"two six four eight"``).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono float audio at ``sr`` (checked by the caller, e.g. :func:`space.audio.load_input`).
    sr : int
        Its rate in Hz (8-96 kHz).
    grammar : str
        ``"any"`` (any number of digits) or ``"digitsN"`` (exactly N per utterance);
        anything else raises :class:`space.errors.UsageError`.
    sequence : space.recognize.sequence.model.SequenceModel, optional
        The connected-words model (default: the bundled ``digitseq``).
    min_probability : float
        Words whose mean frame posterior is below this are not reported (as in
        ``space listen``).
    """
    parse_grammar(grammar)
    stream = StreamingRecognizer(None, sr=sr, grammar=grammar, sequence=sequence,
                                 min_probability=min_probability)
    words = stream.accept(np.asarray(y, dtype=np.float32)) + stream.flush()
    return ConnectedResult(words, list(stream.sequences), grammar, len(y) / sr,
                           waveform_drawing(y, sr))


__all__ = ["DRAW_COLUMNS", "ConnectedResult", "recognize_connected", "waveform_drawing"]
