"""One verdict per attempt: the evidence of its phones and words -> everything a learner sees.

Every figure and sentence of a result comes from :func:`judge`, from the same numbers, in
this order, so that they cannot contradict each other:

0. Every score (phone, word, attempt) is a whole number 0-100, rounded before anything is
   decided from it, so that a score shown as 80 is 'excellent' on every screen and a
   sound shown as 85 is green (a 79.6 'good' was shown as "80 (good)").
1. Each word's score is its evidence's (fitted on the experts,
   :mod:`space.pronounce.evidence.sentence`), set to 0
   when the word was not said, and capped at :data:`OTHER_WORD_SCORE` when a recogniser
   that knows the word confidently heard another one.
2. A phone is *named* (an error, coloured red) when its score is below
   :data:`NAMED_BELOW` (a missing one is then named as a deletion). A word (or sentence)
   whose band would be 'poor' with nothing named gets its lowest phone named, unless
   something else explains it (the word was not said, another word was heard, the
   recording is poor): 'poor' always says what is wrong.
3. A word or sentence with a named error cannot be 'excellent': its score is capped just
   below :data:`EXCELLENT`, at 79 (the experts' 'excellent' has no wrong sound either). Nor can
   a word none of whose sounds is clear (no phone at :data:`GOOD_PHONE` or above), or an
   attempt with no clear sound at all: 'excellent' is never shown over a row of amber
   sounds. (A consistency rule: it moves 3 of 676 learners' words held out, and their
   agreement with the experts not at all: benchmarks/results/learners.md.)
4. The band comes from the (capped) score; the phone colours from the phone scores and
   the named set; the sentence from the first error in the order *cause* (not said,
   another word, recording) > deletion > substitution > unclear > insertion, lowest score
   first; the highlighted span is that error's phone (or word). With nothing named, the
   praise names the amber sounds (lowest first) instead of calling every sound clear.

:func:`contradictions` checks these rules on a verdict; the benchmarks count its findings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..evidence.sentence import SentenceEvidence, WordEvidence
from ..lexicon.phones import spoken_word, word_ipa
from .mistakes import TIPS, NamedError, name_errors
from .scores import (
    BANDS,
    COLOURS,
    EXCELLENT,
    GOOD_PHONE,
    LEVELS,
    MARKS,
    PhoneScore,
    WordScore,
    band,
    phone_level,
)

# A phone is named (red) below NAMED_BELOW (its score estimates the experts' mean mark x50:
# 2 right, 1 accented, 0 wrong). Chosen by benchmarks/tune_verdict.py with models that never
# saw the speaker: the highest threshold naming a sound on at most 8% of the words all five
# experts rated 10, on speaker folds 0-2 of speechocean762_words: 72.5 for the scorer of
# five averaged MLPs (issue 21's sixteenth round: 8% there, 7% on folds 3-4, held out); 70
# for the one-MLP scorer of the fifteenth round, where 72.5 named over 8% on folds 0-2.
# The fitted scores sit high (median 97-99 for a correct word): at 35 almost nothing was
# ever named (3 of 460 synthetic mispronunciations).
NAMED_BELOW = 72.5
# A recogniser that knows the word and heard another with at least this probability:
# the attempt is another word, scored at most OTHER_WORD_SCORE.
OTHER_WORD_PROB = 0.8
OTHER_WORD_SCORE = 5.0
CAUSES = ("not said", "other word", "recording")


@dataclass(frozen=True)
class Verdict:
    """The one judgement of an attempt.

    Attributes
    ----------
    score, band : float, str
        The attempt's 0-100 score (a single word: the word's; a sentence: its accuracy,
        scaled by completeness) and its band.
    words : tuple of WordScore
    accuracy, completeness : float
        0-100: how well the words said were said; the share of the words said.
    fluency : float or None
        0-100 where the evidence measures it.
    errors : tuple of NamedError
        What is wrong, most important first; empty when nothing is.
    cause : str or None
        One of :data:`CAUSES` when the attempt's problem is not one sound.
    sentence : str
        What the learner reads: the first error (with a tip where one helps) or praise.
    span : (start_s, end_s) or None
        The part of the attempt to highlight: the first error's phone or word.
    heard : str or None
        Which word a bundled recogniser heard, as the verdict reads it: ``"7 (97% sure)"``,
        or ``"not sure (best guess 7, 39%)"`` when it heard another word too doubtfully to
        count (below :data:`OTHER_WORD_PROB`: the score then rests on the sounds alone,
        and no screen says "heard 7" beside a good score for 'three'). None without a check.
    """

    score: float
    band: str
    words: tuple[WordScore, ...]
    accuracy: float
    completeness: float
    fluency: float | None
    errors: tuple[NamedError, ...]
    cause: str | None
    sentence: str
    span: tuple[float, float] | None
    heard: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 1), "band": self.band,
                "accuracy": round(self.accuracy, 1),
                "completeness": round(self.completeness, 1),
                "fluency": None if self.fluency is None else round(self.fluency, 1),
                "cause": self.cause, "sentence": self.sentence,
                "span": None if self.span is None else [round(t, 3) for t in self.span],
                "heard": self.heard,
                "errors": [e.to_dict() for e in self.errors],
                "words": [w.to_dict() for w in self.words]}


def _whole(score: float) -> float:
    """Rule 0: a score rounded half up to a whole number."""
    return float(math.floor(float(score) + 0.5))


def _cap(score: float, named: bool) -> float:
    """Rule 3: a score with a named error stays below 'excellent' (79, however rounded)."""
    return min(score, EXCELLENT - 1.0) if named else score


def _word_named(w: WordEvidence, score: float, *, other: bool, explained: bool) -> set[int]:
    """Rule 2: indices of the phones named in one word."""
    if not w.said or not w.phones or other:  # another word's phones mean nothing here
        return set()
    # a 'missing' flag alone named a sound on a quarter of words all experts rated 10
    # (benchmarks/tune_verdict.py): it words the error, the score decides it
    named = {i for i, p in enumerate(w.phones) if p.score < NAMED_BELOW}
    if not named and not explained and band(score) == "poor":
        named = {min(range(len(w.phones)), key=lambda i: w.phones[i].score)}
    return named


def _other_word(heard: dict[str, Any] | None) -> bool:
    return bool(heard and not heard.get("matches_word", True)
                and float(heard.get("probability", 0.0)) >= OTHER_WORD_PROB)


def _heard_it(heard: dict[str, Any] | None) -> bool:
    """A recogniser that knows the word heard that very word, confidently."""
    return bool(heard and heard.get("matches_word")
                and float(heard.get("probability", 0.0)) >= OTHER_WORD_PROB)


def judge(ev: SentenceEvidence, *, heard: dict[str, Any] | None = None,
          quality_label: str | None = None) -> Verdict:
    """The verdict of one attempt.

    Parameters
    ----------
    ev : SentenceEvidence
        The attempt's evidence (:func:`space.pronounce.evidence.sentence.assess_audio`), one word or several.
    heard : dict, optional
        A recogniser's check of a single word (``label``, ``probability``,
        ``matches_word``), where a bundled model knows the word.
    quality_label : str, optional
        The recording's quality label (``"good"``, ``"fair"``, ``"poor"``).

    Returns
    -------
    Verdict
    """
    other = len(ev.words) == 1 and _other_word(heard)
    if len(ev.words) == 1 and not ev.words[0].said and _heard_it(heard):
        # the phones' evidence says the word is not there, the recogniser hears it said:
        # it was said (however badly), never "not heard" beside "heard '5'"
        ev = replace(ev, words=(replace(ev.words[0], said=True),), completeness=100.0)
    poor_rec = quality_label == "poor"
    words: list[WordScore] = []
    for w in ev.words:
        # rule 0: whole numbers, as every screen shows them, so a shown 80 is 'excellent'
        w = replace(w, score=_whole(w.score),
                    phones=tuple(replace(p, score=_whole(p.score)) for p in w.phones))
        s = 0.0 if not w.said else w.score
        if other:
            s = min(s, OTHER_WORD_SCORE)
        k = _word_named(w, s, other=other, explained=poor_rec)
        # the word's IPA, not each phone's alone: the AH of 'seven' is /ə/, of 'up' /ʌ/
        ipa = word_ipa([p.phone for p in w.phones])
        words.append(WordScore(
            w.word, w.start_s, w.end_s, s, band(s), w.said,
            tuple(PhoneScore(p.phone, ipa[i], p.start_s, p.end_s, float(p.score),
                             phone_level(float(p.score), i in k), p.heard)
                  for i, p in enumerate(w.phones))))
    completeness = float(ev.completeness)
    single = len(words) == 1
    score = words[0].score if single else _whole(float(ev.accuracy) * completeness / 100.0)
    cause = ("not said" if words and not any(w.said for w in words) else
             "other word" if other else None)
    errors = name_errors(words, ev, cause=cause)
    if cause is None and poor_rec and band(score) == "poor":
        cause = "recording"
    if not single and cause is None and not errors and band(score) == "poor":
        words, errors = _name_lowest(words, ev)  # rule 2 for a sentence
    words = [_capped(w, any(e.word_index == wi for e in errors) or not _clear(w))
             for wi, w in enumerate(words)]
    score = _cap(words[0].score if single else score, bool(errors) or _no_clear_sound(words))
    first = errors[0] if errors else None
    return Verdict(
        score=score, band=band(score), words=tuple(words), accuracy=float(ev.accuracy),
        completeness=completeness, fluency=ev.fluency, errors=tuple(errors), cause=cause,
        sentence=_sentence(score, cause, errors, words, heard),
        span=(first.start_s, first.end_s) if first else None,
        heard=_heard_line(heard, other))


def _heard_line(heard: dict[str, Any] | None, other: bool) -> str | None:
    """What the learner reads about the recogniser's check (``Verdict.heard``)."""
    if not heard:
        return None
    label, pct = heard.get("label"), round(100 * float(heard.get("probability", 0.0)))
    if heard.get("matches_word") or other:
        return f"{label} ({pct}% sure)"
    return f"not sure (best guess {label}, {pct}%)"


