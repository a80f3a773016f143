"""A calibrated minimum probability: other words answered ``_unknown_``, not a command.

A keyword model with an ``_unknown_`` class still takes many words it never heard for one of
its words, with a high probability. :func:`calibrate` picks the smallest minimum probability
whose false-accept rate on held-out other words is at most ``fa_target``; ``space train
--add-unknown`` stores it in the checkpoint (``meta["min_probability"]``) and the
:class:`~space.recognize.words.recognizer.Recognizer` applies it by default.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...data.readers import SILENCE, UNKNOWN

FA_TARGET = 0.05  # share of other-word clips that may still be taken for a model word
# ...but never at the cost of more than this share of the model's own words turned away: a
# recogniser that refuses a user's real commands is worse than one that sometimes answers
# another word.
FR_LIMIT = 0.03
GRID = np.round(np.arange(0.0, 1.0, 0.005), 3)  # candidate minimum probabilities


def accepted(probs: np.ndarray, labels: list[str], min_probability: float) -> np.ndarray:
    """Whether each clip is taken as one of the model's words: its top label is not
    ``_unknown_``/``_silence_`` and its probability is at least ``min_probability``.

    Parameters
    ----------
    probs : np.ndarray [shape=(n, n_classes)]
    labels : list[str] [len n_classes]

    Returns
    -------
    np.ndarray [shape=(n,), dtype=bool]
    """
    words = np.array([lab not in (UNKNOWN, SILENCE) for lab in labels])
    return words[probs.argmax(1)] & (probs.max(1) >= min_probability)


def calibrate(unknown_probs: np.ndarray, known_probs: np.ndarray, labels: list[str], *,
              fa_target: float = FA_TARGET, fr_limit: float = FR_LIMIT) -> dict[str, Any]:
    """The smallest minimum probability with a false-accept rate <= ``fa_target``, lowered to
    the largest one whose false-reject rate is <= ``fr_limit`` where it would reject more.

    Parameters
    ----------
    unknown_probs : np.ndarray [shape=(n_unknown, n_classes)]
        Probabilities on clips of other words (never trained on).
    known_probs : np.ndarray [shape=(n_known, n_classes)]
        Probabilities on held-out clips of the model's words (the false-reject rate).

    Returns
    -------
    dict
        ``min_probability``, ``false_accept`` (on ``unknown_probs``) and ``false_reject``
        (on ``known_probs``) at it, ``fa_target``, ``fr_limit``, ``limited_by``
        (``"false_accept"`` or ``"false_reject"``), ``n_unknown``, ``n_known``.
    """
    fa = np.array([accepted(unknown_probs, labels, t).mean() for t in GRID])
    # (rejected share computed directly: 1 - accepted.mean() can land a rounding error above it)
    fr = np.array([(~accepted(known_probs, labels, t)).mean() for t in GRID])
    ok = np.nonzero(fa <= fa_target)[0]
    i = int(ok[0]) if len(ok) else len(GRID) - 1
    limited_by = "false_accept"
    if fr[i] > fr_limit:
        # GRID starts at 0 (the top label alone); keep at least that
        i = int(np.nonzero(fr[: i + 1] <= fr_limit)[0].max(initial=0))
        limited_by = "false_reject"
    t = float(GRID[i])
    return {"min_probability": t, "limited_by": limited_by, "fr_limit": fr_limit,
            "false_accept": float(accepted(unknown_probs, labels, t).mean()),
            "false_reject": float(fr[i]),
            "fa_target": fa_target, "n_unknown": len(unknown_probs),
            "n_known": len(known_probs)}


def example_probabilities(rec: Any, examples: list[Any], *, batch_size: int = 128) -> np.ndarray:
    """A :class:`~space.recognize.words.recognizer.Recognizer`'s probabilities for examples read
    through the prediction front end (their labels are not used).

    Returns
    -------
    np.ndarray [shape=(len(examples), n_classes)]
    """
    from ...data import ClipDataset, Example

    # ClipDataset wants labels the model knows; the target is not used here.
    relabelled = [Example(e.path, rec.labels[0], e.speaker, e.offset_s, e.duration_s)
                  for e in examples]
    ds = ClipDataset(relabelled, rec.labels, rec.feature_cfg)
    return rec.probabilities((ds[i][0].numpy() for i in range(len(ds))), batch_size=batch_size)


def calibrate_model(rec: Any, unknown: list[Any], known: list[Any], *,
                    fa_target: float = FA_TARGET) -> dict[str, Any]:
    """:func:`calibrate` for a Recognizer on other-word examples ``unknown`` and examples of
    its own words ``known`` (e.g. its validation clips of them)."""
    return calibrate(example_probabilities(rec, unknown), example_probabilities(rec, known),
                     rec.labels, fa_target=fa_target)
