"""A word's phones: the pronouncing dictionary and ARPAbet -> IPA.

A word's pronunciation comes from CMUdict (the copy the ``pocketsphinx`` wheel ships,
39 ARPAbet phones, no stress marks); the learner sees the phones in IPA (:func:`to_ipa`,
:func:`word_ipa`). Where the phones lie in a recording is :mod:`.pocketsphinx` (training
labels) or :mod:`space.pronounce.evidence.viterbi` (an attempt).

>>> from space.pronounce.lexicon.phones import pronunciation, to_ipa
>>> pronunciation("three")
['TH', 'R', 'IY']
>>> "".join(to_ipa(p) for p in pronunciation("three"))
'θɹi'
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ...errors import AudioError, PronunciationError  # noqa: F401 (re-exported: its old home)

SR = 16000  # the acoustic models' sample rate (PocketSphinx's and the phone model's)

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
PHONES: tuple[str, ...] = tuple(sorted(ARPABET_IPA))
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW",
                    "OY", "UH", "UW"})
# The bundled digit references live in folders named by the digit.
DIGIT_WORDS = {str(i): w for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}


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


def check_phones(phones: list[str]) -> list[str]:
    """Upper-cased ARPAbet phones without stress digits; raises PronunciationError."""
    out = [p.upper().rstrip("012") for p in phones]
    bad = [p for p in out if p not in ARPABET_IPA]
    if bad or not out:
        raise PronunciationError(f"not ARPAbet phones: {bad or phones}")
    return out
