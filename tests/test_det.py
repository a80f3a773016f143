"""Detection-error sweep: counting on hand-made posteriors, streams, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from space.api import det_model
from space.cli import main
from space.data import folder_splits
from space.data.readers import SILENCE, UNKNOWN, Example
from space.recognize.words import det
from space.recognize.words.recognizer import load_model

from .conftest import word_like

LABELS = [SILENCE, UNKNOWN, "no", "yes"]


def hand_made():
    """36 s of stream, windows every 0.1 s of 1 s each; two 'yes' and one 'no'."""
    stream = det.Stream(np.zeros(36_000, np.float32), 1000,
                        [("yes", 2.0, 2.6), ("yes", 10.0, 10.4), ("no", 20.0, 20.5)], 3)
    probs = np.zeros((351, 4))
    yes, no = 3, 2
    probs[15:21, yes] = 0.9  # windows starting 1.5-2.0 s hold the first 'yes' (mid 2.3 s)
    probs[23, yes] = 0.85  # overlaps the word without its midpoint: neither hit nor alarm
    probs[50, yes] = 0.6  # 5.0-6.0 s: nothing said -> a false alarm
    probs[95:100, yes] = 0.7  # the second 'yes' (mid 10.2 s)
    probs[196:201, no] = 0.4  # the 'no' (mid 20.25 s), weakly
    probs[300, no] = 0.95  # 30-31 s: a confident false alarm
    return stream, probs


def test_counting_on_hand_made_posteriors():
    stream, probs = hand_made()
    assert stream.hours == pytest.approx(0.01)
    r = det.count_detections(probs, LABELS, stream, hop_s=0.1, window_s=1.0,
                             thresholds=np.array([0.3, 0.5, 0.65, 0.8, 0.99]))
    assert r.keywords == ["no", "yes"] and r.n_occurrences == 3
    # yes: hits 2,2,2,1,0 / FAs 1,1,0,0,0;  no: hits 1,0,0,0,0 / FAs 1,1,1,1,0
    np.testing.assert_allclose(r.frr, [0, 1 / 3, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(r.fa_per_hour, [200, 200, 100, 100, 0])
    np.testing.assert_allclose(r.per_keyword["yes"]["false_reject_rate"], [0, 0, 0, 0.5, 1])
    np.testing.assert_allclose(r.per_keyword["no"]["false_alarms_per_hour"],
                               [100, 100, 100, 100, 0])
    assert r.frr_at(100) == pytest.approx(1 / 3)
    assert r.frr_at(50) == 1.0
    d = r.to_dict()
    assert d["frr_at_fa_per_hour"]["1"] == 1.0 and d["n_keyword_occurrences"] == 3


def test_events_merge_close_runs_and_take_the_best_window():
    active = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1], bool)
    score = np.array([0, .5, .6, 0, 0, .9, 0, 0, 0, 0, .7, .8])
    assert det._events(active, score, merge=3) == [5, 11]  # 1-5 merge (gap 3), 10-11 alone
    assert det._events(active, score, merge=1) == [2, 5, 11]
    assert det._events(np.zeros(4, bool), score[:4], merge=1) == []


def test_stream_places_keywords_where_it_says(tmp_path):
    rng = np.random.default_rng(3)
    examples = []
    for i, (kind, label) in enumerate([(0, "rise"), (1, "fall"), (2, "beep"), (0, "rise")]):
        p = tmp_path / f"{i}.wav"
        sf.write(p, word_like(kind, 16000, rng), 16000)
        examples.append(Example(str(p), label))
    examples.append(Example(str(tmp_path / "0.wav"), SILENCE, None, 0.0, 1.0))
    s = det.build_stream(examples, ["rise", "fall"], sr=16000, seed=0)
    assert s.n_clips == 4
    assert sorted(lab for lab, _, _ in s.occurrences) == ["fall", "rise", "rise"]
    for _, a, b in s.occurrences:
        seg = s.audio[int(a * 16000) : int(b * 16000)]
        assert np.sqrt(np.mean(seg**2)) > 5 * det.NOISE_RMS  # speech, not the noise gaps
    # 4 clips + 1 s of filler + 6 gaps of 0.3-1.2 s (the last one 1.2 s).
    assert 5.0 + 5 * 0.3 + 1.2 <= len(s.audio) / 16000 <= 5.0 + 6 * 1.2
    again = det.build_stream(examples, ["rise", "fall"], sr=16000, seed=0)
    assert np.array_equal(s.audio, again.audio)


def test_run_det_on_a_trained_model(tmp_path, tiny_model, synthetic_dataset):
    rec = load_model(tiny_model)
    examples = folder_splits(synthetic_dataset).test
    r = det.run_det(rec, examples, hop_s=0.1)
    assert r.n_occurrences == len(examples)  # every label of this model is a keyword
    assert np.all(np.diff(r.frr) >= 0)  # a higher threshold never detects more
    assert r.fa_per_hour[-1] <= r.fa_per_hour[0]
    assert r.frr[0] < 0.5  # at threshold 0.05 most words are found
    png = tmp_path / "det.png"
    det.save_plot(r, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_evaluate_det_writes_plot_and_numbers(tmp_path, tiny_model, synthetic_dataset, capsys):
    png = tmp_path / "out" / "det.png"
    args = ["evaluate", str(tiny_model), "--data", str(synthetic_dataset), "--plot", "",
            "--det", str(png), "--quiet"]
    assert main(args) == 2  # a missing output folder is refused before any work, not created
    assert "does not exist" in capsys.readouterr().err and not png.parent.exists()
    png.parent.mkdir()
    rc = main(args)
    assert rc == 0
    out = capsys.readouterr().out
    assert "DET over a" in out and "FRR at 1 FA/h" in out
    numbers = json.loads((tmp_path / "out" / "det.json").read_text())
    assert len(numbers["thresholds"]) == len(numbers["false_reject_rate"])
    assert numbers["keywords"] == ["beep", "fall", "rise"]
    assert png.stat().st_size > 1000
    r = det_model(tiny_model, synthetic_dataset, plot=None)
    assert r.to_dict()["false_reject_rate"] == numbers["false_reject_rate"]  # deterministic


def test_det_needs_keywords(tmp_path, tiny_model):
    p = tmp_path / "x.wav"
    sf.write(p, word_like(0, 16000, np.random.default_rng(0)), 16000)
    with pytest.raises(det.SpaceError, match="no clip of any keyword"):
        det.run_det(load_model(tiny_model), [Example(str(p), "other")])
    with pytest.raises(det.SpaceError, match="no examples"):
        det.run_det(load_model(tiny_model), [])
