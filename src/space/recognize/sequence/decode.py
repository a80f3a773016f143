"""Vocabulary-constrained sequence decoding of frame-level word posteriors.

A frame model gives, every 10 ms, a probability for each word of a small vocabulary plus
'silence' (and, optionally, filler classes such as ``_other_``: any word outside the
vocabulary). :class:`SequenceDecoder` finds the best sequence of words through those
frames by Viterbi search over a simple network:

* each word is a left-to-right chain of ``min_word_frames`` states whose last state
  loops, so no word is shorter than that (a blip of a few frames is not a word); every
  frame a word stays in its loop beyond ``long_word_frames`` costs ``long_word_cost``, so
  a stretch much longer than one digit is better explained as two (the same digit said
  twice without a pause, "seven seven", is otherwise one word). The loop keeps one
  hypothesis (the best, with its start frame), as Viterbi does: an exact duration model
  would keep one per start frame, and those, a frame apart, stay within the beam for the
  whole word, so words became final far later;
* silence is one looping state; a word may follow silence or directly another word (no
  pause is needed), at a cost of ``word_penalty`` (log units) per word, which trades
  insertions against deletions;
* the grammar is ``"any"`` (any number of words) or ``"digitsN"`` (exactly N vocabulary
  words; fillers do not count). Frame scores are the log posteriors.

It is a streaming decoder: :meth:`SequenceDecoder.accept` takes frames as they come and
returns the words that have become final: hypotheses more than ``beam`` below the best are
pruned, and a word is final once every surviving hypothesis agrees on it and on the word
or silence after it (partial traceback), so a reported word never changes later.
:meth:`SequenceDecoder.flush` ends the utterance and returns the rest of the best path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ...errors import UsageError

SILENCE = "_silence_"
FILLERS = ("_other_",)


@dataclass(frozen=True)
class DecoderConfig:
    """Search settings. Frames are the model's hop (10 ms)."""

    # Shortest word. The frame model's posteriors wander inside a word (the start of
    # "seven" looks like "six", its end like "one"), and on voices it never trained on they
    # wander more: with a 200 ms floor nearly every extra digit of an unseen learner was a
    # 200-330 ms piece at a mean posterior of about 0.57. 320 ms, chosen by the mean WER over
    # voices the model never trained on (benchmarks/tune_decoder.py: new espeak-ng voices
    # joined and saying whole strings, and half of the held-out learners): 14.0% -> 10.7%;
    # the cost is deletions in fast fluent speech (espeak-ng saying the string: 13.0 -> 15.4%).
    min_word_frames: int = 32
    word_penalty: float = 10.0  # log-probability cost per word: fewer spurious words
    # A word longer than this many frames pays `long_word_cost` per further frame (0: no
    # limit). Without it, a digit said twice in a row ("1 1 0 8", "2 2 9") came out once:
    # on the tuning voices (benchmarks/tune_decoder.py) nearly every deletion was such a
    # merge, since staying in a word is free and a new word costs `word_penalty`. 650 ms
    # and 1 per frame: mean WER over the tuning sets 5.7% -> 4.6%; 450-550 ms split the
    # learners' slow digits (learners-dev 4.8% -> 32% / 14%), 750-850 ms split fewer merges.
    long_word_frames: int = 65
    long_word_cost: float = 1.0
    filler_penalty: float = 4.0  # the same for a filler (a non-vocabulary word)
    beam: float = 40.0  # hypotheses this far (log units) below the best are dropped
    floor: float = 1e-6  # posteriors below this count as this (one bad frame is not fatal)
    grammar: str = "any"  # "any" or "digitsN" (exactly N vocabulary words), e.g. "digits4"

    def __post_init__(self) -> None:
        if self.min_word_frames < 1:
            raise UsageError("min_word_frames must be >= 1")
        if self.beam <= 0 or not 0 < self.floor < 1:
            raise UsageError("beam > 0 and 0 < floor < 1 are required")
        if self.long_word_frames < 0 or self.long_word_cost < 0:
            raise UsageError("long_word_frames >= 0 and long_word_cost >= 0 are required")
        parse_grammar(self.grammar)


def parse_grammar(grammar: str) -> int | None:
    """``"any"`` -> None; ``"digitsN"`` (``"digits4"``) -> N. Raises :class:`UsageError`."""
    if grammar == "any":
        return None
    m = re.fullmatch(r"digits(\d+)", grammar)
    if not m or not 1 <= int(m.group(1)) <= 32:
        raise UsageError(f"grammar {grammar!r}: use 'any' or 'digitsN' with N in 1..32 "
                          "(e.g. 'digits4')")
    return int(m.group(1))


@dataclass
class DecodedWord:
    """One word of the best path. Frames count from the decoder's last reset."""

    label: str
    start: int  # first frame
    end: int  # one past the last frame
    probability: float  # mean posterior of the word over its frames
    top_k: list[tuple[str, float]]  # vocabulary words by mean posterior over those frames


