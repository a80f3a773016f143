"""A word's reference recordings as frames, with the calibration of their distances.

:func:`word_reference_set` loads (and caches) the set of a bundled or user word;
:func:`file_reference_set` makes one from recordings given directly. A set that was not
built with its own calibration data is anchored against the bundled sets of other words,
whose frames are stored beside them (``frames.npz``: :func:`write_frames_cache`,
:func:`read_frames_cache`) so that this does not run the encoder on every bundled clip.
Folder management (which words exist, adding clips) is :mod:`space.pronounce.references.folders`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np

from ...errors import AudioError, DamagedReferenceError, ReferenceSetError
from ...io import atomic_write, audio_files
from .calibrate import Calibration, calibrate
from .distance import features_id, set_distances, within_set
from .dtw import frames as unit_frames
from .folders import (
    FRAMES_FILE,
    bundled_dir,
    check_word,
    read_set_info,
    reference_paths,
    word_dir,
    write_set_info,
)
from .frames import Featurizer, Utterance, default_featurizer
from .medoids import pairwise

Source = Union[str, os.PathLike, bytes, np.ndarray]  # noqa: UP007 (a runtime alias)

# Reference lengths (longest / shortest speech) beyond which the set is probably not all
# the same word.
WARN_LENGTH_RATIO = 2.2

# A new reference whose speech lasts this many times the word's references' typical
# length holds more than the word ("seven seven seven seven"): every later attempt at the
# one word would be refused as too short against it. The slowest of 679 learners' words
# (speechocean762) lasts 2.2x the bundled references; four words said in a row, 4x or more.
MAX_NEW_REFERENCE_RATIO = 2.5
REFERENCE_MAX_S = 5.0  # a reference is one word: longer files are refused before decoding

_lock = threading.Lock()
_sets: dict[tuple, ReferenceSet] = {}
_bundled_frames: dict[str, dict[str, list[Utterance]]] = {}


@dataclass
class ReferenceSet:
    """Reference utterances of one word and the calibration of their distances."""

    word: str | None
    paths: list[str]
    utterances: list[Utterance]
    calibration: Calibration
    warnings: list[str] = field(default_factory=list)

    @property
    def typical_speech_s(self) -> float:
        return float(np.median([u.speech_s for u in self.utterances]))


def load_utterance(source: Source, sr: int | None, name: str,
                   feat: Featurizer | None = None, *, speech: bool = True,
                   trim: bool = False) -> Utterance:
    """A path, bytes or mono array (with ``sr``) -> its frames, through the one loader and
    the same checks as prediction (:func:`space.audio.load_input`).

    ``speech=False`` for stored reference sets, which were checked when they were added.
    ``trim=True`` for an attempt: its frames (and SNR) come from its speech plus
    :data:`~space.audio.prepare.ATTEMPT_KEEP_S` each side (:func:`space.audio.trim_silence`),
    so the silence around a word does not change its score; ``audio`` stays the whole
    recording and times stay in it."""
    from dataclasses import replace

    from ...audio import load_input, resample, trim_silence

    feat = feat or default_featurizer()
    y, rate, label = load_input(source, sr=sr, name=name, speech=speech)
    if not trim:
        return feat(y, rate, name=label)
    cut, start = trim_silence(y, rate)
    utt = feat(cut, rate, name=label)
    return replace(utt, audio=resample(y, rate, feat.cfg.sample_rate, name=label),
                   offset_s=utt.offset_s + start / rate)


def write_frames_cache(folder: Path, feat: Featurizer) -> Path:
    """Store the frames of a folder's reference clips (float16) in ``frames.npz``: scoring
    a user's own references calibrates them against every bundled word's references, and
    reading these is much faster than running the encoder on 170 clips."""
    clips = audio_files(folder)
    utts = [load_utterance(p, None, str(p), feat, speech=False) for p in clips]
    frames = [u.frames.astype(np.float16) for u in utts]
    offsets = np.cumsum([0] + [len(f) for f in frames])

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh, features=np.array(features_id(feat)),
                clips=np.array([p.name for p in clips]), frames=np.concatenate(frames),
                offsets=offsets, speech_s=np.array([u.speech_s for u in utts]),
                snr_db=np.array([u.snr_db for u in utts]), hop_s=np.array(utts[0].hop_s))

    return atomic_write(folder / FRAMES_FILE, write)


def read_frames_cache(folder: Path, clips: list[Path], feat: Featurizer) -> list[Utterance] | None:
    """The stored frames of a folder's clips (:func:`write_frames_cache`) as frames-only
    utterances, or None when missing or made with other features. Only for calibration
    (no audio or spectrogram in them)."""
    p = folder / FRAMES_FILE
    if not p.is_file():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            if str(z["features"]) != features_id(feat) or \
                    [str(c) for c in z["clips"]] != [c.name for c in clips]:
                return None
            fr, off = z["frames"].astype(np.float32), z["offsets"]
            speech, snr, hop = z["speech_s"], z["snr_db"], float(z["hop_s"])
    except (OSError, KeyError, ValueError):
        return None
    out = []
    for i, c in enumerate(clips):
        x = unit_frames(fr[off[i]:off[i + 1]].T)
        out.append(Utterance(x, np.zeros((0, len(x)), np.float32), np.zeros(0, np.float32),
                             0.0, hop, name=str(c), speech_s=float(speech[i]),
                             snr_db=float(snr[i])))
    return out


def _bundled_utterances(feat: Featurizer) -> dict[str, list[Utterance]]:
    """Every bundled word's references as frames (from ``frames.npz`` where it matches)."""
    key = features_id(feat)
    with _lock:
        cached = _bundled_frames.get(key)
    if cached is not None:
        return cached
    out: dict[str, list[Utterance]] = {}
    root = bundled_dir()
    if root.is_dir():
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            clips = audio_files(d)
            if clips:
                out[d.name] = read_frames_cache(d, clips, feat) or [
                    load_utterance(p, None, str(p), feat, speech=False) for p in clips]
    with _lock:
        _bundled_frames[key] = out
    return out


