"""Phone-level pronunciation scores: which sounds of a word were said well.

For an attempt at a word with a known pronunciation (CMUdict) and references:

1. Phone posteriorgrams (:mod:`.phone_encoder`) of the attempt and of each reference.
2. **Goodness of pronunciation (GOP)**: the word's phones are force-aligned to the
   attempt's posteriorgram (Viterbi, :func:`~.phone_encoder.force_align`); each phone's
   *clarity* is the mean posterior of the expected phone over its frames. The
   references are aligned the same way, and a phone scores 100 when it is as clear as
   in the references (the median reference), proportionally less below.
3. **Reference comparison** (Lee & Glass style): DTW of the attempt's posteriorgram
   against each reference's (frame distance 1 - Bhattacharyya coefficient of the two
   posterior vectors); each reference phone's span is mapped through the path onto the
   attempt and its mean path cost taken, averaged over the closer half of the references.
   Its excess over the references' own cost among themselves (leave-one-out), over
   :data:`DTW_SCALE`, takes the phone down from 100.
4. A phone's score is the mean of the two; the word's is the mean of its phones pulled
   half-way towards its worst phone (a word is as wrong as its worst sound).
   ``sounded_like``: for a phone scoring below :data:`VERDICT_BELOW`, the phone of the
   same kind (vowel or consonant) other than the expected one with the highest mean
   posterior over the phone's span, when it clearly wins (at least
   :data:`SOUNDED_LIKE_RATIO` times the expected phone's and over
   :data:`SOUNDED_LIKE_MIN`); a consonant "sounding like" a vowel is the alignment
   sliding, not a substitution a learner can act on.

Nothing here is fitted to the benchmarks' voices: the constants are round a-priori
values (see each comment), except :data:`VERDICT_BELOW`, a false-alarm budget set on half
of the learners' speakers (``benchmarks/phone_verdicts.py``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .. import audio
from ..errors import ModelError
from .align import dtw_frames
from .phone_encoder import (
    LABELS,
    SIL,
    PhoneModel,
    Posteriorgram,
    align_with_insertions,
    bundled_phone_model_path,
    force_align,
    load_phone_model,
    posteriorgram,
)
from .phones import VOWELS, PronunciationError, pronunciation, to_ipa, word_ipa
from .refsets import reference_paths

# A Bhattacharyya coefficient falling by half over a phone (posteriors sharing half
# their mass) takes its reference score from 100 to 0.
DTW_SCALE = 0.5
# Clarity below a tenth is noise: references this unclear do not set the 100.
MIN_REF_CLARITY = 0.1
WORST_WEIGHT = 0.5  # word score = (1 - w) * mean + w * min over phones
# A phone scoring below this is reported to the learner (the weakest-phone line,
# sounded_like); see benchmarks/phone_verdicts.py for what it costs on correct speech.
# Below 5, about 1 in 10 learners' attempts that experts rated perfect still get a line
# (chosen on the learners' even-id speakers; at 60, three in four did).
VERDICT_BELOW = 5.0
SOUNDED_LIKE_RATIO = 2.0
SOUNDED_LIKE_MIN = 0.3
MIN_FRAMES = 2  # per phone in the forced alignment (20 ms)
MARGIN_FRAMES = 5  # silence kept around the aligned word for DTW (50 ms)
# An inserted sound (epenthesis: 'estop', 'sixa') shorter than 30 ms (the shortest
# vowel) is not reported; from 50 ms of a clear sound on it takes its neighbour phone's
# score to 0 (proportionally below).
MIN_INSERT_FRAMES = 3
FULL_INSERT_FRAMES = 5
EPS = 1e-6

_lock = threading.Lock()
_model: PhoneModel | None = None
_sets: dict[tuple, PhoneReferenceSet] = {}


def phone_model(path: str | os.PathLike | None = None) -> PhoneModel:
    """The process-wide phone model (the bundled one unless ``path``)."""
    global _model
    with _lock:
        if path is not None:
            return load_phone_model(path)
        if _model is None:
            _model = load_phone_model(bundled_phone_model_path())
        return _model


def set_phone_model(model: PhoneModel | None) -> None:
    """Use ``model`` from now on (None: the bundled one); forgets cached reference sets."""
    global _model
    with _lock:
        _model = model
        _sets.clear()


@dataclass
class PhoneResult:
    """One phone of the attempt (times in seconds into attempt / reference as loaded)."""

    phone: str  # ARPAbet
    ipa: str
    attempt_start_s: float
    attempt_end_s: float
    reference_start_s: float
    reference_end_s: float
    score: float  # 0-100
    sounded_like: str | None  # ARPAbet of the phone it sounded like, when one clearly won
    clarity: float  # mean posterior of the expected phone (0-1)
    reference_cost: float  # mean DTW cost against the references over the phone
    gop_score: float  # the clarity half of the score (0-100)
    dtw_score: float  # the reference-comparison half (0-100)
    inserted: str | None = None  # ARPAbet of a sound inserted next to this phone

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, float):
                d[k] = round(v, 3 if k.endswith("_s") else 2)
        d["sounded_like_ipa"] = to_ipa(self.sounded_like) if self.sounded_like else None
        d["inserted_ipa"] = to_ipa(self.inserted) if self.inserted else None
        return d


@dataclass
class PhoneScores:
    word: str
    phones: list[str]
    score: float
    results: list[PhoneResult]
    best_reference: int
    warnings: list[str] = field(default_factory=list)

    @property
    def weakest(self) -> PhoneResult:
        return min(self.results, key=lambda p: p.score)


@dataclass
class _Ref:
    pg: Posteriorgram
    x: np.ndarray  # sqrt posteriors of the word (+ margin), (n, classes), unit rows
    start: int  # frame of pg where x starts
    spans: list[tuple[int, int]]  # frame span of each phone in pg
    clarity: np.ndarray  # (phones,)

    @property
    def local_spans(self) -> list[tuple[int, int]]:
        return [(a - self.start, b - self.start) for a, b in self.spans]


@dataclass
class PhoneReferenceSet:
    word: str
    phones: list[str]
    refs: list[_Ref]
    clarity: np.ndarray  # (phones,) median reference clarity
    loo_cost: np.ndarray  # (phones,) median leave-one-out DTW cost among references
    narrowband: bool
    warnings: list[str]


def _prep(pg: Posteriorgram, spans: list[tuple[int, int]]) -> tuple[np.ndarray, int]:
    """Unit-length square-root posteriors of the word's frames plus :data:`MARGIN_FRAMES`
    each side (what DTW compares), and the first frame's index."""
    a = max(0, spans[0][0] - MARGIN_FRAMES)
    b = min(len(pg.post), spans[-1][1] + MARGIN_FRAMES)
    return np.ascontiguousarray(np.sqrt(np.maximum(pg.post[a:b], 0.0)), dtype=np.float32), a


