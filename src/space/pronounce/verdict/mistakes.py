"""Errors named as a teacher would: "/θ/ sounded like /s/", "the final /t/ was missing",
"an extra sound after /k/", with a line on how to make the sound for the common ones.

:func:`name_errors` reads the phones that :func:`.judge.judge` coloured red (and the
sentence's inserted sounds, the words not said) and words them; the order it returns is
the order a learner reads them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..evidence.sentence import SentenceEvidence
from ..lexicon.phones import VOWELS, spoken_word, to_ipa
from .scores import WordScore

# Which kinds are named with their specific wording. A kind whose wording is not right
# often enough (benchmarks/mispronounce.py: the kind named against the kind made) falls
# back to "was not clear", which is never wrong about what happened, only vaguer.
NAMED_KINDS = frozenset({"substitution", "deletion", "insertion", "word missing"})
KIND_ORDER = ("word missing", "deletion", "substitution", "unclear", "insertion")

# How to make the sounds learners of English most often get wrong.
TIPS: dict[str, str] = {
    "TH": "put the tip of your tongue between your teeth and blow, without voice",
    "DH": "put the tip of your tongue between your teeth, as for /θ/, and add voice",
    "R": "curl the tongue tip up and back without touching the roof of the mouth, lips a "
         "little rounded",
    "L": "press the tongue tip on the ridge behind the upper teeth and let the air pass "
         "at the sides",
    "V": "rest the lower lip on the upper teeth and hum through them",
    "W": "round the lips as for /u/ and open them; the teeth do not touch the lip",
}
# Vowel length: a long tense vowel said short and lax, or the other way round.
LENGTH_TIPS: dict[tuple[str, str], str] = {
    ("IY", "IH"): "/i/ is long and tense: spread the lips and hold it longer",
    ("IH", "IY"): "/ɪ/ is short and relaxed: do not stretch it into /i/",
    ("UW", "UH"): "/u/ is long: round the lips tightly and hold it",
    ("UH", "UW"): "/ʊ/ is short and relaxed: do not stretch it into /u/",
}
FINAL_TIP = "finish the word: make the final /{ipa}/ heard, without a vowel after it"
INSERT_TIP = "go straight on to the next sound; do not add a vowel after /{ipa}/"


@dataclass(frozen=True)
class NamedError:
    """One error as the learner reads it.

    kind : "substitution", "deletion", "unclear", "insertion" or "word missing".
    word_index, phone_index : where it is (``phone_index`` None for an insertion or a
        missing word); the phone at ``phone_index`` is the one coloured red.
    phone, heard : ARPAbet of the expected phone and of what was heard instead (or the
        inserted sound), where known.
    start_s, end_s : its span in the attempt, in seconds (the part to highlight).
    score : the phone's 0-100 score (0 for a missing word).
    text, tip : the sentence, and how to make the sound (None where no tip applies).
    ipa : the phone's IPA as its word has it (:func:`.phones.word_ipa`).
    """

    kind: str
    word: str
    word_index: int
    phone_index: int | None
    phone: str | None
    heard: str | None
    start_s: float
    end_s: float
    score: float
    text: str
    tip: str | None
    ipa: str | None = None  # the phone's IPA as in its word (the AH of 'seven' is /ə/)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "word": self.word, "word_index": self.word_index,
                "phone_index": self.phone_index, "phone": self.phone,
                "ipa": self.ipa, "heard": self.heard,
                "heard_ipa": to_ipa(self.heard) if self.heard else None,
                "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "score": round(self.score, 1), "text": self.text, "tip": self.tip}


def _tip(kind: str, phone: str, heard: str | None, final: bool) -> str | None:
    if kind == "deletion" and final and phone not in VOWELS:
        return FINAL_TIP.format(ipa=to_ipa(phone))
    if heard and (phone, heard) in LENGTH_TIPS:
        return LENGTH_TIPS[(phone, heard)]
    return TIPS.get(phone)


def _phone_error(w: WordScore, wi: int, pi: int, missing: bool) -> NamedError:
    p = w.phones[pi]
    word = spoken_word(w.word)
    final = pi == len(w.phones) - 1
    where = "final " if final and len(w.phones) > 1 else ""
    if missing and "deletion" in NAMED_KINDS:
        kind, text = "deletion", f"the {where}/{p.ipa}/ of {word!r} was missing"
    elif p.heard and p.heard != p.phone and "substitution" in NAMED_KINDS:
        kind = "substitution"
        text = f"the /{p.ipa}/ of {word!r} sounded like /{to_ipa(p.heard)}/"
    else:
        kind, text = "unclear", f"the /{p.ipa}/ of {word!r} was not clear"
    return NamedError(kind, w.word, wi, pi, p.phone, p.heard if kind == "substitution" else
                      None, p.start_s, p.end_s, p.score, text,
                      _tip(kind, p.phone, p.heard, final), p.ipa)


def _insertion(words: Sequence[WordScore], t0: float, t1: float) -> NamedError | None:
    """An inserted sound (:attr:`space.pronounce.evidence.sentence.SentenceEvidence.inserted`),
    placed after the
    phone that ends nearest before it. Learners' insertions are mostly vowels after a
    consonant (epenthesis, speechocean762's experts' ``[AX]``); the tip says so."""
    best: tuple[float, int, int] | None = None
    for wi, w in enumerate(words):
        for pi, p in enumerate(w.phones):
            gap = t0 - p.end_s
            if w.said and -0.03 <= gap and (best is None or gap < best[0]):
                best = (gap, wi, pi)
    if best is None:
        return None
    _, wi, pi = best
    after = words[wi].phones[pi]
    text = f"an extra sound after /{after.ipa}/ in {spoken_word(words[wi].word)!r}"
    tip = INSERT_TIP.format(ipa=after.ipa) if after.phone not in VOWELS else None
    return NamedError("insertion", words[wi].word, wi, None, None, None, t0, t1, 0.0, text,
                      tip)


def name_errors(words: Sequence[WordScore], ev: SentenceEvidence, *,
                cause: str | None) -> list[NamedError]:
    """The errors of a judged attempt, in reading order.

    Parameters
    ----------
    words : sequence of WordScore
        The judged words; every phone at level ``"weak"`` is named, no other.
    ev : SentenceEvidence
        The evidence they were judged from (missing flags, inserted sounds).
    cause : str or None
        A cause that explains the whole attempt (the word not said): words not said are
        then not listed one by one.
    """
    out: list[NamedError] = []
    several = len(words) > 1
    for wi, (w, we) in enumerate(zip(words, ev.words, strict=True)):
        if not w.said:
            if several and cause is None:
                out.append(NamedError("word missing", w.word, wi, None, None, None,
                                      w.start_s, w.end_s, 0.0,
                                      f"{spoken_word(w.word)!r} was not heard", None))
            continue
        for pi, p in enumerate(w.phones):
            if p.level == "weak":
                out.append(_phone_error(w, wi, pi, we.phones[pi].missing))
    if cause is None and "insertion" in NAMED_KINDS:
        for t0, t1, _ in ev.inserted:
            e = _insertion(words, t0, t1)
            if e is not None:
                out.append(e)
    group = {"word missing": 0, "insertion": 2}  # a missing word first, insertions last
    out.sort(key=lambda e: (group.get(e.kind, 1), e.score, KIND_ORDER.index(e.kind)))
    return out