def calibrate_against_bundled(word: str | None, utts: list[Utterance],
                              feat: Featurizer) -> Calibration:
    """Anchors of a set that has only its own recordings: ``d100`` from them, ``d0`` from
    the bundled references of other words (see :mod:`space.pronounce.references.calibrate`)."""
    others = {w: u for w, u in _bundled_utterances(feat).items() if w != word}
    if word is None and others:
        # An unnamed set may be one of the bundled words: leave out the word closest to it.
        near = min(others, key=lambda w: float(np.mean(pairwise(
            [u.frames for u in others[w][:2]], [u.frames for u in utts]))))
        others = {w: u for w, u in others.items() if w != near}
    flat = [u for us in others.values() for u in us]
    impostor = set_distances(flat, utts) if flat else None
    return calibrate(None, loo=within_set(utts), impostor=impostor)


def _stamp(paths: list[Path]) -> tuple:
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:  # removed since the folder was listed: the set is being changed
            raise DamagedReferenceError(f"{p}: a reference recording disappeared while "
                                        "being read; try again") from None
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def word_reference_set(word: str, feat: Featurizer | None = None, *,
                       references_dir: str | os.PathLike | None = None) -> ReferenceSet:
    """The (cached) reference set of a bundled or user word (the user's folder:
    ``references_dir`` or :func:`~space.pronounce.references.folders.user_dir`)."""
    feat = feat or default_featurizer()
    w = check_word(word)
    folder = word_dir(w, references_dir)
    paths = reference_paths(w, references_dir)
    fid = features_id(feat)
    key = (w, _stamp(paths), fid)
    with _lock:
        if key in _sets:
            return _sets[key]
    try:
        utts = [load_utterance(p, None, str(p), feat, speech=False) for p in paths]
    except AudioError as e:  # a stored clip deleted or damaged under us: not the attempt's fault
        hint = ("" if folder.parent == bundled_dir() else
                f"; remove it with `space references remove {w} CLIP`")
        raise DamagedReferenceError(f"a reference of {w!r} cannot be used: {e}{hint}") from None
    info = read_set_info(folder)
    cal_info = info.get("calibration") or {}
    names = sorted(p.name for p in paths)
    if info.get("features") == fid and info.get("clips") == names and cal_info:
        cal = Calibration.from_dict(cal_info)
    else:
        cal = calibrate_against_bundled(w, utts, feat)
        if folder.parent != bundled_dir():  # never write into the installed package
            try:
                write_set_info(folder, {**info, "word": w, "clips": names, "features": fid,
                                        "calibration": cal.to_dict()})
            except OSError:
                pass  # a read-only folder only costs recomputing next time
    warnings = []
    if len(utts) == 1:
        warnings.append("only one reference recording: the score's 100 is estimated; add more "
                        "with `space references add`")
    if folder.parent != bundled_dir():  # a user's set: is one of the clips another word?
        from .agreement import check_set

        warnings += check_set(w, utts, [str(p) for p in paths], cal,
                              sr=feat.cfg.sample_rate, user_set=True)
    rs = ReferenceSet(w, [str(p) for p in paths], utts, cal, warnings)
    with _lock:
        _sets[key] = rs
    return rs


