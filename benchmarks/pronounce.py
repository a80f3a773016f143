"""Pronunciation scoring benchmarks: separation, degradation ladder, worst-segment
localisation, DTW speed, throughput and `space score` latency.

    python benchmarks/pronounce.py [--only auc,ladder,segments,speed,pairs,latency]
        [--encoder PATH|none] [--attempts N]

Data: the Speech Commands subset (../shared/data/speech_commands). References come from its
training speakers (k medoids per command word, picked as `space references build` does);
attempts from its testing speakers, who no model or reference set here has heard. Prints
markdown tables (medians and ratios measured side by side in this one run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from space import audio
from space.data import speech_commands_splits
from space.data.readers import SC_COMMANDS
from space.pronounce.align import dtw_frames, frames
from space.pronounce.calibrate import band, calibrate
from space.pronounce.distance import match, set_distances, within_set
from space.pronounce.frames import Featurizer, Utterance, bundled_encoder_path, load_encoder
from space.pronounce.medoids import medoids, pairwise
from space.pronounce.segments import worst_segments

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT.parent / "shared" / "data" / "speech_commands"
SR = 16000


@dataclass
class Clip:
    path: str
    word: str
    speaker: str
    y: np.ndarray | None = None
    utt: Utterance | None = None


def sc_clips(split: str, limit: int | None, seed: int = 0) -> list[Clip]:
    s = speech_commands_splits(SC)
    out = [Clip(e.path, e.label, e.speaker or "") for e in s.get(split) if e.label in SC_COMMANDS]
    if limit is not None:
        rng = np.random.default_rng(seed)
        keep = []
        for w in SC_COMMANDS:
            group = [c for c in out if c.word == w]
            keep += [group[i] for i in sorted(rng.permutation(len(group))[:limit])]
        out = keep
    for c in out:
        c.y, _ = audio.load(c.path, sr=SR)
    return out


def embed(feat: Featurizer, cs: list[Clip]) -> None:
    for c in cs:
        c.utt = feat(c.y, SR, name=c.path)


class Refs:
    """k medoid references per command word from training speakers, calibrated like the
    bundled sets (the other words' references are the 'other words')."""

    def __init__(self, feat: Featurizer, train: list[Clip], k: int) -> None:
        self.words = list(SC_COMMANDS)
        self.sets: dict[str, list[Utterance]] = {}
        # Calibrated as `space references build` does: the word's other training
        # recordings (speakers not in the set) and 10 recordings of each other word.
        self.cal = {}
        groups = {w: [c for c in train if c.word == w] for w in self.words}
        for w in self.words:
            group = groups[w]
            d = pairwise([c.utt.frames for c in group])
            idx = medoids(d, k, speakers=[c.speaker for c in group])
            self.sets[w] = [group[i].utt for i in idx]
            mine = self.sets[w]
            spk = [group[i].speaker for i in idx]
            rest = [c for i, c in enumerate(group) if i not in idx]
            others = [c for o in self.words if o != w for c in groups[o][:10]]
            genuine = set_distances([c.utt for c in rest], mine,
                                    [[j for j, s in enumerate(spk) if s == c.speaker]
                                     for c in rest])
            impostor = set_distances([c.utt for c in others], mine)
            self.cal[w] = calibrate(None, genuine=genuine, impostor=impostor,
                                    loo=within_set(mine))
        self.feat = feat

    def distances(self, utts: list[Utterance]) -> np.ndarray:
        """[shape=(attempts, words)] set distances (as space.score computes them)."""
        return np.stack([set_distances(utts, self.sets[w]) for w in self.words], axis=1)

    def score(self, utt: Utterance, word: str) -> tuple[float, float, list]:
        """(score, distance, segments) as space.score computes them."""
        m = match(utt, self.sets[word])
        segs = worst_segments(m.frame_costs, m.alignments[m.best].path, utt,
                              self.sets[word][m.best])
        return self.cal[word].score(m.distance), m.distance, segs


def roc_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg]))


