"""Train the connected-digits frame model (``src/space/models/digitseq.pt``).

    python -m space.train_sequence --fsdd DIR --speech-commands DIR --learners DIR \
        --out digitseq.pt --cache DIR [--steps N | --minutes M]

A :class:`space.pronounce.encoder.FrameEncoder` (the frame encoder's architecture and
checkpoint format) with 12 outputs per 10 ms frame: the ten digits, ``_other_`` and
``_silence_``. It is trained on connected recordings built on the fly by
:func:`space.connected.build` (one voice per recording, 1-6 digits, 0-200 ms gaps and up
to 50 ms overlaps, per-word level changes) and on real connected speech (the learners'
utterances, word spans from the corpus alignment), with a random speed factor per
recording (0.85-1.25: pitch and formants, i.e. vocal tract length, and tempo; the top end
reaches children's voices), microphone colour and reverb, background noise at 0-30 dB SNR
(Speech Commands' ``_background_noise_``), SpecAugment, and windows of 2-4 s, so the
per-window feature normalisation matches what the streaming decoder sees.

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

Training stops after ``--steps`` (or ``--minutes`` of training time), saves a resumable
state every ``--save-every`` steps in ``--cache``, and uses one thread by default.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import audio, connected
from .config import AugmentConfig
from .data import Augmenter
from .data.augment import spec_augment
from .errors import DataError
from .pronounce.encoder import (
    DEFAULT_FEATURES,
    SILENCE,
    EncoderCheckpoint,
    EncoderConfig,
    FrameEncoder,
    bundled_encoder_path,
    load_encoder,
    save_encoder,
)

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


def make_example(pool: dict, n: int, rng: np.random.Generator, aug: Augmenter, hop: int,
                 n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """One training window ``[shape=(n,)]`` at the model rate and its frame targets."""
    sr = aug.sr
    idx = {w: k for k, w in enumerate(LABELS)}
    if rng.random() < 0.05:  # noise or silence only: every frame is silence
        y = np.zeros(n, np.float32)
        y = aug.gain_and_noise(y, 1e-3 * float(rng.uniform(0.01, 1)), rng)
        return audio.normalize_peak(y), connected.frame_targets([], [], n_frames, hop,
                                                                idx[SILENCE])
    factor = float(rng.uniform(0.85, 1.25)) if rng.random() < 0.9 else 1.0
    # Sources are drawn by kind, not by voice: espeak has 240 voices, FSDD 4 and the
    # learners about a dozen, and the real voices matter most.
    kinds = [k for k in ("fsdd", "espeak", "learner", "utt") if pool["by_kind"].get(k)]
    weights = np.array([SOURCE_WEIGHTS[k] for k in kinds])
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    if kind == "utt":
        return _real_utterance(pool, n, rng, aug, hop, n_frames, factor)
    names = pool["by_kind"][kind]
    clips = pool["voices"][names[int(rng.integers(len(names)))]]
    k = int(rng.integers(1, 7))
    words = [clips[int(rng.integers(len(clips)))] for _ in range(k)]
    # Fit the window: drop words from the end until the (speed-changed) sequence fits.
    budget = n * factor
    while len(words) > 1 and sum(len(w) for _, w in words) + 0.25 * sr * len(words) > budget:
        words.pop()
    seq = connected.build(words, sr, rng)
    return _finish(seq.y, seq.spans, seq.labels, n, rng, aug, hop, n_frames, factor)


def _real_utterance(pool: dict, n: int, rng: np.random.Generator, aug: Augmenter, hop: int,
                    n_frames: int, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """A learner's whole digit utterance (real connected speech), aligned word spans."""
    y, words = pool["utts"][int(rng.integers(len(pool["utts"])))]
    return _finish(y, [(a, b) for _, a, b in words], [d for d, _, _ in words], n, rng, aug,
                   hop, n_frames, factor)