class SequenceDecoder:
    """Streaming Viterbi decoder (see the module doc).

    Parameters
    ----------
    labels : list[str]
        The frame model's classes in output order; must contain ``silence``. Labels in
        ``fillers`` are decoded like words but never reported.
    config : DecoderConfig, optional
    """

    def __init__(self, labels: list[str], config: DecoderConfig | None = None, *,
                 silence: str = SILENCE, fillers: tuple[str, ...] = FILLERS,
                 top_k: int = 3) -> None:
        self.cfg = c = config or DecoderConfig()
        if silence not in labels:
            raise UsageError(f"decoder: labels have no silence class {silence!r}")
        self.labels = list(labels)
        self.sil = labels.index(silence)
        self.words = [i for i, lab in enumerate(labels) if i != self.sil]  # state order
        self.filler = np.array([labels[i] in fillers for i in self.words])
        if self.filler.all():
            raise UsageError("decoder: no vocabulary words besides silence and fillers")
        self.n_words = parse_grammar(c.grammar)
        self.top_k = top_k
        self._pen = np.where(self.filler, c.filler_penalty, c.word_penalty)
        self.reset()

    # -- public API ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Start a new utterance (frame 0, count 0)."""
        C = 1 if self.n_words is None else self.n_words + 1
        W, m = len(self.words), self.cfg.min_word_frames
        self._S = np.full((C, W, m), -np.inf)  # word states: count x word x position
        self._H = np.zeros((C, W, m), dtype=np.int64)  # their history nodes
        self._E = np.zeros((C, W, m), dtype=np.int64)  # the frame their word began
        self._Ss = np.full(C, -np.inf)  # silence state per count
        self._Hs = np.zeros(C, dtype=np.int64)
        # History nodes (a tree): parent, class index, first frame, depth. Node 0 is the
        # root: the start of the utterance, in silence at count 0.
        self._parent, self._cls, self._start, self._depth = [0], [self.sil], [0], [0]
        self._Ss[0] = 0.0
        self._t = 0
        self._post: list[np.ndarray] = []  # posteriors of the utterance so far
        self._done = 0  # nodes of the committed chain already handed out (by depth)

    @property
    def n_frames(self) -> int:
        """Frames decoded since the last reset."""
        return self._t

    def accept(self, posteriors: np.ndarray) -> list[DecodedWord]:
        """Decode the next frames; return the words that became final.

        Parameters
        ----------
        posteriors : np.ndarray [shape=(t, n_labels)]
            Per-frame class probabilities (rows sum to 1), in ``labels`` order.
        """
        p = np.asarray(posteriors, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != len(self.labels):
            raise UsageError(f"decoder: posteriors must have shape (t, {len(self.labels)}), "
                              f"got {p.shape}")
        logp = np.log(np.maximum(p, self.cfg.floor))
        for row, lp in zip(p, logp, strict=True):
            self._post.append(row)
            self._step(lp)
        return self._commit(self._common_chain(), final=False)

    def flush(self) -> list[DecodedWord]:
        """End of the utterance: the rest of the best path (honouring the grammar where it
        can), then :meth:`reset`."""
        C = self._S.shape[0]
        # A hypothesis may end in silence or at the end of a word.
        ends = np.concatenate([self._Ss[:, None], self._S[:, :, -1]], axis=1)  # (C, 1+W)
        hists = np.concatenate([self._Hs[:, None], self._H[:, :, -1]], axis=1)
        rows = [C - 1] if self.n_words is not None else list(range(C))
        sub = ends[rows]
        if not np.isfinite(sub).any():  # too few frames for N words: the best we have
            rows, sub = list(range(C)), ends
        r, k = np.unravel_index(int(np.argmax(sub)), sub.shape)
        node = int(hists[rows[r], k])
        words = self._commit(self._chain(node), final=True) if np.isfinite(sub[r, k]) else []
        self.reset()
        return words

    def decode(self, posteriors: np.ndarray) -> list[DecodedWord]:
        """A whole utterance at once (:meth:`accept` then :meth:`flush`)."""
        return self.accept(posteriors) + self.flush()

    # -- internals ----------------------------------------------------------------------------

    def _new(self, parent: int, cls: int, start: int) -> int:
        self._parent.append(parent)
        self._cls.append(cls)
        self._start.append(start)
        self._depth.append(self._depth[parent] + 1)
        return len(self._parent) - 1

    def _step(self, lp: np.ndarray) -> None:
        S, H, E, Ss, Hs = self._S, self._H, self._E, self._Ss, self._Hs
        C, W, m = S.shape
        t = self._t
        cfg = self.cfg
        wend, wend_h = S[:, :, -1], H[:, :, -1]
        # Best way to leave each count: the end of a word or silence.
        ends = np.concatenate([Ss[:, None], wend], axis=1)  # (C, 1+W)
        arg = np.argmax(ends, axis=1)
        ex = ends[np.arange(C), arg]
        ex_h = np.where(arg == 0, Hs, wend_h[np.arange(C), np.maximum(arg - 1, 0)])
        nS = np.full_like(S, -np.inf)
        nH = np.zeros_like(H)
        nE = np.zeros_like(E)
        # Inside a word: advance one state, or stay in the last (paying for a long word).
        last = S[:, :, -1]
        if cfg.long_word_frames and cfg.long_word_cost:
            last = last - np.where(t - E[:, :, -1] >= cfg.long_word_frames, cfg.long_word_cost,
                                   0.0)
        if m > 1:
            nS[:, :, 1:] = S[:, :, :-1]
            nH[:, :, 1:] = H[:, :, :-1]
            nE[:, :, 1:] = E[:, :, :-1]
            stay = last > nS[:, :, -1]
            nS[:, :, -1] = np.where(stay, last, nS[:, :, -1])
            nH[:, :, -1] = np.where(stay, H[:, :, -1], nH[:, :, -1])
            nE[:, :, -1] = np.where(stay, E[:, :, -1], nE[:, :, -1])
        else:
            nS[:, :, 0], nH[:, :, 0], nE[:, :, 0] = last, H[:, :, 0], E[:, :, 0]
        # Entering a word from the count it leaves: vocabulary words add one (grammar
        # digitsN), fillers do not; "any" has a single count.
        for c in range(C):
            for w in range(W):
                src = c if (self.filler[w] or self.n_words is None) else c - 1
                if src < 0 or not np.isfinite(ex[src]):
                    continue
                score = ex[src] - self._pen[w]
                if score > nS[c, w, 0]:
                    nS[c, w, 0] = score
                    nH[c, w, 0] = self._new(int(ex_h[src]), self.words[w], t)
                    nE[c, w, 0] = t
        # Silence: stay, or enter from the end of a word.
        wa = np.argmax(wend, axis=1)
        wbest = wend[np.arange(C), wa]
        nSs = Ss.copy()
        nHs = Hs.copy()
        for c in range(C):
            if wbest[c] > nSs[c]:
                nSs[c] = wbest[c]
                nHs[c] = self._new(int(wend_h[c, wa[c]]), self.sil, t)
        # Frame scores.
        nS += lp[self.words][None, :, None]
        nSs += lp[self.sil]
        best = max(float(nS.max()), float(nSs.max()))
        nS[nS < best - self.cfg.beam] = -np.inf
        nSs[nSs < best - self.cfg.beam] = -np.inf
        self._S, self._H, self._E, self._Ss, self._Hs = nS, nH, nE, nSs, nHs
        self._t = t + 1

    def _chain(self, node: int) -> list[int]:
        out = []
        while node != 0:
            out.append(node)
            node = self._parent[node]
        return out[::-1]

    def _common_chain(self) -> list[int]:
        """The history shared by every surviving hypothesis (root excluded)."""
        ids = set(self._H[np.isfinite(self._S)].tolist()) | set(
            self._Hs[np.isfinite(self._Ss)].tolist())
        if not ids:
            return []
        nodes = set(ids)
        while len(nodes) > 1:  # lift the deepest nodes until all meet
            d = max(self._depth[n] for n in nodes)
            nodes = {self._parent[n] if self._depth[n] == d else n for n in nodes}
        return self._chain(nodes.pop())

    def _commit(self, chain: list[int], *, final: bool) -> list[DecodedWord]:
        """Words of ``chain`` whose end is known (a later node follows; or ``final``) and
        that were not handed out yet."""
        out = []
        last = len(chain) if final else len(chain) - 1
        for i in range(self._done, last):
            node = chain[i]
            end = self._start[chain[i + 1]] if i + 1 < len(chain) else self._t
            cls = self._cls[node]
            self._done = i + 1
            name = self.labels[cls]
            if cls == self.sil or self.filler[self.words.index(cls)]:
                continue
            out.append(self._word(name, cls, self._start[node], end))
        return out

    def _word(self, name: str, cls: int, start: int, end: int) -> DecodedWord:
        mean = np.mean(np.asarray(self._post[start:end]), axis=0)
        voc = [i for i in self.words if not self.filler[self.words.index(i)]]
        order = sorted(voc, key=lambda i: -mean[i])[: self.top_k]
        total = float(sum(mean[i] for i in voc)) + 1e-12
        return DecodedWord(name, start, end, float(mean[cls]),
                           [(self.labels[i], float(mean[i] / total)) for i in order])


__all__ = ["DecodedWord", "DecoderConfig", "SequenceDecoder", "parse_grammar"]
