"""The connected-digits frame model's training task (``src/space/models/digitseq.pt``):
``space train-sequence``.

    space train-sequence --fsdd DIR --speech-commands DIR --learners DIR \
        --cache DIR --out digitseq.pt [--epochs N]

A :class:`space.recognize.frame_model.FrameEncoder` (the frame encoder's architecture and
checkpoint payload, under its own format name ``space-sequence-model``) with 12 outputs per
10 ms frame: the ten digits, ``_other_`` and ``_silence_``. It is trained on connected
recordings built on the fly by
:func:`space.recognize.sequence.connected.build` (one voice per recording, 1-6 digits, 0-200 ms gaps
and up to 50 ms overlaps, per-word level changes) and on real connected speech (the
learners' utterances, word spans from the corpus alignment). Each recording goes through the
one augmentation chain (:meth:`space.data.Augmenter.window`: speed 0.85-1.25, i.e. vocal
tract length and tempo, the top end reaching children's voices; microphone colour and
reverb; placement in the window with up to 1 s of shift; gain; background noise at 0-30 dB
SNR from Speech Commands' ``_background_noise_``), then SpecAugment. Windows are 2-4 s long
(one length per epoch, so a batch stacks), so the per-window feature normalisation matches
what the streaming decoder sees. The loop is the one training loop
(:func:`space.training.loop.fit`); an "epoch" is :data:`STEPS_PER_EPOCH` freshly drawn
batches.

Voices: FSDD minus the held-out speakers (theo and george: the benchmark's FSDD voices),
espeak-ng voices that the benchmark does not use (other accents and variants, at three
pitches and two speeds), and, with ``--learners``, speechocean762's learners with even
speaker ids (odd ids are the benchmark's held-out ``learners-test``).
It starts from the bundled frame encoder's weights (speaker-robust features learned from
Speech Commands' many voices); that encoder saw every FSDD speaker's clips 5-49, so the
FSDD voices are held out from this training only.

``_other_`` (a non-digit word) is kept as an output but is not a target: with Speech
Commands' words as '_other_' the model learned that an unfamiliar voice is "another word"
and swallowed held-out speakers' digits (the first 250 steps of the shipped model were
trained that way; see the README's model card).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .. import audio
from ..audio.features import LogMel
from ..config import SEQUENCE_STEPS_PER_EPOCH, SEQUENCE_TRAIN, EncoderConfig, TrainConfig
from ..data import Augmenter, ClipDataset
from ..errors import DataError
from ..recognize.frame_model import (
    DEFAULT_FEATURES,
    SILENCE,
    EncoderCheckpoint,
    FrameEncoder,
    bundled_encoder_path,
    load_encoder,
    save_encoder,
)
from ..recognize.sequence import connected
from ..recognize.sequence.model import FORMAT, WHAT
from .loop import Masks, Task, fit, portable_path

OTHER = "_other_"
LABELS = [str(d) for d in range(10)] + [OTHER, SILENCE]
HELDOUT_FSDD = ("theo", "george")
# How often each kind of source makes a training recording ("utt": a learner's whole
# utterance, real connected speech). Non-digit words ('_other_') are not used: trained
# with Speech Commands' many voices against digits from a few, the model learned "an
# unfamiliar voice is another word" and swallowed held-out speakers' digits.
SOURCE_WEIGHTS = {"fsdd": 0.35, "espeak": 0.25, "learner": 0.2, "utt": 0.2}
# espeak-ng voices for training: none of the benchmark's bases (en-us, en-gb, en-gb-scotland,
# en, en-029) or variants (f2, f3, m3, m7).
TRAIN_BASES = ("en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc")
TRAIN_VARIANTS = ("", "+m1", "+m2", "+m4", "+m5", "+m6", "+f1", "+f4", "+f5", "+klatt")
TRAIN_PITCHES = (25, 50, 75)
TRAIN_SPEEDS = (140, 180)


def _voices_fsdd(root: Path, sr: int, exclude: tuple[str, ...]) -> dict[str, list]:
    """{speaker: [(digit, trimmed clip)]} of FSDD's speakers not in ``exclude``."""
    out: dict[str, list] = {}
    for p in sorted((root / "recordings").glob("*.wav")):
        digit, speaker, _ = p.stem.split("_")
        if speaker in exclude:
            continue
        y, _ = audio.load(p, sr=sr)
        out.setdefault(f"fsdd-{speaker}", []).append((digit, connected.trim(y, sr)))
    return out


