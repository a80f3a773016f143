"""Words cut out of learners' sentences: more voices for the recognisers, and other words.

speechocean762's training split (``../shared/data/speechocean762_train``) holds 2,500
sentences of 125 learners (58 children) with every word's experts' score but no word times.
:func:`cut_words` aligns each sentence (an aligner is passed in: ``space data words`` uses
PocketSphinx, :func:`space.pronounce.lexicon.pocketsphinx.align_words`) and writes every word as its own
clip into a folder in the speechocean762_words layout (``words/<word>/<utt>-<k>__<word>.wav``
beside ``labels.json``), so the same readers take both folders:

- a model's own words join their class (:func:`space.data.extra.learner_examples`);
- every other word is ``_unknown_`` material (:func:`space.data.extra.other_word_examples`),
  split *by word* into a training part, a calibration part (chooses the minimum probability)
  and a report part held out of both.

Sentences that cannot be read or aligned are named in the folder's ``labels.json``
(``skipped``) and on the progress callback, and left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import audio
from ..errors import DataError, SpaceError
from ..io import atomic_write, save_json

SR = 16000
PAD_S = 0.05  # kept each side of an aligned word (the aligner's 10 ms frames can clip it)
FORMAT = 1

# (sentence audio, sample rate, each word's phones) -> each word's (start_s, end_s, ...)
Aligner = Callable[[np.ndarray, int, list[list[str]]], Sequence[tuple[Any, ...]]]


def read_sentences(root: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The ``utterances`` of a speechocean762_train folder's ``labels.json``."""
    path = Path(root) / "labels.json"
    if not path.is_file():
        raise DataError(f"{root}: not a speechocean762 training split (expected labels.json "
                        "beside audio/<speaker>/<utt>.ogg)")
    try:
        utts: dict[str, dict[str, Any]] = json.loads(path.read_text())["utterances"]
    except (ValueError, KeyError) as e:
        raise DataError(f"{path}: unreadable labels file ({e})") from None
    return utts


def word_phones(w: dict[str, Any]) -> list[str]:
    """A word entry's canonical ARPAbet phones without stress digits."""
    return [p.rstrip("012") for p in w["canonical_phones"].split()]


def _clip_meta(utt: str, u: dict[str, Any], k: int, w: dict[str, Any],
               span: tuple[float, float], a: float, b: float) -> dict[str, Any]:
    return {"word": w["text"].lower(), "utt": utt, "word_index": k, "text": u["text"],
            "speaker": u["speaker"], "age": u["age"], "gender": u["gender"],
            "accuracy_median": w["accuracy_median"], "class": w["class"],
            "phones": " ".join(word_phones(w)),
            "align": {"start": round(span[0], 3), "end": round(span[1], 3),
                      "clip_start": round(a, 3), "clip_end": round(b, 3)}}


def _wav_writer(seg: np.ndarray) -> Callable[[str], None]:
    import soundfile as sf

    def write(tmp: str) -> None:
        sf.write(tmp, seg, SR, subtype="PCM_16", format="WAV")

    return write


def cut_words(root: str | os.PathLike, out: str | os.PathLike, align: Aligner, *,
              progress: Callable[[int, int, str | None], None] | None = None
              ) -> dict[str, Any]:
    """Align every sentence of ``root`` and write each word as a 16 kHz WAV clip in ``out``.

    Parameters
    ----------
    root : path
        A speechocean762_train folder.
    out : path
        The folder to write (``words/``, ``labels.json``); clips already there are
        rewritten.
    align : Aligner
        Word spans of a sentence from its audio and each word's phones.
    progress : callable, optional
        ``progress(done, total, problem)`` after each sentence; ``problem`` names a
        sentence left out (and why), else None.

    Returns
    -------
    dict
        What ``labels.json`` holds: ``clips`` (relative path -> word, speaker, age, class,
        the experts' median, phones, times), ``skipped`` (utterance -> reason), ``source``.
    """
    root, out = Path(root), Path(out)
    utts = read_sentences(root)
    clips: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for i, (utt, u) in enumerate(sorted(utts.items())):
        problem = None
        try:
            y, _ = audio.load(root / u["audio"], sr=SR, max_duration_s=None)
            spans = align(y, SR, [word_phones(w) for w in u["words"]])
        except (SpaceError, KeyError, ValueError) as e:
            problem = skipped[utt] = f"{root / u.get('audio', utt)}: {e}"
        else:
            for k, (w, span) in enumerate(zip(u["words"], spans, strict=True)):
                a = max(0.0, span[0] - PAD_S)
                b = min(len(y) / SR, span[1] + PAD_S)
                word = w["text"].lower().replace("'", "")
                rel = f"words/{word}/{utt}-{k}__{word}.wav"
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                seg = y[int(a * SR):int(b * SR)]
                atomic_write(dest, _wav_writer(seg))
                clips[rel] = _clip_meta(utt, u, k, w, span, a, b)
        if progress is not None:
            progress(i + 1, len(utts), problem)
    meta = {"format": FORMAT, "source": str(root), "pad_s": PAD_S,
            "meaning": "one clip per word of the sentences (speechocean762_words layout): "
                       "word, speaker, age, gender, the experts' median word accuracy and "
                       "its class (correct 10, accented 7-9, mispronounced <= 6), the "
                       "canonical phones, aligned times in the sentence (s)",
            "clips": clips, "skipped": skipped}
    save_json(meta, out / "labels.json", indent=None)
    return meta
