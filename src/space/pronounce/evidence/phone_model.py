"""Phone posteriorgrams: a small frame classifier over the 39 CMUdict phones + silence.

Why a phone model next to the word-trained frame encoder (:mod:`space.pronounce.references.frames`): word
posteriors hardly move when one sound of a word changes but the word stays recognisable
(three said as 'tree' is still most like 'three'); phone posteriors are meant to move.
Two choices keep them about the sound and not the word:

* a short receptive field (about +-70 ms: two 3x3 mel convs and two 5-frame temporal
  convs), so a frame's phone is read from the sound around it, not inferred from the
  rest of a word the model has heard thousands of times;
* the 20-8000 Hz band (48 log-mels), which holds what tells /θ/, /f/ and /s/ apart. Audio
  that has no 4-8 kHz band (8 kHz recordings such as FSDD's digits) is marked
  *narrowband*: its mel bands above 4 kHz are set to the normalised floor (0), the
  way the model saw such audio in training (every FSDD clip, and 30% of the wide-band
  clips low-passed), instead of being stretched up from noise by the per-utterance
  normalisation.

Trained by :mod:`space.training.phones` on forced-aligned phone labels (:mod:`space.training.phone_labels`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ... import audio
from ...audio.features import LogMel
from ...config import EncoderConfig, FeatureConfig
from ...errors import AudioError, NoSpeechError
from ..lexicon.phones import PHONES
from ..references.frames import EncoderCheckpoint, FrameEncoder, load_encoder, save_encoder

FORMAT = "space-phone-encoder"  # its version: space.recognize.checkpoint.FORMAT_VERSIONS
LABELS: tuple[str, ...] = (*PHONES, "SIL")
SIL = len(PHONES)  # index of silence in LABELS
FEATURES = FeatureConfig(fmax=8000.0, n_mels=48)
NARROW_HZ = 4000.0  # the top of an 8 kHz recording's band
# Short context on purpose (see the module doc): 3x3 mel convs, then two 5-tap convs.
DEFAULT_CONFIG = EncoderConfig(channels2d=(16, 32), channels1d=(160, 160), kernel1d=5,
                               dilations=(1, 1), dim=96, n_classes=len(LABELS), dropout=0.1)
MIN_SPEECH_FRAMES = 4


def high_bands(cfg: FeatureConfig = FEATURES) -> np.ndarray:
    """Boolean mask ``[shape=(n_mels,)]`` of mel bands centred above :data:`NARROW_HZ`."""
    import librosa

    centres = librosa.mel_frequencies(cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]
    return centres > NARROW_HZ


def mask_narrowband(feats: torch.Tensor, narrow: torch.Tensor | np.ndarray | bool,
                    high: np.ndarray) -> torch.Tensor:
    """Set the mel bands above 4 kHz of narrowband rows of ``feats`` [shape=(b, mels, t)]
    to 0 (the per-utterance normalised floor)."""
    nb = torch.as_tensor(np.broadcast_to(np.asarray(narrow, bool), (feats.shape[0],)).copy())
    if not bool(nb.any()):
        return feats
    m = torch.zeros(feats.shape[:2], dtype=torch.bool)
    m[nb] = torch.from_numpy(high)
    return feats.masked_fill(m[:, :, None], 0.0)


@dataclass
class PhoneModel:
    """A loaded phone encoder."""

    encoder: FrameEncoder
    feature_cfg: FeatureConfig
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    sha1: str = ""

    def __post_init__(self) -> None:
        self.frontend = LogMel(self.feature_cfg).eval()
        self.high = high_bands(self.feature_cfg)


def save_phone_model(m: PhoneModel, path: str | os.PathLike, *,
                     train_state: dict[str, Any] | None = None) -> Path:
    """Write the model atomically through the one checkpoint writer (the frame encoder's,
    :func:`space.pronounce.references.frames.save_encoder`, in this format): configs, labels and
    weights in one file;
    ``train_state`` for resuming a training."""
    return save_encoder(EncoderCheckpoint(m.encoder, m.feature_cfg, m.labels, m.meta), path,
                        train_state=train_state, format=FORMAT)


def load_phone_model(path: str | os.PathLike) -> PhoneModel:
    """Read a model written by :func:`save_phone_model`. Raises :class:`ModelError`."""
    ck = load_encoder(path, format=FORMAT, what="phone model")
    return PhoneModel(ck.encoder, ck.feature_cfg, ck.labels, ck.meta, ck.sha1)


def bundled_phone_model_path() -> Path:
    return Path(str(resources.files("space") / "models" / "phones.pt"))


def is_narrowband(y: np.ndarray, sr: int) -> bool:
    """True when the audio cannot show the 4-8 kHz band: recorded at <= 8 kHz, or (an
    upsampled 8 kHz recording) with under 1e-5 of its energy above 3.9 kHz."""
    if sr <= 2 * NARROW_HZ:
        return True
    spec = np.abs(np.fft.rfft(np.asarray(y, np.float64))) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    tot = float(spec.sum()) + 1e-20
    return float(spec[f > 3900].sum()) / tot < 1e-5


@dataclass
class Posteriorgram:
    """Phone posteriors of a clip's speech.

    Attributes
    ----------
    post : np.ndarray [shape=(n, len(LABELS))]
        Per-frame posteriors (rows sum to 1) of the whole clip.
    offset_s, hop_s : float
        Time in the clip (as given, any rate) of the first frame's centre; frame spacing.
    narrowband : bool
        The audio had no 4-8 kHz band (the model saw only up to 4 kHz).
    audio : np.ndarray [shape=(samples,)]
        The clip at 16 kHz.
    """

    post: np.ndarray
    offset_s: float
    hop_s: float
    narrowband: bool
    audio: np.ndarray
    snr_db: float = float("inf")

    def time(self, frame: float) -> float:
        return self.offset_s + frame * self.hop_s

    @property
    def speech_s(self) -> float:
        return len(self.post) * self.hop_s


@torch.no_grad()
def posteriorgram(model: PhoneModel, y: np.ndarray, sr: int, *, name: str = "<audio>",
                  narrowband: bool | None = None) -> Posteriorgram:
    """Mono audio at ``sr`` -> :class:`Posteriorgram` of the whole clip.

    The clip (at least 1 s, zero-padded on both sides) goes through the model; frames of
    the padding are dropped. ``narrowband``: True runs the model as on an 8 kHz
    recording (bands above 4 kHz masked), to compare an attempt with narrowband
    references in the band they have; None decides from the audio.
    Raises :class:`NoSpeechError` when the model hears no speech (fewer than
    :data:`MIN_SPEECH_FRAMES` frames likelier speech than silence, in a row)."""
    from ..references.frames import estimate_snr

    cfg = model.feature_cfg
    y = np.asarray(y, np.float32)
    nb = is_narrowband(y, sr) if narrowband is None else bool(narrowband)
    y16 = audio.resample(y, sr, cfg.sample_rate, name=name)
    audio.check(y16, cfg.sample_rate, name=name)
    n = max(cfg.n_samples, len(y16))
    left = (n - len(y16)) // 2
    w = np.zeros(n, np.float32)
    w[left:left + len(y16)] = y16
    feats = model.frontend(torch.from_numpy(audio.normalize_peak(w))[None])
    feats = mask_narrowband(feats, nb, model.high)
    _, logits = model.encoder(feats)
    post = torch.softmax(logits[0], dim=0).numpy().T.astype(np.float32)  # (t, classes)
    hop = cfg.hop_length
    # frames whose centre lies in the clip (not the padding)
    f0 = -(-left // hop)
    f1 = min(len(post), (left + len(y16)) // hop + 1)
    post = post[f0:f1]
    speech = post[:, SIL] < 0.5
    edges = np.flatnonzero(np.diff(np.r_[0, speech.astype(np.int8), 0]))
    if not any(b - a >= MIN_SPEECH_FRAMES for a, b in zip(edges[::2], edges[1::2],
                                                          strict=True)):
        raise NoSpeechError(f"{name}: no speech found (silence or noise only)")
    return Posteriorgram(post, (f0 * hop - left) / cfg.sample_rate, hop / cfg.sample_rate,
                         nb, y16, estimate_snr(y16, cfg.sample_rate))


def force_align(logp: np.ndarray, seq: list[int], *, min_frames: int = 2,
                sil: int = SIL) -> list[tuple[int, int]]:
    """Viterbi forced alignment of a phone sequence to frame log-probabilities.

    Parameters
    ----------
    logp : np.ndarray [shape=(t, classes)]
        Per-frame log posteriors (or scaled likelihoods).
    seq : list of int
        Phone indices, in order; optional silence before and after is added.
    min_frames : int
        Each phone lasts at least this many frames.

    Returns
    -------
    list of (start, end)
        Frame span ``[start, end)`` of each phone of ``seq``.

    Raises
    ------
    AudioError
        Fewer frames than the phones need.
    """
    t_n = len(logp)
    k = len(seq)
    if t_n < k * min_frames:
        raise AudioError(f"{t_n} frames are too few for {k} phones")
    # states: 0 = leading silence, then (phone i, sub-state j) for j < min_frames, then
    # trailing silence. Sub-states force the minimum duration; the last one loops.
    states = [sil] + [p for p in seq for _ in range(min_frames)] + [sil]
    s_n = len(states)
    em = logp[:, states]  # (t, s)
    neg = -1e30
    score = np.full(s_n, neg)
    score[0] = em[0, 0]
    score[1] = em[0, 1]
    back = np.zeros((t_n, s_n), np.int32)
    loops = np.zeros(s_n, bool)
    loops[0] = loops[-1] = True
    loops[[1 + i * min_frames + min_frames - 1 for i in range(k)]] = True
    # which states may skip from the previous phone's end: leading silence -> first phone;
    # last phone -> trailing silence (sil is optional at both ends).
    for t in range(1, t_n):
        stay = np.where(loops, score, neg)
        move = np.r_[neg, score[:-1]]
        new = np.maximum(stay, move)
        back[t] = np.where(stay >= move, 0, 1)
        score = new + em[t]
    # end in trailing silence or the last phone's last sub-state
    last = s_n - 1 if score[s_n - 1] >= score[s_n - 2] else s_n - 2
    path = np.empty(t_n, np.int32)
    s = last
    for t in range(t_n - 1, -1, -1):
        path[t] = s
        if t > 0:
            s -= back[t, s]
            # the first phone may also start at frame 0 (no leading silence): handled by
            # score[1] being seeded at t=0.
    spans = []
    for i in range(k):
        lo, hi = 1 + i * min_frames, 1 + (i + 1) * min_frames
        fr = np.flatnonzero((path >= lo) & (path < hi))
        spans.append((int(fr[0]), int(fr[-1]) + 1))
    return spans


def align_with_insertions(logp: np.ndarray, seq: list[int], *, min_frames: int = 2,
                          penalty: float = float(np.log(10.0)), sil: int = SIL
                          ) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """Like :func:`force_align`, with an optional *inserted sound* before, between and
    after the phones: a state whose frame score is the best non-silence phone's log
    posterior minus ``penalty`` (per frame: a frame goes to it only when some phone
    other than the expected one is ``e**penalty`` times likelier, 10x by default).

    Returns
    -------
    spans : list of (start, end)
        Frame span of each phone of ``seq``.
    inserted : list of (after, start, end)
        Runs of inserted frames; ``after`` is the index of the phone they follow (-1:
        before the first).
    """
    t_n, k = len(logp), len(seq)
    if t_n < k * min_frames:
        raise AudioError(f"{t_n} frames are too few for {k} phones")
    speech = np.delete(logp, sil, axis=1).max(axis=1) - penalty  # insertion frame score
    # states: SIL, INS(-1), [phone 0 x min_frames], INS(0), ..., [phone k-1], INS(k-1), SIL
    kind: list[tuple[str, int]] = [("sil", -1), ("ins", -1)]
    for i in range(k):
        kind += [("ph", i)] * min_frames + [("ins", i)]
    kind.append(("sil", k))
    s_n = len(kind)
    em = np.empty((t_n, s_n))
    for s, (kd, i) in enumerate(kind):
        em[:, s] = logp[:, sil] if kd == "sil" else speech if kd == "ins" else logp[:, seq[i]]
    loop = np.array([kd != "ph" or (s + 1 < s_n and kind[s + 1][0] != "ph") or
                     kind[s + 1][1] != i for s, (kd, i) in enumerate(kind[:-1])] + [True])
    skip = np.array([s >= 2 and kind[s - 1][0] == "ins" for s in range(s_n)])
    neg = -1e30
    score = np.full(s_n, neg)
    score[:3] = em[0, :3]  # start in silence, an insertion or the first phone
    back = np.zeros((t_n, s_n), np.int8)
    for t in range(1, t_n):
        stay = np.where(loop, score, neg)
        move = np.r_[neg, score[:-1]]
        jump = np.where(skip, np.r_[neg, neg, score[:-2]], neg)
        best = np.maximum(np.maximum(stay, move), jump)
        back[t] = np.where(best == stay, 0, np.where(best == move, 1, 2))
        score = best + em[t]
    ends = [s_n - 1, s_n - 2, s_n - 3]  # silence, last insertion, the last phone's end
    s = max(ends, key=lambda e: score[e])
    path = np.empty(t_n, np.int32)
    for t in range(t_n - 1, -1, -1):
        path[t] = s
        s -= int(back[t, s])
    spans = []
    for i in range(k):
        fr = np.flatnonzero([kind[p] == ("ph", i) for p in path])
        spans.append((int(fr[0]), int(fr[-1]) + 1))
    inserted = []
    ins = np.array([kind[p][0] == "ins" for p in path] + [False])
    edges = np.flatnonzero(np.diff(np.r_[False, ins].astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        inserted.append((kind[path[a]][1], int(a), int(b)))
    return spans, inserted
