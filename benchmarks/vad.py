"""Voice activity detection for connected digits: the frame model's silence vs silero-vad.

    PYTHONPATH=... python benchmarks/vad.py [--n 30]      (needs `pip install silero-vad`)

Both feed the same connected-digits model and decoder (grammar ``any``):

* ``model``: :class:`space.recognize.stream.StreamingRecognizer` in sequence mode, 20 ms chunks: the
  stream is decoded continuously and the model's silence class is the detector (the
  energy detector, the third option, is measured in ``benchmarks/results/connected.md``);
* ``silero``: silero-vad (its wheel ships the model; JIT, one thread) finds the speech
  (``get_speech_timestamps``, 250 ms minimum silence, like the stream's hangover), and each
  stretch, with 0.5 s before and 0.25 s after, is decoded by
  :meth:`space.recognize.sequence.model.SequenceModel.decode`.

Sets: as ``benchmarks/connected.py`` (held-out espeak voices and FSDD speakers at 20 and
10 dB, the held-out learners), plus the noise-only recordings (false words per minute).
Also: silero's import + load time and its real-time factor.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import connected as B  # noqa: E402  (the benchmark next door: same sets)

SR = 16000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--out")
    args = ap.parse_args()
    import torch

    from space import threads as space_threads
    from space.recognize.sequence.connected import word_errors
    from space.recognize.sequence.model import load_sequence_model

    space_threads.apply(1)  # the package's policy: engines follow it
    t0 = time.perf_counter()
    from silero_vad import get_speech_timestamps, load_silero_vad

    vad = load_silero_vad()
    load_s = time.perf_counter() - t0
    model = load_sequence_model()
    energy = B.make_system("sequence", 4)
    vad_time = [0.0]

    def silero(y: np.ndarray) -> list[str]:
        t = time.perf_counter()
        ts = get_speech_timestamps(torch.from_numpy(y), vad, sampling_rate=SR,
                                   min_silence_duration_ms=250, speech_pad_ms=30)
        vad_time[0] += time.perf_counter() - t
        out = []
        for seg in ts:
            a = max(0, seg["start"] - SR // 2)
            b = min(len(y), seg["end"] + SR // 4)
            out += [w.label for w in model.decode(y[a:b], SR) if w.probability >= 0.4]
        return out

    sets = {
        "espeak 20 dB": B.with_noise(B.set_joined(B.espeak_voices(), args.n, 0), 20.0, 0),
        "espeak 10 dB": B.with_noise(B.set_joined(B.espeak_voices(), args.n, 0), 10.0, 0),
        "fsdd 10 dB": B.with_noise(B.set_joined(B.fsdd_voices(), args.n, 0), 10.0, 0),
        "learners-test": B.set_learners("test"),
    }
    rows = [f"silero-vad import + load: {load_s:.2f} s", "",
            "| set | model silence (sequence mode) WER | silero-vad segments WER |", "|---|---|---|"]
    total_audio = 0.0
    for name, items in sets.items():
        e_err = s_err = words = 0
        for y, ref, _ in items:
            words += len(ref)
            e_err += word_errors(ref, energy(y)[0])
            s_err += word_errors(ref, silero(y))
            total_audio += len(y) / SR
        rows.append(f"| {name} | {100 * e_err / words:.1f}% | {100 * s_err / words:.1f}% |")
        print(rows[-1], flush=True)
    mins = 0.0
    fe = fs = 0
    for f in sorted(B.NOISE.glob("*.wav")):
        y = B.load16(f)
        mins += len(y) / SR / 60
        total_audio += len(y) / SR
        fe += len(energy(y)[0])
        fs += len(silero(y))
    rows.append(f"| noise only: false words per minute ({mins:.1f} min) | {fe / mins:.2f} | "
                f"{fs / mins:.2f} |")
    rows.append(f"\nsilero-vad real-time factor (one thread): {vad_time[0] / total_audio:.4f}")
    text = "\n".join(rows)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write("\n### VAD: energy vs silero-vad (sequence mode)\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
