"""Score an attempt against a word's reference set: distance, calibrated score, band,
worst segments, and (for words a loaded model knows) whether it was the right word."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import AudioError, ReferenceSetError, SpaceError
from .calibrate import band, to_experts
from .distance import match
from .frames import default_featurizer
from .quality import recording_quality
from .reference_set import Source, file_reference_set, load_utterance, word_reference_set
from .result import ScoreResult
from .segments import name_phones, worst_segments

# Speech-length ratio (attempt / typical reference) beyond which DTW would have to squash
# or stretch the attempt so far that a score means nothing: refused.
MAX_LENGTH_RATIO = 4.0
# ... and beyond which the score is given with a warning.
WARN_LENGTH_RATIO = 2.2


def recognized(word: str | None, y: np.ndarray, sr: int, models: Any = None) -> dict[str, Any] | None:
    """Did the learner say the right word? Only for words a model of ``models`` (a
    :class:`~space.recognize.registry.ModelRegistry`; default: the bundled models) knows."""
    if word is None:
        return None
    from ..recognize.registry import default_registry

    rec = (models or default_registry()).for_word(word)
    if rec is None:
        return None
    p = rec.predict(y, sr=sr)
    return {"label": p.label, "probability": round(float(p.probability), 4),
            "matches_word": p.label == word}


def score(
    attempt: Source,
    *,
    word: str | None = None,
    references: list[Source] | None = None,
    sr: int | None = None,
    name: str | None = None,
    models: Any = None,
    references_dir: str | os.PathLike | None = None,
    phones: bool = True,
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
        Sample rate in Hz of array (or torch tensor) inputs. With files only, an ``sr``
        that disagrees with a file's rate is an error.
    name : str, optional
        How to call the attempt in the result and in messages.
    models : ModelRegistry, optional
        The models that check the word (``recognized``); default: the bundled ones.
    references_dir : path, optional
        The user's references folder (default: ``$SPACE_REFERENCES_DIR`` or
        ``~/.local/share/space/references``).
    phones : bool
        Also score each phone of the word (:mod:`.phone_result`; needs ``pocketsphinx``
        for the pronunciation and the phone model): fills :attr:`ScoreResult.phones` and
        adds a warning when they cannot be given (no known pronunciation, pocketsphinx
        not installed). False skips them (about 7 ms of a 12 ms warm score; ``docs/phones.md``).

    Returns
    -------
    ScoreResult

    Raises
    ------
    AudioError
        Unreadable or silent attempt/reference, or an attempt far longer or shorter than
        the references.
    ReferenceSetError
        Unknown word (:class:`~space.errors.UnknownWordError`), empty reference set.
    """
    from ..audio import is_array

    if word is None and references is None:
        raise ReferenceSetError("give a word (with references) or reference recordings")
    if references is not None and not isinstance(references, (list, tuple)):
        raise ReferenceSetError("references must be a list of recordings (paths or arrays)")
    if sr is not None and (is_array(attempt) or any(is_array(r) for r in references or [])):
        file_sr = None  # sr describes the arrays; files beside them keep their own rate
    else:
        file_sr = sr  # no arrays: an sr that disagrees with a file is an error
    label = name or (str(attempt) if isinstance(attempt, (str, os.PathLike)) else "<attempt>")
    if isinstance(attempt, (str, os.PathLike)) and not os.path.exists(attempt):
        raise AudioError(f"{label}: file not found")  # before loading references or models
    feat = default_featurizer()
    if references is not None:
        refs = file_reference_set(list(references), word=word, sr=sr, file_sr=file_sr,
                                  feat=feat)
    else:
        refs = word_reference_set(word, feat, references_dir=references_dir)  # type: ignore[arg-type]
    att = load_utterance(attempt, sr if is_array(attempt) else file_sr, label, feat, trim=True)
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
    quality = recording_quality(att.audio, feat.cfg.sample_rate, snr_db=att.snr_db)
    warnings += quality.warnings  # noise, clipping, level, band: the recording's, not the learner's
    m = match(att, refs.utterances)
    s = to_experts(refs.calibration.score(m.distance))  # on the experts' scale (calibrate.py)
    ref_utt = refs.utterances[m.best]
    segs = worst_segments(m.frame_costs, m.alignments[m.best].path, att, ref_utt)
    sr_model = feat.cfg.sample_rate
    phone_list: list[dict[str, Any]] = []
    if phones:
        from ..audio import trim_silence
        from .phone_result import attempt_phones, file_key

        # the same cut of the attempt as its frames (load_utterance), times back in the file
        cut, start = trim_silence(att.audio, sr_model)
        phone_list, phone_warnings = attempt_phones(
            refs.word, cut, sr_model, bundled=references is None,
            reference_audio=[u.audio for u in refs.utterances],
            key=file_key(list(references), refs.word) if references is not None else None,
            references_dir=references_dir)
        phone_list = [{**p, **{k: round(p[k] + start / sr_model, 3)
                               for k in ("attempt_start_s", "attempt_end_s")
                               if p.get(k) is not None}} for p in phone_list]
        warnings += phone_warnings
        segs = name_phones(segs, phone_list)
    return ScoreResult(
        attempt=label, word=refs.word, references=list(refs.paths), score=s, band=band(s),
        distance=m.distance, recognized=recognized(refs.word, att.audio, sr_model, models),
        segments=segs, warnings=warnings, attempt_audio=att.audio, sr=sr_model,
        reference_paths=list(refs.paths), reference_distances=m.distances, best_reference=m.best,
        attempt_utterance=att, reference_utterance=ref_utt, alignment=m.alignments[m.best],
        calibration=refs.calibration, frame_costs=m.frame_costs, phones=phone_list,
        quality=quality.to_dict(),
    )


def score_word_event(event: Any, word: str, *, models: Any = None,
                     references_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Score a word found in a stream (a :class:`~space.recognize.stream.WordEvent`) as an
    attempt at ``word``: the fields ``space listen --word`` adds to the event, with the
    worst segment in stream time and the weakest phone's line (``weakest_phone``, None when
    every phone is fine or none were scored). An attempt that cannot be scored gets
    ``score: None`` and ``score_error`` (the next one may be fine)."""
    from .phone_result import weakest_phone

    try:
        res = score(event.audio, word=word, sr=event.sr, models=models,
                    references_dir=references_dir)
    except SpaceError as e:
        return {"score": None, "score_error": str(e)}
    r = res.to_dict()
    out = {"score": r["score"], "band": r["band"], "distance": r["distance"],
           "recognized": r["recognized"], "worst_segment": None,
           "weakest_phone": weakest_phone(res.phones, res.word) if res.word else None}
    if res.segments:
        s = res.segments[0]
        out["worst_segment"] = {"start_s": round(event.audio_start_s + s.attempt_start_s, 3),
                                "end_s": round(event.audio_start_s + s.attempt_end_s, 3)}
    return out
