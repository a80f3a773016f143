"""Issue 21, fourteenth round (a trial, not shipped): may the aligner put silence on loud frames?

    python benchmarks/align_trial.py            # both settings, side by side
    python benchmarks/align_trial.py --loud-db 20 --words-only

The sentence aligner (:func:`space.pronounce.evidence.viterbi.align_sentence`) allows
silence before, between and after the words, and chooses it wherever the phone model finds
silence likelier than the phone the text expects. On a clean espeak-ng "stop" the phone
model hears the vowel as /ʌ/; /ɑ/ and /p/ are less likely there than silence, so the
aligner puts /t ɑ p/ in the first 60 ms and most of the vowel in the trailing silence, and
the learner is told "the final /p/ of 'stop' was missing".

The trial forbids silence on frames within ``--loud-db`` dB of the clip's loudest 25-ms
frame (the silence column's log posterior set to -1e4 there, for the alignment only; the
features are read from the model's own posteriors) and measures, against the shipped
aligner in the same process:

* 120 clean espeak-ng words (30 words, 4 voices): how many get a sound named wrong, and how
  many keep 80 ms or more of loud frames after the aligned word;
* the learners' words against the experts (``benchmarks/learners.py --scorers judge``, the
  shipped scorer: it was fitted on the shipped aligner's features and is *not* re-fitted
  here, so this is the change at run time alone).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("stop cold good book cat bed help kid dog top map cup hot sit red bad big back up "
         "down left right yes no go off on seven eight nine").split()
VOICES = ("en-us", "en-gb", "en-us+f3", "en+m3")


def loud(y: np.ndarray, sr: int, starts: np.ndarray, win_s: float, db: float) -> np.ndarray:
    """Which windows (``win_s`` long, from sample ``starts``) lie within ``db`` of the
    loudest of them (mean power in dB)."""
    win = int(win_s * sr)
    e = np.array([10 * np.log10(np.mean(y[max(0, s):max(0, s) + win] ** 2) + 1e-12)
                  if s < len(y) else -120.0 for s in starts])
    return e > e.max() - db


@contextlib.contextmanager
def no_silence_on_loud_frames(db: float) -> Iterator[None]:
    """Patch the aligner (this process only): silence is not allowed on loud frames."""
    from space.pronounce.evidence import acoustic as ac
    from space.pronounce.evidence import viterbi as vt

    masks: dict[int, np.ndarray] = {}
    call, align = ac.Acoustic.__call__, vt.align_sentence

    def patched_call(self, y, sr, **kw):  # noqa: ANN001, ANN202
        fr = call(self, y, sr, **kw)
        starts = ((fr.offset_s + np.arange(len(fr.logp)) * fr.hop_s) * sr).astype(int)
        masks[id(fr.logp)] = loud(np.asarray(y, np.float32), sr, starts, 0.025, db)
        return fr

    def patched_align(logp, words, sil, **kw):  # noqa: ANN001, ANN202
        m = masks.get(id(logp))
        if m is not None and len(m) == len(logp):
            logp = np.array(logp, copy=True)
            logp[m, sil] = -1e4
        return align(logp, words, sil, **kw)

    ac.Acoustic.__call__, vt.align_sentence = patched_call, patched_align
    try:
        yield
    finally:
        ac.Acoustic.__call__, vt.align_sentence = call, align


def loud_after(path: Path, end_s: float, db: float = 20.0) -> float:
    """Seconds of 10-ms frames within ``db`` of the loudest after ``end_s``."""
    from space import audio

    y, sr = audio.load(path)
    h = int(sr * 0.01)
    starts = np.arange(0, len(y) - h, h)
    return float(np.sum((starts / sr >= end_s) & loud(y, sr, starts, 0.01, db)) * 0.01)


def espeak_words(folder: Path) -> list[tuple[str, str, Path]]:
    out = []
    for v in VOICES:
        for w in WORDS:
            p = folder / f"{v.replace('+', '_')}_{w}.wav"
            if not p.exists():
                subprocess.run(["espeak-ng", "-v", v, "-w", str(p), w], check=True)
            out.append((v, w, p))
    return out


def words_row(clips: list[tuple[str, str, Path]]) -> tuple[int, int, list[str]]:
    from space import api

    named = cut = 0
    examples = []
    for v, w, p in clips:
        r = api.score(str(p), word=w).to_dict()
        end = max(ph["end_s"] for ph in r["words"][0]["phones"])
        named += bool(r["errors"])
        cut += loud_after(p, end) >= 0.08
        if r["errors"]:
            examples.append(f"{w} ({v}): {r['sentence']}")
    return named, cut, examples


def learners_row(tag: str) -> str:
    """`learners.py --scorers judge` in this process; its summary lines."""
    import io
    import runpy
    from contextlib import redirect_stdout

    sys.path.insert(0, str(ROOT / "benchmarks"))
    argv, sys.argv = sys.argv, ["learners.py", "--scorers", "judge", "--out",
                                tempfile.mkdtemp(prefix=f"align-{tag}-")]
    buf = io.StringIO()
    try:
        with redirect_stdout(buf):
            runpy.run_path(str(ROOT / "benchmarks" / "learners.py"), run_name="__main__")
    except SystemExit:
        pass
    finally:
        sys.argv = argv
    return "\n".join(f"| {tag} {line[2:]}" for line in buf.getvalue().splitlines()
                     if line.startswith("| judge"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loud-db", type=float, default=20.0)
    ap.add_argument("--words-only", action="store_true", help="only the espeak-ng words")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="align-words-"))
    clips = espeak_words(folder)
    print(f"| aligner | clean espeak-ng words with a sound named wrong (of {len(clips)}) "
          "| with >= 80 ms of loud frames after the aligned word |\n|---|---|---|")
    for tag, ctx in (("shipped", contextlib.nullcontext()),
                     (f"no silence within {args.loud_db:g} dB of the peak",
                      no_silence_on_loud_frames(args.loud_db))):
        with ctx:
            named, cut, ex = words_row(clips)
        print(f"| {tag} | {named} | {cut} |", flush=True)
        print("  " + "; ".join(ex[:8]), file=sys.stderr)
    if not args.words_only:
        print("\nLearners (`learners.py --scorers judge`; columns as its tables: group, n, "
              "r, AUC, median correct / phone hit, span hit, refused, ms / named, false "
              "alarm, contradictions):\n")
        print(learners_row("shipped"), flush=True)
        with no_silence_on_loud_frames(args.loud_db):
            print(learners_row("no-silence-on-loud"), flush=True)
    from _common import describe

    print(f"\n{describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
