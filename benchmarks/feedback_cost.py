"""What the learner-facing feedback costs: a warm score with and without phones (for
scale), the recording-quality figure per attempt, the
phone feedback summary, the picture with and without the phone strip, and the size of
``/api/score``'s ``drawing`` payload. CPU time (``time.process_time``), medians.

    python benchmarks/feedback_cost.py [--n 50]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn, n: int) -> float:
    out = []
    for _ in range(n):
        t0 = time.process_time()
        fn()
        out.append(1000 * (time.process_time() - t0))
    return float(np.median(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--attempt", default=str(ROOT / "examples" / "3_three_espeak_female.wav"))
    ap.add_argument("--word", default="3")
    args = ap.parse_args()
    from dataclasses import replace

    from space import audio, pronounce
    from space.io import png_bytes
    from space.pronounce.drawing import drawing
    from space.pronounce.feedback import phone_feedback
    from space.pronounce.quality import recording_quality

    y, sr = audio.load(args.attempt)
    r = pronounce.score(y, sr=sr, word=args.word, phones=True)
    plain = replace(r, phones=[])
    y16 = r.attempt_audio
    rows = [
        ("space.score warm, without phones (for scale)",
         _median_ms(lambda: pronounce.score(y, sr=sr, word=args.word, phones=False), args.n)),
        ("space.score warm, with phones (the default; what the page asks for)",
         _median_ms(lambda: pronounce.score(y, sr=sr, word=args.word, phones=True), args.n)),
        ("recording quality (one attempt, %.2f s)" % (len(y16) / r.sr),
         _median_ms(lambda: recording_quality(y16, r.sr), args.n)),
        ("phone feedback summary", _median_ms(lambda: phone_feedback(r.phones, r.word,
                                                                     r.quality), args.n)),
        ("drawing payload, with phones", _median_ms(lambda: drawing(r), args.n)),
        ("picture (PNG, 80 dpi) without phones",
         _median_ms(lambda: png_bytes(plain.plot(), dpi=80), max(5, args.n // 5))),
        ("picture (PNG, 80 dpi) with the phone strip",
         _median_ms(lambda: png_bytes(r.plot(), dpi=80), max(5, args.n // 5))),
    ]
    print(f"attempt: {Path(args.attempt).name}, word {args.word!r}, {len(r.phones)} phones")
    print()
    print("| step | CPU ms (median) |")
    print("|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.2f} |")
    print()
    d, p = drawing(r), drawing(plain)
    print(f"drawing JSON: {len(json.dumps(d))} bytes with phones, {len(json.dumps(p))} without; "
          f"phones list {len(json.dumps(r.phones))} bytes; quality {len(json.dumps(r.quality))} bytes")


if __name__ == "__main__":
    main()
