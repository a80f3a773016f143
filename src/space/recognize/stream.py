"""Streaming recognition: audio chunks in, one event per spoken word out.

:class:`StreamingRecognizer` is fed chunks of any size (``accept(chunk)``) at the rate it
was built for. An energy voice-activity detector with an adaptive noise floor and a
hangover finds word-length segments; each segment goes, optionally after stationary noise
suppression, through the same :func:`space.audio.prepare` and model as
:meth:`space.recognize.Recognizer.predict`, so live and offline answers cannot drift apart.

Every decision is taken on a fixed grid of frames counted from the start of the stream, and
a segment is classified only once its hangover has passed, so the events do not depend on
how the audio was cut into chunks: feeding a recording whole or 7 samples at a time gives
the same events (tests check it).

There is no microphone code here (see :mod:`space.mic`), so everything is testable on files.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import audio
from ..errors import AudioError, UsageError
from .events import WordEvent


@dataclass(frozen=True)
class StreamConfig:
    """Voice-activity detection and word acceptance. Times in ms or s, levels in dB."""

    frame_ms: float = 10.0  # VAD decision grid
    # Speech starts when a frame is this far above the noise floor for `start_ms` in a row:
    # a 30 ms run ignores single clicks but catches the onset of every word.
    start_db: float = 12.0
    start_ms: float = 30.0
    # ... and continues while frames stay within this of the floor (hysteresis: the quiet
    # tail of "six" or "eight" is below the start threshold but is still the word).
    stop_db: float = 8.0
    # ... and only while within this of the word's loudest frame so far: in loud, uneven
    # noise (dishes, a cat) the floor lags, and this still ends the word when the voice does.
    end_drop_db: float = 25.0
    # Silence this long ends a word. It is the latency a user feels beyond processing, and
    # must be longer than the closure inside a word ("eight" /ei-t/, "six" /si-k-s/).
    hangover_ms: float = 250.0
    # Audio kept before the first and after the last speech frame: soft onsets and endings
    # (/s/, /f/, /h/) sit below the energy threshold. post_roll_ms <= hangover_ms, so the
    # audio is there when the segment closes.
    pre_roll_ms: float = 150.0
    post_roll_ms: float = 150.0
    min_speech_ms: float = 80.0  # shorter bursts (a clink, a cough) are not words
    max_word_s: float = 2.0  # longer segments are not isolated words (noise, talk): dropped
    # Noise level: a running mean of non-speech frame energies (dB) that follows a drop
    # within `floor_down_s` and a rise within `floor_up_s` (time constants).
    floor_up_s: float = 1.0
    floor_down_s: float = 0.1
    # Fluctuating noise (a tap, dishes) needs a higher threshold than steady hiss: the start
    # threshold is at least this many standard deviations of the noise's frame energy.
    spread_k: float = 3.0
    # Levels below this count as this: near-digital silence must not make every breath a word.
    abs_floor_dbfs: float = -65.0
    # The model's top probability needed to report a word. Noise that gets past the VAD (a
    # clatter of dishes, a cat) gives the digits model 0.15-0.45; real words mostly > 0.9.
    min_probability: float = 0.4
    noise_reduce: bool = False  # stationary spectral gating (noisereduce) of each segment
    noise_context_s: float = 1.0  # recent non-speech audio used as the noise profile
    # Sequence mode (connected words): None keeps the isolated-word behaviour above; "any"
    # or "digitsN" decodes the stream into words with a frame model and a Viterbi decoder
    # (space.recognize.sequence.stream), so words said without pauses each get an event. The energy
    # detector above is not used then: the frame model's silence class is the detector.
    grammar: str | None = None

    def __post_init__(self) -> None:
        if self.frame_ms <= 0 or self.start_ms < self.frame_ms:
            raise UsageError("frame_ms > 0 and start_ms >= frame_ms are required")
        if self.stop_db > self.start_db:
            raise UsageError(
                f"stop_db ({self.stop_db}) must not exceed start_db ({self.start_db})"
            )
        if not 0 <= self.post_roll_ms <= self.hangover_ms:
            raise UsageError("post_roll_ms must lie within 0..hangover_ms")
        if self.pre_roll_ms < 0 or self.min_speech_ms < 0 or self.max_word_s <= 0:
            raise UsageError("pre_roll_ms, min_speech_ms >= 0 and max_word_s > 0 are required")
        if not 0 <= self.min_probability <= 1:
            raise UsageError(f"min_probability {self.min_probability} is outside 0..1")
        if self.grammar is not None:
            from .sequence.decode import parse_grammar

            parse_grammar(self.grammar)


@dataclass
class _Segment:
    start_frame: int  # first frame of the run that triggered
    last_speech_frame: int
    n_speech: int  # frames above the stop threshold
    peak: float = -np.inf  # loudest frame so far, dB


class StreamingRecognizer:
    """Find and recognise isolated words in a stream of audio chunks.

    Parameters
    ----------
    recognizer : space.recognize.Recognizer or None
        The model (``space.load_model(...)``); unused (may be None) in sequence mode.
    sr : int
        Rate of the chunks in Hz (8-96 kHz). Segments are resampled by ``audio.prepare``.
    config : StreamConfig, optional
        Keyword overrides of the defaults may be given instead (``noise_reduce=True``).
        With ``grammar`` set ("any", "digits4"), the stream is in sequence mode: it is
        decoded into words said with or without pauses (see :mod:`space.recognize.sequence.stream`), and
        :attr:`sequences` collects one result per utterance (words up to a pause).
    sequence : space.recognize.sequence.model.SequenceModel, optional
        The connected-words model for sequence mode (default: the bundled ``digitseq``).

    Examples
    --------
    >>> rec = StreamingRecognizer(space.load_model("digits"), sr=48000)  # doctest: +SKIP
    >>> for chunk in chunks:                                             # doctest: +SKIP
    ...     for ev in rec.accept(chunk):
    ...         print(ev.label, ev.start_s)
    >>> rec.flush()                                                      # doctest: +SKIP
    """

    def __init__(self, recognizer: Any, *, sr: int, config: StreamConfig | None = None,
                 top_k: int = 3, sequence: Any = None, **overrides: Any) -> None:
        if not isinstance(sr, (int, np.integer)) or not audio.MIN_SR <= sr <= audio.MAX_SR:
            raise AudioError(
                f"stream: sample rate {sr} Hz is not supported (use {audio.MIN_SR}-"
                f"{audio.MAX_SR} Hz)"
            )
        if config is None:
            config = StreamConfig(**overrides)
        elif overrides:
            from dataclasses import replace

            config = replace(config, **overrides)
        if config.grammar is not None and config.noise_reduce:  # refused rather than ignored
            raise UsageError("stream: noise suppression cleans isolated words; connected digits "
                             "(a grammar) are decoded from the audio as it is: leave out "
                             "noise_reduce (--noise-reduce) or the grammar (--grammar)")
        self.recognizer = recognizer
        self.sr = int(sr)
        self.cfg = config
        self.top_k = top_k
        c = config
        self._frame = max(1, int(round(sr * c.frame_ms / 1000)))
        fs = self._frame / sr  # frame duration in s
        self._fs = fs
        self._start_n = max(1, int(round(c.start_ms / 1000 / fs)))
        self._hang_n = max(1, int(round(c.hangover_ms / 1000 / fs)))
        self._pre = int(round(c.pre_roll_ms / 1000 * sr))
        self._post = int(round(c.post_roll_ms / 1000 * sr))
        self._min_speech_n = int(round(c.min_speech_ms / 1000 / fs))
        self._max_n = int(round(c.max_word_s / fs))
        self._seq = None
        if c.grammar is not None:
            from .sequence.stream import SequenceMode

            self._seq = SequenceMode(self, sequence)
            self._pre = max(self._pre, self._seq.keep_samples)  # the model's window
        elif recognizer is None:
            raise UsageError("stream: a recognizer is required unless a grammar is given")
        self._up = min(1.0, fs / c.floor_up_s)
        self._down = min(1.0, fs / c.floor_down_s)
        self._noise_n = int(round(c.noise_context_s * sr))
        if c.noise_reduce:
            # noisereduce's import (scipy.signal) takes 1-4 s: paid here, not by the first
            # word a user says, and a missing package is named before any audio flows
            _noisereduce()
        # Sequence mode: one result per stretch of speech, oldest first. Kept across
        # reset()/flush() so that a caller can read the last one after flushing.
        self.sequences: list[dict[str, Any]] = []
        # Words heard but below min_probability, since the recogniser was made (also kept
        # across reset()/flush(): a caller can say why a stream gave no word)
        self.n_unsure = 0
        self.reset()

    # -- public API ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: the next chunk is the start of a new stream (time 0)."""
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # absolute sample index of _buf[0]
        self._next_frame = 0  # absolute index of the next frame to decide on
        self._energy: deque[float] = deque(maxlen=self._max_n + 2)  # recent frames, dB
        self._rescanning = False
        # Until a word has opened: the loudest frame so far, and whether the check that the
        # stream began inside a sound has run (it runs once; see _began_loud)
        self._lead_peak = -np.inf
        self._lead_quiet = 0  # frames in a row start_db below it
        self._lead_checked = False
        self._floor = np.inf  # noise level, dB
        self._var = 0.0  # variance of non-speech frame energy, dB^2
        self._run = 0  # consecutive frames above the start threshold
        self._seg: _Segment | None = None
        self._noise = np.zeros(0, dtype=np.float32)  # recent non-speech audio
        self.n_rejected = 0  # segments found but not reported (too short/long, unsure)
        if self._seq is not None:
            self._seq.reset()

    def accept(self, chunk: np.ndarray) -> list[WordEvent]:
        """Feed the next chunk of audio; return the words that ended in time to be decided.

        Parameters
        ----------
        chunk : np.ndarray [shape=(n,) or (n, channels)]
            float samples in [-1, 1], or int16/int32 PCM; any length, including 0.
        """
        # sounddevice and soundfile give (frames, channels)
        y = audio.as_mono(chunk, channels_first=False, name="stream")
        if y.size:
            if not np.all(np.isfinite(y)):
                raise AudioError("stream: chunk contains NaN or infinite samples")
            self._buf = np.concatenate([self._buf, y])
        return self._process(final=False)

    def flush(self) -> list[WordEvent]:
        """End of stream: decide on a word still open (as if silence followed), then reset."""
        events = self._process(final=True)
        self.reset()
        return events

    def feed(self, chunks: Any) -> Iterator[WordEvent]:
        """Iterate over chunks, yielding events as they come, and flush at the end."""
        for chunk in chunks:
            yield from self.accept(chunk)
        yield from self.flush()

    @property
    def time_s(self) -> float:
        """Seconds of audio decided on so far."""
        return self._next_frame * self._frame / self.sr

    # -- internals ----------------------------------------------------------------------------

    def _process(self, *, final: bool) -> list[WordEvent]:
        F = self._frame
        first = self._next_frame * F - self._buf_start  # buffer offset of the next frame
        n_frames = (len(self._buf) - first) // F
        events: list[WordEvent] = []
        if n_frames > 0:
            if self._seq is not None:  # sequence mode: the frame model decides, not energy
                self._next_frame += n_frames
                events += self._seq.accept(self._buf_start + len(self._buf))
                n_frames = 0
        if n_frames > 0:
            frames = self._buf[first : first + n_frames * F].reshape(n_frames, F)
            energy = 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
            for k in range(n_frames):
                i = self._next_frame
                self._energy.append(float(energy[k]))
                self._next_frame += 1
                events += self._step(i, float(energy[k]))
        if final and self._seq is not None:
            events += self._seq.flush()
        if (final and self._seq is None and self._seg is None
                and self._began_loud(self._next_frame - 1, None)):
            events += self._rescan(0, self._next_frame - 1, restart=True)
        if final and self._seg is not None:
            events += self._close(self._seg)
            self._seg = None
        self._trim()
        return events

    def _step(self, i: int, e: float) -> list[WordEvent]:
        """Decide on frame ``i`` of energy ``e`` dB; return the words it ends."""
        c = self.cfg
        # Below the absolute floor every level counts the same: digital silence (-inf dB)
        # between words must not make the quiet start of the next word look like a huge swing.
        e = max(e, c.abs_floor_dbfs)
        if self._floor == np.inf:  # first frame: start from it, with a modest spread
            self._floor, self._var = e, 4.0
        if self._began_loud(i, e):
            return self._rescan(0, i, restart=True)
        ref = self._floor
        spread = c.spread_k * float(np.sqrt(self._var))
        start_thr = ref + max(c.start_db, spread)
        stop_thr = ref + max(c.stop_db, spread * c.stop_db / c.start_db)
        if self._seg is None:
            if e > start_thr:
                self._run += 1
                if self._run >= self._start_n:
                    start = i - self._run + 1
                    self._seg = _Segment(start, i, self._run)
                    self._lead_checked = True  # a word rose above the floor: it was one
                    self._run = 0
            else:
                self._run = 0
                self._learn_floor(e)
                self._remember_noise(i)
            return []
        seg = self._seg
        seg.peak = max(seg.peak, e)
        if e > max(stop_thr, seg.peak - c.end_drop_db):
            seg.last_speech_frame = i
            seg.n_speech += 1
        if i - seg.last_speech_frame >= self._hang_n:
            self._seg = None
            return self._close(seg)
        if i - seg.start_frame >= self._max_n:
            self._seg = None
            self.n_rejected += 1
            return self._rescan(seg.start_frame, i)
        return []

    def _rescan(self, first: int, last: int, *, restart: bool = False) -> list[WordEvent]:
        """A 'word' grew too long: a loud noise began (dishes, a tap turned on) and the floor
        is stale. Re-learn the floor from the quiet part of those frames and decide on them
        again, so that words said within the noise are still found (late, but found).

        ``restart``: the stream began inside a sound (:meth:`_began_loud`): decide on its
        frames again as if the quietest of them had been the first, the floor's usual start.
        """
        if self._rescanning:  # still too long with the new floor: it was all noise
            return []
        n_hist = len(self._energy)
        e = np.maximum(np.asarray(self._energy, dtype=np.float64)[
            first - (self._next_frame - n_hist) : last + 1 - (self._next_frame - n_hist)],
            self.cfg.abs_floor_dbfs)
        if restart:
            self._floor, self._var = float(e.min()), 4.0
            self._noise = self._noise[:0]  # it held the sound: re-learnt from the quiet frames
        else:
            quiet = e[e <= np.percentile(e, 30)]
            self._floor = float(np.percentile(e, 10))
            self._var = float(np.var(quiet)) + 1.0
        self._run = 0
        self._rescanning = True
        events: list[WordEvent] = []
        try:
            for k, ek in enumerate(e):
                events += self._step(first + k, float(ek))
        finally:
            self._rescanning = False
        return events

    def _began_loud(self, i: int, e: float | None) -> bool:
        """Did the stream begin inside a sound? Then its first frame, the floor's start, was
        no noise level, and a word said from the first moment (a recording cut tight to the
        word, a user speaking as the microphone opens) would never rise above it.

        True, once, before any word has opened and within the first ``max_word_s``: when the
        frames have stayed ``start_db`` below the loudest so far for ``hangover_ms`` (the
        sound at the start has ended, as a word ends), or at the end of the stream (``e``
        None) if it held such a rise at all. The caller then decides on every frame again
        from the quietest one (:meth:`_rescan`), as if the stream had begun in silence.
        """
        if (self._lead_checked or self._rescanning or self._seg is not None
                or self._next_frame > self._max_n):
            return False
        if e is None:  # end of stream: a rise of start_db anywhere in it?
            lead = np.maximum(np.asarray(self._energy, dtype=np.float64), self.cfg.abs_floor_dbfs)
            self._lead_checked = True
            return lead.size > 0 and float(lead.max() - lead.min()) >= self.cfg.start_db
        self._lead_peak = max(self._lead_peak, e)
        self._lead_quiet = self._lead_quiet + 1 if self._lead_peak - e >= self.cfg.start_db else 0
        if self._lead_quiet < self._hang_n:
            return False
        self._lead_checked = True
        return True

    def _learn_floor(self, e: float) -> None:
        """Noise level (mean frame energy in dB) and its spread, from non-speech frames.

        Follows a drop fast (a noise that stops) and a rise slowly (so the quiet start of a
        word cannot pull the floor up before it crosses the threshold).
        """
        d = e - self._floor
        a = self._down if d < 0 else self._up
        self._floor += a * d
        self._var += self._up * (d * d - self._var)

    def _remember_noise(self, i: int) -> None:
        if not self.cfg.noise_reduce:
            return
        a = i * self._frame - self._buf_start
        frame = self._buf[a : a + self._frame]
        self._noise = np.concatenate([self._noise, frame])[-self._noise_n :]

    def _close(self, seg: _Segment) -> list[WordEvent]:
        F = self._frame
        n_frames = seg.last_speech_frame - seg.start_frame + 1
        if seg.n_speech < self._min_speech_n or n_frames > self._max_n:
            self.n_rejected += 1
            return []
        a = max(0, seg.start_frame * F - self._pre)
        b = (seg.last_speech_frame + 1) * F + self._post
        y = self._buf[a - self._buf_start : b - self._buf_start]
        if self.cfg.noise_reduce and len(self._noise) >= self.sr // 4:
            y = _denoise(y, self.sr, self._noise)
        try:
            pred = self.recognizer.predict(y, sr=self.sr, top_k=self.top_k)
        except AudioError:  # e.g. silent after noise suppression: not a word
            self.n_rejected += 1
            return []
        if pred.probability < self.cfg.min_probability:
            self.n_rejected += 1
            self.n_unsure += 1
            return []
        return [WordEvent(
            label=pred.label, probability=pred.probability,
            start_s=seg.start_frame * F / self.sr,
            end_s=(seg.last_speech_frame + 1) * F / self.sr,
            top_k=list(pred.top_k), audio=np.array(y, dtype=np.float32), sr=self.sr,
            audio_start_s=a / self.sr,
        )]

    def _trim(self) -> None:
        """Drop samples no future decision needs (keeps memory flat on endless streams)."""
        F = self._frame
        keep_from = self._next_frame * F - self._pre - self._run * F
        if self._seg is not None:
            keep_from = min(keep_from, self._seg.start_frame * F - self._pre)
        if self._seq is None and not self._lead_checked and self._next_frame <= self._max_n:
            keep_from = 0  # the stream may yet turn out to have begun inside a word
        drop = keep_from - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start += drop


