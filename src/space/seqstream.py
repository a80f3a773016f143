"""Sequence mode of :class:`space.stream.StreamingRecognizer`: connected words.

The stream's voice-activity detector still finds stretches of speech (now up to
``max_stretch_s`` long, and a stretch may hold many words said without pauses). When a
stretch ends, its audio, with ``context_ms`` before it and the hangover after it, goes
through the connected-words frame model (:class:`space.seqmodel.SequenceModel`) and the
Viterbi decoder (:mod:`space.decode`, with the stream's grammar), and every decoded word
whose mean posterior reaches ``min_probability`` becomes a :class:`space.stream.WordEvent`
(same schema as in isolated mode). The stretch's whole result is appended to the stream's
``sequences`` list.

Decisions are taken on the stream's frame grid only (a stretch starts and ends at fixed
frames), so the events do not depend on how the audio was cut into chunks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .decode import DecoderConfig, SequenceDecoder
from .errors import AudioError

if TYPE_CHECKING:  # pragma: no cover
    from .stream import StreamingRecognizer, WordEvent

# Audio kept around each word in its event (the word's own span plus this on each side),
# e.g. for pronunciation scoring of the word.
WORD_MARGIN_S = 0.05


class SequenceMode:
    """The per-stream state of sequence mode (built by the stream itself)."""

    def __init__(self, stream: StreamingRecognizer, model: Any = None,
                 decoder: DecoderConfig | None = None) -> None:
        from .seqmodel import load_sequence_model

        self.stream = stream
        self.model = model if model is not None else load_sequence_model()
        base = decoder or DecoderConfig()
        from dataclasses import replace

        self.decoder_cfg = replace(base, grammar=stream.cfg.grammar or "any")
        self.fillers = tuple(lab for lab in self.model.labels
                             if not lab.isdigit() and lab != "_silence_")

    def close(self, a: int, b: int) -> list[WordEvent]:
        """Decode the stretch whose speech is samples ``[a, b)`` of the stream."""
        from .stream import WordEvent

        s = self.stream
        sr = s.sr
        lo = max(s._buf_start, a - int(round(s.cfg.context_ms / 1000 * sr)))
        hi = min(s._buf_start + len(s._buf), max(b, s._next_frame * s._frame))
        y = s._buf[lo - s._buf_start : hi - s._buf_start]
        try:
            post = self.model.posteriors(y, sr)
        except AudioError:
            s.n_rejected += 1
            return []
        dec = SequenceDecoder(self.model.labels, self.decoder_cfg, fillers=self.fillers,
                              top_k=s.top_k)
        words = [self.model.timed(w, lo / sr) for w in dec.decode(post)]
        events = []
        for w in words:
            if w.probability < s.cfg.min_probability:
                s.n_rejected += 1
                continue
            wa = max(lo, int((w.start_s - WORD_MARGIN_S) * sr))
            wb = min(hi, int((w.end_s + WORD_MARGIN_S) * sr))
            events.append(WordEvent(
                label=w.label, probability=w.probability, start_s=w.start_s, end_s=w.end_s,
                top_k=list(w.top_k),
                audio=np.array(s._buf[wa - s._buf_start : wb - s._buf_start], np.float32),
                sr=sr, audio_start_s=wa / sr))
        if events:
            s.sequences.append({
                "sequence": [e.label for e in events], "grammar": self.decoder_cfg.grammar,
                "start_s": round(events[0].start_s, 3), "end_s": round(events[-1].end_s, 3),
            })
        return events


__all__ = ["SequenceMode", "WORD_MARGIN_S"]
