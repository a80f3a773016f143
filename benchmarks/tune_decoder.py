"""Decoder settings for ``--grammar any``, tuned on training voices only.

    python benchmarks/tune_decoder.py capture [--lookahead 1.0] [--n 60]   # posteriors, once
    python benchmarks/tune_decoder.py capture --group new                  # (and unseen)
    python benchmarks/tune_decoder.py sweep [--lookahead 1.0]              # decoder settings

The tuning sets hold no benchmark voice but ``learners-test-a`` (``benchmarks/connected.py``
keeps its other held-out sets, and ``learners-test-b``, for the final check):

* ``learners-dev``: speechocean762's even-id speakers (the digitseq training used them);
* ``fsdd-train``: connected sequences of FSDD's training speakers (jackson, lucas, nicolas,
  yweweler; clips 5-49), clean and at 10 dB;
* ``espeak-train``: the same from espeak-ng voices the training used (its accents and
  variants, ``space.training.sequence``), clean and at 10 dB;
* ``espeak-new`` / ``espeak-new-said`` (``capture --group new``): voices neither the
  training nor the benchmark uses (the training's accents with other espeak-ng variants:
  Andy, Annie, John, Linda, Steph, Lee, Zac, Michael), joined from isolated clips, or saying
  the whole string at once (espeak's own coarticulation, where ``any`` inserts and drops
  digits);
* ``learners-test-a`` (``capture --group unseen``): half of the held-out learners (the odd
  ids with an even ``id // 2``, 7 speakers, 16 utterances).

The last three are the voices the model never trained on; ``sweep``'s last column is the
mean WER over them, which chose the shipped minimum word length (issue 21): the training
voices' sets favour shorter words (their posteriors are crisp), the unseen voices' extra
digits are mostly short unsure pieces.

``capture`` streams each recording through the sequence mode (20 ms chunks, as
``connected.py`` does) and keeps the posterior rows the decoder is fed, per utterance
(in the ``--cache`` folder: a few MB of ``.npz`` per lookahead). ``sweep`` re-decodes those rows
with each decoder setting (the decoder is all that changes, so the rows stay valid) and
prints word error rate and its split into substitutions, deletions and insertions.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from connected import SR, load16, random_digits, set_joined, set_learners, with_noise

ROOT = Path(__file__).resolve().parents[1]
FSDD = ROOT.parent / "shared" / "data" / "fsdd" / "recordings"
TRAIN_FSDD = ("jackson", "lucas", "nicolas", "yweweler")
NEW_ESPEAK = [("en-gb-x-rp+Andy", 150), ("en-us-nyc+Annie", 170), ("en-gb-x-gbclan+John", 130),
              ("en-gb-x-gbcwmd+Linda", 160), ("en-gb-x-rp+Steph", 170), ("en-us-nyc+Lee", 140),
              ("en-gb-x-gbclan+Zac", 160), ("en-gb-x-gbcwmd+Michael", 140)]
TRAIN_ESPEAK = [("en-gb-x-rp", 140), ("en-us-nyc+m2", 180), ("en-gb-x-gbclan+f4", 140),
                ("en-gb-x-gbcwmd+m5", 180), ("en-us-nyc+f1", 140), ("en-gb-x-rp+klatt", 180)]


UNSEEN = ("espeak-new", "espeak-new-said", "learners-test-a")  # voices never trained on


def tuning_sets(n: int, seed: int = 7) -> dict[str, list]:
    from space.recognize.sequence import connected

    fsdd: dict[str, dict[str, list]] = {}
    for p in sorted(FSDD.glob("*.wav")):
        d, spk, idx = p.stem.split("_")
        if spk in TRAIN_FSDD and 5 <= int(idx) <= 14:
            fsdd.setdefault(spk, {}).setdefault(d, []).append(connected.trim(load16(p), SR))
    esp = {f"{v}-{s}": {str(d): [connected.trim(connected.espeak(w, voice=v, speed=s), SR)]
                        for d, w in enumerate(connected.DIGIT_WORDS)} for v, s in TRAIN_ESPEAK}
    f, e = set_joined(fsdd, n, seed), set_joined(esp, n, seed + 1)
    return {"learners-dev": set_learners("dev"), "fsdd-train": f,
            "fsdd-train-10dB": with_noise(f, 10.0, seed), "espeak-train": e,
            "espeak-train-10dB": with_noise(e, 10.0, seed)}


def new_sets(n: int, seed: int = 11) -> dict[str, list]:
    from space import audio
    from space.recognize.sequence import connected

    esp = {f"{v}-{s}": {str(d): [connected.trim(connected.espeak(w, voice=v, speed=s), SR)]
                        for d, w in enumerate(connected.DIGIT_WORDS)} for v, s in NEW_ESPEAK}
    rng = np.random.default_rng(seed + 1)
    said = []
    for _ in range(n):
        digits = random_digits(rng)
        v, s = NEW_ESPEAK[int(rng.integers(len(NEW_ESPEAK)))]
        y = connected.espeak(" ".join(connected.DIGIT_WORDS[int(d)] for d in digits),
                             voice=v, speed=s)
        a, b = audio.speech_bounds(y, SR, top_db=30)
        pad = np.zeros(int(0.4 * SR), np.float32)
        y = np.concatenate([pad, y[a:b] / (np.max(np.abs(y[a:b])) + 1e-9) * 0.5, pad])
        said.append((y.astype(np.float32), digits, 0.0))
    return {"espeak-new": set_joined(esp, n, seed), "espeak-new-said": said}


def capture(args) -> None:

    from space import threads as space_threads
    from space.recognize.sequence import stream as seqstream
    from space.recognize.sequence.decode import SequenceDecoder
    from space.recognize.stream import StreamingRecognizer

    space_threads.apply(1)  # the package's policy: engines follow it
    seqstream.LOOKAHEAD_S = args.lookahead
    seqstream.BLOCK_S = args.block
    rows: list[list[np.ndarray]] = []

    class Recording(SequenceDecoder):  # keeps what the stream feeds, per utterance
        def reset(self) -> None:
            super().reset()
            rows.append([])

        def accept(self, posteriors):
            rows[-1].append(np.asarray(posteriors))
            return super().accept(posteriors)

    seqstream.SequenceDecoder = Recording  # type: ignore[misc]
    out: dict[str, np.ndarray] = {}
    sets = (tuning_sets(args.n) if args.group == "train" else new_sets(args.n)
            if args.group == "new" else {"learners-test-a": set_learners("test-a")})
    for name, items in sets.items():
        for k, (y, ref, _) in enumerate(items):
            rows.clear()
            s = StreamingRecognizer(None, sr=SR, grammar="any")
            for i in range(0, len(y), 320):
                s.accept(y[i : i + 320])
            s.flush()
            utts = [np.concatenate(r) for r in rows if r]
            out[f"{name}/{k}/ref"] = np.array([int(d) for d in ref])
            for u, p in enumerate(utts):
                out[f"{name}/{k}/u{u}"] = p.astype(np.float32)
        print(name, len(items), flush=True)
    suffix = ("" if args.group == "train" else f"_{args.group}") + (
        "" if args.block == 1.0 else f"_b{args.block:g}")
    Path(args.cache).mkdir(parents=True, exist_ok=True)  # a scratch folder of this script
    path = Path(args.cache) / f"posteriors_la{args.lookahead:g}{suffix}.npz"
    np.savez_compressed(path, **out)
    print("saved", path)


def split_errors(ref: list[str], hyp: list[str]) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of one alignment with the least edits."""
    R, H = len(ref), len(hyp)
    d = np.zeros((R + 1, H + 1), dtype=int)
    d[:, 0], d[0, :] = np.arange(R + 1), np.arange(H + 1)
    for i in range(1, R + 1):
        for j in range(1, H + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1,
                          d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    i, j, s, de, ins = R, H, 0, 0, 0
    while i or j:
        if i and j and d[i, j] == d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            s += ref[i - 1] != hyp[j - 1]
            i, j = i - 1, j - 1
        elif i and d[i, j] == d[i - 1, j] + 1:
            de, i = de + 1, i - 1
        else:
            ins, j = ins + 1, j - 1
    return s, de, ins


def load_capture(paths: list[Path]) -> dict[str, list[tuple[list[str], list[np.ndarray]]]]:
    z = {k: v for p in paths for k, v in np.load(p).items()}
    sets: dict[str, dict[int, tuple[list[str], list[np.ndarray]]]] = {}
    for key in sorted(z, key=lambda k: (k.split("/")[0], int(k.split("/")[1]), k)):
        name, k, what = key.split("/")
        entry = sets.setdefault(name, {}).setdefault(int(k), ([], []))
        if what == "ref":
            entry[0].extend(str(int(d)) for d in z[key])
        else:
            entry[1].append(z[key])
    return {n: [v[k] for k in sorted(v)] for n, v in sets.items()}


def evaluate(data, cfg, labels, fillers, min_probability: float = 0.4,
             prior: np.ndarray | None = None) -> dict[str, tuple[float, int, int, int, int]]:
    from space.recognize.sequence.decode import SequenceDecoder

    out = {}
    for name, items in data.items():
        S = D = Ins = N = 0
        for ref, utts in items:
            hyp: list[str] = []
            for p in utts:
                q = p.astype(np.float64)
                if prior is not None:
                    q = q / prior
                    q /= q.sum(axis=1, keepdims=True)
                words = SequenceDecoder(labels, cfg, fillers=fillers).decode(q)
                # Confidence as the stream reports it: the mean posterior (not prior-scaled).
                hyp += [w.label for w in words
                        if p[w.start:w.end, labels.index(w.label)].mean() >= min_probability]
            s, d, i = split_errors(ref, hyp)
            S, D, Ins, N = S + s, D + d, Ins + i, N + len(ref)
        out[name] = (100 * (S + D + Ins) / N, S, D, Ins, N)
    return out


def sweep(args) -> None:
    from space.recognize.sequence.decode import DecoderConfig
    from space.recognize.sequence.model import load_sequence_model

    model = load_sequence_model()
    labels = model.labels
    fillers = tuple(lab for lab in labels if not lab.isdigit() and lab != "_silence_")
    tag = "" if args.block == 1.0 else f"_b{args.block:g}"
    data = load_capture([p for p in sorted(Path(args.cache).glob(f"posteriors_la{args.lookahead:g}*"
                                                                   ".npz"))
                         if p.stem.endswith(tag) and (tag or "_b" not in p.stem)])
    # The class prior the model learnt: its mean posterior over every tuning frame.
    prior = np.mean(np.concatenate([p for items in data.values() for _, u in items for p in u]),
                    axis=0)
    print("prior", dict(zip(labels, np.round(prior, 3), strict=True)))
    names = list(data)
    unseen = [n for n in UNSEEN if n in data]
    print("| min frames | penalty | long frames | long cost | prior^a | min p | "
          + " | ".join(names) + " | mean | mean unseen |")
    print("|---" * (len(names) + 8) + "|")
    grid = itertools.product([int(x) for x in args.min_frames.split(",")],
                             [float(x) for x in args.penalty.split(",")],
                             [float(x) for x in args.prior.split(",")],
                             [float(x) for x in args.min_p.split(",")],
                             [int(x) for x in args.long_frames.split(",")],
                             [float(x) for x in args.long_cost.split(",")])
    for m, pen, a, mp, lf, lc in grid:
        cfg = replace(DecoderConfig(), min_word_frames=m, word_penalty=pen,
                      long_word_frames=lf, long_word_cost=lc)
        res = evaluate(data, cfg, labels, fillers, mp, prior**a if a else None)
        cells = [f"{w:.1f} ({s}/{d}/{i})" for w, s, d, i, _ in res.values()]
        mean = np.mean([r[0] for r in res.values()])
        mean_unseen = np.mean([res[n][0] for n in unseen]) if unseen else np.nan
        print(f"| {m} | {pen:g} | {lf} | {lc:g} | {a:g} | {mp:g} | " + " | ".join(cells)
              + f" | {mean:.2f} | {mean_unseen:.2f} |", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["capture", "sweep"])
    ap.add_argument("--lookahead", type=float, default=1.0)
    ap.add_argument("--block", type=float, default=1.0, help="capture: seconds between passes")
    ap.add_argument("--n", type=int, default=60, help="built recordings per tuning set")
    ap.add_argument("--cache", default="/tmp/space-tune-decoder",
                    help="folder for the captured posteriors")
    ap.add_argument("--group", choices=["train", "new", "unseen"], default="train",
                    help="capture: the training voices' sets, the new espeak voices' or the "
                         "learners-test-a half of the held-out learners")
    ap.add_argument("--min-frames", default="32")
    ap.add_argument("--penalty", default="10")
    ap.add_argument("--prior", default="0", help="divide posteriors by prior**a (0: off)")
    ap.add_argument("--min-p", default="0.4")
    ap.add_argument("--long-frames", default="65", help="long_word_frames values")
    ap.add_argument("--long-cost", default="1", help="long_word_cost values")
    args = ap.parse_args()
    capture(args) if args.what == "capture" else sweep(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
