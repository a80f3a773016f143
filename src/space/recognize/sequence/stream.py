"""Sequence mode of :class:`space.recognize.stream.StreamingRecognizer`: connected words.

In sequence mode the stream is decoded continuously, not stretch by stretch: every
``BLOCK_S`` of audio, the connected-words frame model (:class:`space.recognize.sequence.model.SequenceModel`)
runs over the last ``WINDOW_S``, and the frames older than ``LOOKAHEAD_S`` (they have all
the right context the model uses) go into a streaming Viterbi decoder
(:class:`space.recognize.sequence.decode.SequenceDecoder`, the stream's grammar). The model's silence class
does the voice-activity detection: in noise it beat the energy detector by far
(``benchmarks/connected.py``; at 10 dB SNR the energy detector cut words and let noise in).

Every word the decoder makes final (all surviving hypotheses agree on it and on what
follows) becomes a :class:`space.recognize.events.WordEvent` (same schema as in isolated mode) at
once, while the speaker goes on. An utterance ends after ``PAUSE_S`` of frames the model
calls silence: the decoder finishes it (the grammar, e.g. exactly N digits, holds per
utterance), its words go to the stream's ``sequences``, and a new utterance begins.
Words whose mean posterior is below ``min_probability`` are dropped.

Passes are taken at fixed frames counted from the start of the stream, and each uses the
audio up to its frame only, so the events do not depend on how the audio was cut into
chunks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from ...audio.speech import has_speech
from ...errors import AudioError
from ..events import WordEvent
from .decode import DecodedWord, DecoderConfig, SequenceDecoder

BLOCK_S = 1.0  # how often the model runs: sooner events cost more passes
WINDOW_S = 6.0  # audio the model sees per pass (trained on 2-4 s windows; longer is better)
# Frames this close to the newest audio wait for the next pass: the model's convolutions
# look about 0.2 s ahead, and its per-window normalisation wants more: with 0.5 s, word
# errors at 10 dB SNR were twice those with 1 s (espeak voices, benchmarks/connected.py).
LOOKAHEAD_S = 1.0
PAUSE_S = 0.5  # silence (by the model) that ends an utterance
WORD_MARGIN_S = 0.05  # audio kept around each word in its event (e.g. for scoring)


class Host(Protocol):
    """What sequence mode reads and writes on the stream that hosts it
    (:class:`space.recognize.stream.StreamingRecognizer`): its audio buffer, frame clock,
    settings and results. Typed here so this module never imports the stream's."""

    sr: int
    cfg: Any  # a StreamConfig: grammar, min_probability
    top_k: int
    sequences: list[dict[str, Any]]
    n_rejected: int
    _frame: int  # samples per frame
    _next_frame: int  # stream frame decided on next
    _buf: np.ndarray  # recent audio [shape=(n,)]
    _buf_start: int  # stream sample index of _buf[0]


