"""Issue 21 trial (reverted after this commit): the connected-digits recipe with the
shipped file's own loop's cosine schedule and "anywhere" placement, against today's.

    python benchmarks/seq_recipe_trial.py VARIANT OUT.pt   # VARIANT: new, A, B, B1, O
    python benchmarks/connected.py --systems sequence --snr clean,10 --seq-model OUT.pt \
        --sets fsdd,learners-test,learners-test-a,learners-test-b,espeak,said
"""
import sys
from dataclasses import replace

from space.config import SEQUENCE_TRAIN
from space.training.sequence import train_sequence

var, out = sys.argv[1], sys.argv[2]
cfg = SEQUENCE_TRAIN  # "new": cosine, anywhere
if var == "A":  # cosine, centred +-1 s
    cfg = replace(cfg, augment=replace(cfg.augment, place="centre", time_shift_s=1.0))
elif var == "B":  # one-cycle, anywhere
    cfg = replace(cfg, schedule="one-cycle")
elif var == "B1":
    cfg = replace(cfg, schedule="one-cycle", seed=1)
elif var == "O":  # the recipe before this session: one-cycle, centred +-1 s
    cfg = replace(cfg, schedule="one-cycle",
                  augment=replace(cfg.augment, place="centre", time_shift_s=1.0))
print(cfg, flush=True)
train_sequence(out, fsdd="../shared/data/fsdd", speech_commands="../shared/data/speech_commands",
               learners="../shared/data/speechocean762_words", cache="build/digitseq", train=cfg,
               progress=False)
