"""Do a word's references agree? Finding the clip of another word in a reference set.

A user who adds a wrong clip to a word's references (another word, a cough, a clip of
noise) gets scores measured against it. Each reference is measured against the others the
way an attempt is (:func:`.distance.within_set`: the set distance, scored on the set's own
calibration) and named when it stands out:

* for a word a bundled model knows (digits, command words): the others would score it
  below :data:`AGREE_SCORE` (more like another word than this one: the calibration's
  ``d50`` is the equal-error point between the two), it is :data:`OUTLIER_RATIO` times as
  far from them as they are from each other (median), *and* the model hears another word
  in it (probability >= :data:`HEARD_OTHER`);
* for any other word, on distances alone, more strictly: below :data:`STRICT_SCORE` and
  :data:`STRICT_RATIO` times as far.

With two references there is no majority: when they are that far apart both are named.
Measured on Speech Commands testing speakers (``benchmarks/reference_agreement.py``).

Used by :func:`.sets.word_reference_set` (a user's sets) and
``file_reference_set`` (the warning then rides along with every score against the set),
by ``space references add`` (said right after the clips are added) and by ``space
references build`` (the chosen references, and recordings of a data set that they would
score below :data:`STRICT_SCORE`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .calibrate import Calibration
from .frames import Utterance

# Score (0-100, on the set's calibration) below which a reference is unlike the others:
# under 50 it is closer to the distance of other words than to that of the same word.
AGREE_SCORE = 50.0
# ... and how much farther from the others than they are from each other (median) it must
# be: a reference of a different voice or tempo is a little farther, a different word far.
OUTLIER_RATIO = 1.5
# A model that knows the word hears another one in it at least this surely.
HEARD_OTHER = 0.5
# Without a model's second opinion: closer to other words' distance than halfway to d50.
STRICT_SCORE = 25.0
STRICT_RATIO = 2.0


@dataclass(frozen=True)
class Disagreement:
    """A reference that disagrees with the rest of its set.

    Attributes
    ----------
    clip : str
        Its file name (or the name given for an array).
    score : float
        What the other references would score it (0-100, on the set's calibration).
    ratio : float
        Its set distance to the others over the median of the others' (1 for two).
    heard : str or None
        The other word a model heard in it (with its probability), when one was asked.
    """

    clip: str
    score: float
    ratio: float
    heard: str | None = None


def disagreeing(utterances: Sequence[Utterance], names: Sequence[str],
                calibration: Calibration, *,
                heard: Sequence[tuple[str, float]] | None = None,
                word: str | None = None) -> list[Disagreement]:
    """The references that disagree with the rest of the set (see the module doc), worst
    first.

    Parameters
    ----------
    utterances : list of Utterance
        The set's references (frames as the scorer uses them).
    names : list of str
        A name per reference (paths are shown by file name).
    calibration : Calibration
        The set's calibration (its anchors turn distances into scores).
    heard : list of (label, probability), optional
        What a model that knows ``word`` heard in each reference (:func:`heard_in`); None
        for a word no model knows (then the stricter distance-only rule applies).
    word : str, optional
        The set's word (what ``heard`` is compared with).
    """
    from .distance import within_set

    if len(utterances) < 2:
        return []
    loo = np.asarray(within_set(list(utterances)), np.float64)
    short = [Path(n).name if n and not n.startswith("<") else n for n in names]
    if len(utterances) == 2:
        s = calibration.score(float(loo[0]))
        other = [h for h in heard or [] if h[0] != word and h[1] >= HEARD_OTHER]
        if s < STRICT_SCORE or (s < AGREE_SCORE and other):
            return [Disagreement(short[0], s, 1.0), Disagreement(short[1], s, 1.0)]
        return []
    out = []
    for i, d in enumerate(loo):
        rest = float(np.median(np.delete(loo, i)))
        s = calibration.score(float(d))
        ratio = float(d / max(rest, 1e-9))
        if heard is not None:
            label, p = heard[i]
            if s < AGREE_SCORE and ratio >= OUTLIER_RATIO and label != word and p >= HEARD_OTHER:
                out.append(Disagreement(short[i], s, ratio, f"{label!r} ({p:.0%})"))
        elif s < STRICT_SCORE and ratio >= STRICT_RATIO:
            out.append(Disagreement(short[i], s, ratio))
    return sorted(out, key=lambda x: x.score)


def heard_in(utterances: Sequence[Utterance], word: str | None, sr: int,
             models: Any = None) -> list[tuple[str, float]] | None:
    """What the bundled model that knows ``word`` (of ``models``, a
    :class:`~space.recognize.words.registry.ModelRegistry`; default the bundled ones) hears in
    each utterance's audio (at ``sr`` Hz, the featurizer's rate): ``[(label,
    probability)]``, or None when no model knows the word."""
    if not word:
        return None
    from ...errors import SpaceError
    from ...recognize.words.registry import default_registry

    try:
        rec = (models or default_registry()).for_word(word)
        if rec is None:
            return None
        out = []
        for u in utterances:
            p = rec.predict(u.audio, sr=sr)
            out.append((str(p.label), float(p.probability)))
        return out
    except SpaceError:  # a model that cannot run: the distance-only rule
        return None


def disagreement_warnings(found: Sequence[Disagreement], word: str | None, *,
                          user_set: bool) -> list[str]:
    """Warnings naming the disagreeing references (:func:`disagreeing`), with what to do
    (``user_set``: the clip is in the user's references folder, so say how to remove it)."""
    if not found:
        return []
    what = f"{word!r}" if word else "the word"

    def fix(clip: str) -> str:
        if user_set and word:
            return f"If so, remove it: `space references remove {word} {clip}`"
        return "If so, leave it out"

    if len(found) == 2 and found[0].ratio == 1.0 == found[1].ratio:
        a, b = found
        return [f"the two references of {what} disagree: {a.clip} and {b.clip} are as far "
                f"apart as different words (score {a.score:.0f} against each other): is one "
                f"of them another word? {fix('CLIP')}"]
    out = []
    for d in found:
        heard = f"; the model hears {d.heard} in it" if d.heard else ""
        out.append(f"reference {d.clip} disagrees with the other references of {what} (they "
                   f"would score it {d.score:.0f}; it is {d.ratio:.1f}x as far from them as "
                   f"they are from each other{heard}): is it another word? {fix(d.clip)}")
    return out


def check_set(word: str | None, utterances: Sequence[Utterance], names: Sequence[str],
              calibration: Calibration, *, sr: int, user_set: bool,
              models: Any = None) -> list[str]:
    """Warnings naming the references of a set that disagree with the rest (none for a
    set that agrees): :func:`heard_in`, :func:`disagreeing`, :func:`disagreement_warnings`.
    ``user_set``: the set is in the user's references folder (the warning then says how to
    remove a clip)."""
    found = disagreeing(utterances, names, calibration,
                        heard=heard_in(utterances, word, sr, models), word=word)
    return disagreement_warnings(found, word, user_set=user_set)
