"""The ``phones`` list of a score result (see :mod:`.phone_score`), and the warnings that
say why a result has none.

Kept apart from :mod:`.scoring` so the word-level scorer stays as it is: it calls
:func:`attempt_phones` once and stores what comes back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import AudioError, ModelError
from .phone_encoder import posteriorgram
from .phone_score import (
    VERDICT_BELOW,
    PhoneReferenceSet,
    build_reference_set,
    phone_model,
    score_attempt,
    word_phone_set,
)
from .phones import PronunciationError, spoken_word

_lock = threading.Lock()
_file_sets: dict[tuple, PhoneReferenceSet] = {}
_MAX_FILE_SETS = 16


def _file_set(word: str, key: tuple | None, audios: list[np.ndarray],
              sr: int) -> PhoneReferenceSet:
    """A phone reference set of the user's recordings; cached by ``key`` (file names and
    times) when there is one (arrays have none: built each time)."""
    if key is None:
        return build_reference_set(word, list(audios), sr=sr)
    with _lock:
        rs = _file_sets.get(key)
    if rs is None:
        rs = build_reference_set(word, list(audios), sr=sr)
        with _lock:
            if len(_file_sets) >= _MAX_FILE_SETS:
                _file_sets.pop(next(iter(_file_sets)))
            _file_sets[key] = rs
    return rs


def file_key(references: list, word: str | None) -> tuple | None:
    """Cache key of a user's reference files (names, sizes, times); None for arrays."""
    from pathlib import Path

    out: list = [word]
    for r in references:
        if not isinstance(r, (str, os.PathLike)):
            return None
        p = Path(r)
        try:
            st = p.stat()
        except OSError:
            return None
        out.append((str(p.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


def attempt_phones(word: str | None, attempt: np.ndarray, sr: int, *,
                   bundled: bool, reference_audio: list[np.ndarray] | None = None,
                   key: tuple | None = None,
                   references_dir: str | os.PathLike | None = None,
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    """Phone results of an attempt, or none and a warning that says why.

    Parameters
    ----------
    word : str or None
        The word (a bundled/user word name, or the name given with user references).
    attempt : np.ndarray [shape=(n,)]
        The attempt at ``sr`` Hz.
    bundled : bool
        True: the word's own reference set (bundled or added with ``space references
        add``); False: ``reference_audio`` (the user's files, at ``sr``) identified by
        ``key``.
    references_dir : path, optional
        The user's references folder (with ``bundled``), as in :func:`.scoring.score`.

    Returns
    -------
    (phones, warnings)
        ``phones``: one dict per phone of the word, in order (:meth:`PhoneResult.to_dict`).
    """
    if not word:
        return [], ["no word given: phone scores need the word's pronunciation (scored "
                    "without phones)"]
    try:
        if bundled:
            rs = word_phone_set(word, references_dir=references_dir)
        else:
            rs = _file_set(word, key, reference_audio or [], sr)
        pg = posteriorgram(phone_model(), attempt, sr, name="attempt",
                           narrowband=rs.narrowband or None)
        res = score_attempt(pg, rs)
    except PronunciationError as e:
        if "pocketsphinx" in str(e):  # no pronouncing dictionary installed
            return [], [f"{e}: scored without phones"]
        return [], [f"no known pronunciation for {spoken_word(word)!r}: scored without phones"]
    except ModelError:
        return [], ["the phone model is not installed: scored without phones"]
    except AudioError as e:
        return [], [f"no phone scores: {e}"]
    # reference_index: the reference the phones' reference_* times are in (the phone
    # scorer's closest, which may differ from the word score's best_reference)
    return ([{**p.to_dict(), "reference_index": res.best_reference} for p in res.results],
            list(res.warnings))


def weakest_index(phones: Sequence[dict[str, Any]], *,
                  below: float = VERDICT_BELOW) -> int | None:
    """Index of the lowest-scored phone (the first of equal lowest) when it scores below
    ``below``, else None (also for no phones)."""
    if not phones:
        return None
    k = min(range(len(phones)), key=lambda i: float(phones[i]["score"]))
    return k if float(phones[k]["score"]) < below else None


def phone_line(p: dict[str, Any], word: str) -> str:
    """The learner-facing line on one phone: ``"the /θ/ of 'three' sounded like /t/ (score
    3)"``, or ``"... was not clear ..."`` when no other phone clearly won."""
    how = f"sounded like /{p['sounded_like_ipa']}/" if p.get("sounded_like_ipa") else \
        "was not clear"
    return f"the /{p['ipa']}/ of {spoken_word(word)!r} {how} (score {p['score']:.0f})"


def weakest_phone(phones: Sequence[dict[str, Any]], word: str, *,
                  below: float = VERDICT_BELOW) -> str | None:
    """The learner-facing line on the weakest phone (:func:`phone_line`), or None when every
    phone scores at least ``below``."""
    k = weakest_index(phones, below=below)
    return None if k is None else phone_line(phones[k], word)