def _clear(w: WordScore) -> bool:
    """Rule 3: a word said with at least one clear (green) sound, or with no phones to judge."""
    return not (w.said and w.phones) or any(p.level == "good" for p in w.phones)


def _no_clear_sound(words: Sequence[WordScore]) -> bool:
    """Rule 3: words were said with sounds, and not one of those sounds is clear."""
    judged = [_clear(w) for w in words if w.said and w.phones]
    return bool(judged) and not any(judged)


def _amber(words: list[WordScore]) -> list[tuple[float, int, int]]:
    """``(score, word index, phone index)`` of the sounds a little off (amber), lowest first."""
    return sorted((p.score, wi, pi) for wi, w in enumerate(words) if w.said
                  for pi, p in enumerate(w.phones) if p.level == "fair")


def _sounds(words: list[WordScore], which: list[tuple[float, int, int]]) -> str:
    """'/ɹ/' or '/ɹ/ and /i/' (with their words in a sentence of several)."""
    names = [f"/{words[wi].phones[pi].ipa}/"
             + (f" in {spoken_word(words[wi].word)!r}" if len(words) > 1 else "")
             for _, wi, pi in which]
    return " and ".join(names)


def _capped(w: WordScore, named: bool) -> WordScore:
    s = _cap(w.score, named)
    return w if s == w.score else replace(w, score=s, band=band(s))