def _voices_espeak(sr: int) -> dict[str, list]:
    out: dict[str, list] = {}
    for base in TRAIN_BASES:
        for var in TRAIN_VARIANTS:
            for pitch in TRAIN_PITCHES:
                for speed in TRAIN_SPEEDS:
                    name = f"espeak-{base}{var}-p{pitch}-s{speed}"
                    out[name] = [(str(d), connected.trim(connected.espeak(
                        w, voice=base + var, speed=speed, pitch=pitch, sr=sr), sr))
                        for d, w in enumerate(connected.DIGIT_WORDS)]
    return out


def learner_part(speaker: str) -> str:
    """speechocean762 learners: even speaker ids are "dev" (may be trained on), odd ids
    "test" (never trained on: ``benchmarks/connected.py``'s ``learners-test``)."""
    return "dev" if int(speaker) % 2 == 0 else "test"


def load_learners(root: Path, sr: int, part: str = "dev") -> tuple[dict[str, list], list]:
    """The learners' digit clips by speaker ``{name: [(digit, clip)]}`` and their whole
    digit utterances ``[(audio, [(digit, start, end)])]`` (sample spans from the corpus
    alignment), for the speakers of ``part``."""
    import json

    meta = json.loads((root / "labels.json").read_text())
    w2d = {w: str(d) for d, w in enumerate(connected.DIGIT_WORDS)}
    voices: dict[str, list] = {}
    spans: dict[str, list] = {}
    for rel, m in sorted(meta["clips"].items()):
        if m["word"] not in w2d or learner_part(m["speaker"]) != part:
            continue
        y, _ = audio.load(root / rel, sr=sr)
        voices.setdefault(f"learner-{m['speaker']}", []).append(
            (w2d[m["word"]], connected.trim(y, sr)))
        spans.setdefault(m["utt"], []).append(
            (m["word_index"], w2d[m["word"]], int(m["align"]["start"] * sr),
             int(m["align"]["end"] * sr)))
    utts = []
    for rel, m in sorted(meta["utterances"].items()):
        if m["utt"] in spans and learner_part(m["speaker"]) == part:
            y, _ = audio.load(root / rel, sr=sr, max_duration_s=None)
            utts.append((y, [(d, a, b) for _, d, a, b in sorted(spans[m["utt"]])]))
    return voices, utts


def load_pool(fsdd: Path, cache: Path, sr: int) -> dict:
    """All voices' trimmed clips, decoded (and synthesised) once and cached as .npz."""
    cache.mkdir(parents=True, exist_ok=True)
    f = cache / f"seqpool-{sr}.npz"
    if f.is_file():
        z = np.load(f, allow_pickle=True)
        return z["pool"].item()
    t0 = time.time()
    voices = {**_voices_fsdd(fsdd, sr, HELDOUT_FSDD), **_voices_espeak(sr)}
    pool = {"voices": voices}
    np.savez(f, pool=np.array(pool, dtype=object))
    print(f"pool: {len(voices)} voices ({time.time() - t0:.0f} s)", flush=True)
    return pool


# Optimizer steps per "epoch" of :func:`fit` (each a fresh draw of recordings; the window
# length is drawn per epoch).
STEPS_PER_EPOCH = SEQUENCE_STEPS_PER_EPOCH
SEQUENCE_ENCODER = EncoderConfig(channels1d=(128, 128, 128), dilations=(1, 2, 4),
                                 n_classes=len(LABELS))
WINDOW_S = (2.0, 4.0)  # range of training window lengths


