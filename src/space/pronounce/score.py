"""Score an attempt against a word's reference set: distance, calibrated score, band,
worst segments, and (for words a shipped model knows) whether it was the right word."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from .. import audio
from ..errors import AudioError, ModelError
from .calibrate import Calibration, band, calibrate, set_distance
from .encoder import Featurizer, Utterance
from .medoids import pairwise
from .references import (
    ReferenceError,
    bundled_dir,
    check_word,
    read_set_info,
    reference_paths,
    word_dir,
    write_set_info,
)
from .segments import Segment, frame_costs, worst_segments
from .sequence import Alignment, dtw_frames

Source = Union[str, os.PathLike, bytes, np.ndarray]  # noqa: UP007 (a runtime alias)

# Speech-length ratio (attempt / typical reference) beyond which DTW would have to squash
# or stretch the attempt so far that a score means nothing: refused.
MAX_LENGTH_RATIO = 4.0
# ... and beyond which the score is given with a warning.
WARN_LENGTH_RATIO = 2.2
# Noise penalty: the set distance is multiplied by 1 + NOISE_WEIGHT * softplus((NOISE_KNEE_DB
# - snr) / NOISE_SCALE_DB) of the attempt's estimated SNR: about 1.00 for a clean
# recording, rising smoothly (never flat) as noise covers the quieter sounds.
NOISE_WEIGHT = 0.1
NOISE_KNEE_DB = 30.0
NOISE_SCALE_DB = 8.0
# Tempo penalty: times 1 + TEMPO_WEIGHT * softplus((|log r| - TEMPO_KNEE) / TEMPO_SCALE) of
# the attempt's speech length over the closest references' (r): an attempt drawn out (or
# rushed) well beyond the references' own spread of tempo is a less faithful imitation.
TEMPO_WEIGHT = 0.15
TEMPO_KNEE = 0.3  # |log r| of 0.3: 35% longer or 26% shorter
TEMPO_SCALE = 0.1
CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped
PLOT_DPI = 90  # feedback PNG resolution (990 x 560 px)

_lock = threading.Lock()
_featurizer: Featurizer | None = None
_sets: dict[tuple, ReferenceSet] = {}
_recognizers: dict[str, Any] = {}


def featurizer() -> Featurizer:
    """The process-wide featurizer (the bundled frame encoder, loaded once)."""
    global _featurizer
    with _lock:
        if _featurizer is None:
            _featurizer = Featurizer.bundled()
        return _featurizer


def featurizer_id() -> str:
    """Identifies the frame features and set distance calibration anchors were measured
    with (stored anchors measured otherwise are recomputed, never reused)."""
    return f"{featurizer().id}|{scoring_id()}"


def scoring_id() -> str:
    """The set distance's noise and tempo factors, as part of :func:`featurizer_id`."""
    return (f"snr{NOISE_WEIGHT:g},{NOISE_KNEE_DB:g},{NOISE_SCALE_DB:g}"
            f"+tempo{TEMPO_WEIGHT:g},{TEMPO_KNEE:g},{TEMPO_SCALE:g}")


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


def _load_utterance(source: Source, sr: int | None, name: str, feat: Featurizer) -> Utterance:
    if isinstance(source, np.ndarray):
        if sr is None:
            raise AudioError(f"{name}: sr (the sample rate in Hz) is required with an array")
        y = audio.as_mono(source)
        audio.check(y, int(sr), name=name)
        return feat(y, int(sr), name=name)
    y, file_sr = audio.load(source, name=name)
    return feat(y, file_sr, name=name)


def _other_word_utterances(exclude: set[str], feat: Featurizer) -> dict[str, list[Utterance]]:
    """Bundled references of every other word (the 'different word' side of calibration)."""
    key = ("__bundled_all__", featurizer_id())
    cached = _sets.get(key)
    if cached is None:
        out: dict[str, list[Utterance]] = {}
        root = bundled_dir()
        if root.is_dir():
            for d in sorted(p for p in root.iterdir() if p.is_dir()):
                clips = [p for p in sorted(d.iterdir()) if p.suffix in (".flac", ".wav")]
                if clips:
                    out[d.name] = cached_frames(d, clips) or [
                        _load_utterance(p, None, str(p), feat) for p in clips]
        _sets[key] = out  # type: ignore[assignment]
        cached = out
    return {w: u for w, u in cached.items() if w not in exclude}  # type: ignore[union-attr]


