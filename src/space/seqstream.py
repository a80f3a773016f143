"""Sequence mode of :class:`space.stream.StreamingRecognizer`: connected words.

The stream's voice-activity detector still finds stretches of speech (now up to
``max_stretch_s`` long, and a stretch may hold many words said without pauses). While a
stretch is open, every ``BLOCK_S`` of it the connected-words frame model
(:class:`space.seqmodel.SequenceModel`) runs over its last ``WINDOW_S`` (with
``context_ms`` of audio before the stretch), and the frames older than ``LOOKAHEAD_S``
(they have all the right context the model uses) go into one streaming Viterbi decoder
(:class:`space.decode.SequenceDecoder`, the stream's grammar). Every word the decoder
makes final (all surviving hypotheses agree on it and on what follows) becomes a
:class:`space.stream.WordEvent` (same schema as in isolated mode) at once, while the
speaker goes on; when the stretch ends (the VAD hangover), the rest is decoded and the
stretch's whole result is appended to the stream's ``sequences``. Words whose mean
posterior is below ``min_probability`` are dropped.

Every decision is taken on the stream's frame grid (blocks are counted from the
stretch's first frame, and the audio used ends at the frame decided on), so the events do
not depend on how the audio was cut into chunks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .decode import DecodedWord, DecoderConfig, SequenceDecoder
from .errors import AudioError, ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from .stream import StreamingRecognizer, WordEvent

BLOCK_S = 0.5  # how often an open stretch is decoded: sooner events cost more passes
WINDOW_S = 3.0  # audio the frame model sees per pass (it was trained on 2-4 s windows)
# Frames this close to the newest audio wait for the next pass: the model looks about
# 0.2 s ahead, so their posteriors would still change.
LOOKAHEAD_S = 0.5
WORD_MARGIN_S = 0.05  # audio kept around each word in its event (e.g. for scoring)


class SequenceMode:
    """The per-stream state of sequence mode (built by the stream itself)."""

    def __init__(self, stream: StreamingRecognizer, model: Any = None,
                 decoder: DecoderConfig | None = None) -> None:
        from .seqmodel import load_sequence_model

        self.stream = stream
        self.model = model if model is not None else load_sequence_model()
        if abs(self.model.hop_s * stream.sr - stream._frame) > 1e-6:
            raise ConfigError("sequence mode needs the stream's frame_ms equal to the model's "
                              f"hop ({1000 * self.model.hop_s:g} ms)")
        self.decoder_cfg = replace(decoder or DecoderConfig(), grammar=stream.cfg.grammar or "any")
        self.fillers = tuple(lab for lab in self.model.labels
                             if not lab.isdigit() and lab != "_silence_")
        fs = stream._frame / stream.sr
        self._block = max(1, int(round(BLOCK_S / fs)))
        self._window = int(round(WINDOW_S / fs))
        self._ahead = int(round(LOOKAHEAD_S / fs))
        self._context = int(round(stream.cfg.context_ms / 1000 / fs))
        self.new_stream()

    def new_stream(self) -> None:
        """The stream was reset: time 0 again."""
        self._reported_s = 0.0  # end of the last word reported
        self.abort()

    def abort(self) -> None:
        """Forget the open stretch (stream reset, or a stretch too long to be speech)."""
        self._dec: SequenceDecoder | None = None
        self._origin = 0  # stream frame of the decoder's frame 0
        self._events: list[WordEvent] = []

    def step(self, start_frame: int, i: int) -> list[WordEvent]:
        """Stream frame ``i`` of a stretch that began at ``start_frame`` was decided on."""
        n = i - start_frame + 1
        if n % self._block:
            return []
        return self._decode(start_frame, i + 1 - self._ahead, i + 1)

    def close(self, a: int, b: int) -> list[WordEvent]:
        """The stretch whose speech is samples ``[a, b)`` has ended: decode the rest."""
        s = self.stream
        start_frame = a // s._frame
        events = self._decode(start_frame, None, s._next_frame)
        stretch = self._events  # every event of the stretch, these included
        if stretch:
            s.sequences.append({
                "sequence": [e.label for e in stretch], "grammar": self.decoder_cfg.grammar,
                "start_s": round(stretch[0].start_s, 3), "end_s": round(stretch[-1].end_s, 3),
            })
        self.abort()
        return events

    # -- internals ----------------------------------------------------------------------------

    def _decode(self, start_frame: int, upto: int | None, end: int) -> list[WordEvent]:
        """Run the model on audio up to stream frame ``end``; push frames before ``upto``
        (all of them, then finish, when ``upto`` is None)."""
        s = self.stream
        F = s._frame
        if self._dec is None:
            self._dec = SequenceDecoder(self.model.labels, self.decoder_cfg,
                                        fillers=self.fillers, top_k=s.top_k)
            first = max(-(-s._buf_start // F), start_frame - self._context)
            self._origin = first
        dec, origin = self._dec, self._origin
        pushed = origin + dec.n_frames  # next stream frame to push
        stop = end if upto is None else upto
        if stop <= pushed:
            return [] if upto is not None else self._emit(dec.finish())
        # The window: the newest WINDOW_S, but never starting after a frame still to push
        # (less 1 s of left context for it).
        lo = max(origin, min(end - self._window, pushed - 100))
        lo = max(lo, -(-s._buf_start // F))
        y = s._buf[lo * F - s._buf_start : end * F - s._buf_start]
        try:
            post = self.model.posteriors(y, s.sr)
        except AudioError:
            post = None
        words: list[DecodedWord] = []
        if post is not None and len(post):
            # Model frame k of this window is centred on stream frame lo + k.
            a, b = pushed - lo, min(stop - lo, len(post))
            if b > a:
                words = dec.push(post[a:b])
        if upto is None:
            words += dec.finish()
        return self._emit(words)

    def _emit(self, words: list[DecodedWord]) -> list[WordEvent]:
        from .stream import WordEvent

        s = self.stream
        sr, F = s.sr, s._frame
        events = []
        for w in words:
            t = self.model.timed(w, self._origin * F / sr)
            # The context before a stretch may hold the end of the last stretch's last word:
            # a word centred inside a word already reported is not new. (A word wholly in
            # the context is kept: a quiet word the VAD missed, e.g. "eight" in noise.)
            if (t.start_s + t.end_s) / 2 < self._reported_s:
                continue
            if w.probability < s.cfg.min_probability:
                s.n_rejected += 1
                continue
            self._reported_s = t.end_s
            lo = max(s._buf_start, int((t.start_s - WORD_MARGIN_S) * sr))
            hi = min(s._buf_start + len(s._buf), int((t.end_s + WORD_MARGIN_S) * sr))
            events.append(WordEvent(
                label=t.label, probability=t.probability, start_s=t.start_s, end_s=t.end_s,
                top_k=list(t.top_k),
                audio=np.array(s._buf[lo - s._buf_start : max(lo, hi) - s._buf_start],
                               np.float32),
                sr=sr, audio_start_s=lo / sr))
        self._events += events
        return events


__all__ = ["BLOCK_S", "LOOKAHEAD_S", "SequenceMode", "WINDOW_S", "WORD_MARGIN_S"]