def _noisereduce() -> Any:
    """The noisereduce module, or a UsageError that says how to install it."""
    try:
        import noisereduce
    except ImportError as e:
        raise UsageError(
            "noise suppression needs noisereduce (pip install 'space-speech[mic]')"
        ) from e
    return noisereduce


def _denoise(y: np.ndarray, sr: int, noise: np.ndarray) -> np.ndarray:
    """Stationary spectral gating (noisereduce) with a noise profile from the stream's pauses."""
    n_fft = 512 if sr <= 16000 else 1024 if sr <= 32000 else 2048
    out = _noisereduce().reduce_noise(y=y, sr=sr, y_noise=noise, stationary=True, n_fft=n_fft,
                                      prop_decrease=0.9)
    return np.asarray(out, dtype=np.float32)


def iter_file(
    path: str | os.PathLike, *, chunk_s: float = 0.02
) -> tuple[int, Iterator[np.ndarray]]:
    """Open an audio file for streaming: its rate and an iterator of mono chunks.

    The file is read block by block (any length, constant memory), so a long recording goes
    through exactly the code a microphone feeds.
    """
    name = str(path)
    # The same header checks and messages as every other path (space.audio.load), without
    # the length limit: a long recording is what streaming is for.
    sr, _, _ = audio.probe(path, max_duration_s=None, name=name)
    block = max(1, int(round(chunk_s * sr)))

    def gen() -> Iterator[np.ndarray]:
        for b in audio.blocks(name, block):
            yield audio.as_mono(b, channels_first=False, name=name)

    return sr, gen()


__all__ = ["StreamConfig", "StreamingRecognizer", "WordEvent", "iter_file"]
