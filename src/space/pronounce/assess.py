"""Score an attempt at any word or short sentence: audio + text -> one :class:`ScoreResult`.

The path of one attempt: the text's phones (:mod:`.lexicon.text`), the recording's quality
(:mod:`.evidence.quality`), the phones' and words' evidence (:mod:`.evidence.sentence`), the heard-word
check of a bundled recogniser for the words it knows, and the one verdict
(:mod:`.verdict.judge`). No reference recordings are needed.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import AudioError, TextError
from .feedback.result import ScoreResult
from .lexicon.phones import DIGIT_WORDS, SR
from .lexicon.text import text_phones, text_words

# Audio far longer than its text cannot be scored: learners' slow, careful speech runs at
# about 0.1 s per phone (speechocean762: 0.08-0.12); at four times that plus a second and
# a half of pauses the recording holds something else as well.
MAX_S_PER_PHONE = 0.4
SLACK_S = 1.5
_DIGIT_NAMES = {w: d for d, w in DIGIT_WORDS.items()}


def recognized(word: str, y: np.ndarray, sr: int, models: Any = None) -> dict[str, Any] | None:
    """Did the learner say the right word? Only for a word a model of ``models`` (a
    :class:`~space.recognize.words.registry.ModelRegistry`; default: the bundled models) knows
    (the digits model knows 'seven' as '7')."""
    from ..recognize.words.registry import default_registry

    reg = models or default_registry()
    label = word if reg.name_for_word(word) is not None else _DIGIT_NAMES.get(word, word)
    rec = reg.for_word(label)
    if rec is None:
        return None
    p = rec.predict(y, sr=sr)
    return {"label": p.label, "probability": round(float(p.probability), 4),
            "matches_word": p.label == label}


def check_text(*, word: str | None, text: str | None) -> tuple[list[str], list[list[str]]]:
    """The words and their phones of ``word=`` (exactly one word) or ``text=``; raises
    :class:`~space.errors.TextError` before any audio or model is loaded."""
    if (word is None) == (text is None):
        raise TextError("give the word (word=) or the sentence (text=) that was said, "
                        "one of the two")
    words = text_words(word if word is not None else text)  # type: ignore[arg-type]
    if word is not None and len(words) != 1:
        raise TextError(f"{word!r} is {len(words)} words: score it as a text (--text)")
    return words, text_phones(words)


def check_length(speech_s: float, phones: list[list[str]], label: str) -> None:
    """Refuse audio far longer than its text (see :data:`MAX_S_PER_PHONE`)."""
    n = sum(len(p) for p in phones)
    limit = MAX_S_PER_PHONE * n + SLACK_S
    if speech_s > limit:
        raise AudioError(f"{label}: {speech_s:.1f} s of speech for a text of {n} sounds (at "
                         f"most {limit:.1f} s expected); record just the text, or give the "
                         "whole text that was said")


def score(attempt: Any, *, word: str | None = None, text: str | None = None,
          sr: int | None = None, name: str | None = None, models: Any = None) -> ScoreResult:
    """Score a spoken attempt at a word or a short sentence.

    Parameters
    ----------
    attempt : path, bytes or np.ndarray [shape=(n,)]
        The learner's recording (an array needs ``sr``).
    word : str, optional
        The word said: any word of the pronunciation lexicon (CMUdict), or a digit
        ``'0'``..``'9'``.
    text : str, optional
        The sentence said (at most :data:`.lexicon.text.MAX_WORDS` words), instead of ``word``.
    sr : int, optional
        Sample rate in Hz of an array.
    name : str, optional
        How to call the attempt in the result and in messages.
    models : ModelRegistry, optional
        The recognisers that check a single word they know (``recognized``; default:
        the bundled ones).

    Returns
    -------
    ScoreResult
        Per word a 0-100 score, per phone a 0-100 score with times, the sentence's
        accuracy, completeness (and fluency where measured), the verdict.

    Raises
    ------
    TextError
        Empty or over-long text, a word not in the lexicon.
    AudioError
        Unreadable or silent audio, or far longer than the text.
    """
    from ..audio import load_input, resample, trim_silence
    from ..audio.prepare import speech_bounds
    from .evidence.quality import estimate_snr, recording_quality
    from .evidence.sentence import assess_audio
    from .verdict.judge import judge

    words, phones = check_text(word=word, text=text)
    if isinstance(attempt, (str, os.PathLike)) and name is None:
        name = str(attempt)
    y, rate, label = load_input(attempt, sr=sr, name=name)
    y = resample(y, rate, SR, name=label) if rate != SR else y
    a, b = speech_bounds(y, SR)
    check_length((b - a) / SR, phones, label)
    quality = recording_quality(y, SR, snr_db=estimate_snr(y, SR))
    # the speech and 100 ms around it, as `space listen --word` cuts a word from a stream:
    # the same clip gets the same score either way, whatever silence surrounds it
    cut, start = trim_silence(y, SR)
    ev = shifted(assess_audio(cut, SR, words, pronunciations=phones), start / SR)
    heard = recognized(words[0], cut, SR, models) if len(words) == 1 else None
    verdict = judge(ev, heard=heard, quality_label=quality.label)
    return ScoreResult(attempt=label, text=" ".join(words), verdict=verdict, quality=quality,
                       recognized=heard, warnings=list(quality.warnings), audio=y, sr=SR)


def shifted(ev: Any, dt: float) -> Any:
    """The :class:`.evidence.SentenceEvidence` ``ev`` with every time moved by ``dt``
    seconds (from a cut of the recording back to the recording's time)."""
    from dataclasses import replace

    if dt == 0:
        return ev
    words = tuple(replace(w, start_s=w.start_s + dt, end_s=w.end_s + dt,
                          phones=tuple(replace(p, start_s=p.start_s + dt, end_s=p.end_s + dt)
                                       for p in w.phones)) for w in ev.words)
    return replace(ev, words=words,
                   inserted=tuple((a + dt, b + dt, ph) for a, b, ph in ev.inserted))


def score_word_event(event: Any, word: str, *, models: Any = None) -> dict[str, Any]:
    """Score a word found in a stream (a :class:`~space.recognize.events.WordEvent`) as
    an attempt at ``word``: the fields ``space listen --word`` adds to the event (score,
    band, the verdict's sentence, its span in stream time and its ``heard`` line). An
    attempt that cannot be scored gets ``score: None`` and ``score_error`` (the next one may
    be fine)."""
    from ..errors import SpaceError

    try:
        res = score(event.audio, word=word, sr=event.sr, models=models)
    except SpaceError as e:
        return {"score": None, "score_error": str(e)}
    v = res.verdict
    span = None if v.span is None else {
        "start_s": round(event.audio_start_s + v.span[0], 3),
        "end_s": round(event.audio_start_s + v.span[1], 3)}
    return {"score": round(v.score, 1), "band": v.band, "sentence": v.sentence,
            "span": span, "heard": v.heard, "recognized": res.recognized}


__all__ = ["ScoreResult", "TextError", "check_text", "recognized", "score",
           "score_word_event"]
