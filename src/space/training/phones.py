"""Train the phone encoder (``src/space/models/phones.pt``) on forced-aligned phone labels.

    space train-phones --labels cache/phone_labels.json \\
        --noise-dir ../shared/data/speech_commands/_background_noise_ --out phones.pt

Data: the labels file of :mod:`.phone_labels`: Speech Commands *training* speakers (its
validation speakers are the validation set, its testing speakers are never seen),
``sc_v1_words`` and FSDD's training clips. Not the learners' data and no synthetic
speech: those are what the scorer is measured on.

Each clip, each epoch: FSDD clips (8 kHz) and :data:`P_NARROW` of the wide-band ones are
narrowband (low-passed, their mel bands above 4 kHz set to 0, see
:mod:`space.pronounce.evidence.phone_model`),
then the package's one augmentation chain (:meth:`space.data.Augmenter.window`:
speed/pitch, microphone colour and reverb, time shift, level and background noise), then
SpecAugment. Loss: cross-entropy per 10 ms frame against the aligned phone (silence
outside the word); frames within 10 ms of a phone boundary, and near-silent frames inside
the word, are not scored (the alignment is not that precise). The loop, its resumable
``<out>.last.pt`` and the checkpoint format are the package's
(:func:`space.training.loop.fit`, :mod:`space.recognize.checkpoint`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .. import audio
from ..config import PHONES_TRAIN, EncoderConfig, FeatureConfig, TrainConfig
from ..data import Augmenter, ClipDataset, Example
from ..errors import DataError
from ..pronounce.evidence.phone_model import (
    DEFAULT_CONFIG,
    FEATURES,
    FORMAT,
    LABELS,
    SIL,
    PhoneModel,
    high_bands,
    load_phone_model,
    mask_narrowband,
    save_phone_model,
)
from ..recognize.frame_model import FrameEncoder
from .loop import Masks, Task, fit, portable_path

IGNORE = -100  # frame target that no loss is computed for
P_NARROW = 0.3  # share of wide-band clips low-passed to 4 kHz each epoch
EDGE_S = 0.01  # frames this close to a phone boundary are not scored
PAD_S = 0.3  # audio kept around the aligned word
# 0.8 s windows: every word here fits, and 20% less compute than the 1 s clips
WINDOW_S = 0.8
QUIET_DB = -35.0  # frames this far below the clip's loudest are not scored as a phone

def frame_db(y: np.ndarray, sr: int) -> np.ndarray:
    """Level of each 10 ms frame (25 ms window) in dB below the clip's loudest frame
    [shape=(len(y) // (sr / 100) + 1,)]."""
    hop, n = sr // 100, int(0.025 * sr)
    yp = np.pad(y, (n // 2, n))
    k = len(y) // hop + 1
    idx = np.arange(k)[:, None] * hop + np.arange(n)[None, :]
    p = np.mean(yp[idx] ** 2, axis=1) + 1e-12
    return (10 * np.log10(p / p.max())).astype(np.float32)


def lowpass(y: np.ndarray, sr: int) -> np.ndarray:
    """``y`` through an 8 kHz recording's band (down to 8 kHz and back to ``sr``)."""
    import soxr

    return soxr.resample(soxr.resample(y, sr, 8000), 8000, sr).astype(np.float32)[: len(y)]


def _entries(labels: dict, splits: set[str], sources: set[str]) -> list[tuple[str, dict]]:
    return [(p, e) for p, e in sorted(labels["clips"].items())
            if e["split"] in splits and e["source"] in sources and e["phones"]]


class PhoneDataset(ClipDataset):
    """Yields ``(window [n_samples], {"frames": targets [n_frames], "narrow": bool})``.

    ``entries``: ``(path, entry)`` pairs of the labels file (:mod:`.phone_labels`). Each
    clip is cut to its aligned word +- :data:`PAD_S`; its phone spans give the frame
    targets wherever the augmentation chain moves and stretches the word.
    """

    def __init__(self, entries: list[tuple[str, dict]], cfg: FeatureConfig, *,
                 augmenter: Augmenter | None = None, n_samples: int | None = None,
                 copies: int = 1, seed: int = 0) -> None:
        if not entries:
            raise DataError("no phone-labelled clips to train or validate on")
        examples = [Example(path, "speech", e.get("speaker")) for path, e in entries]
        super().__init__(examples, ["speech"], cfg, augmenter=augmenter, copies=copies,
                         seed=seed)
        self.augment = augmenter is not None
        self.n = n_samples or cfg.n_samples
        self.phones = [e["phones"] for _, e in entries]
        self._entries = [e for _, e in entries]
        self.narrow = [int(e["sr"]) <= 8000 for _, e in entries]
        self._spans: list[np.ndarray | None] = [None] * len(entries)
        self._db: list[np.ndarray | None] = [None] * len(entries)
        self.centres = np.arange(self.n // cfg.hop_length + 1) * cfg.hop_length

    def raw(self, i: int) -> tuple[np.ndarray, tuple[int, int]]:
        """Clip ``i`` cut to its word +- :data:`PAD_S`, and the aligned word's bounds in it
        (cached, with its phone spans in seconds and its frame levels)."""
        y = self._raw[i]
        if y is None:
            sr = self.cfg.sample_rate
            full, _ = audio.load(self.examples[i].path, sr=sr, max_duration_s=None)
            ph = self.phones[i]
            a = max(0, int((ph[0][1] - PAD_S) * sr))
            b = min(len(full), int((ph[-1][2] + PAD_S) * sr))
            y = full[a:b].astype(np.float32)
            spans = np.array([[LABELS.index(p), s - a / sr, t - a / sr] for p, s, t in ph],
                             np.float64)
            self._raw[i], self._spans[i], self._db[i] = y, spans, frame_db(y, sr)
            self._bounds[i] = (int(spans[0, 1] * sr), int(spans[-1, 2] * sr))
        return self._raw[i], self._bounds[i]  # type: ignore[return-value]

    def frame_targets(self, i: int, span: tuple[int, int]) -> np.ndarray:
        """Per-frame targets [shape=(n_frames,)] of clip ``i``'s window whose word lies at
        ``span`` (window samples, as :meth:`Augmenter.window` returns it)."""
        sr = self.cfg.sample_rate
        spans, db = self._spans[i], self._db[i]
        assert spans is not None and db is not None
        a, b = self._bounds[i]
        # the chain resamples (speed) and shifts the clip: map each frame centre back to
        # the clip as cut, linearly through the word's bounds
        stretch = (b - a) / max(span[1] - span[0], 1)
        t = (a + (self.centres - span[0]) * stretch) / sr  # clip time of each frame
        lab = np.full(len(t), IGNORE, np.int64)
        lab[(t < spans[0, 1] - EDGE_S) | (t >= spans[-1, 2] + EDGE_S)] = SIL
        for p, s, e in spans:
            lab[(t >= s + EDGE_S) & (t < e - EDGE_S)] = int(p)
        # near-silent frames inside the word (a stop's closure, silence the aligner gave
        # to a final phone) are neither that phone nor scored as silence
        k = np.clip((t * 100).astype(np.int64), 0, len(db) - 1)
        inside = (t >= spans[0, 1]) & (t < spans[-1, 2])
        lab[inside & (db[k] < QUIET_DB)] = IGNORE
        return lab

    def __getitem__(self, k: int) -> tuple[torch.Tensor, dict[str, Any]]:  # type: ignore[override]
        i = k % len(self.examples)
        y, bounds = self.raw(i)
        rng = np.random.default_rng((self.seed, self.epoch, k))
        narrow = self.narrow[i]
        if self.augment and not narrow and rng.random() < P_NARROW:
            y, narrow = lowpass(y, self.cfg.sample_rate), True
        w, span = self.augmenter.window(y, bounds, self.n, rng)
        return torch.from_numpy(w), {"frames": torch.from_numpy(self.frame_targets(i, span)),
                                     "narrow": narrow}


class SentencePhoneDataset(PhoneDataset):
    """Words of the speechocean762 sentences, each window centred on one word, with the
    frame targets of the whole sentence around it (neighbouring words keep their phones).

    ``entries``: ``(npy path, entry)`` pairs of :func:`learner_entries`: the entry's
    ``phones`` are the sentence's ``[label, start_s, end_s]`` in time order (``"SIL"`` for
    a pause between words, ``"?"`` for a phone some expert marked wrong or accented: not
    scored), ``focus`` the word's ``[start_s, end_s]``. The audio is read from the cache's
    int16 ``.npy`` for each item (all the windows would not fit in memory).
    """

    CONTEXT_S = 1.0  # audio kept on each side of the word

    def raw(self, i: int) -> tuple[np.ndarray, tuple[int, int]]:
        sr = self.cfg.sample_rate
        full = np.load(self.examples[i].path, mmap_mode="r")
        e = self._entries[i]
        a = max(0, int((e["focus"][0] - self.CONTEXT_S) * sr))
        b = min(len(full), int((e["focus"][1] + self.CONTEXT_S) * sr))
        y = np.asarray(full[a:b], np.float32) / 32768.0
        if self._spans[i] is None:
            self._spans[i] = np.array(
                [[IGNORE if p == "?" else LABELS.index(p), s - a / sr, t - a / sr]
                 for p, s, t in self.phones[i]], np.float64)
            self._db[i] = frame_db(y, sr)
            self._bounds[i] = (int(e["focus"][0] * sr) - a, int(e["focus"][1] * sr) - a)
        return y, self._bounds[i]


def learner_entries(align: dict, utts: list, speakers: set[str]) -> list[tuple[str, dict]]:
    """One entry per word of the sentences of ``speakers`` (:class:`SentencePhoneDataset`):
    ``align`` is :func:`space.training.learner_labels.load_alignment`'s mapping, ``utts``
    the :class:`space.data.speechocean.Utterance` list, the audio in the default cache."""
    from ..data.speechocean import DEFAULT_CACHE

    out = []
    for u in utts:
        if u.speaker not in speakers or u.utt not in align:
            continue
        seq: list[list] = []
        for k, (w, a) in enumerate(zip(u.words, align[u.utt]["words"], strict=True)):
            if k and a["start_s"] - seq[-1][2] >= 0.03:
                seq.append(["SIL", seq[-1][2], a["start_s"]])
            ok = w.all_right
            seq += [[p if good else "?", s, t] for (p, s, t), good in zip(a["phones"], ok,
                                                                        strict=True)]
        path = str(Path(DEFAULT_CACHE) / "audio" / f"{u.utt}.npy")
        for a in align[u.utt]["words"]:
            out.append((path, {"speaker": u.speaker, "sr": 16000, "phones": seq,
                               "focus": [a["start_s"], a["end_s"]]}))
    return out


def phones_task(train: list[tuple[str, dict]], val: list[tuple[str, dict]],
                encoder_cfg: EncoderConfig, train_cfg: TrainConfig,
                feature_cfg: FeatureConfig = FEATURES, *,
                dataset: type[PhoneDataset] = PhoneDataset,
                init: PhoneModel | None = None) -> Task:
    """The phone encoder as a :class:`~space.training.loop.Task`: per-frame cross-entropy
    on narrowband-masked log-mels, validated by phone frame accuracy."""
    from ..audio.features import LogMel

    n = int(WINDOW_S * feature_cfg.sample_rate)
    aug = Augmenter(train_cfg.augment, feature_cfg.sample_rate)
    train_ds = dataset(train, feature_cfg, augmenter=aug, n_samples=n,
                       copies=train_cfg.copies, seed=train_cfg.seed)
    val_ds = dataset(val, feature_cfg, n_samples=n) if val else None
    frontend = LogMel(feature_cfg)
    high = high_bands(feature_cfg)
    model = FrameEncoder(encoder_cfg, feature_cfg.n_mels)
    if init is not None:  # fine-tune: start from a trained model's weights
        model.load_state_dict(init.encoder.state_dict())

    def feats(x: torch.Tensor, narrow: torch.Tensor) -> torch.Tensor:
        return mask_narrowband(frontend(x), narrow.numpy(), high)

    def loss(net: torch.nn.Module, x: torch.Tensor, y: Any, masks: Masks) -> torch.Tensor:
        with torch.no_grad():
            f = masks(feats(x, y["narrow"]))
        _, logits = net(f)
        return F.cross_entropy(logits, y["frames"], ignore_index=IGNORE,
                               label_smoothing=train_cfg.label_smoothing)

    @torch.no_grad()
    def validate(net: torch.nn.Module) -> float:
        """Share of scored speech frames (not silence) whose likeliest phone is the label."""
        assert val_ds is not None
        net.eval()
        right = tot = 0
        loader = torch.utils.data.DataLoader(val_ds, batch_size=128)
        for x, y in loader:
            _, logits = net(feats(x, y["narrow"]))
            t = y["frames"]
            m = (t != IGNORE) & (t != SIL)
            right += int((logits.argmax(1)[m] == t[m]).sum())
            tot += int(m.sum())
        return right / max(tot, 1)

    def save(path: Path, meta: dict[str, Any], state: dict[str, Any] | None) -> Path:
        return save_phone_model(PhoneModel(model, feature_cfg, list(LABELS), meta), path,
                                train_state=state)

    return Task(model, list(LABELS), train_ds, loss, save, FORMAT,
                validate if val_ds is not None else None, metric="val phone frame acc")


def train(out: str | os.PathLike, labels_path: str | os.PathLike, *,
          train_cfg: TrainConfig = PHONES_TRAIN, encoder: EncoderConfig = DEFAULT_CONFIG,
          resume: str | os.PathLike | None = None, progress: bool = True,
          log: Callable[[str], None] | None = None) -> PhoneModel | None:
    """Train and save the phone encoder (see the module doc) with
    :func:`space.training.loop.fit`.

    Parameters
    ----------
    out : path
        The best checkpoint (by validation phone frame accuracy); ``<out>.last.pt`` holds
        the resumable state after each epoch (pass it as ``resume``).
    labels_path : path
        The labels file of :mod:`.phone_labels`.

    Returns the best model on rank 0, ``None`` on the other torchrun ranks.
    """
    labels_path = Path(labels_path)
    if not labels_path.is_file():
        raise DataError(f"{labels_path}: phone labels file not found (build it with "
                        "python -m space.training.phone_labels)")
    data = json.loads(labels_path.read_text())
    train_e = _entries(data, {"train"}, {"speech_commands", "sc_v1_words", "fsdd"})
    val_e = _entries(data, {"val"}, {"speech_commands", "fsdd"})
    cfg = replace(encoder, n_classes=len(LABELS))
    meta = {"train_clips": len(train_e), "val_clips": len(val_e),
            "labels": portable_path(labels_path)}
    done = fit(lambda: phones_task(train_e, val_e, cfg, train_cfg), train_cfg, out,
               resume=resume, meta=meta, progress=progress, log=log)
    return load_phone_model(out) if done is not None else None


def train_learners(out: str | os.PathLike, *, root: str | os.PathLike, cache: str | os.PathLike,
                   train_speakers: set[str] | None = None,
                   val_speakers: frozenset[str] | set[str] = frozenset(),
                   init: str | os.PathLike | None = None, train_cfg: TrainConfig = PHONES_TRAIN,
                   max_val: int = 1500, resume: str | os.PathLike | None = None,
                   progress: bool = True, log: Callable[[str], None] | None = None
                   ) -> PhoneModel | None:
    """Train (or, from ``init``'s weights, fine-tune) the phone encoder on the
    speechocean762 sentences' words (:class:`SentencePhoneDataset`): phones every expert
    marked right are targets, the others are not scored.

    ``train_speakers`` (default: every speaker not in ``val_speakers``) train;
    ``val_speakers``' words (at most ``max_val``, evenly spread) measure the held-out phone
    frame accuracy that picks the best epoch. ``cache`` holds the decoded audio and
    ``align.json`` (:mod:`space.training.learner_labels`).
    """
    from ..data import speechocean as so
    from .learner_labels import load_alignment

    utts = list(so.utterances(root))
    align = load_alignment(cache)
    if str(cache) != str(so.DEFAULT_CACHE):
        os.environ["SPACE_SO762_CACHE"] = str(cache)
    speakers = {u.speaker for u in utts}
    train_sp = set(train_speakers) if train_speakers else speakers - set(val_speakers)
    train_e = _cache_paths(learner_entries(align, utts, train_sp), cache)
    val_e = _cache_paths(learner_entries(align, utts, set(val_speakers)), cache)
    val_e = val_e[:: max(1, len(val_e) // max_val)] if val_e else []
    base = load_phone_model(init) if init is not None else None
    cfg = base.encoder.cfg if base is not None else replace(DEFAULT_CONFIG, n_classes=len(LABELS))
    meta = {"train_words": len(train_e), "val_words": len(val_e),
            "train_speakers": sorted(train_sp), "val_speakers": sorted(val_speakers),
            "init": portable_path(init) if init is not None else None,
            "data": "speechocean762 training split (learners' sentences), phones all "
                    "experts marked right"}
    done = fit(lambda: phones_task(train_e, val_e, cfg, train_cfg,
                                   dataset=SentencePhoneDataset, init=base),
               train_cfg, out, resume=resume, meta=meta, progress=progress, log=log)
    return load_phone_model(out) if done is not None else None


def _cache_paths(entries: list[tuple[str, dict]], cache: str | os.PathLike
                 ) -> list[tuple[str, dict]]:
    return [(str(Path(cache) / "audio" / Path(p).name), e) for p, e in entries]