def make_example(pool: dict, n: int, rng: np.random.Generator, aug: Augmenter, hop: int,
                 n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """One training window ``[shape=(n,)]`` at the model rate and its frame targets
    ``[shape=(n_frames,)]`` (label indices, :data:`connected.IGNORE` where not scored)."""
    sr = aug.sr
    idx = {w: k for k, w in enumerate(LABELS)}
    if rng.random() < 0.05:  # noise or silence only: every frame is silence
        y = np.zeros(n, np.float32)
        y = aug.gain_and_noise(y, 1e-3 * float(rng.uniform(0.01, 1)), rng)
        return audio.normalize_peak(y), connected.frame_targets([], [], n_frames, hop,
                                                                idx[SILENCE])
    # Sources are drawn by kind, not by voice: espeak has 240 voices, FSDD 4 and the
    # learners about a dozen, and the real voices matter most.
    kinds = [k for k in ("fsdd", "espeak", "learner", "utt") if pool["by_kind"].get(k)]
    weights = np.array([SOURCE_WEIGHTS[k] for k in kinds])
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    if kind == "utt":  # a learner's whole digit utterance (real connected speech)
        y, words = pool["utts"][int(rng.integers(len(pool["utts"])))]
        return _finish(y, [(a, b) for _, a, b in words], [d for d, _, _ in words], n, rng,
                       aug, hop, n_frames)
    names = pool["by_kind"][kind]
    clips = pool["voices"][names[int(rng.integers(len(names)))]]
    k = int(rng.integers(1, 7))
    words = [clips[int(rng.integers(len(clips)))] for _ in range(k)]
    # Fit the window: drop words from the end until the sequence fits (at the fastest
    # speed the chain may draw).
    budget = n * aug.cfg.speed[1]
    while len(words) > 1 and sum(len(w) for _, w in words) + 0.25 * sr * len(words) > budget:
        words.pop()
    seq = connected.build(words, sr, rng)
    return _finish(seq.y, seq.spans, seq.labels, n, rng, aug, hop, n_frames)


def _finish(y: np.ndarray, spans: list[tuple[int, int]], labels: list[str], n: int,
            rng: np.random.Generator, aug: Augmenter, hop: int,
            n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The recording through :meth:`Augmenter.window` (speed, colour, placement, gain,
    noise); the words' frame targets."""
    idx = {w: k for k, w in enumerate(LABELS)}
    start, end = spans[0][0], spans[-1][1]
    w, (s0, s1) = aug.window(y, (start, end), n, rng)
    # The chain reports where the whole stretch landed; each word keeps its share of it
    # (the speed change stretches time uniformly).
    scale = (s1 - s0) / max(1, end - start)
    spans = [(s0 + int(round((a - start) * scale)), s0 + int(round((b - start) * scale)))
             for a, b in spans]
    t = connected.frame_targets(spans, [idx[lab] for lab in labels], n_frames, hop,
                                idx[SILENCE])
    for a, b in spans:  # a word cut by the window edge is not scored
        if a < 0 or b > n:
            c0, c1 = max(0, a // hop - 2), min(n_frames, b // hop + 3)
            t[c0:c1] = connected.IGNORE
    return w, t


class SequenceDataset(ClipDataset):
    """Training windows drawn afresh from the voice pool: item ``k`` of epoch ``e`` is
    ``(window [n_samples], frame targets [n_frames])``, reproducible from the seed. All
    items of an epoch share one window length (drawn from :data:`WINDOW_S`), so that
    :func:`fit`'s batches stack."""

    def __init__(self, pool: dict, augmenter: Augmenter, size: int, *, seed: int = 0) -> None:
        torch.utils.data.Dataset.__init__(self)  # no clip list: recordings are built
        self.pool = pool
        self.augmenter = augmenter
        self.cfg = DEFAULT_FEATURES
        self.size = size
        self.seed = seed
        self.epoch = 0
        self.targets: list[int] = []

    def __len__(self) -> int:
        return self.size

    def window_samples(self) -> int:
        """This epoch's window length in samples."""
        rng = np.random.default_rng((self.seed, self.epoch, 1 << 30))
        return int(float(rng.uniform(*WINDOW_S)) * self.cfg.sample_rate)

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        n = self.window_samples()
        hop = self.cfg.hop_length
        rng = np.random.default_rng((self.seed, self.epoch, k))
        w, t = make_example(self.pool, n, rng, self.augmenter, hop, n // hop + 1)
        return torch.from_numpy(w), torch.from_numpy(t)


def _warm_start(model: FrameEncoder) -> None:
    """Copy the bundled frame encoder's weights; map its digit and silence outputs."""
    path = bundled_encoder_path()
    if not path.is_file():
        return
    src = load_encoder(path)
    sd = src.encoder.state_dict()
    own = model.state_dict()
    for k, v in sd.items():
        if k in own and own[k].shape == v.shape:
            own[k] = v.clone()
    rows = [src.labels.index(str(d)) for d in range(10)]
    others = [i for i, lab in enumerate(src.labels) if not lab.isdigit() and lab != SILENCE]
    for name in ("head.weight", "head.bias"):
        w = sd[name]
        own[name] = torch.cat([w[rows], w[others].mean(0, keepdim=True),
                               w[[src.labels.index(SILENCE)]]])
    model.load_state_dict(own)


def sequence_task(pool: dict, train_cfg: TrainConfig, encoder_cfg: EncoderConfig = SEQUENCE_ENCODER,
                  *, warm_start: bool = True) -> Task:
    """The connected-digits frame model as a :class:`~space.training.loop.Task`:
    per-frame cross-entropy on built recordings; no validation (the benchmark,
    ``benchmarks/connected.py``, measures held-out voices), so the last epoch is kept."""
    fcfg = DEFAULT_FEATURES
    aug = Augmenter(train_cfg.augment, fcfg.sample_rate)
    train_ds = SequenceDataset(pool, aug, STEPS_PER_EPOCH * train_cfg.batch_size,
                               seed=train_cfg.seed)
    frontend = LogMel(fcfg)
    model = FrameEncoder(replace(encoder_cfg, n_classes=len(LABELS)), fcfg.n_mels)
    if warm_start:
        _warm_start(model)

    def loss(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, masks: Masks) -> torch.Tensor:
        with torch.no_grad():
            feats = masks(frontend(x))
        _, logits = net(feats)
        return F.cross_entropy(logits, y, ignore_index=connected.IGNORE,
                               label_smoothing=train_cfg.label_smoothing)

    def save(path: Path, meta: dict[str, Any], state: dict[str, Any] | None) -> Path:
        model.eval()
        return save_encoder(EncoderCheckpoint(model, fcfg, list(LABELS), meta), path,
                            train_state=state, format=FORMAT)

    return Task(model, list(LABELS), train_ds, loss, save, FORMAT, None,
                metric="val (none)")


def build_pool(fsdd: str | os.PathLike, cache: str | os.PathLike,
               learners: str | os.PathLike | None = None,
               log: Callable[[str], None] = print) -> dict:
    """Every training voice's trimmed digit clips (and the learners' utterances), by kind."""
    sr = DEFAULT_FEATURES.sample_rate
    pool = load_pool(Path(fsdd), Path(cache), sr)
    if learners is not None:
        lv, lu = load_learners(Path(learners), sr, "dev")
        pool["voices"].update(lv)
        pool["utts"] = lu
        log(f"learners (dev speakers): {len(lv)} voices, {sum(map(len, lv.values()))} clips, "
            f"{len(lu)} utterances")
    pool["by_kind"] = {k: [v for v in pool["voices"] if v.startswith(k)]
                       for k in ("fsdd", "espeak", "learner")}
    pool["by_kind"]["utt"] = ["utts"] if pool.get("utts") else []
    if not pool["voices"]:
        raise DataError("no training voices")
    return pool


def train_sequence(
    out: str | os.PathLike,
    *,
    fsdd: str | os.PathLike,
    speech_commands: str | os.PathLike,
    cache: str | os.PathLike,
    learners: str | os.PathLike | None = None,
    train: TrainConfig = SEQUENCE_TRAIN,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> EncoderCheckpoint | None:
    """Train and save the connected-digits model (see the module doc) with :func:`fit`.

    ``train.augment.noise_dir`` defaults to Speech Commands' ``_background_noise_``.
    Returns the checkpoint on rank 0, ``None`` on the other torchrun ranks.
    """
    say = log or print
    if train.augment.noise_dir is None:
        noise = Path(speech_commands) / "_background_noise_"
        train = replace(train, augment=replace(train.augment, noise_dir=str(noise)))
    pool = build_pool(fsdd, cache, learners, say)
    meta = {"steps": train.epochs * STEPS_PER_EPOCH, "heldout_fsdd": list(HELDOUT_FSDD),
            "espeak_bases": list(TRAIN_BASES), "espeak_variants": list(TRAIN_VARIANTS),
            "warm_start": "frames.pt", "recipe": "space train-sequence",
            "data": {"fsdd": portable_path(fsdd), "learners": portable_path(learners)}}
    t0 = time.time()
    done = fit(lambda: sequence_task(pool, train), train, out, resume=resume, meta=meta,
               progress=progress, log=log)
    say(f"trained in {(time.time() - t0) / 60:.1f} min")
    return load_encoder(out, format=FORMAT, what=WHAT) if done is not None else None