def cached_frames(folder: Path, clips: list[Path]) -> list[Utterance] | None:
    """The stored frames of a bundled folder's clips (``frames.npz``, written by
    ``space references build``) as frames-only utterances, or None when missing or made
    with other features. Only for calibration (no audio or spectrogram in them)."""
    from .references import FRAMES_FILE
    from .sequence import frames as unit_frames

    p = folder / FRAMES_FILE
    if not p.is_file():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            if str(z["features"]) != featurizer_id() or \
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


def _calibrate_against_bundled(word: str | None, utts: list[Utterance],
                               feat: Featurizer) -> Calibration:
    """Anchors of a set that has only its own recordings: ``d100`` from them, ``d0`` from
    the bundled references of other words (see :mod:`space.pronounce.calibrate`)."""
    others = _other_word_utterances({word} if word else set(), feat)
    if word is None and others:
        # An unnamed set may be one of the bundled words: leave out the word closest to it.
        near = min(others, key=lambda w: float(np.mean(pairwise(
            [u.frames for u in others[w][:2]], [u.frames for u in utts]))))
        others = {w: u for w, u in others.items() if w != near}
    flat = [u for us in others.values() for u in us]
    impostor = set_distances(flat, utts) if flat else None
    return calibrate(None, loo=within_set(utts), impostor=impostor)


def _stamp(paths: list[Path]) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)


def word_reference_set(word: str) -> ReferenceSet:
    """The (cached) reference set of a bundled or user word."""
    w = check_word(word)
    folder = word_dir(w)
    paths = reference_paths(w)
    fid = featurizer_id()
    key = (w, _stamp(paths), fid)
    with _lock:
        if key in _sets:
            return _sets[key]
    feat = featurizer()
    utts = [_load_utterance(p, None, str(p), feat) for p in paths]
    info = read_set_info(folder)
    cal_info = info.get("calibration") or {}
    names = sorted(p.name for p in paths)
    if info.get("features") == fid and info.get("clips") == names and cal_info:
        cal = Calibration.from_dict(cal_info)
    else:
        cal = _calibrate_against_bundled(w, utts, feat)
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
    rs = ReferenceSet(w, [str(p) for p in paths], utts, cal, warnings)
    with _lock:
        _sets[key] = rs
    return rs


def file_reference_set(references: list[Source], *, word: str | None,
                       sr: int | None) -> ReferenceSet:
    """A reference set from the user's files or arrays (calibrated on the spot)."""
    if not references:
        raise ReferenceError("the reference set is empty: give at least one reference recording")
    feat = featurizer()
    names = [str(r) if not isinstance(r, (np.ndarray, bytes)) else f"<reference {i + 1}>"
             for i, r in enumerate(references)]
    utts = [_load_utterance(r, sr, n, feat) for r, n in zip(references, names, strict=True)]
    w = check_word(word) if word else None
    cal = _calibrate_against_bundled(w, utts, feat)
    warnings = []
    if len(utts) == 1:
        warnings.append("only one reference recording: the score's 100 is estimated from "
                        "typical sets; give two or more references")
    lens = [u.speech_s for u in utts]
    if max(lens) > WARN_LENGTH_RATIO * min(lens):
        warnings.append(f"references differ a lot in length ({min(lens):.2f}-{max(lens):.2f} s "
                        "of speech): are they all the same word?")
    return ReferenceSet(w, names, utts, cal, warnings)


@dataclass
class Match:
    """An attempt aligned to every reference of a set."""

    distance: float  # set distance (calibrate.set_distance)
    distances: list[float]  # to each reference
    best: int  # the closest reference
    alignments: list[Alignment]
    frame_costs: np.ndarray  # [shape=(n,)] per attempt frame, over the closest half


