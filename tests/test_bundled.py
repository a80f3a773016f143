"""The shipped models do what their model cards say (regression guard for `make models`)."""

from __future__ import annotations

import numpy as np

from space.recognize.recognizer import load_model

from .conftest import FSDD, ROOT, needs_fsdd


def test_digits_model_labels_the_bundled_examples():
    """The clips `make demo` shows: espeak voices the model never heard, and two FSDD test clips."""
    rec = load_model("digits")
    clips = sorted((ROOT / "examples").glob("*.wav"))
    assert len(clips) >= 7
    for clip, pred in zip(clips, rec.predict_many(clips)):
        assert pred.label == clip.name.split("_")[0], (clip.name, pred.label, pred.probability)


def test_digits_model_card_metadata():
    rec = load_model("digits")
    assert rec.labels == [str(d) for d in range(10)]
    assert rec.feature_cfg.fmax == 4000  # FSDD is 8 kHz audio: nothing above 4 kHz was seen
    recipe = rec.ckpt.meta["train_config"]
    assert recipe["epochs"] == 12 and recipe["copies"] == 2
    assert tuple(recipe["augment"]["snr_db"]) == (0.0, 25.0) and recipe["augment"]["p_noise"] == 0.9
    # SpecAugment's masks cost 1.2 pt of leave-one-speaker-out accuracy on FSDD: not used
    assert recipe["augment"]["freq_masks"] == 0 and recipe["augment"]["time_masks"] == 0


@needs_fsdd
def test_digits_model_on_the_official_fsdd_test_split():
    from space.data import fsdd_splits

    rec = load_model("digits")
    test = fsdd_splits(FSDD).test
    preds = rec.predict_many([e.path for e in test])
    acc = np.mean([p.label == e.label for p, e in zip(preds, test)])
    assert len(test) == 300 and acc >= 0.99
