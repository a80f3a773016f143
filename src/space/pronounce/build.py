"""Build reference sets from a data set: per word, the k most central recordings.

``space references build --data DIR --out DIR`` runs :func:`build_references`; the
bundled sets (``make references``) are built this way from FSDD (digits) and the Speech
Commands subset (its words), from training speakers only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import audio
from ..data import open_splits
from ..errors import DataError
from .calibrate import calibrate
from .encoder import Featurizer
from .medoids import medoids, pairwise
from .references import AUDIO_EXTS, check_word, read_set_info, write_set_info

TRIM_MARGIN_S = 0.1  # silence kept around the speech in a stored reference clip


def _hash_order(paths: list[str]) -> list[int]:
    import hashlib

    return sorted(range(len(paths)),
                  key=lambda i: hashlib.sha1(Path(paths[i]).name.encode()).hexdigest())


def build_references(
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    k: int = 5,
    layout: str = "auto",
    split: str = "train",
    max_candidates: int = 150,
    featurizer: Featurizer | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Pick ``k`` medoid references per word of ``data`` (split ``split``) into ``out``,
    then calibrate every set in ``out`` (see :func:`calibrate_folder`).

    Returns ``{"words": {word: [clip names]}, "out": str}``.
    """
    import soundfile as sf

    from ..checkpoint import atomic_write

    if k < 1:
        raise DataError("k (references per word) must be >= 1")
    feat = featurizer or _default_featurizer()
    splits = open_splits(data, layout=layout)
    examples = splits.get(split)
    words = sorted({e.label for e in examples if not e.label.startswith("_")})
    if not words:
        raise DataError(f"{data}: no labelled clips in the {split} split")
    out = Path(out)
    summary: dict[str, list[str]] = {}
    for word in words:
        w = check_word(word)
        group = [e for e in examples if e.label == word]
        order = _hash_order([e.path for e in group])[:max_candidates]
        group = [group[i] for i in sorted(order)]
        utts, raw = [], []
        for e in group:
            try:
                y, sr = audio.load(e.path)
                utts.append(feat(y, sr, name=e.path))
                raw.append((e, y, sr))
            except audio.AudioError as err:
                if log:
                    log(f"skipped {err}")
        if not utts:
            continue
        dist = pairwise([u.frames for u in utts])
        chosen = medoids(dist, min(k, len(utts)), speakers=[e.speaker for e, _, _ in raw])
        folder = out / w
        folder.mkdir(parents=True, exist_ok=True)
        names, sources = [], []
        for i in chosen:
            e, y, sr = raw[i]
            a, b = audio.speech_bounds(y, sr)
            m = int(TRIM_MARGIN_S * sr)
            clip = y[max(0, a - m): b + m]
            name = f"{Path(e.path).stem}.flac"
            atomic_write(folder / name, lambda tmp, c=clip, s=sr: sf.write(
                tmp, c, s, subtype="PCM_16", format="FLAC"))
            names.append(name)
            sources.append({"clip": name, "source": Path(e.path).name, "speaker": e.speaker})
        for p in folder.iterdir():  # clips of an earlier build that are not chosen now
            if p.suffix.lower() in AUDIO_EXTS and p.name not in names:
                p.unlink()
        info = {"word": w, "clips": sorted(names), "sources": sources,
                "data": Path(data).name, "split": split, "k": k,
                "candidates": len(utts)}
        write_set_info(folder, info)
        summary[w] = names
        if log:
            log(f"{w}: {len(names)} references from {len(utts)} recordings")
    calibrate_folder(out, featurizer=feat, log=log)
    return {"words": summary, "out": str(out)}


def _default_featurizer() -> Featurizer:
    from .score import featurizer

    return featurizer()


def calibrate_folder(root: str | os.PathLike, *, featurizer: Featurizer | None = None,
                     log: Callable[[str], None] | None = None) -> None:
    """Store in each ``<word>/set.json`` of ``root`` the distances among its references and
    its calibration, with every other word's references in ``root`` as 'other words'."""
    feat = featurizer or _default_featurizer()
    root = Path(root)
    sets: dict[str, tuple[list[str], list[np.ndarray]]] = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        clips = sorted(p for p in d.iterdir() if p.suffix.lower() in AUDIO_EXTS)
        if clips:
            utts = []
            for p in clips:
                y, sr = audio.load(p)
                utts.append(feat(y, sr, name=str(p)).frames)
            sets[d.name] = ([p.name for p in clips], utts)
    fid = feat.id
    for w, (names, utts) in sets.items():
        within = pairwise(utts)
        others = [u for o, (_, us) in sets.items() if o != w for u in us]
        other = pairwise(others, utts) if others else None
        cal = calibrate(within, other)
        info = read_set_info(root / w)
        info.update(word=w, clips=names, features=fid, within=np.round(within, 5).tolist(),
                    calibration={k: (round(v, 6) if isinstance(v, float) else v)
                                 for k, v in cal.to_dict().items()})
        write_set_info(root / w, info)
        if log:
            log(f"{w}: d100 {cal.d100:.4f}  d0 {cal.d0:.4f}  ({cal.source})")
    if not sets:
        raise DataError(f"{root}: no <word>/ folders with reference clips")