def _name_lowest(words: list[WordScore], ev: SentenceEvidence
                 ) -> tuple[list[WordScore], list[NamedError]]:
    """Mark the lowest phone of the words said as weak and name it."""
    cands = [(p.score, wi, pi) for wi, w in enumerate(words) if w.said
             for pi, p in enumerate(w.phones)]
    if not cands:
        return words, []
    _, wi, pi = min(cands)
    w = words[wi]
    phones = list(w.phones)
    phones[pi] = replace(phones[pi], level="weak")
    words = [*words[:wi], replace(w, phones=tuple(phones)), *words[wi + 1:]]
    return words, name_errors(words, ev, cause=None)


def _sentence(score: float, cause: str | None, errors: list[NamedError],
              words: list[WordScore], heard: dict[str, Any] | None) -> str:
    """Rule 4: what the learner reads, from the cause or the first error."""
    if cause == "not said":
        return "the word was not heard in the recording" if len(words) == 1 else \
            "none of the words were heard in the recording"
        # (several words, some said: completeness says which; errors name the rest)
    if cause == "other word":
        lab = (heard or {}).get("label")
        return f"that sounded like another word ({lab!r}), not {words[0].word!r}"
    if cause == "recording":
        return ("the recording is poor (see the warnings): the low score may come from the "
                "recording rather than your pronunciation")
    if errors:
        e = errors[0]
        return f"{e.text}: {e.tip}" if e.tip else e.text
    missing = [w.word for w in words if not w.said]
    if missing:
        return "not heard: " + ", ".join(repr(m) for m in missing)
    amber = _amber(words)
    if band(score) == "excellent":
        if not amber:
            return "well said: every sound was clear"
        return f"well said; {_sounds(words, amber[:2])} could be a little clearer"
    if not amber:
        return "every sound was recognisable; say it again more clearly and evenly"
    _, wi, pi = amber[0]
    tip = TIPS.get(words[wi].phones[pi].phone)
    return (f"every sound was recognisable; make {_sounds(words, amber[:2])} clearer"
            + (f" ({tip})" if tip else ""))


