"""speechocean762: learners' sentences with five experts' marks per sentence, word and phone.

Reads ``labels.json`` of the corpus's training split (``../shared/data/speechocean762_train``,
see its README) into :class:`Utterance` objects, and decodes its Ogg Opus audio once into
a cache of 16 kHz int16 ``.npy`` files (decoding Opus costs far more than reading a
``.npy``, and training reads every sentence many times).

The experts' phone strings are turned into one mark per *canonical* phone
(:func:`phone_marks`): 2 = right, 1 = right but heavily accented (``{X}``), 0 = wrong or
missing (``(X)``, another phone, or left out); inserted sounds (``[X]``) are kept apart.

>>> phone_marks(["B", "EH", "R"], "B (EH0) R")
([2, 0, 2], [])
>>> phone_marks(["B", "EH", "R"], "B (AR0) [L]")
([2, 0, 0], [(2, 'L')])
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import DataError

SR = 16000
DEFAULT_ROOT = Path(os.environ.get("SPACE_SO762", "../shared/data/speechocean762_train"))
DEFAULT_CACHE = Path(os.environ.get("SPACE_SO762_CACHE", "cache/so762"))
RIGHT, ACCENTED, WRONG = 2, 1, 0
_TOKEN = re.compile(r"[\[\](){}]|[^\s\[\](){}]+")
_KIND = frozenset("[{(")


@dataclass(frozen=True)
class Word:
    """One word of a sentence with the experts' marks.

    ``phones``: canonical ARPAbet phones (no stress digit); ``marks``: per expert, one mark
    per canonical phone (:data:`RIGHT`, :data:`ACCENTED`, :data:`WRONG`); ``accuracy``:
    the experts' median word accuracy (0-10); ``inserted``: per expert, the phones heard
    inserted, each as ``(after, phone)`` (``after`` = index of the canonical phone it
    follows, -1 before the first).
    """

    text: str
    phones: tuple[str, ...]
    accuracy: float
    marks: tuple[tuple[int, ...], ...]
    inserted: tuple[tuple[tuple[int, str], ...], ...]

    @property
    def phone_score(self) -> np.ndarray:
        """Mean expert mark per phone, 0-100 [shape=(n_phones,)] (100 = all marked right)."""
        return np.mean(np.asarray(self.marks, np.float64), axis=0) * 50.0

    @property
    def all_right(self) -> np.ndarray:
        """Per phone: every expert marked it right and plain [shape=(n_phones,), bool]."""
        return np.all(np.asarray(self.marks) == RIGHT, axis=0)


@dataclass(frozen=True)
class Utterance:
    """One sentence: id, speaker, text, the experts' medians (0-10) and its words."""

    utt: str
    speaker: str
    age: int
    audio: Path
    text: str
    accuracy: float
    completeness: float
    fluency: float
    words: tuple[Word, ...]


def _base(token: str) -> str:
    return token.strip("[](){}").strip().upper().rstrip("012")


def _mark(token: str) -> int:
    return WRONG if token.startswith("(") else ACCENTED if token.startswith("{") else RIGHT


def _tokens(expert: str) -> list[str]:
    """Phone tokens, each prefixed by the bracket it sits in (brackets may span several
    phones: ``{IH0 TS}``): ``['{IH0', '{TS']``."""
    out, inside = [], ""
    for t in _TOKEN.findall(expert):
        if t in _KIND:
            inside = t
        elif t in ")]}":
            inside = ""
        else:
            out.append(inside + t)
    return out


