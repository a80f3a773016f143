"""Where the phones of a known word lie in a clip: forced alignment with PocketSphinx's US
English acoustic model (a Viterbi alignment, 10 ms frames).

What it does well on real speech is placing phones it is told are there, not recognising
them, so it only labels clips whose words are known: the phone model's training labels
(:mod:`space.training.phone_labels`), the learners' sentences
(:mod:`space.training.learner_labels`) and their words cut as clips (``space data
sentence-words``). An attempt is aligned by the phone model instead
(:mod:`space.pronounce.evidence.viterbi`).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ...errors import AudioError, PronunciationError
from .phones import SR, check_phones, pronunciation, to_ipa

HOP_S = 0.01  # PocketSphinx's frame shift
SILENCE = "SIL"


@dataclass(frozen=True)
class PhoneSpan:
    """One phone of a clip: ARPAbet name and its span in seconds into the clip."""

    phone: str
    start_s: float
    end_s: float

    @property
    def ipa(self) -> str:
        return to_ipa(self.phone)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["start_s"], d["end_s"] = round(self.start_s, 3), round(self.end_s, 3)
        return d


def word_or_phones(word: str | None, phones: list[str] | None) -> list[str]:
    """The phones to align: ``phones`` if given (checked), else the word's CMUdict ones.
    Raises :class:`PronunciationError` for neither, an unknown word or bad phones."""
    if phones is None:
        if word is None:
            raise PronunciationError("give the word or its phones")
        phones = pronunciation(word)
        if phones is None:
            raise PronunciationError(f"no known pronunciation for {word!r} (not in CMUdict)")
    return check_phones(phones)


_lock = threading.Lock()
_decoder = None


def _get_decoder():  # noqa: ANN202 (a pocketsphinx.Decoder; the import is optional)
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder

        _decoder = Decoder(samprate=SR, lm=None, loglevel="FATAL")
    return _decoder


def align(y: np.ndarray, sr: int, word: str | None = None, *,
          phones: list[str] | None = None) -> list[PhoneSpan]:
    """Forced alignment of a clip of one known word into phone spans.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio (float, about -1..1) at ``sr`` Hz; resampled to 16 kHz.
    word : str, optional
        The word said (its CMUdict pronunciation is aligned).
    phones : list of str, optional
        ARPAbet phones to align instead (a mispronunciation, a user's pronunciation).

    Returns
    -------
    list of PhoneSpan
        The word's phones in order, each with its start/end in seconds into ``y``
        (silence before and after is left out).

    Raises
    ------
    PronunciationError
        Unknown word or phones.
    AudioError
        Empty audio, or no alignment found (too short for the phones, or not speech).
    """
    phones = word_or_phones(word, phones)
    raw, off, n = pcm16(y, sr)
    found = force_align(raw, phones)
    return [PhoneSpan(name, float(np.clip(s * HOP_S - off, 0, n)),
                      float(np.clip((s + dur) * HOP_S - off, 0, n)))
            for name, s, dur, _ in found]


def pcm16(y: np.ndarray, sr: int) -> tuple[bytes, float, float]:
    """A clip as the PocketSphinx decoders take it.

    Returns ``(raw, offset_s, duration_s)``: 16 kHz 16-bit PCM bytes of the clip peak-
    normalised to 0.5 with 0.2 s of near-silence on each side, the padding's length (frame
    ``i`` of a decoder lies at ``i * HOP_S - offset_s`` seconds into ``y``) and the
    clip's length. Raises AudioError for empty audio.
    """
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size == 0:
        raise AudioError("empty audio: nothing to align")
    if sr != SR:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    peak = float(np.max(np.abs(y))) or 1.0
    # Pad with 0.2 s of near-silence so a clip cut tight on the word still gives the
    # model its optional leading/trailing silence (dither keeps the CMN sane).
    pad = np.random.default_rng(0).normal(0, 1e-4, int(0.2 * SR)).astype(np.float32)
    x = np.concatenate([pad, y / peak * 0.5, pad])
    raw = (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()
    return raw, len(pad) / SR, len(y) / SR


def force_align(raw: bytes, phones: list[str]) -> list[tuple[str, int, int, int]]:
    """Viterbi forced alignment of checked ARPAbet ``phones`` in :func:`pcm16` audio.

    Returns ``[(phone, start_frame, n_frames, acoustic_score)]`` for the word's phones
    (10 ms frames of the padded clip; the score is PocketSphinx's integer log-likelihood
    in its log-math base, higher = better). Raises AudioError when no alignment is found.
    """
    global _decoder
    key = "spacealign_" + "_".join(phones).lower()
    with _lock:
        # A decoder that has aligned many clips sometimes fails on one that a fresh decoder
        # aligns (about half of the failures on the learners' clips): retry once on a new
        # one (~0.13 s CPU to build), which then stays the shared decoder.
        for attempt in range(2):
            d = _get_decoder()
            try:
                return _align_once(d, key, phones, raw)
            except RuntimeError as e:
                if attempt == 1:
                    raise AudioError(f"no phone alignment found for {' '.join(phones)} "
                                     f"({e})") from None
                _decoder = None
    raise AssertionError("unreachable")


def _align_once(d: Any, key: str, phones: list[str],
                raw: bytes) -> list[tuple[str, int, int, int]]:
    """Both passes of one alignment on decoder ``d``; RuntimeError when none is found."""
    if d.lookup_word(key) is None:
        d.add_word(key, " ".join(phones), True)
    d.set_align_text(key)
    d.start_utt()
    d.process_raw(raw, full_utt=True)
    d.end_utt()
    d.set_alignment()
    d.start_utt()
    d.process_raw(raw, full_utt=True)
    d.end_utt()
    found = [(p.name, int(p.start), int(p.duration), int(p.score))
             for w in d.get_alignment() for p in w if w.name == key]
    if [f[0] for f in found] != phones:
        raise RuntimeError("the alignment does not hold the word's phones")
    return found


def align_words(y: np.ndarray, sr: int, words: list[list[str]]
                ) -> list[tuple[float, float, list[PhoneSpan]]]:
    """Forced alignment of a clip of several known words (a sentence), silence allowed
    between them.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz.
    words : list of list of str
        Each word's checked ARPAbet phones, in the order said.

    Returns
    -------
    list of (start_s, end_s, phones)
        Per word its span and its phones' spans, in seconds into ``y``.

    Raises
    ------
    AudioError
        Empty audio, or no alignment found.
    """
    global _decoder
    if not words:
        raise AudioError("no words to align")
    raw, off, n = pcm16(y, sr)
    keys = [f"spacew{i}_" + "_".join(ph).lower() for i, ph in enumerate(words)]
    with _lock:
        for attempt in range(2):
            d = _get_decoder()
            try:
                for key, ph in zip(keys, words, strict=True):
                    if d.lookup_word(key) is None:
                        d.add_word(key, " ".join(ph), True)
                d.set_align_text(" ".join(keys))
                for second in (False, True):
                    if second:
                        d.set_alignment()
                    d.start_utt()
                    d.process_raw(raw, full_utt=True)
                    d.end_utt()
                found = [(w.name, [(p.name, int(p.start), int(p.duration)) for p in w])
                         for w in d.get_alignment() if w.name.startswith("spacew")]
                if [f[0] for f in found] != keys:
                    raise RuntimeError("the alignment does not hold the words")
                break
            except RuntimeError as e:
                if attempt == 1:
                    raise AudioError(f"no alignment found for {len(words)} words ({e})") from None
                _decoder = None

    def sec(frame: int) -> float:
        return float(np.clip(frame * HOP_S - off, 0, n))

    out = []
    for _, segs in found:
        spans = [PhoneSpan(p, sec(s), sec(s + dur)) for p, s, dur in segs]
        out.append((spans[0].start_s, spans[-1].end_s, spans))
    return out
