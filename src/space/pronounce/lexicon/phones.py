"""A word's phones: pronouncing dictionary, ARPAbet <-> IPA, and forced alignment.

A word's pronunciation comes from CMUdict (the copy the ``pocketsphinx`` wheel ships,
39 ARPAbet phones, no stress marks). :func:`align` finds where each phone of a known
word lies in a clip with PocketSphinx's US English acoustic model (a Viterbi forced
alignment, 10 ms frames): what it does well on real speech is placing phones it is
told are there, not recognising them, so it is used only to label clips whose word is
known (training labels for the phone encoder, reference phone spans).

>>> from space.pronounce.lexicon.phones import pronunciation, to_ipa
>>> pronunciation("three")
['TH', 'R', 'IY']
>>> "".join(to_ipa(p) for p in pronunciation("three"))
'θɹi'
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import AudioError, PronunciationError  # noqa: F401 (re-exported: its old home)

SR = 16000  # the acoustic model's sample rate
HOP_S = 0.01  # PocketSphinx's frame shift
SILENCE = "SIL"

# The 39 CMUdict phones and their IPA (General American; AH is the strut vowel /ʌ/ here, and
# its unstressed form the schwa /ə/: SCHWA, chosen per word by word_ipa, since this copy of
# CMUdict has no stress marks).
ARPABET_IPA: dict[str, str] = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ",
    "ER": "ɝ", "EY": "eɪ", "IH": "ɪ", "IY": "i", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ",
    "UW": "u", "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h",
    "JH": "dʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ",
    "S": "s", "SH": "ʃ", "T": "t", "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z",
    "ZH": "ʒ",
}
SCHWA = "ə"
IPA_ARPABET: dict[str, str] = {**{v: k for k, v in ARPABET_IPA.items()}, SCHWA: "AH"}
PHONES: tuple[str, ...] = tuple(sorted(ARPABET_IPA))
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW",
                    "OY", "UH", "UW"})
# The bundled digit references live in folders named by the digit.
DIGIT_WORDS = {str(i): w for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}


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


def to_ipa(phone: str) -> str:
    """ARPAbet phone (stress digit allowed: ``'IY1'``) -> IPA; raises PronunciationError.
    ``'AH0'`` (unstressed) is the schwa /ə/; ``'AH'`` without a stress digit is /ʌ/ (use
    :func:`word_ipa` for the phones of a word)."""
    if phone.upper() == "AH0":
        return SCHWA
    p = phone.upper().rstrip("012")
    try:
        return ARPABET_IPA[p]
    except KeyError:
        raise PronunciationError(f"{phone!r} is not an ARPAbet phone") from None


def word_ipa(phones: list[str]) -> list[str]:
    """IPA of each phone of one word, AH told apart by stress where the phones have no
    stress digits: /ʌ/ as the word's only vowel ('one', 'up'), else the schwa /ə/ ('seven',
    'visual', 'marvin'). A stressed AH in a longer word ('under') is the rarer case: on 600
    random CMUdict words with AH this rule gives espeak-ng's count of /ʌ/ for 90% of them,
    always-/ʌ/ for 8%. Phones with stress digits keep them (``AH1`` /ʌ/, ``AH0`` /ə/)."""
    n_vowels = sum(p.upper().rstrip("012") in VOWELS for p in phones)
    return [SCHWA if p.upper() == "AH" and n_vowels > 1 else to_ipa(p) for p in phones]


def to_arpabet(ipa: str) -> str:
    """IPA symbol (one phone, as in :data:`ARPABET_IPA`) -> ARPAbet."""
    try:
        return IPA_ARPABET[ipa]
    except KeyError:
        raise PronunciationError(f"{ipa!r} is not one of the IPA phones SPACE knows") from None


def model_dir() -> Path:
    """The US English acoustic model and CMUdict shipped by ``pocketsphinx``."""
    try:
        from pocketsphinx import get_model_path
    except ImportError:
        raise PronunciationError(
            "phone alignment needs the pocketsphinx package (pip install pocketsphinx)") from None
    return Path(get_model_path())


@lru_cache(maxsize=1)
def _cmudict_text() -> str:
    """CMUdict as one string (3.5 MB; read once). Looked up per word with a regular
    expression (:func:`pronunciation`) instead of parsed into a dict, which took most of a
    cold ``space score``'s phone time (0.4-0.8 s for 135k entries)."""
    return (model_dir() / "en-us" / "cmudict-en-us.dict").read_text(encoding="utf-8")


def spoken_word(word: str) -> str:
    """The word as said: a digit folder's name ``'7'`` -> ``'seven'``; others lower-cased."""
    w = word.strip().lower()
    return DIGIT_WORDS.get(w, w)


def pronunciation(word: str) -> list[str] | None:
    """CMUdict phones of ``word`` (digits '0'..'9' as their names), or None if unknown."""
    p = _lookup(spoken_word(word))
    return list(p) if p else None


@lru_cache(maxsize=4096)
def _lookup(word: str) -> tuple[str, ...] | None:
    """First CMUdict pronunciation of ``word`` (lower case), stress digits removed.
    Entries are ``word ph1 ph2 ...``; variants ``word(2) ...`` come after the first."""
    if not word or any(c.isspace() for c in word):
        return None
    m = re.search(rf"^{re.escape(word)} (.+)$", _cmudict_text(), re.MULTILINE)
    if m is None:
        return None
    return tuple(p.rstrip("012") for p in m.group(1).split())


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


def check_phones(phones: list[str]) -> list[str]:
    """Upper-cased ARPAbet phones without stress digits; raises PronunciationError."""
    out = [p.upper().rstrip("012") for p in phones]
    bad = [p for p in out if p not in ARPABET_IPA]
    if bad or not out:
        raise PronunciationError(f"not ARPAbet phones: {bad or phones}")
    return out


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


def frame_labels(spans: list[PhoneSpan], n_frames: int, hop_s: float,
                 start_s: float = 0.0) -> np.ndarray:
    """Per-frame phone index (into :data:`PHONES`; ``len(PHONES)`` = silence) of frames
    ``start_s + i * hop_s`` -> ``[shape=(n_frames,)]`` int64."""
    lab = np.full(n_frames, len(PHONES), dtype=np.int64)
    t = start_s + np.arange(n_frames) * hop_s
    for s in spans:
        lab[(t >= s.start_s) & (t < s.end_s)] = PHONES.index(s.phone)
    return lab