class SequenceMode:
    """The per-stream state of sequence mode (built by the stream itself); a streaming
    object in the package's one vocabulary: :meth:`accept`, :meth:`flush`, :meth:`reset`."""

    def __init__(self, stream: Host, model: Any = None,
                 decoder: DecoderConfig | None = None) -> None:
        from .model import load_sequence_model

        self.stream = stream
        self.model = model if model is not None else load_sequence_model()
        # The decoder runs on the model's frame grid (frame k at k * hop_s), in samples of
        # the stream: 220.5 per 10 ms frame at 22.05 kHz, so the grid is kept as a float
        # and rounded per frame (within half a sample), not tied to the stream's own frame.
        self._hop = self.model.hop_s * stream.sr
        self.decoder_cfg = replace(decoder or DecoderConfig(), grammar=stream.cfg.grammar or "any")
        self.fillers = tuple(lab for lab in self.model.labels
                             if not lab.isdigit() and lab != "_silence_")
        self.silence = self.model.labels.index("_silence_")
        fs = self.model.hop_s
        self._block = max(1, int(round(BLOCK_S / fs)))
        self._window = int(round(WINDOW_S / fs))
        self._ahead = int(round(LOOKAHEAD_S / fs))
        self._pause = int(round(PAUSE_S / fs))
        # Audio the stream must keep behind its newest sample.
        self.keep_samples = int(np.ceil((self._window + self._block + 1) * self._hop))
        self.reset()

    def reset(self) -> None:
        """The stream was reset: time 0 again."""
        self._pushed = 0  # next model frame to decode
        self._ready = 0  # model frames whose audio has arrived
        self._new_utterance(0)

    def accept(self, n_samples: int) -> list[WordEvent]:
        """The stream holds its first ``n_samples`` samples: run the passes they reach."""
        start, end = self._ready, self._frames_in(n_samples)
        self._ready = max(start, end)
        events: list[WordEvent] = []
        first = -(-max(start, 1) // self._block) * self._block
        for b in range(first, end + 1, self._block):
            if b > start:
                events += self._pass(b, b - self._ahead)
        return events

    def flush(self) -> list[WordEvent]:
        """End of stream: decode what is left and end the utterance."""
        s = self.stream
        events = self.accept(s._buf_start + len(s._buf))
        end = self._ready
        if end > self._pushed:
            events += self._pass(end, end)
        return events + self._end_utterance()

    def _frames_in(self, n_samples: int) -> int:
        """The model frames whose audio lies within the first ``n_samples`` samples."""
        # n / hop rounded down; the epsilon absorbs float error when hop divides n.
        return int(np.floor(n_samples / self._hop + 1e-9))

    def _sample(self, frame: int) -> int:
        """Stream sample where model frame ``frame`` starts."""
        return int(round(frame * self._hop))

    # -- internals ----------------------------------------------------------------------------

    def _new_utterance(self, frame: int) -> None:
        self._dec = SequenceDecoder(self.model.labels, self.decoder_cfg, fillers=self.fillers,
                                    top_k=self.stream.top_k)
        self._origin = frame  # model frame (from the stream's start) of the decoder's frame 0
        self._events: list[WordEvent] = []
        self._quiet = 0  # frames of silence in a row at the end of what was pushed
        self._post: list[np.ndarray] = []

    def _end_utterance(self) -> list[WordEvent]:
        events = self._emit(self._dec.flush())
        stretch = self._events
        if stretch:
            self.stream.sequences.append({
                "sequence": [e.label for e in stretch], "grammar": self.decoder_cfg.grammar,
                "start_s": round(stretch[0].start_s, 3), "end_s": round(stretch[-1].end_s, 3),
            })
        self._new_utterance(self._pushed)
        return events

    def _pass(self, end: int, upto: int) -> list[WordEvent]:
        """Run the model on the audio up to stream frame ``end``; decode frames before
        ``upto``."""
        s = self.stream
        if upto <= self._pushed:
            return []
        first = self._frames_in(s._buf_start)  # the oldest frame still in the buffer
        first += self._sample(first) < s._buf_start
        lo = max(first, end - self._window)
        y = s._buf[self._sample(lo) - s._buf_start : self._sample(end) - s._buf_start]
        try:
            post = self.model.posteriors(y, s.sr)
        except AudioError:  # e.g. digital silence
            post = np.zeros((end - lo, len(self.model.labels)))
            post[:, self.silence] = 1.0
        # Model frame k of this window is frame lo + k of the stream's grid.
        rows = post[self._pushed - lo : upto - lo]
        events: list[WordEvent] = []
        for row in rows:
            events += self._emit(self._dec.accept(row[None]))
            self._pushed += 1
            self._quiet = self._quiet + 1 if row[self.silence] > 0.5 else 0
            # A pause ends the utterance; long silence alone does too (bounded memory).
            if self._quiet >= self._pause and (self._dec.n_frames > 30 * self._block
                                               or self._events or self._has_words()):
                events += self._end_utterance()
        return events

    def _has_words(self) -> bool:
        """Whether the utterance may hold a word not reported yet (not pure silence)."""
        return self._dec.n_frames > self._quiet

    def _emit(self, words: list[DecodedWord]) -> list[WordEvent]:
        s = self.stream
        sr = s.sr
        events = []
        for w in words:
            if w.probability < s.cfg.min_probability:
                s.n_rejected += 1
                continue
            t = self.model.timed(w, self._origin * self.model.hop_s)
            lo = max(s._buf_start, int((t.start_s - WORD_MARGIN_S) * sr))
            hi = min(s._buf_start + len(s._buf), int((t.end_s + WORD_MARGIN_S) * sr))
            y = s._buf[lo - s._buf_start : max(lo, hi) - s._buf_start]
            # The check every face applies to a clip (a beep is not "4", a click not "8"),
            # here per word, as the isolated mode gets it through recognizer.predict.
            if not has_speech(y, sr):
                s.n_rejected += 1
                continue
            events.append(WordEvent(
                label=t.label, probability=t.probability, start_s=t.start_s, end_s=t.end_s,
                top_k=list(t.top_k),
                audio=np.array(y, np.float32),
                sr=sr, audio_start_s=lo / sr))
        self._events += events
        return events


__all__ = ["BLOCK_S", "Host", "LOOKAHEAD_S", "PAUSE_S", "SequenceMode", "WINDOW_S", "WORD_MARGIN_S"]
