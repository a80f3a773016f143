"""More training voices and words from other folders: learners' words and unseen words.

Two readers add training examples to a recogniser's own data set (``space train
--add-learners DIR --add-unknown DIR``):

- :func:`learner_examples`: speechocean762_words (``words/<word>/<clip>.wav`` with
  ``labels.json``): learners of English (Mandarin first language, about half of them
  children) saying the digits and the command words. The clips of the model's words join
  their class (the digit names zero..nine are the classes ``0``..``9``).
- :func:`other_word_examples`: the other words of a folder in that layout (cut from learners'
  sentences by ``space data words``, :mod:`space.data.sentence_words`) as ``_unknown_``,
  split *by word* (:data:`WORD_PARTS`): the words of the calibration part choose the
  minimum probability and those of the report part are held out of both, so rejection is
  measured on words the model never heard.
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
# Other words by a stable hash of the word: training, calibration, report (never trained
# or calibrated on).
WORD_PARTS = {"train": (0.0, 0.6), "calibrate": (0.6, 0.8), "report": (0.8, 1.0)}
# Never taken as _unknown_ material, so that a model without them has them as truly unseen
# words to measure rejection on (benchmarks/voices.py: FSDD's and the learners' digits).
NEVER_UNKNOWN = DIGIT_WORDS
# At most this many clips of one word in a part (common words like "the" would otherwise
# be most of it; more words, not more of the same word, is what teaches rejection).
PER_WORD = 3


def _label_for(word: str, labels: list[str]) -> str | None:
    if word in labels:
        return word
    if word in DIGIT_WORDS and str(DIGIT_WORDS.index(word)) in labels:
        return str(DIGIT_WORDS.index(word))
    return None


def _learner_clips(root: Path, part: str) -> list[tuple[str, dict]]:
    """``(relative path, clip entry)`` of a speechocean762_words-layout folder, speakers of
    ``part`` only, sorted by path."""
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
    return [(rel, c) for rel, c in sorted(clips.items())
            if part == "all" or int(c["speaker"]) % 2 == (0 if part == "even" else 1)]


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
    out = []
    for rel, c in _learner_clips(root, part):
        label = _label_for(c["word"], labels)
        if label is None or c["class"] == "mispronounced":
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


def other_word_examples(root: str | os.PathLike, labels: list[str], *, part: str = "train",
                        speakers: str = "all", per_word: int = PER_WORD) -> list[Example]:
    """The clips of words that are not the model's, of one part of the words, as
    ``_unknown_``.

    Parameters
    ----------
    root : path
        A folder in the speechocean762_words layout whose clips name their ``phones``
        (``space data words`` writes one from the learners' sentences).
    labels : list[str]
        The model's classes: their words, and every word said with the same phones as one
        of them ("know" for "no", "write" for "right"), are left out, as are
        :data:`NEVER_UNKNOWN` and their homophones ("to", "for", "won").
    part : str
        ``"train"``, ``"calibrate"`` or ``"report"``: which words (:data:`WORD_PARTS`, by a
        stable hash of the word, so no word is in two parts).
    speakers : str
        ``"all"``, ``"even"`` or ``"odd"`` speaker ids (the learners' cross-validation).
    per_word : int
        At most this many clips of each word, of different speakers where it can.

    Clips the experts rated mispronounced are left out (the learner may have said another
    word, perhaps one of the model's).
    """
    root = Path(root)
    if part not in WORD_PARTS:
        raise DataError(f"unknown part {part!r} (use {', '.join(WORD_PARTS)})")
    clips = _learner_clips(root, speakers)
    own = set(labels) | set(NEVER_UNKNOWN)
    sounds = {c.get("phones") for _, c in clips if c["word"] in own} - {None}
    lo, hi = WORD_PARTS[part]
    by_word: dict[str, list[tuple[str, dict]]] = {}
    for rel, c in clips:
        if (c["word"] in own or c.get("phones") in sounds or c["class"] == "mispronounced"
                or not lo <= _bucket(c["word"]) < hi):
            continue
        by_word.setdefault(c["word"], []).append((rel, c))
    out = []
    for word in sorted(by_word):
        # one clip per speaker first, in a stable shuffled order, then the rest
        items = sorted(by_word[word], key=lambda rc: _bucket(rc[0]))
        seen: set[str] = set()
        first: list[tuple[str, dict]] = []
        rest: list[tuple[str, dict]] = []
        for rc in items:
            (rest if rc[1]["speaker"] in seen else first).append(rc)
            seen.add(rc[1]["speaker"])
        chosen = (first + rest)[:per_word]
        out += [Example(str(root / rel), UNKNOWN, f"learner-{c['speaker']}")
                for rel, c in chosen]
    if not out:
        raise DataError(f"{root}: no clips of other words (part {part!r}, speakers {speakers!r})")
    return out


def unknown_examples(root: str | os.PathLike, labels: list[str], *,
                     part: str = "train") -> list[Example]:
    """One ``--add-unknown`` folder's ``_unknown_`` examples of ``part`` (``"train"`` or
    ``"calibrate"``): a folder with ``labels.json`` (learners' words) split by word
    (:func:`other_word_examples`), else a Speech Commands-layout folder of other words split
    by speaker (:func:`unknown_word_examples`)."""
    if (Path(root) / "labels.json").is_file():
        return other_word_examples(root, labels, part=part)
    return unknown_word_examples(root, part=part, exclude=tuple(labels))
