"""Audio + text -> per-phone, per-word and per-sentence scores fitted on the experts.

>>> from space.pronounce.evidence.sentence import assess_audio
>>> ev = assess_audio(y, 16000, ["we", "call", "it", "bear"])  # doctest: +SKIP
>>> ev.accuracy, [(w.word, w.score) for w in ev.words]  # doctest: +SKIP

The path: the phone model (:mod:`.acoustic`, through the project's engine) gives frame
log posteriors; the words' phones are force-aligned to them (:mod:`.viterbi`); each
phone's GOP features (:mod:`.gop_features`) go through the scorer fitted on the experts
(:mod:`.experts`) to phone, word and sentence scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...errors import AudioError, UsageError
from ..lexicon.phones import PHONES, PronunciationError, check_phones, pronunciation
from . import experts
from .gop_features import SIL, heard_phone, phone_features

MAX_WORDS = 60  # a short sentence; longer text is refused rather than aligned badly
MIN_AUDIO_S = 0.1
MIN_FRAMES = 2  # each phone lasts at least 20 ms in the alignment
HEARD_MARGIN = 1.0  # mean log posterior margin for naming the phone heard instead
# A phone is 'missing' when silence is likelier than speech over most of it, or when the
# alignment squeezed it to its minimum length and another phone won clearly.
MISSING_SIL = 0.6
MISSING_LPR = -3.0
NOT_SAID_SCORE = 10.0  # a word scoring below this, with most phones missing, is not said
# A word is also not said when the alignment squeezed every phone of it to the minimum and
# its phones are far from the likeliest ones (mean log posterior ratio below this). Chosen
# on speaker half 0 of 400 speechocean762 sentences (a word of another sentence put into the
# text, at the end or in the middle, stands for a word the learner skipped): the highest
# catch with at most 1% of the words experts rated >= 8 called not said; on half 1 it
# catches 33% of the skipped words and calls 1.1% of those words not said
# (benchmarks/not_said.py; before it none was caught: the fitted word score gives a
# skipped word a median 72).
NOT_SAID_LPR = -3.0


@dataclass(frozen=True)
class PhoneEvidence:
    """One canonical phone of a word in the attempt."""

    phone: str  # canonical ARPAbet, no stress digit ("TH")
    start_s: float  # in the attempt's time (seconds)
    end_s: float
    score: float  # 0-100 fitted on the experts (100 = all experts mark it right)
    heard: str | None  # the phone heard instead when another phone clearly wins, else None
    missing: bool  # the phone seems absent (deletion candidate)


@dataclass(frozen=True)
class WordEvidence:
    """One word of the attempt."""

    word: str
    start_s: float
    end_s: float
    score: float  # 0-100 fitted on the experts' word accuracy (median x10)
    said: bool  # False when the audio does not seem to hold the word (completeness)
    phones: tuple[PhoneEvidence, ...]


@dataclass(frozen=True)
class SentenceEvidence:
    """The attempt at a sentence (or one word)."""

    words: tuple[WordEvidence, ...]
    accuracy: float  # 0-100 fitted on the experts' sentence accuracy (x10)
    completeness: float  # 0-100 share of words said
    fluency: float | None  # only if measured honestly, else None
    inserted: tuple[tuple[float, float, str], ...] = ()  # (start_s, end_s, after phone)


def word_phones(words: Sequence[str], pronunciations: Sequence[Sequence[str]] | None
                ) -> list[list[str]]:
    """Checked ARPAbet phones of each word. Raises :class:`UsageError` (no words, too
    many, pronunciations not matching the words) or :class:`PronunciationError` (a word
    not in the lexicon, bad phones)."""
    if isinstance(words, str):
        raise UsageError("words must be a sequence of words, not one string")
    if not words:
        raise UsageError("no words to score: give the text that was said")
    if len(words) > MAX_WORDS:
        raise UsageError(f"{len(words)} words is too long to score at once "
                         f"(at most {MAX_WORDS}: split the text into sentences)")
    if pronunciations is not None:
        if len(pronunciations) != len(words):
            raise UsageError(f"{len(pronunciations)} pronunciations for {len(words)} words")
        return [check_phones(list(p)) for p in pronunciations]
    out = []
    for w in words:
        p = pronunciation(w)
        if p is None:
            raise PronunciationError(f"no known pronunciation for {w!r} (not in the CMUdict "
                                     "lexicon): check the spelling or give its phones")
        out.append(p)
    return out


def assess_audio(y: np.ndarray, sr: int, words: Sequence[str], *,
                 pronunciations: Sequence[Sequence[str]] | None = None) -> SentenceEvidence:
    """Score an attempt at saying ``words``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio (float) at ``sr`` Hz (:func:`space.audio.load` gives it).
    words : sequence of str
        The words meant, lower-case lexicon words.
    pronunciations : sequence of sequence of str, optional
        Each word's ARPAbet phones (default: the lexicon's, CMUdict).

    Returns
    -------
    SentenceEvidence

    Raises
    ------
    UsageError, PronunciationError
        No words, too many, a word not in the lexicon, bad phones.
    AudioError
        Unusable audio (empty, silent, too short for the words' phones).
    """
    from .acoustic import acoustic

    phones = word_phones(words, pronunciations)
    y = np.asarray(y, np.float32)
    if y.ndim != 1:
        raise AudioError(f"expected mono audio of shape (n,), got shape {y.shape}")
    if y.size < MIN_AUDIO_S * sr:
        raise AudioError(f"the audio is too short ({y.size / sr * 1000:.0f} ms) to score")
    fr = acoustic()(y, sr, name="attempt")
    idx = [[PHONES.index(p) for p in w] for w in phones]
    from .viterbi import align_sentence

    spans = align_sentence(fr.logp, idx, SIL, min_frames=MIN_FRAMES, loud=fr.loud)
    return _judge(fr, list(words), phones, idx, spans, experts.bundled(), len(y) / sr)


def _judge(fr: object, words: list[str], phones: list[list[str]], idx: list[list[int]],
           spans: list[list[tuple[int, int]]], scorer: experts.Scorer,
           duration_s: float) -> SentenceEvidence:
    """Features -> scores -> the evidence objects."""
    from .acoustic import Frames

    assert isinstance(fr, Frames)
    feats = [phone_features(fr.logp, i, s) for i, s in zip(idx, spans, strict=True)]
    allf = np.concatenate(feats)
    pscore = scorer.phone(allf)
    out_words, k = [], 0
    wscores = np.empty(len(words))
    for wi, (w, ph, ii, sp, f) in enumerate(zip(words, phones, idx, spans, feats, strict=True)):
        ps = pscore[k:k + len(ph)]
        k += len(ph)
        wscores[wi] = scorer.word(experts.word_features(ps, f)[None])[0]
        pe = []
        for p, i, (a, b), row, s in zip(ph, ii, sp, f, ps, strict=True):
            h = heard_phone(fr.logp, i, (a, b), margin=HEARD_MARGIN)
            missing = bool(row[5] > MISSING_SIL or (b - a <= MIN_FRAMES and row[1] < MISSING_LPR))
            t0, t1 = (float(np.clip(fr.time(f - 0.5), 0.0, duration_s)) for f in (a, b))
            pe.append(PhoneEvidence(p, t0, t1,
                                    round(float(s), 1), None if h is None else PHONES[h],
                                    missing))
        squeezed = all(b - a <= MIN_FRAMES for a, b in sp) and float(f[:, 1].mean()) < NOT_SAID_LPR
        said = not (squeezed or (wscores[wi] < NOT_SAID_SCORE
                                 and sum(p.missing for p in pe) * 2 > len(pe)))
        out_words.append(WordEvidence(w, pe[0].start_s, pe[-1].end_s,
                                      round(float(wscores[wi]), 1), said, tuple(pe)))
    acc = scorer.sentence(experts.sentence_features(wscores, pscore)[None])[0]
    completeness = 100.0 * sum(w.said for w in out_words) / len(out_words)
    return SentenceEvidence(tuple(out_words), round(float(acc), 1), round(completeness, 1),
                            None)
