"""May the aligner put silence on loud frames? The shipped rule against the old aligner.

    python benchmarks/align_trial.py            # both aligners, clean and in noise
    python benchmarks/align_trial.py --words-only

The sentence aligner (:func:`space.pronounce.evidence.viterbi.align_sentence`) allows
silence before, between and after the words. Until issue 21's fifteenth round it chose
silence wherever the phone model found it likelier than the phone the text expects. On a
clean espeak-ng "stop" the phone model hears the vowel as /ʌ/; /ɑ/ and /p/ are less likely
there than silence, so the aligner put /t ɑ p/ in the first 60 ms and most of the vowel in
the trailing silence, and the learner was told "the final /p/ of 'stop' was missing".

Since then silence may not take a run of loud frames that the word touches
(:func:`space.audio.speech.loud_frames`: within 20 dB of the clip's loudest 25-ms frame and
10 dB above its quietest tenth; the aligner's module doc), and the scorer was re-fitted on
that alignment. This script measures the shipped judge against the old one
(``loud_frames`` patched to mark nothing loud, with the scorer fitted on that alignment,
frozen in ``benchmarks/baselines/``; and the old aligner with the shipped scorer, the
run-time rule alone) on 120 espeak-ng words
(30 words, 4 voices, all said right), clean and mixed with Speech Commands' background
noise at 20 and 10 dB SNR: how many get a sound named wrong, how many score under 80 (not
'excellent'), the mean score, and how many keep 80 ms or more of loud frames after the
aligned word. The learners' figures with each aligner's own scorer come from
``benchmarks/learners.py`` and ``sentences.py`` in each checkout (``results/align_trial.md``).
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
SR = 16000


BASELINE = ROOT / "benchmarks" / "baselines" / "scorer_silence_anywhere.json"


@contextlib.contextmanager
def silence_anywhere(scorer: bool) -> Iterator[None]:
    """The old aligner (this process only): no frame is loud, so silence may take any. With
    ``scorer``, also the judge fitted on it: the scorer the Makefile's recipe fitted on the
    old alignment with the same phone-net halves (frozen in ``benchmarks/baselines/``) and
    the threshold tune_verdict chose for it (``NAMED_BELOW`` 72.5)."""
    from space.pronounce.evidence import acoustic as ac
    from space.pronounce.evidence import experts
    from space.pronounce.verdict import judge

    shipped = ac.loud_frames, experts.bundled, judge.NAMED_BELOW
    ac.loud_frames = lambda y, sr, t, **kw: np.zeros(np.shape(t), bool)
    if scorer:
        old = experts.load(BASELINE)
        experts.bundled, judge.NAMED_BELOW = (lambda: old), 72.5  # type: ignore[assignment]
    try:
        yield
    finally:
        ac.loud_frames, experts.bundled, judge.NAMED_BELOW = shipped  # type: ignore[assignment]


def loud_after(y: np.ndarray, sr: int, end_s: float) -> float:
    """Seconds of 10-ms steps in a loud frame (the shipped rule) after ``end_s``."""
    from space.audio.speech import loud_frames

    t = np.arange(0.0, len(y) / sr, 0.01)
    return float(np.sum((t >= end_s) & loud_frames(y, sr, t)) * 0.01)


def espeak_words(folder: Path) -> list[tuple[str, str, np.ndarray]]:
    """The 120 words at 16 kHz, with 0.3 s of silence either side."""
    from space import audio

    out = []
    for v in VOICES:
        for w in WORDS:
            p = folder / f"{v.replace('+', '_')}_{w}.wav"
            if not p.exists():
                subprocess.run(["espeak-ng", "-v", v, "-w", str(p), w], check=True)
            y, _ = audio.load(p, sr=SR)
            pad = np.zeros(int(0.3 * SR), np.float32)
            out.append((v, w, np.concatenate([pad, y, pad])))
    return out


def noisy(clips: list[tuple[str, str, np.ndarray]], snr_db: float, noise_dir: Path,
          seed: int = 0) -> list[tuple[str, str, np.ndarray]]:
    """Each clip mixed with a random stretch of background noise at ``snr_db`` (speech power
    over the word's loud frames)."""
    from space.audio.speech import loud_frames
    from space.data.augment import NoiseBank, mix_noise

    bank, rng, out = NoiseBank(noise_dir, SR), np.random.default_rng(seed), []
    for v, w, y in clips:
        t = np.arange(len(y)) / SR
        p_speech = float(np.mean(y[loud_frames(y, SR, t)] ** 2))
        out.append((v, w, mix_noise(y, bank.sample(len(y), rng), snr_db,
                                    speech_power=p_speech)))
    return out


def words_row(clips: list[tuple[str, str, np.ndarray]]) -> tuple[str, list[str]]:
    """The table's cells for ``clips`` (all said right): a sound named wrong, scored under
    'excellent' (80), mean score, and >= 80 ms of loud frames after the aligned word."""
    from space import api

    named = low = cut = 0
    scores, examples = [], []
    for v, w, y in clips:
        r = api.score(y, sr=SR, word=w).to_dict()
        end = max(ph["end_s"] for ph in r["words"][0]["phones"])
        named += bool(r["errors"])
        low += r["score"] < 80
        scores.append(r["score"])
        cut += loud_after(y, SR, end) >= 0.08
        if r["errors"] or r["score"] < 80:
            examples.append(f"{w} ({v}) {r['score']:.0f}: {r['sentence']}")
    return f"{named} | {low} | {np.mean(scores):.1f} | {cut}", examples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--noise-dir", type=Path,
                    default=ROOT.parent / "shared/data/speech_commands/_background_noise_")
    ap.add_argument("--words-only", action="store_true", help="clean words only")
    args = ap.parse_args()
    clean = espeak_words(Path(tempfile.mkdtemp(prefix="align-words-")))
    sets = [("clean", clean)]
    if not args.words_only:
        if not args.noise_dir.is_dir():
            sys.exit(f"error: {args.noise_dir}: no background noise folder (--noise-dir)")
        sets += [(f"{snr} dB SNR", noisy(clean, snr, args.noise_dir)) for snr in (20, 10)]
    print(f"| espeak-ng words (of {len(clean)}) | aligner | a sound named wrong | scored under "
          "80 | mean score | >= 80 ms of loud frames after the aligned word |\n"
          "|---|---|---|---|---|---|")
    for name, clips in sets:
        for tag, ctx in (("before: silence anywhere, its own scorer and threshold",
                          silence_anywhere(scorer=True)),
                         ("silence anywhere, the shipped scorer", silence_anywhere(scorer=False)),
                         ("shipped: no silence on the word's loud runs",
                          contextlib.nullcontext())):
            with ctx:
                cells, ex = words_row(clips)
            print(f"| {name} | {tag} | {cells} |", flush=True)
            print(f"  {name}, {tag}: " + "; ".join(ex[:8]), file=sys.stderr)
    from _common import describe

    print(f"\n{describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
