"""More training voices and words from other folders: learners' words and unseen words.

Two readers add training examples to a recogniser's own data set (``space train
--add-learners DIR --add-unknown DIR``):

- :func:`learner_examples`: speechocean762_words (``words/<word>/<clip>.wav`` with
  ``labels.json``): learners of English (Mandarin first language, about half of them
  children) saying the digits and the command words. The clips of the model's words join
  their class (the digit names zero..nine are the classes ``0``..``9``).
- :func:`unknown_word_examples`: a folder of other words in the Speech Commands layout
  (``<word>/<speaker>_nohash_<n>.wav`` without split lists, e.g. sc_v1_words' bed/cat/happy)
  as ``_unknown_`` examples, from a fixed quarter of its speakers only (:data:`UNKNOWN_PARTS`):
  the next quarter calibrates the rejection threshold (:mod:`space.recognize.words.reject`) and
  the other half is never trained or calibrated on (``benchmarks/voices.py`` reports on it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import DataError
from .readers import UNKNOWN, Example, _bucket

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Speakers of an other-words folder by a stable hash of the speaker id (the same function
# that splits folders by file name): each speaker's clips lie in one part only.
UNKNOWN_PARTS = {"train": (0.0, 0.25), "calibrate": (0.25, 0.5), "report": (0.5, 1.0)}
# How often each learner clip is repeated in a training epoch (each repeat is augmented
# differently, as the 12-class recipe repeats its few unknown clips): 285 digit clips of 26
# learners beside FSDD's 2,520 would otherwise be a tenth of what the model sees.
LEARNER_REPEAT = 3
LEARNER_PARTS = ("all", "even", "odd")


def _label_for(word: str, labels: list[str]) -> str | None:
    if word in labels:
        return word
    if word in DIGIT_WORDS and str(DIGIT_WORDS.index(word)) in labels:
        return str(DIGIT_WORDS.index(word))
    return None


def learner_examples(root: str | os.PathLike, labels: list[str], *, part: str = "all",
                     repeat: int = 1) -> list[Example]:
    """The learners' clips of the words in ``labels``, ``repeat`` times each.

    Parameters
    ----------
    root : path
        A speechocean762_words folder (``labels.json`` beside ``words/``).
    labels : list[str]
        The model's classes; a clip whose word (or, for a digit name, whose digit) is not
        among them is left out.
    part : str
        ``"all"`` speakers, or only those with an ``"even"`` or ``"odd"`` numeric id (the
        two folds ``benchmarks/voices.py`` cross-validates over; ``space train-sequence``
        trains on the even ones).
    repeat : int
        Copies of each clip in the returned list (consecutive).

    Clips the experts' median rated *mispronounced* are left out: the learner said another
    sound, so the word is not what the audio holds.
    """
    root = Path(root)
    meta_path = root / "labels.json"
    if not meta_path.is_file():
        raise DataError(f"{root}: not a speechocean762_words folder (expected labels.json "
                        "beside words/<word>/<clip>.wav)")
    if part not in LEARNER_PARTS:
        raise DataError(f"unknown learner part {part!r} (use {', '.join(LEARNER_PARTS)})")
    try:
        clips = json.loads(meta_path.read_text())["clips"]
    except (ValueError, KeyError) as e:
        raise DataError(f"{meta_path}: unreadable labels file ({e})") from None
    out = []
    for rel, c in sorted(clips.items()):
        label = _label_for(c["word"], labels)
        if label is None or c["class"] == "mispronounced":
            continue
        if part != "all" and int(c["speaker"]) % 2 != (0 if part == "even" else 1):
            continue
        out += [Example(str(root / rel), label, f"learner-{c['speaker']}")] * repeat
    if not out:
        raise DataError(f"{root}: no learner clips of the words {', '.join(labels)}")
    return out


def unknown_word_examples(root: str | os.PathLike, *, part: str = "train",
                          exclude: tuple[str, ...] = ()) -> list[Example]:
    """The clips of one part of the speakers (:data:`UNKNOWN_PARTS`) as ``_unknown_``.

    Parameters
    ----------
    root : path
        ``<word>/<speaker>_nohash_<n>.wav`` folders.
    part : str
        ``"train"``, ``"calibrate"`` or ``"report"``.
    exclude : tuple[str, ...]
        Word folders to leave out (a model's own words are not unknown to it).
    """
    root = Path(root)
    if part not in UNKNOWN_PARTS:
        raise DataError(f"unknown part {part!r} (use {', '.join(UNKNOWN_PARTS)})")
    if not root.is_dir():
        raise DataError(f"{root}: folder of other words not found")
    lo, hi = UNKNOWN_PARTS[part]
    out = []
    words = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))
                   and d.name not in exclude)
    for d in words:
        for p in sorted(d.glob("*.wav")):
            speaker = p.name.split("_nohash_")[0]
            if lo <= _bucket(speaker) < hi:
                out.append(Example(str(p), UNKNOWN, speaker))
    if not out:
        raise DataError(f"{root}: no clips in <word>/<speaker>_nohash_<n>.wav folders "
                        f"(part {part!r})")
    return out
