"""The one verdict (space.pronounce.verdict.judge): rules checked on hand-built evidence."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from space.pronounce.evidence.sentence import PhoneEvidence, SentenceEvidence, WordEvidence
from space.pronounce.verdict.judge import EXCELLENT, NAMED_BELOW, band, contradictions, judge


def word(name: str, phones: list[tuple[str, float]], score: float, *, said: bool = True,
         heard: dict[int, str] | None = None, missing: set[int] = frozenset(),  # type: ignore[assignment]
         t0: float = 0.1) -> WordEvidence:
    ps = tuple(PhoneEvidence(p, t0 + 0.08 * i, t0 + 0.08 * (i + 1), s,
                             (heard or {}).get(i), i in missing)
               for i, (p, s) in enumerate(phones))
    return WordEvidence(name, t0, t0 + 0.08 * len(phones), score, said, ps)


def one(w: WordEvidence) -> SentenceEvidence:
    return SentenceEvidence((w,), accuracy=w.score, completeness=100.0 if w.said else 0.0,
                            fluency=None)


THREE_OK = [("TH", 90.0), ("R", 88.0), ("IY", 95.0)]


def test_clean_word_is_excellent_with_nothing_named():
    v = judge(one(word("three", THREE_OK, 92.0)))
    assert v.band == "excellent" and v.score == 92.0
    assert v.errors == () and v.span is None
    assert [p.level for p in v.words[0].phones] == ["good", "good", "good"]
    assert "well said" in v.sentence
    assert contradictions(v) == []


def test_substitution_named_caps_excellent_and_gives_the_tip():
    w = word("three", [("TH", 10.0), ("R", 90.0), ("IY", 95.0)], 90.0, heard={0: "S"})
    v = judge(one(w))
    assert v.score < EXCELLENT and v.band == "good"
    e = v.errors[0]
    assert e.kind == "substitution" and e.text == "the /θ/ of 'three' sounded like /s/"
    assert "between your teeth" in (e.tip or "") and e.tip in v.sentence
    assert v.span == (w.phones[0].start_s, w.phones[0].end_s)
    assert [p.level for p in v.words[0].phones] == ["weak", "good", "good"]
    assert contradictions(v) == []


def test_phone_ipa_is_the_words():
    """The AH of 'seven' is the schwa, of 'up' /ʌ/ (phones.word_ipa), in the phone strip,
    the named error's sentence and its JSON alike."""
    seven = word("seven", [("S", 90.0), ("EH", 90.0), ("V", 90.0), ("AH", 5.0), ("N", 90.0)],
                 70.0)
    v = judge(one(seven))
    assert [p.ipa for p in v.words[0].phones] == ["s", "ɛ", "v", "ə", "n"]
    assert v.errors[0].text == "the /ə/ of 'seven' was not clear"
    assert v.errors[0].to_dict()["ipa"] == "ə"
    up = judge(one(word("up", [("AH", 90.0), ("P", 90.0)], 90.0)))
    assert up.words[0].phones[0].ipa == "ʌ"


def test_final_consonant_deletion():
    w = word("left", [("L", 80.0), ("EH", 80.0), ("F", 75.0), ("T", 5.0)], 60.0, missing={3})
    v = judge(one(w))
    assert v.errors[0].kind == "deletion"
    assert v.errors[0].text == "the final /t/ of 'left' was missing"
    assert "final /t/" in (v.errors[0].tip or "")
    assert contradictions(v) == []


def test_insertion_named_after_its_phone():
    w = word("stop", [("S", 90.0), ("T", 90.0), ("AA", 90.0), ("P", 90.0)], 85.0)
    ev = SentenceEvidence((w,), 85.0, 100.0, None, inserted=((0.18, 0.22, "S"),))
    v = judge(ev)
    assert v.errors[0].kind == "insertion"
    assert v.errors[0].text == "an extra sound after /s/ in 'stop'"
    assert "do not add a vowel after /s/" in (v.errors[0].tip or "")
    assert v.band != "excellent"
    assert contradictions(v) == []


