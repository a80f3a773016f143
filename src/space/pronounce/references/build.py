"""Build reference sets from a data set: per word, the k most central recordings.

``space references build --data DIR --out DIR`` runs :func:`build_references`; the
bundled sets (``make references``) are built this way from FSDD (digits) and the Speech
Commands subset (its words), from their training speakers only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ... import audio
from ...data import Example, open_splits
from ...errors import AudioError, DataError
from ...io import is_audio_file
from .agreement import STRICT_SCORE, check_set
from .calibrate import calibrate
from .distance import features_id, set_distances, within_set
from .folders import check_word, write_set_info
from .frames import Featurizer, Utterance, default_featurizer
from .medoids import medoids, pairwise
from .sets import write_frames_cache

TRIM_MARGIN_S = 0.1  # silence kept around the speech in a stored reference clip
OTHERS_PER_WORD = 10  # recordings of each other word measured against a set (for d0, d50)
MAX_NAMED = 10  # far-off recordings named per word (the rest counted)


def _write_flac(path: str, *, y: np.ndarray, sr: int) -> None:
    import soundfile as sf

    sf.write(path, y, sr, subtype="PCM_16", format="FLAC")


def _stable_order(paths: list[str]) -> list[int]:
    """A fixed pseudo-random order (by file-name hash): the same sample on any machine."""
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
    """Pick ``k`` medoid references per word of ``data`` (its ``split``) into ``out``.

    Per word: up to ``max_candidates`` recordings (a stable sample) are compared all
    against all with DTW; the ``k`` with the smallest mean distance to the others (one per
    speaker where speakers are known) become the references, stored trimmed as 16-bit
    FLAC. ``<word>/set.json`` records where they came from, the distances among them and
    the calibration anchors (:mod:`space.pronounce.references.calibrate`), measured with the word's
    other recordings (same word, speakers not in the set) and other words' recordings.

    Returns ``{"words": {word: [clip names]}, "out": str, "warnings": {word: [str]}}``:
    ``warnings`` names chosen references that disagree with the rest of their set
    (:mod:`.agreement`) and the word's other recordings that its references would score
    below :data:`.agreement.STRICT_SCORE` (mislabelled or unusable clips of the data set).
    """

    from ...io import check_output_path

    if k < 1:
        raise DataError("k (references per word) must be >= 1")
    check_output_path(out, what="--out", folder=True)
    feat = featurizer or default_featurizer()
    examples: list[Example] = open_splits(data, layout=layout).get(split)
    labels = sorted({e.label for e in examples if not e.label.startswith("_")})
    if not labels:
        raise DataError(f"{data}: no labelled clips in the {split} split")

    cands = _load_candidates(examples, labels, feat, max_candidates, log)
    chosen: dict[str, list[int]] = {}
    for label, group in cands.items():
        if group:
            dist = pairwise([u.frames for _, u in group])
            chosen[label] = medoids(dist, min(k, len(group)), speakers=[e.speaker for e, _ in group])
    out = Path(out)
    summary: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for label, idx in chosen.items():
        w = check_word(label)
        group = cands[label]
        others = [g for o, gs in cands.items() if o != label for g in gs[:OTHERS_PER_WORD]]
        cal, set_warnings = _calibrated(w, group, idx, others, feat)
        names = _write_word(out / w, w, group, idx, cal, feat,
                            {"data": Path(data).name, "split": split, "k": k})
        summary[w] = names
        if set_warnings:
            warnings[w] = set_warnings
        if log:
            log(f"{w}: {len(names)} references from {len(group)} recordings; anchors "
                f"d100 {cal.d100:.4f} d50 {cal.d50:.4f} d0 {cal.d0:.4f}")
            for text in set_warnings:
                log(f"{w}: warning: {text}")
    return {"words": summary, "out": str(out), "warnings": warnings}

def _load_candidates(examples: list[Example], labels: list[str], feat: Featurizer,
                     max_candidates: int, log: Callable[[str], None] | None
                     ) -> dict[str, list[tuple[Example, Utterance]]]:
    """Up to ``max_candidates`` recordings per word (a stable sample), featurised;
    unreadable ones skipped (and logged)."""
    cands: dict[str, list[tuple[Example, Utterance]]] = {}
    for label in labels:
        same = [e for e in examples if e.label == label]
        order = _stable_order([e.path for e in same])[:max_candidates]
        cands[label] = []
        for i in sorted(order):
            e = same[i]
            try:
                y, sr = audio.load(e.path)
                cands[label].append((e, feat(y, sr, name=e.path)))
            except AudioError as err:
                if log:
                    log(f"skipped {err}")
    return cands


def _calibrated(w: str, group: list[tuple[Example, Utterance]], idx: list[int],
                others: list[tuple[Example, Utterance]], feat: Featurizer
                ) -> tuple[Any, list[str]]:
    """The word's calibration from its other recordings (same word, other speakers) and
    other words' recordings, and the set's warnings."""
    refs = [group[i][1] for i in idx]
    ref_spk = [group[i][0].speaker for i in idx]
    rest = [group[i] for i in range(len(group)) if i not in idx]
    # Same word by other speakers: scored against the references by other speakers.
    genuine = set_distances([u for _, u in rest], refs,
                            [[j for j, s in enumerate(ref_spk) if e.speaker is not None
                              and s == e.speaker] for e, _ in rest]) if rest else None
    impostor = set_distances([u for _, u in others], refs) if others else None
    cal = calibrate(None, genuine=genuine, impostor=impostor, loo=within_set(refs))
    # Recordings of the word that its references would score below STRICT_SCORE (25:
    # nearer other words' distance than the equal-error point): mislabelled clips or
    # unusable ones (noise, cut off) in the data set. Named, not used.
    far = ([Path(e.path).name for (e, _), g in zip(rest, genuine, strict=True)
            if cal.score(float(g)) < STRICT_SCORE] if genuine is not None else [])
    set_warnings = check_set(w, refs, [e.path for e, _ in (group[i] for i in idx)], cal,
                             sr=feat.cfg.sample_rate, user_set=False)
    if far:
        set_warnings.append(
            f"{len(far)} of {len(rest)} other recordings of {w!r} are nearly as far from "
            f"its references as other words are (scored below {STRICT_SCORE:g}: "
            f"mislabelled or unusable?): "
            f"{', '.join(sorted(far)[:MAX_NAMED])}{' ...' if len(far) > MAX_NAMED else ''}")
    return cal, set_warnings


def _write_word(folder: Path, w: str, group: list[tuple[Example, Utterance]], idx: list[int],
                cal: Any, feat: Featurizer, source: dict[str, Any]) -> list[str]:
    """Write the chosen references (trimmed, 16-bit FLAC), drop an earlier build's others,
    and write the frames cache and ``set.json``; returns the clip names."""
    from ...io import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    names, sources = [], []
    for i in idx:
        e = group[i][0]
        y, sr = audio.load(e.path)
        a, b = audio.speech_bounds(y, sr)
        m = int(TRIM_MARGIN_S * sr)
        clip = y[max(0, a - m): b + m]
        name = f"{Path(e.path).stem}.flac"
        atomic_write(folder / name, partial(_write_flac, y=clip, sr=sr))
        names.append(name)
        sources.append({"clip": name, "source": Path(e.path).name, "speaker": e.speaker})
    for p in folder.iterdir():  # clips of an earlier build that are not chosen now
        if is_audio_file(p) and p.name not in names:
            p.unlink()
    write_frames_cache(folder, feat)
    refs = [group[i][1] for i in idx]
    write_set_info(folder, {
        "word": w, "clips": sorted(names), "references": sources, "features": features_id(feat),
        **source, "candidates": len(group),
        # the DTW distances among the references, for the record (the anchors use
        # each one's set distance to the others, as an attempt is measured)
        "within": np.round(pairwise([u.frames for u in refs]), 5).tolist(),
        "calibration": cal.to_dict(),
    })
    return names

