"""Connected digits: words said one after another, with short gaps or none.

    python benchmarks/connected.py [--systems isolated,sequence] [--sets espeak,said,fsdd,learners]
                                   [--snr clean,20,10] [--n 40] [--out FILE]

Sets (every voice here is one the shipped models did not train on, except where noted):

* ``espeak``: sequences of 3-7 digits joined from isolated espeak-ng clips of the voices
  ``benchmarks/stream.py`` uses (en-us, en-gb, en-gb-scotland, en-us+f3, en-gb+f2, en+m3,
  en-029, en-us+m7; 130 and 170 words/min). ``space.training.sequence`` trains on other
  espeak accents and variants only. Built by :func:`space.recognize.sequence.connected.build`: 0-200 ms gaps
  or up to 50 ms overlaps, +-4 dB per word.
* ``said``: espeak-ng saying the whole digit string at once (its own coarticulation, no
  pauses), the same voices.
* ``fsdd``: sequences from FSDD's held-out speakers theo and george, official test clips
  (index 0-4). ``space.training.sequence`` never sees these speakers; the frame encoder it
  starts from (and the ``digits`` model) did see their clips 5-49.
* ``learners``: speechocean762's digit-only utterances (Mandarin-L1 learners, many of them
  children; ``../shared/data/speechocean762_words/utts``), as recorded, no added noise.
  ``learners-dev`` (speakers with even ids) is the part ``digitseq.pt`` trained on and the
  decoder's first settings were tuned on; ``learners-test`` (odd ids) is held out of
  training; of it, ``learners-test-a`` (7 speakers) chose the decoder's minimum word length
  (issue 21, ``benchmarks/tune_decoder.py``) and ``learners-test-b`` (the other 7) was
  never tuned on.

Noise (``--snr``): Speech Commands' ``_background_noise_`` files, cycled from random
offsets, at the given SNR (speech RMS over noise RMS).

Systems (``--systems``), each a :class:`space.recognize.stream.StreamingRecognizer` fed 20 ms chunks:

* ``isolated``: today's behaviour, the ``digits`` model on each stretch between pauses;
* ``sequence``: the sequence mode (frame model + Viterbi decoder, ``grammar any``);
* ``sequence-n``: the same with the grammar "exactly as many digits as the truth has"
  (``digitsN``: what ``--grammar digits4`` gives for a four-digit PIN).

Metrics: word error rate (edit distance over the reference word count, summed over the
set) and sequence accuracy (hypothesis exactly the reference); real-time factor (processing
time over audio time, one torch thread); per word, the processing time of the ``accept``
call that returned it, and the stream time from the word's end to that call (the wait for
the end of the stretch: VAD hangover, plus the rest of the stretch for its earlier words).
With ``--noise``: words reported on Speech Commands' noise-only recordings, per minute.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from stream import load16, noise_bed  # the stream benchmark's noise, same files and rate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FSDD = SHARED / "fsdd" / "recordings"
NOISE = SHARED / "speech_commands" / "_background_noise_"
LEARNERS = SHARED / "speechocean762_words"
SR = 16000
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-us+f3", "en-gb+f2", "en+m3", "en-029",
          "en-us+m7"]
SPEEDS = [130, 170]
HELDOUT_FSDD = ["theo", "george"]
SEQ_MODEL: str | None = None  # --seq-model: default the bundled digitseq.pt
# Timing of every accept()/flush() call (wall s, thread CPU s) and of every event (wall s,
# CPU s of the call that returned it, stream s from the word's end to that call), by system.
CALLS: dict[str, list[tuple[float, float]]] = {}
EVENTS: dict[str, list[tuple[float, float, float]]] = {}
AUDIO: dict[str, float] = {}  # seconds of audio streamed, by system
WORD2DIGIT = {w: str(d) for d, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))}


def random_digits(rng: np.random.Generator) -> list[str]:
    return [str(d) for d in rng.integers(0, 10, int(rng.integers(3, 8)))]


def set_joined(voices: dict[str, dict[str, list[np.ndarray]]], n: int, seed: int
               ) -> list[tuple[np.ndarray, list[str], float]]:
    """n recordings (audio, digits, speech RMS), each from one voice's isolated clips."""
    from space.recognize.sequence import connected

    rng = np.random.default_rng(seed)
    names = sorted(voices)
    out = []
    for _ in range(n):
        v = voices[names[int(rng.integers(len(names)))]]
        digits = random_digits(rng)
        words = [(d, v[d][int(rng.integers(len(v[d])))]) for d in digits]
        seq = connected.build(words, SR, rng)
        rms = float(np.sqrt(np.mean(np.concatenate([seq.y[a:b] for a, b in seq.spans]) ** 2)))
        out.append((seq.y, digits, rms))
    return out


