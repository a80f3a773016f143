"""Text -> words -> phones for any text to score: CMUdict (:mod:`.phones`), checked where the text
enters, so that an unknown word, an empty or an over-long text is one clear message.

>>> from space.pronounce.lexicon.text import text_words
>>> text_words("The water's cold, 7!")
['the', "water's", 'cold', 'seven']
"""

from __future__ import annotations

import re

from ...errors import TextError
from .phones import pronunciation, spoken_word

# A short sentence, as the experts' corpus has (speechocean762: at most 20 words): longer
# texts are read aloud with pauses and belong in several attempts.
MAX_WORDS = 30
MAX_CHARS = 300
_WORD = re.compile(r"[0-9]|[^\W\d_]+(?:['’][^\W\d_]+)*")


def text_words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, digits as their names, punctuation dropped.

    Raises
    ------
    TextError
        Not a string, empty (no word), over :data:`MAX_CHARS` characters or
        :data:`MAX_WORDS` words.
    """
    if not isinstance(text, str):
        raise TextError(f"the text must be a string, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise TextError(f"the text is {len(text)} characters long; score at most "
                        f"{MAX_CHARS} (a short sentence) per attempt")
    words = [spoken_word(w.replace("’", "'")) for w in _WORD.findall(text)]
    if not words:
        raise TextError("the text is empty: give the word or sentence that was said")
    if len(words) > MAX_WORDS:
        raise TextError(f"the text has {len(words)} words; score at most {MAX_WORDS} (a "
                        "short sentence) per attempt")
    return words


def text_phones(words: list[str]) -> list[list[str]]:
    """Each word's CMUdict phones (ARPAbet, no stress).

    Raises
    ------
    TextError
        Naming every word the lexicon does not hold (no letter-to-sound guess is made:
        a guessed pronunciation would be scored as if it were right).
    """
    out, unknown = [], []
    for w in words:
        p = pronunciation(w)
        if p is None:
            unknown.append(w)
        else:
            out.append(p)
    if unknown:
        names = ", ".join(repr(w) for w in dict.fromkeys(unknown))
        raise TextError(f"not in the pronunciation lexicon (CMUdict): {names}; check the "
                        "spelling, or write the word as it sounds")
    return out