def match(attempt: Utterance, references: list[Utterance]) -> Match:
    """Align ``attempt`` to each reference; its per-frame cost is averaged over the same
    closest half of the set that :func:`set_distance` averages, so one odd reference
    does not decide where the attempt went wrong.

    The set distance (what the score is calibrated on) is :func:`set_distance` of the
    per-reference distances times the noise and tempo factors (:func:`noise_factor`,
    :func:`tempo_factor`)."""
    als = [dtw_frames(attempt.frames, r.frames)[0] for r in references]
    dists = [a.distance for a in als]
    order = np.argsort(dists, kind="stable")
    n = attempt.frames.shape[0]
    close = order[: max(1, (len(order) + 1) // 2)]
    fc = np.mean([frame_costs(als[i].path, als[i].path_cost, n) for i in close], axis=0)
    d = set_distance(np.array(dists))
    ref_frames = float(np.median([references[i].frames.shape[0] for i in close]))
    d *= noise_factor(attempt.snr_db) * tempo_factor(n / max(ref_frames, 1.0))
    return Match(d, dists, int(order[0]), als, fc)


def set_distances(attempts: list[Utterance], references: list[Utterance],
                  exclude: list[list[int]] | None = None) -> np.ndarray:
    """Set distance (:func:`match`) of each attempt to ``references`` -> ``[shape=(n,)]``;
    ``exclude[i]`` names references left out for attempt i (its own speaker's)."""
    out = np.empty(len(attempts))
    for i, a in enumerate(attempts):
        refs = references
        if exclude is not None and exclude[i]:
            keep = [r for j, r in enumerate(references) if j not in exclude[i]]
            refs = keep or references
        out[i] = match(a, refs).distance
    return out


def within_set(references: list[Utterance]) -> list[float]:
    """Each reference's set distance to the others (the ``d100`` side of calibration)."""
    if len(references) < 2:
        return []
    return [float(set_distances([r], references, [[i]])[0]) for i, r in enumerate(references)]


def tempo_factor(ratio: float) -> float:
    """What a set distance is multiplied by for the attempt's length relative to the
    closest references (>= 1; about 1 within +-20%, rising smoothly beyond)."""
    x = (abs(float(np.log(max(ratio, 1e-6)))) - TEMPO_KNEE) / TEMPO_SCALE
    return 1.0 + TEMPO_WEIGHT * float(np.logaddexp(0.0, x))


def noise_factor(snr_db: float) -> float:
    """What an attempt's set distance is multiplied by for its estimated SNR (>= 1)."""
    if not np.isfinite(snr_db):
        return 1.0
    return 1.0 + NOISE_WEIGHT * float(np.logaddexp(0.0, (NOISE_KNEE_DB - snr_db) / NOISE_SCALE_DB))


@dataclass
class ScoreResult:
    """The score of one attempt. :meth:`to_dict` is the JSON object of ``space score --json``."""

    attempt: str
    word: str | None
    references: list[str]
    score: float
    band: str
    distance: float
    recognized: dict[str, Any] | None
    segments: list[Segment]
    warnings: list[str]
    attempt_audio: np.ndarray  # mono float32 at :attr:`sr` (for playback)
    sr: int
    reference_paths: list[str]
    reference_distances: list[float]
    best_reference: int
    attempt_utterance: Utterance
    reference_utterance: Utterance
    alignment: Alignment
    calibration: Calibration

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "word": self.word,
            "references": list(self.references),
            "score": round(float(self.score), 2),
            "band": self.band,
            "distance": round(float(self.distance), 5),
            "recognized": self.recognized,
            "segments": [s.to_dict() for s in self.segments],
            "warnings": list(self.warnings),
            "phones": list(self.phones),
        }

    frame_costs: np.ndarray  # [shape=(n,)] DTW cost per attempt frame (closest half)
    # per phone of the word (phone_result.attempt_phones); empty when it has none
    phones: list[dict[str, Any]] = field(default_factory=list)

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """Feedback figure (see :func:`space.pronounce.plot.feedback`); PNG at ``path``."""
        from .plot import feedback

        fig = feedback(self)
        if path is not None:
            from ..checkpoint import atomic_write
            from ..plots import _plt

            # Fast PNG: 90 dpi (990 x 560 px) and light compression (zlib level 6 takes
            # about as long as drawing the figure).
            try:
                atomic_write(path, lambda tmp: fig.savefig(
                    tmp, format="png", dpi=PLOT_DPI, pil_kwargs={"compress_level": 1}))
            finally:
                _plt().close(fig)
        return fig


def _recognize(word: str | None, y: np.ndarray, sr: int) -> dict[str, Any] | None:
    """Did the learner say the right word? Only for words a shipped model knows."""
    if word is None:
        return None
    from ..recognize import load_model

    for name in ("digits", "commands"):
        try:
            rec = _recognizers.get(name)
            if rec is None:
                rec = _recognizers[name] = load_model(name)
        except ModelError:
            continue
        if word in rec.labels:
            p = rec.predict(y, sr=sr)
            return {"label": p.label, "probability": round(float(p.probability), 4),
                    "matches_word": p.label == word}
    return None


def score(
    attempt: Source,
    *,
    word: str | None = None,
    references: list[Source] | None = None,
    sr: int | None = None,
    name: str | None = None,
) -> ScoreResult:
    """Score a spoken attempt against golden references.

    Parameters
    ----------
    attempt : path, bytes or np.ndarray [shape=(n,)]
        The learner's recording (an array needs ``sr``).
    word : str, optional
        A word with references (bundled, or added with ``space references add``); with
        ``references`` it only names the word (and enables ``recognized``).
    references : list of paths or arrays, optional
        The user's own reference recordings (arrays at ``sr``), instead of the word's set.
    sr : int, optional
        Sample rate in Hz of array inputs.

    Returns
    -------
    ScoreResult

    Raises
    ------
    AudioError
        Unreadable or silent attempt/reference, or an attempt far longer or shorter than
        the references.
    ReferenceError
        Unknown word, empty reference set.
    """
    if word is None and references is None:
        raise ReferenceError("give a word (with references) or reference recordings")
    if references is not None:
        refs = file_reference_set(list(references), word=word, sr=sr)
    else:
        refs = word_reference_set(word)  # type: ignore[arg-type]
    label = name or (str(attempt) if isinstance(attempt, (str, os.PathLike)) else "<attempt>")
    feat = featurizer()
    att = _load_utterance(attempt, sr, label, feat)
    warnings = list(refs.warnings)
    ratio = att.speech_s / max(refs.typical_speech_s, 1e-3)
    if ratio > MAX_LENGTH_RATIO or ratio < 1 / MAX_LENGTH_RATIO:
        raise AudioError(
            f"{label}: {att.speech_s:.2f} s of speech against references of about "
            f"{refs.typical_speech_s:.2f} s ({ratio:.1f}x); record just the one word"
        )
    if ratio > WARN_LENGTH_RATIO or ratio < 1 / WARN_LENGTH_RATIO:
        warnings.append(f"the attempt is {ratio:.1f}x as long as the references; the score "
                        "may reflect timing more than sounds")
    if float(np.mean(np.abs(att.audio) >= CLIP_LEVEL)) > 0.001:
        warnings.append("the recording is clipped (too loud); the score may be lower")
    m = match(att, refs.utterances)
    s = refs.calibration.score(m.distance)
    ref_utt = refs.utterances[m.best]
    segs = worst_segments(m.frame_costs, m.alignments[m.best].path, att, ref_utt)
    y_model = att.audio
    from .phone_result import attempt_phones, file_key

    phones, phone_warnings = attempt_phones(
        refs.word, y_model, feat.cfg.sample_rate, bundled=references is None,
        reference_audio=[u.audio for u in refs.utterances],
        key=file_key(references, refs.word) if references is not None else None)
    warnings += phone_warnings
    return ScoreResult(
        attempt=label, word=refs.word, references=list(refs.paths), score=s, band=band(s),
        distance=m.distance, recognized=_recognize(refs.word, y_model, feat.cfg.sample_rate),
        segments=segs, warnings=warnings, attempt_audio=y_model, sr=feat.cfg.sample_rate,
        reference_paths=list(refs.paths), reference_distances=m.distances, best_reference=m.best,
        attempt_utterance=att, reference_utterance=ref_utt, alignment=m.alignments[m.best],
        calibration=refs.calibration, frame_costs=m.frame_costs, phones=phones,
    )