def espeak_voices() -> dict[str, dict[str, list[np.ndarray]]]:
    from space.recognize.sequence import connected

    out = {}
    for v in VOICES:
        for s in SPEEDS:
            out[f"{v}-{s}"] = {str(d): [connected.trim(connected.espeak(w, voice=v, speed=s), SR)]
                               for d, w in enumerate(connected.DIGIT_WORDS)}
    return out


def fsdd_voices() -> dict[str, dict[str, list[np.ndarray]]]:
    from space.recognize.sequence import connected

    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for p in sorted(FSDD.glob("*.wav")):
        d, spk, idx = p.stem.split("_")
        if spk in HELDOUT_FSDD and int(idx) <= 4:
            out.setdefault(spk, {}).setdefault(d, []).append(connected.trim(load16(p), SR))
    return out


def set_said(n: int, seed: int) -> list[tuple[np.ndarray, list[str], float]]:
    from space import audio
    from space.recognize.sequence import connected

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        digits = random_digits(rng)
        v, s = VOICES[int(rng.integers(len(VOICES)))], SPEEDS[int(rng.integers(len(SPEEDS)))]
        y = connected.espeak(" ".join(connected.DIGIT_WORDS[int(d)] for d in digits),
                             voice=v, speed=s)
        a, b = audio.speech_bounds(y, SR, top_db=30)
        y = np.concatenate([np.zeros(int(0.4 * SR), np.float32), y[a:b],
                            np.zeros(int(0.4 * SR), np.float32)])
        y = y / (np.max(np.abs(y)) + 1e-9) * 0.5
        rms = float(np.sqrt(np.mean(y[int(0.4 * SR) : -int(0.4 * SR)] ** 2)))
        out.append((y.astype(np.float32), digits, rms))
    return out


