"""Word and phone times of the speechocean762 sentences: a forced alignment of each.

    python -m space.training.learner_labels --root ../shared/data/speechocean762_train \\
        --cache cache/so762

Decodes every sentence once into ``<cache>/audio/<utt>.npy`` (:mod:`space.data.speechocean`)
and aligns its words' canonical phones (the corpus's own, stress removed) with
PocketSphinx (:func:`space.pronounce.lexicon.pocketsphinx.align_words`: US English acoustic model,
silence allowed between words). Writes ``<cache>/align.json``::

    {"utts": {utt: {"speaker", "text",
                    "words": [{"word", "start_s", "end_s",
                               "phones": [[phone, start_s, end_s], ...]}, ...]}},
     "failed": {utt: reason}}

Times are seconds into the sentence's audio; ``aligner`` says which aligner placed them
(PocketSphinx finds none for about one sentence in seven: those are aligned by the bundled
phone model, :func:`viterbi_words`, tagged ``phones_learners.pt``). Resumable (sentences
already in the file are kept) and written atomically every few hundred sentences. About
0.04 s per second of audio on one core: 2,500 sentences (2.9 h) in about 7 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..data import speechocean as so
from ..errors import SpaceError
from ..io import save_json
from ..pronounce.evidence.acoustic import bundled_path
from ..pronounce.lexicon.pocketsphinx import PhoneSpan, align_words


def align_file(cache: Path) -> Path:
    return Path(cache) / "align.json"


def load_alignment(cache: str | os.PathLike = so.DEFAULT_CACHE) -> dict[str, Any]:
    """The ``utts`` mapping of ``<cache>/align.json``. Raises :class:`space.errors.DataError`."""
    from ..errors import DataError

    path = align_file(Path(cache))
    if not path.is_file():
        raise DataError(f"{path}: no alignment of the speechocean762 sentences (build it "
                        "with python -m space.training.learner_labels)")
    return dict(json.loads(path.read_text())["utts"])


def viterbi_words(y: np.ndarray, sr: int, words: list[list[str]]
                  ) -> list[tuple[float, float, list[PhoneSpan]]]:
    """The same as :func:`align_words` with the bundled phone model (``phones_learners.pt``
    as it is in the tree: the previous build's) and
    :func:`space.pronounce.evidence.viterbi.align_sentence`, for the sentences PocketSphinx
    finds no alignment of (about one in seven, 'Failed to stop utterance processing').

    Not ``phones.pt``, the net the learners' halves start from: on 300 sentences of speakers
    the bundled net never trained on, its phone starts lay within 50 ms of PocketSphinx's
    79% of the time (median 15 ms off), ``phones.pt``'s 50% (45 ms; issue 21, sixteenth
    round; ``benchmarks/fallback_aligner.py``)."""
    from ..pronounce.evidence.acoustic import acoustic
    from ..pronounce.evidence.gop_features import SIL
    from ..pronounce.evidence.viterbi import align_sentence
    from ..pronounce.lexicon.phones import PHONES

    fr = acoustic()(y, sr)
    spans = align_sentence(fr.logp, [[PHONES.index(p) for p in w] for w in words], SIL)
    dur = len(y) / sr
    out = []
    for w, sp in zip(words, spans, strict=True):
        ps = [PhoneSpan(p, float(np.clip(fr.time(a - 0.5), 0, dur)),
                        float(np.clip(fr.time(b - 0.5), 0, dur))) for p, (a, b) in zip(w, sp, strict=True)]
        out.append((ps[0].start_s, ps[-1].end_s, ps))
    return out


def build(root: Path, cache: Path, *, log: Callable[[str], None] = print,
          save_every: int = 250) -> dict[str, Any]:
    """Align every sentence (see the module doc) into ``<cache>/align.json``."""
    out = align_file(cache)
    data: dict[str, Any] = {"utts": {}, "failed": {}}
    if out.is_file():
        data = json.loads(out.read_text())
    utts = so.utterances(root)
    data["failed"] = {}  # retried: the fallback aligner may place them now
    todo = [u for u in utts if u.utt not in data["utts"]]
    log(f"{len(todo)} sentences to align ({len(data['utts'])} done before)")
    t0 = time.time()
    for k, (u, y) in enumerate(so.iter_audio(todo, cache)):
        phones = [list(w.phones) for w in u.words]
        try:
            found, how = align_words(y, so.SR, phones), "pocketsphinx"
        except SpaceError:
            try:
                found, how = viterbi_words(y, so.SR, phones), bundled_path().name
            except SpaceError as e:
                data["failed"][u.utt] = str(e)[:200]
                continue
        data["utts"][u.utt] = {
            "speaker": u.speaker, "text": u.text, "aligner": how,
            "words": [{"word": w.text, "start_s": round(s, 3), "end_s": round(e, 3),
                       "phones": [[p.phone, round(p.start_s, 3), round(p.end_s, 3)]
                                  for p in spans]}
                      for w, (s, e, spans) in zip(u.words, found, strict=True)]}
        if (k + 1) % save_every == 0:
            save_json(data, out, indent=None)
            log(f"{k + 1}/{len(todo)} ({time.time() - t0:.0f} s)")
    for v in data["utts"].values():  # files written before the fallback existed
        v.setdefault("aligner", "pocketsphinx")
    save_json(data, out, indent=None)
    log(f"aligned {len(data['utts'])} sentences, {len(data['failed'])} failed -> {out}")
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=so.DEFAULT_ROOT)
    ap.add_argument("--cache", type=Path, default=so.DEFAULT_CACHE)
    a = ap.parse_args(argv)
    try:
        build(a.root, a.cache)
    except SpaceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