def _align_phones(pg: Posteriorgram, seq: list[int]) -> list[tuple[int, int]]:
    return force_align(np.log(pg.post + EPS), seq, min_frames=MIN_FRAMES)


def _clarity(pg: Posteriorgram, seq: list[int], spans: list[tuple[int, int]]) -> np.ndarray:
    return np.array([float(pg.post[a:b, p].mean()) for p, (a, b) in zip(seq, spans,
                                                                           strict=True)])


def _phone_costs(x: np.ndarray, ref: _Ref) -> tuple[np.ndarray, list[tuple[int, int]], float]:
    """Per reference phone: mean DTW path cost and the attempt frames it maps to."""
    al = dtw_frames(x, ref.x)
    i, j = al.path[:, 0], al.path[:, 1]
    costs, spans = [], []
    for a, b in ref.local_spans:
        m = (j >= a) & (j < b)
        costs.append(float(al.path_cost[m].mean()))
        spans.append((int(i[m].min()), int(i[m].max()) + 1))
    return np.array(costs), spans, al.distance


def build_reference_set(word: str, sources: list, *, sr: int | None = None,
                        model: PhoneModel | None = None,
                        warn_band: bool = True) -> PhoneReferenceSet:
    """Posteriorgrams, phone spans and per-phone reference figures of a reference set.

    ``sources``: paths, or arrays at ``sr``. ``warn_band``: warn when the set is
    narrowband (the user's own recordings, which they can make again; not the bundled
    8 kHz digits, which a user cannot change). Raises PronunciationError for a word with
    no known pronunciation."""
    model = model or phone_model()
    phones = pronunciation(word)
    if phones is None:
        raise PronunciationError(f"no known pronunciation for {word!r}: scored without phones")
    seq = [LABELS.index(p) for p in phones]
    from .phone_encoder import is_narrowband

    clips = []
    for s in sources:
        if isinstance(s, np.ndarray):
            clips.append((s, int(sr), "<reference>"))  # type: ignore[arg-type]
        else:
            y, r = audio.load(s)
            clips.append((y, r, str(s)))
    # One band for the whole set: if any reference is narrowband, all are read (and
    # attempts compared) as narrowband, so no reference stands out by its band alone.
    narrow = any(is_narrowband(y, r) for y, r, _ in clips)
    refs = []
    for y, r, name in clips:
        pg = posteriorgram(model, y, r, name=name, narrowband=narrow)
        spans = _align_phones(pg, seq)
        x, start = _prep(pg, spans)
        refs.append(_Ref(pg, x, start, spans, _clarity(pg, seq, spans)))
    clarity = np.median(np.stack([r.clarity for r in refs]), axis=0)
    if len(refs) >= 2:
        loo = np.median(np.stack([_phone_costs(r.x, o)[0] for k, r in enumerate(refs)
                                  for m, o in enumerate(refs) if m != k]), axis=0)
    else:
        loo = np.zeros(len(phones))
    warnings = []
    if narrow and warn_band:
        warnings.append("the references are narrowband (nothing above 4 kHz): the attempt is "
                        "compared in that band, where /s/, /f/ and /θ/ are hard to tell apart")
    return PhoneReferenceSet(word, phones, refs, clarity, loo, narrow, warnings)