def phone_marks(canonical: list[str] | tuple[str, ...], expert: str
                ) -> tuple[list[int], list[tuple[int, str]]]:
    """One expert's phone string -> a mark per canonical phone, and the inserted phones.

    The experts write their own phone set (``AX``/``OO`` for a weak ``AH``, ``AR`` for
    ``EH R``, ``TS`` for ``T S``...), so a token's *brackets* carry the mark, not its name:
    plain = :data:`RIGHT`, ``{X}`` = :data:`ACCENTED`, ``(X)`` = :data:`WRONG`. Tokens are
    matched to the canonical phones in order; where the counts differ, one token may cover
    two canonical phones (``AR`` for ``EH R``) or two tokens one phone (the lower mark), and
    a canonical phone left without a token is :data:`WRONG`.
    """
    toks = _tokens(expert)
    said = [t for t in toks if not t.startswith("[")]
    n, m = len(canonical), len(said)
    inf = 10**6
    cost = np.full((n + 1, m + 1), inf, np.int64)
    move = np.zeros((n + 1, m + 1, 2), np.int64)
    cost[0, 0] = 0
    # (canonical phones, tokens) consumed by one step, and its cost; a one-to-one step
    # costs 1 more when the names differ, which settles ties between merges
    steps = ((1, 1, 0), (2, 1, 10), (1, 2, 10), (1, 0, 20), (0, 1, 20))
    for i in range(n + 1):
        for j in range(m + 1):
            for di, dj, c in steps:
                if di == dj == 1 and i and j:
                    c = int(canonical[i - 1] != _base(said[j - 1]))
                if i >= di and j >= dj and cost[i - di, j - dj] + c < cost[i, j]:
                    cost[i, j] = cost[i - di, j - dj] + c
                    move[i, j] = (di, dj)
    marks = [WRONG] * n
    tok_of = [-1] * m  # canonical index each said token ends at
    i, j = n, m
    while i > 0 or j > 0:
        di, dj = (int(v) for v in move[i, j])
        if dj:
            mk = min(_mark(t) for t in said[j - dj:j])
            for k in range(i - di, i):
                marks[k] = mk
            for k in range(j - dj, j):
                tok_of[k] = i - 1
        i, j = i - di, j - dj
    inserted: list[tuple[int, str]] = []
    for k, t in enumerate(toks):
        if t.startswith("["):
            before = sum(1 for x in toks[:k] if not x.startswith("["))
            inserted.append((tok_of[before - 1] if before > 0 else -1, _base(t)))
    return marks, inserted


def _word(w: dict) -> Word:
    canon = tuple(p.rstrip("012") for p in w["canonical_phones"].split())
    marks, ins = zip(*(phone_marks(canon, e) for e in w["phones"]), strict=True)
    return Word(w["text"].lower(), canon, float(w["accuracy_median"]),
                tuple(tuple(m) for m in marks), tuple(tuple(i) for i in ins))


@lru_cache(maxsize=2)
def _read(labels: Path) -> tuple[Utterance, ...]:
    try:
        data = json.loads(labels.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{labels}: cannot read the speechocean762 labels ({e})") from None
    out = []
    for utt, u in sorted(data["utterances"].items()):
        s = u["sentence"]
        out.append(Utterance(utt, u["speaker"], int(u["age"]), labels.parent / u["audio"],
                             u["text"], float(s["accuracy"]["median"]),
                             float(s["completeness"]["median"]),
                             float(s["fluency"]["median"]),
                             tuple(_word(w) for w in u["words"])))
    return tuple(out)


def utterances(root: str | os.PathLike = DEFAULT_ROOT) -> tuple[Utterance, ...]:
    """Every sentence of the split, sorted by id. Raises :class:`DataError` when the
    folder has no ``labels.json``."""
    labels = Path(root) / "labels.json"
    if not labels.is_file():
        raise DataError(f"{root}: no speechocean762 labels.json (expected the corpus's "
                        "training split, see ../shared/data/speechocean762_train/README.md)")
    return _read(labels.resolve())


def speaker_folds(utts: tuple[Utterance, ...] | list[Utterance], k: int = 5
                  ) -> dict[str, int]:
    """Speaker id -> fold ``0..k-1``: speakers sorted by id, dealt round-robin (so each fold
    has about the same number of speakers, children and adults mixed as the ids are)."""
    speakers = sorted({u.speaker for u in utts})
    return {s: i % k for i, s in enumerate(speakers)}


def cached_audio(u: Utterance, cache: str | os.PathLike = DEFAULT_CACHE) -> np.ndarray:
    """The sentence's audio at 16 kHz, float32 [shape=(samples,)], decoded once into
    ``cache/audio/<utt>.npy`` (int16)."""
    path = Path(cache) / "audio" / f"{u.utt}.npy"
    if path.is_file():
        return np.load(path).astype(np.float32) / 32768.0
    from .. import audio

    y, sr = audio.load(u.audio, sr=SR, max_duration_s=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, (np.clip(y, -1, 1) * 32767).astype(np.int16))
    os.replace(tmp, path)
    return np.asarray(y, np.float32)


def iter_audio(utts: tuple[Utterance, ...] | list[Utterance],
               cache: str | os.PathLike = DEFAULT_CACHE) -> Iterator[tuple[Utterance, np.ndarray]]:
    """``(utterance, 16 kHz audio)`` for each sentence (decoding into the cache on first use)."""
    for u in utts:
        yield u, cached_audio(u, cache)