def set_learners(part: str = "all") -> list[tuple[np.ndarray, list[str], float]]:
    """The learners' utterances; ``part`` "dev" (speakers with an even id: the digitseq
    training's), "test" (odd ids), "test-a" / "test-b" (the odd ids with an even / odd
    ``id // 2``: the decoder's minimum word length was chosen with "test-a", never with
    "test-b") or "all"."""
    meta = json.loads((LEARNERS / "labels.json").read_text())["utterances"]
    out = []
    for rel, m in sorted(meta.items()):
        spk = int(m["speaker"])
        if part != "all" and (spk % 2 == 0) != (part == "dev"):
            continue
        if part.startswith("test-") and (spk // 2 % 2 == 0) != (part == "test-a"):
            continue
        digits = [WORD2DIGIT[w.lower()] for w in m["text"].split()]
        out.append((load16(LEARNERS / rel), digits, 0.0))
    return out


def with_noise(items, snr: float | None, seed: int):
    """Each recording with a noise bed at ``snr`` dB under its speech level (scaled down
    where the mix would clip)."""
    from space.data.augment import mix_noise

    if snr is None:
        return items
    rng = np.random.default_rng(seed + 1000)
    out = []
    for y, d, rms in items:
        m = mix_noise(y, noise_bed(len(y), rng), snr, speech_power=rms**2)
        peak = float(np.max(np.abs(m)))
        out.append((m * (0.99 / peak) if peak > 0.99 else m, d, rms))
    return out


def make_system(name: str, n_words: int):
    """A function audio -> (digits, processing seconds) for a system name."""
    import space
    from space.recognize.stream import StreamingRecognizer

    if name == "isolated":
        model = space.load_model("digits")

        def build():
            return StreamingRecognizer(model, sr=SR)
    else:
        from space.recognize.sequence.model import load_sequence_model

        seq = load_sequence_model(SEQ_MODEL)
        grammar = f"digits{n_words}" if name == "sequence-n" else "any"

        def build():
            return StreamingRecognizer(None, sr=SR, sequence=seq, grammar=grammar)

    def run(y: np.ndarray) -> tuple[list[str], float, list[tuple[float, float]]]:
        """Labels, total processing s, and per word (processing s of the call that gave
        it, stream s from the word's end to the call that gave it). Every call's wall and
        CPU (thread) time also goes to ``CALLS``, every event's to ``EVENTS``."""
        s = build()
        n = int(0.02 * SR)
        events, timing = [], []
        total = 0.0
        for i in range(0, len(y) + n, n):
            t0, c0 = time.perf_counter(), time.thread_time()
            evs = s.accept(y[i : i + n]) if i < len(y) else s.flush()
            dt, dc = time.perf_counter() - t0, time.thread_time() - c0
            total += dt
            now = min(len(y), i + n) / SR
            events += evs
            timing += [(dt, now - e.end_s) for e in evs]
            CALLS.setdefault(name, []).append((dt, dc))
            AUDIO[name] = AUDIO.get(name, 0.0) + (min(len(y), i + n) - min(len(y), i)) / SR
            EVENTS.setdefault(name, []).extend((dt, dc, now - e.end_s) for e in evs)
        return [e.label for e in events], total, timing

    return run


def latency_table() -> list[str]:
    """Processing per call and per event (wall and thread CPU time), real-time factor (CPU
    time over audio time) and the stream delay from a word's end to its event, by system."""
    from space.recognize.sequence import stream as seqstream

    def pct(x: list[float], q: float = 95) -> str:
        a = 1000 * np.asarray(x or [np.nan])
        return f"{np.median(a):.1f} / {np.percentile(a, q):.1f}"

    # Most 20 ms calls only buffer audio; the p99 and max are the calls that ran the model
    # (one in 50 in sequence mode) or closed a word.
    rows = ["| system | calls (20 ms chunks) | per call CPU ms p50 / p99 / max | per call wall "
            "ms p50 / p99 | events | per event CPU ms p50 / p95 | per event wall ms p50 / p95 "
            "| RTF (CPU) | word end to event ms p50 / p95 |", "|---|---|---|---|---|---|---|---|---|"]
    for name, calls in CALLS.items():
        ev = EVENTS.get(name, [])
        cpu = [c for _, c in calls]
        rows.append(
            f"| {name} | {len(calls)} | {pct(cpu, 99)} / {1000 * max(cpu):.1f} | "
            f"{pct([w for w, _ in calls], 99)} | {len(ev)} | {pct([c for _, c, _ in ev])} | "
            f"{pct([w for w, _, _ in ev])} | {sum(cpu) / AUDIO[name]:.4f} | "
            f"{pct([d for _, _, d in ev])} |")
    rows.append(f"\nsequence mode: block {seqstream.BLOCK_S:g} s, lookahead "
                f"{seqstream.LOOKAHEAD_S:g} s, window {seqstream.WINDOW_S:g} s; "
                f"torch threads {__import__('torch').get_num_threads()}")
    return rows


def false_words(systems: list[str]) -> list[str]:
    """Words reported per minute on each noise-only file (no speech at all)."""
    rows = ["| system | minutes of noise | false words | per minute |", "|---|---|---|---|"]
    files = sorted(NOISE.glob("*.wav"))
    for name in systems:
        run = make_system(name, 4)
        n_words, mins, labels = 0, 0.0, []
        for f in files:
            y = load16(f)
            hyp, _, _ = run(y)
            n_words += len(hyp)
            mins += len(y) / SR / 60
            labels += [f"{f.stem[:6]}:{h}" for h in hyp]
        rows.append(f"| {name} | {mins:.1f} | {n_words} | {n_words / mins:.2f} |")
        print(rows[-1], "  ", " ".join(labels[:20]), flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", default="isolated,sequence")
    ap.add_argument("--sets", default="espeak,said,fsdd,learners")
    ap.add_argument("--snr", default="clean,20,10")
    ap.add_argument("--n", type=int, default=40, help="recordings per built set and SNR")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also append the markdown table to this file")
    ap.add_argument("--errors", action="store_true", help="print each wrong hypothesis")
    ap.add_argument("--noise", action="store_true",
                    help="also count false words on the noise-only recordings")
    ap.add_argument("--seq-model", help="connected-words model file (default: bundled)")
    ap.add_argument("--lookahead", type=float,
                    help="sequence mode: seconds of audio after a frame before it is decoded "
                    "(default: space.recognize.sequence.stream.LOOKAHEAD_S)")
    ap.add_argument("--block", type=float,
                    help="sequence mode: seconds between model passes (default: BLOCK_S)")
    ap.add_argument("--latency", action="store_true",
                    help="also print the processing-time table (per call, per event, RTF)")
    args = ap.parse_args()
    global SEQ_MODEL
    SEQ_MODEL = args.seq_model
    from space.recognize.sequence import stream as seqstream

    # Read when a stream is built: the experiment's settings, without touching the library.
    if args.lookahead is not None:
        seqstream.LOOKAHEAD_S = args.lookahead
    if args.block is not None:
        seqstream.BLOCK_S = args.block


    from space import threads as space_threads
    from space.recognize.sequence.connected import word_errors

    space_threads.apply(1)  # the package's policy: engines follow it
    snrs = [None if s == "clean" else float(s) for s in args.snr.split(",")]
    rows = ["| set | SNR dB | system | recordings | words | WER | sequence accuracy | RTF | "
            "processing ms p50 / p95 | word end to event ms p50 / p95 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for set_name in args.sets.split(","):
        if set_name.startswith("learners"):
            part = set_name.split("-", 1)[1] if "-" in set_name else "all"
            conditions = [(None, set_learners(part))]
        else:
            if set_name == "espeak":
                base = set_joined(espeak_voices(), args.n, args.seed)
            elif set_name == "fsdd":
                base = set_joined(fsdd_voices(), args.n, args.seed)
            elif set_name == "said":
                base = set_said(args.n, args.seed)
            else:
                raise SystemExit(f"unknown set {set_name}")
            conditions = [(snr, with_noise(base, snr, args.seed)) for snr in snrs]
        for snr, items in conditions:
            dur = sum(len(y) for y, _, _ in items) / SR
            for sys_name in args.systems.split(","):
                errs = words = exact = 0
                proc = 0.0
                timing: list[tuple[float, float]] = []
                systems: dict[int, object] = {}
                for y, ref, _ in items:
                    if len(ref) not in systems:
                        systems[len(ref)] = make_system(sys_name, len(ref))
                    hyp, dt, tm = systems[len(ref)](y)
                    proc += dt
                    timing += tm
                    e = word_errors(ref, hyp)
                    errs, words, exact = errs + e, words + len(ref), exact + (e == 0)
                    if args.errors and e:
                        print(f"  {set_name} {snr} {sys_name}: {''.join(ref)} -> {''.join(hyp)}")
                pms = np.array([1000 * a for a, _ in timing] or [np.nan])
                wms = np.array([1000 * b for _, b in timing] or [np.nan])
                row = (f"| {set_name} | {'clean' if snr is None else f'{snr:g}'} | {sys_name} | "
                       f"{len(items)} | {words} | {100 * errs / words:.1f}% | "
                       f"{100 * exact / len(items):.1f}% | {proc / dur:.4f} | "
                       f"{np.median(pms):.0f} / {np.percentile(pms, 95):.0f} | "
                       f"{np.median(wms):.0f} / {np.percentile(wms, 95):.0f} |")
                rows.append(row)
                print(row, flush=True)
    if args.latency:
        rows += ["", *latency_table()]
    if args.noise:
        rows += ["", *false_words(args.systems.split(","))]
    text = "\n".join(rows)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(f"\n### Connected digits ({args.n} recordings per built set, "
                     f"seed {args.seed})\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
