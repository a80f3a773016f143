"""GOP-style features of each aligned phone, from frame log posteriors.

One function, :func:`phone_features`, computes them for training the scorer (on the
speechocean762 sentences) and for scoring an attempt, so the two never differ.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..lexicon.phones import PHONES

N_PHONES = len(PHONES)  # the columns 0..38 of the log posteriors; column 39 is silence
SIL = N_PHONES
# Names of the per-phone features (the columns of :func:`phone_features`), in order.
SCALAR_NAMES: tuple[str, ...] = (
    "lpp",         # mean log posterior of the canonical phone over its frames
    "lpr",         # mean of (canonical - best phone) log posterior per frame (<= 0)
    "lpr_min",     # the worst frame's ratio
    "lpr_sil",     # mean of (canonical - max(best phone, silence))
    "top_share",   # share of frames where the canonical phone is the likeliest phone
    "sil",         # mean silence posterior
    "log_dur",     # log of the phone's frames
    "lpr_prev",    # the previous phone's lpr (0 at a word start)
    "lpr_next",    # the next phone's lpr (0 at a word end)
    "first",       # the word's first phone
    "last",        # the word's last phone
    "word_len",    # phones in the word
)
N_SCALAR = len(SCALAR_NAMES)
N_FEATURES = N_SCALAR + N_PHONES + N_PHONES  # + canonical one-hot + mean log posteriors


def phone_features(logp: np.ndarray, phones: Sequence[int],
                   spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Features of each phone of one word.

    Parameters
    ----------
    logp : np.ndarray [shape=(t, N_PHONES + 1)]
        Frame log posteriors (phones, then silence).
    phones : sequence of int
        The word's canonical phone indices.
    spans : sequence of (int, int)
        Each phone's frame span ``[start, end)`` (:func:`.viterbi.align_sentence`).

    Returns
    -------
    np.ndarray [shape=(len(phones), N_FEATURES), dtype=float32]
        :data:`SCALAR_NAMES`, then the canonical phone one-hot, then the mean log
        posterior of every phone over the span (clipped at -20).
    """
    k = len(phones)
    out = np.zeros((k, N_FEATURES), np.float32)
    lprs = np.zeros(k)
    for i, (p, (a, b)) in enumerate(zip(phones, spans, strict=True)):
        seg = logp[a:b]
        best = seg[:, :N_PHONES].max(axis=1)
        r = seg[:, p] - best
        lprs[i] = r.mean()
        out[i, 0] = seg[:, p].mean()
        out[i, 1] = lprs[i]
        out[i, 2] = r.min()
        out[i, 3] = (seg[:, p] - np.maximum(best, seg[:, SIL])).mean()
        out[i, 4] = (r >= 0).mean()
        out[i, 5] = np.exp(seg[:, SIL]).mean()
        out[i, 6] = np.log(b - a)
        out[i, 9] = i == 0
        out[i, 10] = i == k - 1
        out[i, 11] = k
        out[i, N_SCALAR + p] = 1.0
        out[i, N_SCALAR + N_PHONES:] = np.maximum(seg[:, :N_PHONES].mean(axis=0), -20.0)
    out[1:, 7] = lprs[:-1]
    out[:-1, 8] = lprs[1:]
    return out


def heard_phone(logp: np.ndarray, phone: int, span: tuple[int, int], *,
                margin: float = 1.0) -> int | None:
    """The phone likelier than ``phone`` over ``span`` by at least ``margin`` (mean log
    posterior), or None: a substitution candidate."""
    m = logp[span[0]:span[1], :N_PHONES].mean(axis=0)
    best = int(np.argmax(m))
    return best if best != phone and m[best] - m[phone] >= margin else None