def test_poor_word_always_names_something():
    # Every phone above the naming threshold, but the word poor: its lowest phone is named.
    w = word("seven", [("S", NAMED_BELOW + 10), ("EH", NAMED_BELOW + 1), ("V", NAMED_BELOW + 5),
                       ("AH", NAMED_BELOW + 8), ("N", NAMED_BELOW + 12)], 30.0)
    assert min(p.score for p in w.phones) >= NAMED_BELOW
    v = judge(one(w))
    assert v.band == "poor" and v.errors and v.errors[0].phone == "EH"
    assert v.words[0].phones[1].level == "weak"
    assert contradictions(v) == []


def test_another_word_scores_near_zero_and_says_so():
    heard = {"label": "3", "probability": 0.97, "matches_word": False}
    v = judge(one(word("seven", [("S", 90.0), ("EH", 90.0)], 85.0)), heard=heard)
    assert v.score <= 5.0 and v.band == "poor" and v.cause == "other word"
    assert "another word ('3')" in v.sentence
    assert contradictions(v) == []


def test_recording_explains_a_poor_score():
    w = word("go", [("G", 40.0), ("OW", 45.0)], 30.0)
    v = judge(one(w), quality_label="poor")
    assert v.cause == "recording" and "recording" in v.sentence
    assert contradictions(v) == []


def test_sentence_with_a_word_not_said():
    a = word("the", [("DH", 80.0), ("AH", 85.0)], 82.0)
    b = word("water", [("W", 0.0), ("AO", 0.0)], 0.0, said=False, t0=0.4)
    ev = SentenceEvidence((a, b), accuracy=82.0, completeness=50.0, fluency=70.0)
    v = judge(ev)
    assert v.score == pytest.approx(41.0)
    assert v.errors[0].kind == "word missing" and "'water' was not heard" in v.sentence
    assert v.words[1].score == 0.0 and v.words[1].band == "poor"
    assert contradictions(v) == []


def test_no_contradictions_over_random_evidence():
    rng = np.random.default_rng(0)
    phones = ["TH", "R", "IY", "S", "EH", "V", "AH", "N", "T"]
    bad = []
    for n, k in itertools.product([1, 3], range(150)):
        ws = []
        for j in range(n):
            m = int(rng.integers(1, 5))
            ws.append(word(f"w{j}", [(phones[int(i)], float(rng.uniform(0, 100)))
                                     for i in rng.integers(0, len(phones), m)],
                           float(rng.uniform(0, 100)), said=bool(rng.random() > 0.1),
                           heard={0: "S"} if rng.random() < 0.3 else None,
                           missing={m - 1} if rng.random() < 0.2 else set(), t0=0.5 * j))
        said = sum(w.said for w in ws)
        ev = SentenceEvidence(tuple(ws), float(rng.uniform(0, 100)), 100.0 * said / n,
                              None, inserted=((0.2, 0.25, "AH"),) if k % 7 == 0 else ())
        heard = {"label": "x", "probability": 0.9, "matches_word": False} if k % 11 == 0 \
            else None
        v = judge(ev, heard=heard, quality_label="poor" if k % 13 == 0 else "good")
        bad += contradictions(v)
    assert bad == []


def test_contradictions_finds_a_broken_verdict():
    from dataclasses import replace

    v = judge(one(word("three", [("TH", 10.0), ("R", 90.0), ("IY", 95.0)], 90.0)))
    broken = replace(v, score=95.0, band=band(95.0))
    assert "'excellent' with a sound named wrong" in contradictions(broken)


def test_a_word_the_recogniser_hears_is_never_not_heard():
    """The phones' evidence calls 'five' not said, but the digits model hears '5' at 0.99:
    the word was said (scored on its phones, the weakest named), never "the word was not
    heard" beside "heard '5'"; a doubtful recogniser (0.6) does not overrule the phones."""
    five = word("five", [("F", 20.0), ("AY", 30.0), ("V", 25.0)], 8.0, said=False)
    sure = {"label": "5", "probability": 0.99, "matches_word": True}
    v = judge(one(five), heard=sure)
    assert v.cause != "not said" and v.words[0].said and v.completeness == 100.0
    assert v.score == 8.0 and v.band == "poor" and v.errors  # what is wrong, named
    assert "not heard" not in v.sentence
    assert contradictions(v) == []
    unsure = judge(one(five), heard={**sure, "probability": 0.6})
    assert unsure.cause == "not said" and unsure.score == 0.0


