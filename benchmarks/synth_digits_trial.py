"""Issue 21 trial: the `digits` recipe plus espeak-ng digits in 216 voices the panel does not
use (the connected-digits trainer's 240 minus the 24 of the panel's four base+variant pairs), one
clip per voice and digit, trimmed. Two trainings, each against the shipped recipe's figure:

    python benchmarks/synth_digits_trial.py loso nicolas   # FSDD's worst held-out speaker
    python benchmarks/synth_digits_trial.py cv even        # learners with odd ids held out

Prints the held-out accuracy and the espeak-ng panel (male / female / child-like).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import voices  # noqa: E402

# The panel's own voices (voices.ESPEAK_PANEL) that the connected-digits trainer also uses.
PANEL_PAIRS = ("en-gb-x-gbclan+m4", "en-us-nyc+m5", "en-gb-x-rp+f1", "en-gb-x-gbcwmd+f5")


def synth_examples(cache: Path) -> list:
    from space.data import Example

    f = voices.ROOT / "build" / "digitseq" / "seqpool-16000.npz"
    if not f.is_file():
        raise SystemExit(f"{f} is missing: `make model-digitseq` builds it (the voice pool of "
                         "space train-sequence --cache build/digitseq)")
    pool = np.load(f, allow_pickle=True)["pool"].item()["voices"]
    out = []
    for name, clips in sorted(pool.items()):
        if not name.startswith("espeak-") or any(f"espeak-{p}-" in name for p in PANEL_PAIRS):
            continue
        d = cache / "synth_digits" / name
        d.mkdir(parents=True, exist_ok=True)
        for digit, y in clips:
            p = d / f"{digit}.wav"
            if not p.exists():
                sf.write(p, y, 16000)
            out.append(Example(str(p), digit, name))
    return out


def main() -> int:
    from space.api import default_features
    from space.recognize import load_model
    from space.training.words import train

    mode, which = sys.argv[1], sys.argv[2]
    cache = voices.ROOT.parent / "cache-12"
    synth = synth_examples(cache)
    print(f"{len(synth)} synthetic clips", file=sys.stderr)
    train_ex, val_ex, test_ex, labels, tcfg = voices.digits_recipe(mode, which)
    out = cache / "synth_digits" / f"{mode}_{which}.pt"
    train(train_ex + synth, val_ex, labels, out, feature_cfg=default_features("fsdd"),
          train_cfg=tcfg, progress=False)
    voices.digits_trial_report(load_model(out), mode, which, test_ex, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
