"""Viterbi forced alignment of a sentence's phones to frame log posteriors.

The sentence is a left-to-right chain of states: optional silence, then each word's
phones (each phone ``min_frames`` sub-states, the last of which loops, so a phone lasts
at least ``min_frames`` frames), with an optional silence between words and at the end.

Silence may not take a loud stretch of the word: where the phone model hears a vowel as
another vowel, the expected phone and silence are both unlikely there, and silence used to
win and take the rest of the word with it (a clean "stop" told its /p/ was missing). So the
chain is aligned twice: the second pass forbids silence on each run of loud frames
(:attr:`.acoustic.Frames.loud`) that the first pass's words touch. Where the first path
gives none of those frames to silence it is already the best path under that rule, and
the second pass is skipped. A loud run apart from
the words (a door, a cough in a noisy room) stays free for silence.

The recursion is vectorised over the states, one numpy step per frame (a word of 100
frames in about 1-2 ms): no compiled kernel to import and load at start-up, which cost
a cold ``space score`` about 1.8 s with numba.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...audio.speech import true_runs
from ...errors import AudioError

NEG = -1e30
LOUD_SILENCE = -1e4  # log score of silence on a loud frame: never, while a phone can take it


def _viterbi(em: np.ndarray, loop: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """The best state path ``[shape=(t,)]`` through the chain: a state is entered from
    itself (if it ``loop``s), the state before, or two before (if it may ``skip`` the
    optional silence between). Vectorised over the states, one step per frame (ties: stay,
    then the state before)."""
    t_n, s_n = em.shape
    score = np.full(s_n, NEG)
    score[:2] = em[0, :2]
    back = np.zeros((t_n, s_n), np.int8)
    cand = np.full((3, s_n), NEG)
    cols = np.arange(s_n)
    for t in range(1, t_n):
        cand[0] = np.where(loop, score, NEG)
        cand[1, 1:] = score[:-1]
        cand[2, 2:] = np.where(skip[2:], score[:-2], NEG)
        b = cand.argmax(axis=0)
        back[t] = b
        score = cand[b, cols] + em[t]
    s = s_n - 1 if score[s_n - 1] >= score[s_n - 2] else s_n - 2
    path = np.empty(t_n, np.int64)
    for t in range(t_n - 1, -1, -1):
        path[t] = s
        s -= int(back[t, s])
    return path


def _runs_touching(loud: np.ndarray, word: np.ndarray) -> np.ndarray:
    """The frames of each run of ``loud`` frames that has a ``word`` frame in it."""
    out = np.zeros(len(loud), bool)
    for a, b in true_runs(loud):
        out[a:b] = word[a:b].any()
    return out


def align_sentence(logp: np.ndarray, words: Sequence[Sequence[int]], sil: int, *,
                   min_frames: int = 2,
                   loud: np.ndarray | None = None) -> list[list[tuple[int, int]]]:
    """Frame spans of each phone of each word.

    Parameters
    ----------
    logp : np.ndarray [shape=(t, classes)]
        Frame log posteriors.
    words : sequence of sequence of int
        Each word's phone indices (into the columns of ``logp``), in order.
    sil : int
        The silence column; silence is optional before, between and after words.
    min_frames : int
        Each phone lasts at least this many frames.
    loud : np.ndarray [shape=(t,), dtype=bool], optional
        Loud frames (:attr:`.acoustic.Frames.loud`): silence may not take a run of them
        that a word's span, aligned without this, touches.

    Returns
    -------
    list (per word) of list (per phone) of (start, end)
        Frame span ``[start, end)``.

    Raises
    ------
    AudioError
        Fewer frames than the phones need.
    """
    flat = [p for w in words for p in w]
    t_n = len(logp)
    if t_n < len(flat) * min_frames:
        raise AudioError(f"the audio is too short for {len(flat)} phones "
                         f"({t_n * 10} ms of speech frames; at least {len(flat) * min_frames * 10} ms "
                         "are needed)")
    emit, loop, skip, owner = [sil], [True], [False], [-1]
    k = 0
    for wi, w in enumerate(words):
        for pi, p in enumerate(w):
            for j in range(min_frames):
                emit.append(p)
                loop.append(j == min_frames - 1)
                skip.append(wi > 0 and pi == 0 and j == 0)  # past the optional silence
                owner.append(k)
            k += 1
        emit.append(sil)  # optional silence after the word (the last: trailing silence)
        loop.append(True)
        skip.append(False)
        owner.append(-1)
    em = np.ascontiguousarray(logp[:, emit], dtype=np.float64)
    loop_a, skip_a, owner_a = np.array(loop), np.array(skip), np.asarray(owner)
    ph = owner_a[_viterbi(em, loop_a, skip_a)]
    if loud is not None:
        if len(loud) != t_n:
            raise ValueError(f"loud has {len(loud)} frames, logp {t_n}")
        keep = _runs_touching(np.asarray(loud, bool), ph >= 0)
        if (keep & (ph < 0)).any():  # else the first path already keeps silence off them
            em[np.ix_(keep, np.asarray(emit) == sil)] = LOUD_SILENCE
            ph = owner_a[_viterbi(em, loop_a, skip_a)]
    starts = np.full(k, -1)
    ends = np.full(k, -1)
    idx = np.flatnonzero(ph >= 0)
    # the path is monotonic: first and last frame of each phone
    starts[ph[idx][::-1]] = idx[::-1]
    ends[ph[idx]] = idx + 1
    out, i = [], 0
    for w in words:
        out.append([(int(starts[i + j]), int(ends[i + j])) for j in range(len(w))])
        i += len(w)
    return out