def test_no_clear_sound_is_never_excellent_and_the_praise_names_the_amber_sounds():
    """A learner's 'three' the experts marked mispronounced: the word scorer gave 95 while
    every sound was amber (/θ/ 83, /ɹ/ 76, /i/ 80). One judgement: not 'excellent', and the
    sentence names the sounds to make clearer instead of calling every sound clear."""
    amber = word("three", [("TH", 83.0), ("R", 76.0), ("IY", 80.0)], 95.0)
    v = judge(one(amber))
    assert v.score < EXCELLENT and v.band == "good" and v.words[0].band == "good"
    assert [p.level for p in v.words[0].phones] == ["fair", "fair", "fair"]
    assert v.errors == () and v.span is None
    assert v.sentence.startswith("every sound was recognisable; make /ɹ/ and /i/ clearer")
    assert "curl the tongue tip" in v.sentence  # the tip for the weakest, /ɹ/
    assert contradictions(v) == []
    # one sound a little off, the others clear: still excellent, and said so honestly
    v = judge(one(word("three", [("TH", 90.0), ("R", 78.0), ("IY", 95.0)], 92.0)))
    assert v.band == "excellent" and v.score == 92.0
    assert v.sentence == "well said; /ɹ/ could be a little clearer"
    assert contradictions(v) == []


def test_a_sentence_names_the_word_of_each_amber_sound():
    a = word("the", [("DH", 80.0), ("AH", 90.0)], 90.0)
    b = word("water", [("W", 95.0), ("AO", 95.0), ("T", 78.0), ("ER", 92.0)], 90.0, t0=0.4)
    v = judge(SentenceEvidence((a, b), accuracy=90.0, completeness=100.0, fluency=80.0))
    assert v.band == "excellent"
    assert v.sentence == "well said; /t/ in 'water' and /ð/ in 'the' could be a little clearer"
    assert contradictions(v) == []


def test_contradictions_catches_praise_over_amber_sounds():
    from dataclasses import replace

    v = judge(one(word("three", [("TH", 83.0), ("R", 76.0), ("IY", 80.0)], 95.0)))
    broken = replace(v, score=95.0, band="excellent",
                     sentence="well said: every sound was clear")
    found = contradictions(broken)
    assert "'excellent' with no clear sound" in found
    assert "'every sound was clear' over a sound that was not" in found


def test_a_doubtful_other_word_is_not_sure_never_heard_beside_a_good_score():
    """A learner's 'three' the digits model took for '7' at 0.39: below OTHER_WORD_PROB
    the check does not count, so the screen says 'not sure', not "heard 7" beside the
    score for 'three'; a sure other word is the cause and its line names it."""
    three = word("three", THREE_OK, 88.0)
    v = judge(one(three), heard={"label": "7", "probability": 0.39, "matches_word": False})
    assert v.band == "excellent" and v.cause is None
    assert v.heard == "not sure (best guess 7, 39%)" and v.to_dict()["heard"] == v.heard
    assert contradictions(v) == []
    v = judge(one(three), heard={"label": "7", "probability": 0.93, "matches_word": False})
    assert v.cause == "other word" and v.heard == "7 (93% sure)"
    assert contradictions(v) == []
    v = judge(one(three), heard={"label": "3", "probability": 0.55, "matches_word": True})
    assert v.heard == "3 (55% sure)"
    assert judge(one(three)).heard is None


def test_scores_are_whole_numbers_so_a_shown_score_never_crosses_its_band():
    """79.6 was 'good' but shown as "80 (good)" on the page and the picture; 84.6 was an
    amber sound shown as 85. Every score is now rounded (half up) before anything is
    decided from it, and a named error caps at 79, not 79.5 (which also showed as 80)."""
    v = judge(one(word("three", [("TH", 84.6), ("R", 90.0), ("IY", 95.0)], 79.6)))
    assert v.score == 80.0 and v.band == "excellent"
    assert v.words[0].phones[0].score == 85.0 and v.words[0].phones[0].level == "good"
    assert v.sentence == "well said: every sound was clear"
    assert judge(one(word("three", THREE_OK, 79.4))).band == "good"
    named = judge(one(word("three", [("TH", 10.0), ("R", 90.0), ("IY", 95.0)], 95.0)))
    assert named.score == 79.0 and f"{named.score:.0f}" == "79" and named.band == "good"
    assert contradictions(named) == []
    from dataclasses import replace

    assert any("whole number" in c for c in contradictions(replace(v, score=79.6, band="good")))