def file_reference_set(references: list[Source], *, word: str | None, sr: int | None,
                       file_sr: int | None = None, feat: Featurizer | None = None
                       ) -> ReferenceSet:
    """A reference set from the user's files or arrays (calibrated on the spot).

    ``sr`` is the rate of the arrays; ``file_sr``, when given, must match the files'."""
    from ...audio import is_array

    if not references:
        raise ReferenceSetError("the reference set is empty: give at least one reference recording")
    feat = feat or default_featurizer()
    names = [str(r) if isinstance(r, (str, os.PathLike)) else f"<reference {i + 1}>"
             for i, r in enumerate(references)]
    utts = [load_utterance(r, sr if is_array(r) else file_sr, n, feat)
            for r, n in zip(references, names, strict=True)]
    w = check_word(word) if word else None
    cal = calibrate_against_bundled(w, utts, feat)
    warnings = []
    if len(utts) == 1:
        warnings.append("only one reference recording: the score's 100 is estimated from "
                        "typical sets; give two or more references")
    lens = [u.speech_s for u in utts]
    if max(lens) > WARN_LENGTH_RATIO * min(lens):
        warnings.append(f"references differ a lot in length ({min(lens):.2f}-{max(lens):.2f} s "
                        "of speech): are they all the same word?")
    from .agreement import check_set

    warnings += check_set(w, utts, names, cal, sr=feat.cfg.sample_rate, user_set=False)
    return ReferenceSet(w, names, utts, cal, warnings)


def check_new_reference(word: str, source: str | os.PathLike, *,
                        references_dir: str | os.PathLike | None = None,
                        max_duration_s: float = REFERENCE_MAX_S,
                        feat: Featurizer | None = None) -> None:
    """The one check of a recording before it becomes a reference of ``word`` (every face
    adds references through :func:`~.add.add_reference_clips`): the
    checks of an attempt (decodable, at most ``max_duration_s``, speech in it), and one
    word's worth of speech, at most :data:`MAX_NEW_REFERENCE_RATIO` times the word's
    references' typical length.

    Raises
    ------
    AudioError
        Naming the file and what to do.
    """
    from ...audio import load_input

    feat = feat or default_featurizer()
    y, rate, label = load_input(source, name=str(source), max_duration_s=max_duration_s)
    speech_s = feat(y, rate, name=label).speech_s
    try:
        typical = word_reference_set(word, feat, references_dir=references_dir).typical_speech_s
    except ReferenceSetError:  # the word's first references: nothing to compare with yet
        return
    ratio = speech_s / max(typical, 1e-3)
    if ratio > MAX_NEW_REFERENCE_RATIO:
        raise AudioError(f"{label}: {speech_s:.2f} s of speech, {ratio:.1f}x the word's "
                         f"references (about {typical:.2f} s); a reference is the one word "
                         "said once: record just that")