def word_phone_set(word: str, *,
                   references_dir: str | os.PathLike | None = None) -> PhoneReferenceSet:
    """The (cached) phone reference set of a bundled or user word's references
    (``references_dir``: the user's references folder, as in :func:`.scoring.score`)."""
    paths = reference_paths(word, references_dir)
    model = phone_model()
    key = (word, model.sha1, tuple((str(p), p.stat().st_mtime_ns) for p in paths))
    with _lock:
        if key in _sets:
            return _sets[key]
    from .refsets import bundled_dir

    packaged = bool(paths) and Path(paths[0]).parent.parent == bundled_dir()
    rs = build_reference_set(word, [Path(p) for p in paths], model=model,
                             warn_band=not packaged)
    with _lock:
        _sets[key] = rs
    return rs


def score_attempt(pg: Posteriorgram, rs: PhoneReferenceSet) -> PhoneScores:
    """Phone scores of an attempt's posteriorgram against a reference set."""
    seq = [LABELS.index(p) for p in rs.phones]
    spans, inserted = align_with_insertions(np.log(pg.post + EPS), seq, min_frames=MIN_FRAMES)
    clarity = _clarity(pg, seq, spans)
    x, _ = _prep(pg, spans)
    per = [_phone_costs(x, r) for r in rs.refs]
    order = np.argsort([p[2] for p in per], kind="stable")
    close = order[: max(1, (len(order) + 1) // 2)]
    cost = np.mean([per[k][0] for k in close], axis=0)
    best = int(order[0])
    ref = rs.refs[best]
    gop = 100 * np.minimum(1.0, clarity / np.maximum(rs.clarity, MIN_REF_CLARITY))
    dtw = 100 * np.clip(1 - np.maximum(0.0, cost - rs.loo_cost) / DTW_SCALE, 0, 1)
    phone_scores = 0.5 * (gop + dtw)
    # inserted sounds take down the phone they follow (the first phone for one before it)
    ins_like: dict[int, str] = {}
    for after, a, b in inserted:
        if b - a < MIN_INSERT_FRAMES:
            continue
        k = max(after, 0)
        m = pg.post[a:b].copy()
        m[:, SIL] = 0
        severity = min(1.0, (b - a) / FULL_INSERT_FRAMES) * float(m.max(axis=1).mean())
        for arr in (phone_scores, gop, dtw):
            arr[k] *= 1 - severity
        ins_like[k] = LABELS[int(np.argmax(m.mean(axis=0)))]
    results = []
    ipa = word_ipa(list(rs.phones))
    for k, (p, (a, b)) in enumerate(zip(rs.phones, spans, strict=True)):
        m = pg.post[a:b].mean(axis=0)
        expected = seq[k]
        other = m.copy()
        other[expected] = -1
        other[SIL] = -1
        q = int(np.argmax(other))
        same_kind = (LABELS[q] in VOWELS) == (p in VOWELS)
        like = (LABELS[q] if phone_scores[k] < VERDICT_BELOW and same_kind
                and m[q] >= SOUNDED_LIKE_RATIO * m[expected] and m[q] >= SOUNDED_LIKE_MIN
                else None)
        ra, rb = ref.spans[k]
        results.append(PhoneResult(
            phone=p, ipa=ipa[k],
            attempt_start_s=max(0.0, pg.time(a) - pg.hop_s / 2),
            attempt_end_s=pg.time(b - 1) + pg.hop_s / 2,
            reference_start_s=max(0.0, ref.pg.time(ra) - ref.pg.hop_s / 2),
            reference_end_s=ref.pg.time(rb - 1) + ref.pg.hop_s / 2,
            score=float(phone_scores[k]), sounded_like=like, clarity=float(clarity[k]),
            reference_cost=float(cost[k]), gop_score=float(gop[k]), dtw_score=float(dtw[k]),
            inserted=ins_like.get(k)))
    word_score = word_from_phones(phone_scores)
    return PhoneScores(rs.word, list(rs.phones), word_score, results, best, list(rs.warnings))


def word_from_phones(scores: np.ndarray) -> float:
    """Word score from its phones' scores: the mean pulled towards the worst."""
    s = np.asarray(scores, float)
    return (1 - WORST_WEIGHT) * float(np.mean(s)) + WORST_WEIGHT * float(np.min(s))


def score_phones(y: np.ndarray, sr: int, word: str, *, name: str = "<attempt>") -> PhoneScores:
    """Phone scores of an attempt (mono array at ``sr``) at a bundled or user ``word``.

    Raises
    ------
    PronunciationError
        The word has no known pronunciation.
    AudioError
        No speech in the attempt, or too short for the word's phones.
    ModelError
        The phone model is not installed.
    """
    rs = word_phone_set(word)
    pg = posteriorgram(phone_model(), y, sr, name=name, narrowband=rs.narrowband or None)
    return score_attempt(pg, rs)


def available() -> bool:
    """Whether the phone model is installed."""
    try:
        phone_model()
    except ModelError:
        return False
    return True