def bench_auc(feats: dict[str, Featurizer], train, test, k: int) -> dict[str, Refs]:
    print(f"\n### Same-word vs different-word separation ({len(test)} attempts by testing "
          f"speakers x {len(SC_COMMANDS)} words; {k} medoid references per word from training "
          "speakers)\n")
    print("| frame features | ROC AUC (distance) | ROC AUC (score) | nearest-word accuracy | "
          "same word: excellent/good/fair/poor | other word: excellent/good/fair/poor |")
    print("|---|---|---|---|---|---|")
    all_refs = {}
    for name, feat in feats.items():
        embed(feat, train)
        embed(feat, test)
        refs = Refs(feat, train, k)
        all_refs[name] = refs
        D = refs.distances([c.utt for c in test])
        S = np.array([[refs.cal[w].score(D[i, j]) for j, w in enumerate(refs.words)]
                      for i in range(len(test))])
        truth = np.array([refs.words.index(c.word) for c in test])
        same = np.zeros_like(D, bool)
        same[np.arange(len(test)), truth] = True
        auc_d = roc_auc(-D[same], -D[~same])
        auc_s = roc_auc(S[same], S[~same])
        acc = float(np.mean(D.argmin(1) == truth))

        def bands(x: np.ndarray) -> str:
            b = [band(s) for s in x]
            return "/".join(f"{b.count(n) / len(b):.0%}" for n in ("excellent", "good", "fair",
                                                                  "poor"))

        print(f"| {name} | {auc_d:.3f} | {auc_s:.3f} | {acc:.1%} | {bands(S[same])} | "
              f"{bands(S[~same])} |")
    return all_refs


def add_noise(y: np.ndarray, snr_db: float, noise: np.ndarray) -> np.ndarray:
    a, b = audio.speech_bounds(y, SR)
    p_speech = float(np.mean(y[a:b] ** 2)) + 1e-12
    n = noise[: len(y)]
    return (y + n * np.sqrt(p_speech / (np.mean(n**2) * 10 ** (snr_db / 10)))).astype(np.float32)


def replace_span(y: np.ndarray, other: np.ndarray, rng: np.random.Generator,
                 span_s: float | None = None) -> tuple[np.ndarray, float, float]:
    """Replace a span inside y's speech with the same length of another word's speech,
    at the same level. Returns (audio, start_s, end_s). The words are found with a 30 dB
    threshold: Speech Commands clips often have room noise within 40 dB of the peak."""
    a, b = audio.speech_bounds(y, SR, top_db=30)
    oa, ob = audio.speech_bounds(other, SR, top_db=30)
    n = int((span_s if span_s is not None else rng.uniform(0.15, 0.25)) * SR)
    n = min(n, b - a, ob - oa)
    s = int(rng.integers(a, max(a + 1, b - n)))
    t = int(rng.integers(oa, max(oa + 1, ob - n)))
    piece = other[t:t + n]
    gain = np.sqrt((np.mean(y[s:s + n] ** 2) + 1e-12) / (np.mean(piece**2) + 1e-12))
    out = y.copy()
    out[s:s + n] = piece * min(gain, 10.0)
    return out, s / SR, (s + n) / SR


def load_noise() -> np.ndarray:
    folder = SC / "_background_noise_"
    ys = [audio.load(p, sr=SR, max_duration_s=None)[0] for p in sorted(folder.glob("*.wav"))]
    return np.concatenate(ys)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.all(y == y[0]):
        return float("nan")
    return float(spearmanr(x, y).statistic)


def bench_ladder(refs: Refs, test: list[Clip], n: int, seed: int = 0) -> None:
    import librosa

    rng = np.random.default_rng(seed)
    noise = load_noise()
    picks = [test[i] for i in rng.permutation(len(test))[:n]]
    ladders = {
        "noise (clean, 30, 20, 10, 5, 0 dB SNR)": [None, 30, 20, 10, 5, 0],
        "time-stretch (x1, 1.15, 1.3, 1.5, 1.75 longer)": [1.0, 1.15, 1.3, 1.5, 1.75],
        "replaced span (0, 50, 100, 150, 200, 250 ms of another word)": [0, .05, .1, .15, .2, .25],
    }
    print(f"\n### Degradation ladder ({n} attempts by testing speakers, scored against their "
          "word's references)\n")
    print("| ladder | mean score per rung | Spearman (rung means) | median Spearman per attempt "
          "(score) | median Spearman per attempt (distance) | attempts with Spearman <= -0.9 "
          "(distance) |")
    print("|---|---|---|---|---|---|")
    for name, rungs in ladders.items():
        scores = np.zeros((n, len(rungs)))
        dists = np.zeros((n, len(rungs)))
        for i, c in enumerate(picks):
            off = int(rng.integers(0, len(noise) - len(c.y)))
            nz = noise[off:off + len(c.y)]
            other = test[int(rng.integers(len(test)))]
            while other.word == c.word:
                other = test[int(rng.integers(len(test)))]
            r = np.random.default_rng((seed, i))
            for j, v in enumerate(rungs):
                if name.startswith("noise"):
                    y = c.y if v is None else add_noise(c.y, v, nz)
                elif name.startswith("time"):
                    y = c.y if v == 1.0 else librosa.effects.time_stretch(c.y, rate=1 / v)
                else:
                    y = c.y if v == 0 else replace_span(c.y, other.y, r, v)[0]
                s, d, _ = refs.score(refs.feat(y, SR), c.word)
                scores[i, j], dists[i, j] = s, d
        sev = np.arange(len(rungs))
        rho_s = np.array([spearman(sev, scores[i]) for i in range(n)])
        rho_d = np.array([spearman(sev, -dists[i]) for i in range(n)])
        means = ", ".join(f"{m:.0f}" for m in scores.mean(0))
        print(f"| {name} | {means} | {spearman(sev, scores.mean(0)):.2f} | "
              f"{np.nanmedian(rho_s):.2f} (n/a: {np.isnan(rho_s).sum()}) "
              f"| {np.median(rho_d):.2f} | {np.mean(rho_d <= -0.9):.0%} |")