def _finish(y: np.ndarray, spans: list[tuple[int, int]], labels: list[str], n: int,
            rng: np.random.Generator, aug: Augmenter, hop: int, n_frames: int,
            factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Speed, colour, placement in the window, noise; the frame targets."""
    sr = aug.sr
    idx = {w: k for k, w in enumerate(LABELS)}
    if factor != 1.0:
        import soxr

        y = soxr.resample(y, sr * factor, sr).astype(np.float32)
        spans = [(int(a / factor), int(b / factor)) for a, b in spans]
    y = aug.colour(y, rng)
    # Place it at a random offset in the window (it may be cut at either end).
    off = int(rng.integers(min(0, n - len(y)), max(0, n - len(y)) + 1))
    w = np.zeros(n, np.float32)
    a, b = max(0, off), min(n, off + len(y))
    w[a:b] = y[a - off : b - off]
    speech_pow = float(np.mean(np.concatenate([y[s:e] for s, e in spans]) ** 2)) + 1e-10
    spans = [(s + off, e + off) for s, e in spans]
    labs = [idx[lab] for lab in labels]
    w = aug.gain_and_noise(w, speech_pow, rng)
    t = connected.frame_targets(spans, labs, n_frames, hop, idx[SILENCE])
    for s, e in spans:  # a word cut by the window edge is not scored
        if s < 0 or e > n:
            c0, c1 = max(0, s // hop - 2), min(n_frames, e // hop + 3)
            t[c0:c1] = connected.IGNORE
    return audio.normalize_peak(w), t


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


def train(out: Path, *, fsdd: Path, sc: Path, cache: Path, learners: Path | None = None,
          minutes: float = 25.0, steps: int | None = None,
          batch_size: int = 24, lr: float = 1e-3, seed: int = 0, threads: int = 1,
          save_every: int = 25, log=print) -> EncoderCheckpoint:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    fcfg = DEFAULT_FEATURES
    sr, hop = fcfg.sample_rate, fcfg.hop_length
    pool = load_pool(fsdd, cache, sr)
    if learners is not None:
        lv, lu = load_learners(learners, sr, "dev")
        pool["voices"].update(lv)
        pool["utts"] = lu
        log(f"learners (dev speakers): {len(lv)} voices, {sum(map(len, lv.values()))} clips, "
            f"{len(lu)} utterances")
    pool["by_kind"] = {k: [v for v in pool["voices"] if v.startswith(k)]
                       for k in ("fsdd", "espeak", "learner")}
    pool["by_kind"]["utt"] = ["utts"] if pool.get("utts") else []
    if not pool["voices"]:
        raise DataError("no training voices")
    aug_cfg = AugmentConfig(noise_dir=str(sc / "_background_noise_"), p_noise=0.8,
                            snr_db=(0.0, 30.0), gain_db=(-12.0, 6.0))
    aug = Augmenter(aug_cfg, sr)
    from .features import LogMel

    frontend = LogMel(fcfg)
    cfg = EncoderConfig(channels1d=(128, 128, 128), dilations=(1, 2, 4), n_classes=len(LABELS))
    model = FrameEncoder(cfg, fcfg.n_mels)
    _warm_start(model)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    state = cache / "digitseq.state.pt"
    step, spent = 0, 0.0
    if state.is_file():  # resume
        s = torch.load(state, map_location="cpu", weights_only=False)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, spent = s["step"], s["spent"]
        log(f"resumed at step {step} ({spent / 60:.1f} min spent)")
    gen = torch.Generator().manual_seed(seed + step)
    t_last = time.time()
    budget = minutes * 60
    losses: list[float] = []
    def progress() -> float:  # 0..1 through the training: by steps if given, else by time
        return step / steps if steps else spent / budget

    while progress() < 1.0:
        rng = np.random.default_rng((seed, step))
        n_s = float(rng.uniform(2.0, 4.0))
        n = int(n_s * sr)
        n_frames = n // hop + 1
        xs, ys = zip(*(make_example(pool, n, rng, aug, hop, n_frames)
                       for _ in range(batch_size)), strict=True)
        x, y = torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))
        # Learning rate: cosine from lr to lr/20 over the training.
        for g in opt.param_groups:
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * min(1.0, progress()))))
        model.train()
        with torch.no_grad():
            feats = spec_augment(frontend(x), aug_cfg, gen)
        _, logits = model(feats)
        loss = F.cross_entropy(logits, y, ignore_index=connected.IGNORE, label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        now = time.time()
        spent += now - t_last
        t_last = now
        if step % save_every == 0 or progress() >= 1.0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "spent": spent}, state)
            log(f"step {step}: loss {np.mean(losses[-save_every:]):.3f} "
                f"({spent / 60:.1f} min)")
    model.eval()
    meta = {"steps": step, "batch_size": batch_size, "train_min": round(spent / 60, 1),
            "heldout_fsdd": list(HELDOUT_FSDD), "espeak_bases": list(TRAIN_BASES),
            "espeak_variants": list(TRAIN_VARIANTS), "warm_start": "frames.pt",
            "recipe": "space.train_sequence"}
    ck = EncoderCheckpoint(model, fcfg, list(LABELS), meta)
    save_encoder(ck, out)
    return ck


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fsdd", required=True, type=Path)
    ap.add_argument("--speech-commands", required=True, type=Path)
    ap.add_argument("--learners", type=Path,
                    help="speechocean762_words folder: train on its even-id speakers too")
    ap.add_argument("--cache", required=True, type=Path, help="pool and resumable state")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--minutes", type=float, default=25.0, help="training time budget")
    ap.add_argument("--steps", type=int,
                    help="train this many steps instead (reproducible; overrides --minutes)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args(argv)
    train(args.out, fsdd=args.fsdd, sc=args.speech_commands, cache=args.cache,
          learners=args.learners, minutes=args.minutes, steps=args.steps,
          threads=args.threads, batch_size=args.batch_size, lr=args.lr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