def contradictions(v: Verdict) -> list[str]:
    """The rules of the module doc that ``v`` breaks (an empty list: none)."""
    out = []
    shown = [v.score, *(w.score for w in v.words), *(p.score for w in v.words for p in w.phones)]
    if any(x != math.floor(x) for x in shown):
        out.append("a score that is not a whole number (shown rounded, it may cross a band)")
    if v.band != band(v.score):
        out.append(f"band {v.band!r} for score {v.score:.1f}")
    weak = {(wi, pi) for wi, w in enumerate(v.words) for pi, p in enumerate(w.phones)
            if p.level == "weak"}
    named = {(e.word_index, e.phone_index) for e in v.errors if e.phone_index is not None}
    if weak != named:
        out.append(f"red phones {sorted(weak)} but named {sorted(named)}")
    if v.band == "excellent" and v.errors:
        out.append("'excellent' with a sound named wrong")
    if v.band == "excellent" and _no_clear_sound(v.words):
        out.append("'excellent' with no clear sound")
    if "every sound was clear" in v.sentence and any(
            p.level != "good" for w in v.words if w.said for p in w.phones):
        out.append("'every sound was clear' over a sound that was not")
    if v.band == "poor" and not v.errors and v.cause is None:
        out.append("'poor' with nothing named")
    for w in v.words:
        if w.band != band(w.score):
            out.append(f"word {w.word!r}: band {w.band!r} for score {w.score:.1f}")
        if w.band == "excellent" and any(p.level == "weak" for p in w.phones):
            out.append(f"word {w.word!r}: 'excellent' with a red phone")
        if w.band == "excellent" and not _clear(w):
            out.append(f"word {w.word!r}: 'excellent' with no clear sound")
    if v.errors:
        e = v.errors[0]
        if e.text not in v.sentence and v.cause is None:
            out.append("the sentence is not about the first error")
        if v.span != (e.start_s, e.end_s):
            out.append("the highlighted span is not the first error's")
    elif v.span is not None:
        out.append("a highlighted span with nothing named")
    if v.cause == "other word" and (v.heard is None or v.heard.startswith("not sure")):
        out.append("another word as the cause, but the recogniser's line is not sure of it")
    if v.band in ("excellent", "good") and v.cause is not None:
        out.append(f"{v.band!r} with cause {v.cause!r}")
    return out


__all__ = ["BANDS", "COLOURS", "EXCELLENT", "GOOD_PHONE", "LEVELS", "MARKS", "NAMED_BELOW",
           "NamedError", "PhoneScore", "Verdict",
           "WordScore", "band", "contradictions", "judge", "phone_level"]