def bench_segments(refs: Refs, test: list[Clip], n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    picks = [test[i] for i in rng.permutation(len(test))[:n]]
    hits_first, hits_any = 0, 0
    for c in picks:
        other = test[int(rng.integers(len(test)))]
        while other.word == c.word:
            other = test[int(rng.integers(len(test)))]
        y, a, b = replace_span(c.y, other.y, rng)
        _, _, segs = refs.score(refs.feat(y, SR), c.word)
        ov = [s.attempt_start_s < b and s.attempt_end_s > a for s in segs]
        hits_first += bool(ov and ov[0])
        hits_any += any(ov)
    print(f"\n### Worst segment vs a replaced 150-250 ms span ({n} attempts)\n")
    print("| worst segment overlaps the span | any reported segment overlaps |")
    print("|---|---|")
    print(f"| {hits_first / n:.1%} | {hits_any / n:.1%} |")


def _median_time(fn, reps: int) -> float:
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def bench_speed(clips: list[Clip] | None, n_pairs: int = 30) -> None:
    import librosa
    from fastdtw import fastdtw
    from scipy.spatial.distance import cosine

    from space.audio.features import log_mel
    from space.pronounce.frames import DEFAULT_FEATURES

    rng = np.random.default_rng(0)
    pairs = []
    if clips:  # real log-mel frames, cut to 100 and 120 frames
        for _ in range(n_pairs):
            a, b = (clips[i] for i in rng.permutation(len(clips))[:2])
            X = log_mel(audio.prepare(a.y, SR, DEFAULT_FEATURES), DEFAULT_FEATURES)[:, :100]
            Y = log_mel(audio.prepare(b.y, SR, DEFAULT_FEATURES), DEFAULT_FEATURES)[:, :101]
            Y = np.concatenate([Y, Y[:, -19:]], axis=1)
            pairs.append((X, Y))
    else:
        pairs = [(rng.normal(size=(40, 100)).astype(np.float32),
                  rng.normal(size=(40, 120)).astype(np.float32)) for _ in range(n_pairs)]
    prepared = [(frames(X), frames(Y)) for X, Y in pairs]
    dtw_frames(*prepared[0])
    ours = np.median([_median_time(lambda p=p: dtw_frames(*p), 200) for p in prepared])
    ours_full = np.median([_median_time(lambda p=p: dtw_frames(frames(p[0]), frames(p[1])), 100)
                           for p in pairs])
    lib = np.median([_median_time(lambda p=p: librosa.sequence.dtw(p[0], p[1], metric="cosine"),
                                  20) for p in pairs])
    fd_times, off = [], []
    for X, Y in pairs[:10]:
        t = time.perf_counter()
        _, path = fastdtw(X.T, Y.T, dist=cosine)
        fd_times.append(time.perf_counter() - t)
        exact = dtw_frames(frames(X), frames(Y))
        C = 1 - frames(X) @ frames(Y).T
        approx = float(sum(C[i, j] for i, j in path))
        off.append(approx > exact.total * (1 + 1e-4))
    fd = float(np.median(fd_times))
    print(f"\n### DTW with path, 100 x 120 frames x 40 dims, cosine, one thread "
          f"(median over {n_pairs} pairs of real log-mels)\n")
    print("| implementation | median time | ratio to fastdtw |")
    print("|---|---|---|")
    print(f"| space (numba kernel, prepared frames) | {ours * 1e6:.1f} us | {fd / ours:.0f}x |")
    print(f"| space (incl. unit-normalising the frames) | {ours_full * 1e6:.1f} us | "
          f"{fd / ours_full:.0f}x |")
    print(f"| librosa.sequence.dtw | {lib * 1e6:.1f} us | {fd / lib:.0f}x |")
    print(f"| fastdtw (radius 1) | {fd * 1e6:.0f} us | 1x |")
    print(f"\nfastdtw's path was not optimal on {sum(off)} of {len(off)} pairs.")


def bench_pairs(utts: list[Utterance]) -> None:
    from space.pronounce.align import distances, pack

    p = pack([u.frames for u in utts])
    i, j = np.triu_indices(len(utts), k=1)
    pairs = np.stack([i, j], 1)
    distances(p, p, pairs[:100])
    rows = []
    for th in (1, 2):
        t = time.perf_counter()
        distances(p, p, pairs, threads=th)
        dt = time.perf_counter() - t
        rows.append((th, len(pairs) / dt))
    lens = [len(u.frames) for u in utts]
    print(f"\n### All-pairs DTW throughput ({len(pairs)} pairs of real utterances, "
          f"{np.mean(lens):.0f} frames x {utts[0].frames.shape[1]} dims on average)\n")
    print("| threads | pairs/s |")
    print("|---|---|")
    for th, r in rows:
        print(f"| {th} | {r:,.0f} |")


def bench_latency(attempt: str) -> None:
    import space

    space.score(attempt, word="7")  # warm: encoder, references, recogniser loaded
    no_plot = _median_time(lambda: space.score(attempt, word="7"), 30)
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "f.png")
        space.score(attempt, word="7").plot(png)
        with_plot = _median_time(lambda: space.score(attempt, word="7").plot(png), 10)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "space", "score", "--word", "7", attempt],
                       check=True, capture_output=True)
        cold = time.perf_counter() - t
    print("\n### `space score` latency (one attempt, the bundled 5-clip set of '7')\n")
    print("| call | median |")
    print("|---|---|")
    print(f"| space.score(), warm process, no plot | {no_plot * 1e3:.1f} ms |")
    print(f"| space.score().plot(PNG), warm process | {with_plot * 1e3:.0f} ms |")
    print(f"| `space score --word 7 FILE` (new process, one run) | {cold * 1e3:.0f} ms |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="auc,ladder,segments,speed,pairs,latency")
    p.add_argument("--encoder", default=None, help="frame encoder (default: the bundled one)")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--attempts", type=int, default=100, help="for the ladder and segments")
    p.add_argument("--candidates", type=int, default=120, help="training clips per word")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    only = set(args.only.split(","))
    have_sc = (SC / "testing_list.txt").is_file()
    enc_path = args.encoder or str(bundled_encoder_path())
    feats = {"normalised log-mel (baseline)": Featurizer()}
    if enc_path != "none" and Path(enc_path).is_file():
        ck = load_encoder(enc_path)
        feats[f"frame encoder posteriors only ({Path(enc_path).name})"] = Featurizer(
            ck, mel_weight=0.0)
        feats[f"posteriors + log-mel cepstra ({Path(enc_path).name}, as scored)"] = \
            Featurizer(ck)
    best = list(feats)[-1]
    print(f"_benchmarks/pronounce.py, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
          f"torch threads {args.threads}_")
    train = test = None
    if have_sc and only & {"auc", "ladder", "segments", "speed", "pairs"}:
        train = sc_clips("train", args.candidates)
        test = sc_clips("test", None)
    elif not have_sc:
        print(f"\n(Speech Commands subset not found at {SC}: data benchmarks skipped)")
    refs = None
    if train is not None and only & {"auc", "ladder", "segments"}:
        refs = bench_auc(feats if "auc" in only else {best: feats[best]}, train, test,
                         args.k)[best]
    if refs is not None and "ladder" in only:
        embed(refs.feat, test)
        bench_ladder(refs, test, args.attempts)
    if refs is not None and "segments" in only:
        bench_segments(refs, test, args.attempts)
    if "speed" in only:
        bench_speed(test)
    if "pairs" in only and test is not None:
        feat = feats[best]
        embed(feat, test[:200])
        bench_pairs([c.utt for c in test[:200]])
    if "latency" in only:
        from space.pronounce.refsets import reference_paths

        try:
            attempt = str(reference_paths("7")[0])
        except Exception as e:  # no bundled references: nothing to time
            print(f"\n(latency skipped: {e})")
        else:
            bench_latency(attempt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
