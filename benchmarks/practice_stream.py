"""Practising a word live: which attempts ``space listen --word`` answers.

    python benchmarks/practice_stream.py [--snr 20] [--out FILE]

A learner practising "three" speaks into the microphone; every attempt should get its score,
whether the recogniser is sure of the word or not (the learners who need the feedback most
are the ones it is least sure of). Measured on the learners of
``../shared/data/speechocean762_words`` (679 words: every class, mispronounced included), in
one run, side by side:

* **tight**: each clip streamed alone, as cut (a recording that begins with the word, or a
  user who speaks as the microphone opens): clips that give one event, with the stream's
  start rule (a stream that begins inside a sound is decided again from its quietest frame)
  and without it (the frozen baseline: the first frame is the noise floor);
* **in a stream**: all clips in one long recording with pauses and background noise at
  ``--snr`` dB (``benchmarks/stream.py``'s recordings), each event scored as an attempt
  at the word said there (``space.api.score_event``); which attempts are answered under
  three gates: the recogniser's top probability >= 0.4 (the gate before ``--word`` dropped
  it; the CLI's default model, ``digits``, and the model that knows the word); no gate;
  no gate but the attempts whose verdict found none of the word ("not said");
* **noise alone**: every background noise file streamed at its own level, each event
  scored as an attempt at "three" and at "up": false attempts per minute under each gate.

The recognisers trained on these learners (``--add-learners``), so their probabilities
flatter the 0.4 gate: held-out learners are less sure still.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stream as S  # noqa: E402  (the streaming benchmark next door: recordings, noise)
from _common import describe  # noqa: E402

WORDS = S.SHARED / "speechocean762_words"
GATE = 0.4  # the stream's min_probability before --word dropped it


def learner_clips() -> list[tuple[str, np.ndarray, str]]:
    """(word, audio at 16 kHz, class) of every learner clip."""
    labels = json.loads((WORDS / "labels.json").read_text())["clips"]
    out = []
    for name, lab in sorted(labels.items()):
        out.append((lab["word"], S.load16(WORDS / name), lab["class"]))
    return out


def tight(clips, model) -> dict[str, int]:
    """Clips (streamed alone, as cut) that give one event, with and without the start rule."""
    from space.recognize.stream import StreamingRecognizer

    class FirstFrameFloor(StreamingRecognizer):  # the frozen baseline: no start rule
        def _began_loud(self, i, e):  # noqa: ANN001, ANN202
            return False

    found = {"start rule": 0, "first frame is the floor (before)": 0}
    for _, y, _ in clips:
        for name, cls in (("start rule", StreamingRecognizer),
                          ("first frame is the floor (before)", FirstFrameFloor)):
            s = cls(model, sr=S.SR, min_probability=0.0)
            n = max(1, S.SR // 50)
            events = [ev for i in range(0, len(y), n) for ev in s.accept(y[i : i + n])]
            events += s.flush()
            found[name] += len(events) == 1
    return found


NOT_SAID = "the word was not heard in the recording"  # the verdict's 'not said' sentence


def gates(ev, scored, p_known: float | None) -> dict[str, bool]:
    return {
        f"recogniser >= {GATE} (digits, the CLI default)": ev.probability >= GATE,
        f"recogniser >= {GATE} (the model that knows the word)":
            (p_known if p_known is not None else ev.probability) >= GATE,
        "no gate": scored["score"] is not None,
        "no gate, 'not said' dropped": scored["score"] is not None
            and scored["sentence"] != NOT_SAID,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--snr", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the tables to this file")
    args = ap.parse_args()
    from space import api
    from space import threads as space_threads

    space_threads.apply(1)
    if not WORDS.is_dir():
        raise SystemExit(f"{WORDS} is missing")
    digits, commands = api.load_model("digits"), api.load_model("commands")
    clips = learner_clips()
    lines = [f"# Practising a word live (`benchmarks/practice_stream.py --snr {args.snr:g}`)",
             "", describe(), ""]

    t = tight(clips, digits)
    lines += ["## Each learner clip streamed alone, as cut (digits model, no gate)", "",
              "| stream start | clips with one event | of |", "|---|---|---|"]
    lines += [f"| {k} | {v} ({100 * v / len(clips):.1f}%) | {len(clips)} |" for k, v in t.items()]

    # the truth's labels carry the class ("three|correct"): the recording shuffles the clips
    rec, truth = S.build_recording([(f"{w}|{c}", y) for w, y, c in clips], args.snr, args.seed)
    words = [lab.split("|")[0] for lab, _, _ in truth]
    classes = [lab.split("|")[1] for lab, _, _ in truth]
    n_by_class = {c: classes.count(c) for c in set(classes)}
    ev_d, *_ = S.run_stream(digits, rec, S.SR, min_probability=0.0)
    ev_c, *_ = S.run_stream(commands, rec, S.SR, min_probability=0.0)
    # each event to the truth word it overlaps most (or none: an extra event); a word counts
    # as answered under a gate when one of its events passes it
    answered: dict[str, set[int]] = {}
    n_extra = 0
    for ev in ev_d:
        best, j_best = 0.0, None
        for j, (_, a, b) in enumerate(truth):
            ov = min(ev.end_s, b) - max(ev.start_s, a)
            if ov > best:
                best, j_best = ov, j
        if j_best is None:
            n_extra += 1
            continue
        word = words[j_best]
        known = [e for e in ev_c if abs(e.start_s - ev.start_s) < 0.05]
        p_known = known[0].probability if (word not in S.DIGIT_WORDS and known) else None
        for g, ok in gates(ev, api.score_event(ev, word), p_known).items():
            answered.setdefault(g, set()).update([j_best] if ok else [])
    cl = sorted(n_by_class)
    lines += ["", f"## Attempts answered in one long recording (noise at {args.snr:g} dB SNR, "
              f"{len(truth)} words, {rec.size / S.SR / 60:.1f} min; {n_extra} events overlap "
              "no word)", "",
              "| gate | " + " | ".join(f"{c} ({n_by_class[c]})" for c in cl) + " | all |",
              "|---|" + "---|" * (len(cl) + 1)]
    for g, js in answered.items():
        lines.append(f"| {g} | " + " | ".join(
            f"{100 * sum(classes[j] == c for j in js) / n_by_class[c]:.1f}%" for c in cl)
            + f" | {100 * len(js) / len(truth):.1f}% |")

    lines += ["", "## Noise alone: false attempts per minute (each noise file at its own "
              "level, scored as 'three' and as 'up')", "",
              "| gate | false attempts / min |", "|---|---|"]
    false: dict[str, int] = {}
    minutes = 0.0
    for f in sorted(S.NOISE.glob("*.wav")):
        y = S.load16(f)
        minutes += 2 * y.size / S.SR / 60
        evs, *_ = S.run_stream(digits, y, S.SR, min_probability=0.0)
        for ev in evs:
            for word in ("three", "up"):
                for g, ok in gates(ev, api.score_event(ev, word), None).items():
                    false[g] = false.get(g, 0) + ok
    lines += [f"| {g} | {false.get(g, 0) / minutes:.2f} |" for g in answered]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        from space.io import atomic_write

        atomic_write(args.out, lambda tmp: Path(tmp).write_text(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
