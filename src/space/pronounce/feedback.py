"""What a learner is told about the sounds of an attempt: each phone's colour level, the
weakest phone in words, and when the recording rather than the learner may be the cause.

One place for these rules, so the picture (:mod:`.plot`), the page (the ``drawing``
payload, :mod:`.drawing`) and the CLI say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .phone_score import VERDICT_BELOW

# Colour levels of a phone's 0-100 score, as pronunciation tutors show them: green, amber,
# red. Red ('weak') is where the weakest-phone sentence names a phone (VERDICT_BELOW, 5:
# about 1 in 10 attempts that experts rated perfect still get a line), so every phone
# named in words is red and no other is. Amber ('worth a listen') below 20: about a
# quarter of perfect attempts have such a phone, as many as of the mispronounced ones
# (benchmarks/results/phone_verdicts.md), so amber says 'listen', not 'wrong'.
GOOD_PHONE = 20.0
WEAK_PHONE = VERDICT_BELOW
LEVELS = ("good", "fair", "weak")
COLOURS = {"good": "#2e9e44", "fair": "#e3a21a", "weak": "#d23b3b"}  # green, amber, red
MARKS = {"good": "", "fair": "~", "weak": "!"}  # not by colour alone
NO_WEAK_PHONE = "no sound of the word stood out as wrong"


def phone_level(score: float) -> str:
    """``"good"`` (>= :data:`GOOD_PHONE`), ``"fair"`` (>= :data:`WEAK_PHONE`) or ``"weak"``."""
    if score >= GOOD_PHONE:
        return "good"
    return "fair" if score >= WEAK_PHONE else "weak"


def recording_caveat(quality: dict[str, Any] | None) -> str | None:
    """A sentence saying the recording may explain low phone scores, when its quality
    (:meth:`.quality.Quality.to_dict`) is poor; else None."""
    if not quality or quality.get("label") != "poor":
        return None
    return ("the recording is poor (see the warnings): low sound scores may come from the "
            "recording rather than your pronunciation")


def phone_feedback(phones: Sequence[dict[str, Any]], word: str | None,
                   quality: dict[str, Any] | None = None) -> dict[str, Any]:
    """The learner-facing summary of a result's ``phones``.

    Returns
    -------
    dict
        ``levels``: one of :data:`LEVELS` per phone; ``weakest``: index of the weakest
        phone (None when none is weak or there are no phones); ``text``: the sentence on it
        (``"the /θ/ of 'three' sounded like /t/ (score 30)"``, from
        :func:`.phone_result.phone_line`) or None; ``caveat``: :func:`recording_caveat`.
    """
    from .phone_result import phone_line, weakest_index

    levels = [phone_level(float(p["score"])) for p in phones]
    k = weakest_index(phones, below=WEAK_PHONE)
    text = phone_line(phones[k], word) if k is not None and word else None
    return {"levels": levels, "weakest": k, "text": text,
            "caveat": recording_caveat(quality) if phones else None}
