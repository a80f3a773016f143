"""Streaming recogniser: segmentation, chunk-size invariance, rates, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space import audio
from space.errors import AudioError, UsageError
from space.recognize.stream import StreamConfig, StreamingRecognizer, iter_file
from space.recognize.words.recognizer import load_model

from .conftest import word_like

SR = 16000
KINDS = ["rise", "fall", "beep"]


def make_stream(seed: int = 0, n_words: int = 6, sr: int = SR, noise: float = 0.003
                ) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Synthetic words (the tiny model's classes) with 0.5-1.2 s pauses in low noise.

    Returns the recording and the truth: (label, start_s, end_s) of each word's speech.
    """
    rng = np.random.default_rng(seed)
    parts, truth, t = [], [], 0
    lead = int(0.5 * SR)
    parts.append(np.zeros(lead, np.float32))
    t = lead
    for k in range(n_words):
        kind = k % 3
        clip = word_like(kind, SR, rng)
        a, b = audio.speech_bounds(clip, SR, top_db=30)
        clip = clip[a:b]
        truth.append((KINDS[kind], t / SR, (t + len(clip)) / SR))
        pause = np.zeros(int(rng.uniform(0.5, 1.2) * SR), np.float32)
        parts += [clip, pause]
        t += len(clip) + len(pause)
    y = np.concatenate(parts)
    y = y + rng.normal(0, noise, len(y)).astype(np.float32)
    if sr != SR:
        y = audio.resample(y, SR, sr)
    return y.astype(np.float32), truth


@pytest.fixture(scope="module")
def model(tiny_model: Path):
    return load_model(tiny_model)


def events_chunked(model, y: np.ndarray, sizes, sr: int = SR, **kw):
    s = StreamingRecognizer(model, sr=sr, min_probability=0.0, **kw)
    out, i, k = [], 0, 0
    while i < len(y):
        n = sizes[k % len(sizes)]
        out += s.accept(y[i : i + n])
        i += n
        k += 1
    out += s.flush()
    return out


def summary(events):
    return [(e.label, round(e.probability, 5), e.start_s, e.end_s) for e in events]


def test_finds_each_word_once_at_the_right_time(model) -> None:
    y, truth = make_stream()
    events = events_chunked(model, y, [len(y)])
    assert len(events) == len(truth)
    for ev, (_, a, b) in zip(events, truth, strict=True):
        # The VAD's 10 ms frames and 30 ms start run put edges within a few frames.
        assert abs(ev.start_s - a) < 0.06
        assert abs(ev.end_s - b) < 0.08
        assert ev.start_s < ev.end_s
    # The tiny model learned these synthetic words: most are right.
    right = sum(ev.label == lab for ev, (lab, _, _) in zip(events, truth, strict=True))
    assert right >= len(truth) - 1


def test_events_use_the_same_path_as_predict(model) -> None:
    y, _ = make_stream(seed=1, n_words=3)
    for ev in events_chunked(model, y, [len(y)]):
        p = model.predict(ev.audio, sr=ev.sr)
        assert (p.label, p.probability) == (ev.label, ev.probability)
        assert ev.audio_start_s <= ev.start_s


@pytest.mark.parametrize("sizes", [[7], [160], [1000], [4801], [1, 333, 2048, 17, 9999]])
def test_chunk_size_does_not_change_the_events(model, sizes) -> None:
    y, _ = make_stream(seed=2)
    whole = summary(events_chunked(model, y, [len(y)]))
    assert len(whole) == 6
    assert summary(events_chunked(model, y, sizes)) == whole


def test_chunk_invariance_with_noise_suppression(model) -> None:
    y, truth = make_stream(seed=3, noise=0.01)
    whole = events_chunked(model, y, [len(y)], noise_reduce=True)
    assert len(whole) == len(truth)
    assert summary(events_chunked(model, y, [480, 37], noise_reduce=True)) == summary(whole)


def test_noise_suppression_is_loaded_with_the_stream_not_at_the_first_word(
        model, monkeypatch) -> None:
    """A missing noisereduce is named when the stream is made, before any audio flows."""
    import sys

    monkeypatch.setitem(sys.modules, "noisereduce", None)  # `import noisereduce` fails
    with pytest.raises(UsageError, match=r"noise suppression needs noisereduce \(pip install"):
        StreamingRecognizer(model, sr=SR, noise_reduce=True)
    StreamingRecognizer(model, sr=SR)  # without suppression the package is not needed


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_any_input_rate_gives_the_same_words(model, sr: int) -> None:
    y16, truth = make_stream(seed=4)
    ref = events_chunked(model, y16, [len(y16)])
    y = audio.resample(y16, SR, sr)
    ev = events_chunked(model, y, [int(0.02 * sr)], sr=sr)
    assert [e.label for e in ev] == [e.label for e in ref]
    for a, b in zip(ev, ref, strict=True):
        assert abs(a.start_s - b.start_s) < 0.03 and abs(a.end_s - b.end_s) < 0.03


def test_int16_and_stereo_chunks(model) -> None:
    y, _ = make_stream(seed=5, n_words=3)
    ref = summary(events_chunked(model, y, [len(y)]))
    pcm = np.round(y * 32767).astype(np.int16)
    s = StreamingRecognizer(model, sr=SR, min_probability=0.0)
    got = s.accept(np.stack([pcm, pcm], axis=1)) + s.flush()
    assert [e.label for e in got] == [r[0] for r in ref]
    assert [e.start_s for e in got] == [r[2] for r in ref]


def test_noise_and_silence_give_no_words(model, rng) -> None:
    s = StreamingRecognizer(model, sr=SR, min_probability=0.0)
    assert s.accept(np.zeros(3 * SR, np.float32)) == []
    assert s.accept(rng.normal(0, 0.05, 5 * SR).astype(np.float32)) == []
    assert s.flush() == []


def test_too_short_and_too_long_sounds_are_not_words(model) -> None:
    s = StreamingRecognizer(model, sr=SR, min_probability=0.0)
    click = np.zeros(SR, np.float32)
    click[SR // 2 : SR // 2 + 400] = 0.5  # 25 ms
    t = np.arange(4 * SR) / SR
    hum = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)  # 4 s > max_word_s
    quiet = np.zeros(SR, np.float32)
    assert s.accept(np.concatenate([click, quiet, hum, quiet])) + s.flush() == []


def test_word_open_at_the_end_is_decided_by_flush(model) -> None:
    y, truth = make_stream(seed=6, n_words=1)
    end = int((truth[0][2] + 0.05) * SR)  # cut right after the word, before the hangover
    s = StreamingRecognizer(model, sr=SR, min_probability=0.0)
    assert s.accept(y[:end]) == []
    ev = s.flush()
    assert len(ev) == 1 and ev[0].label == truth[0][0]


@pytest.mark.parametrize("noise_reduce", [False, True])
@pytest.mark.parametrize("end", ["pause", "flush"])
def test_stream_that_begins_inside_a_word(model, end: str, noise_reduce: bool) -> None:
    """A recording cut tight to its word, or a user who speaks as the microphone opens:
    the first frame is no noise floor. It used to be taken for one, and such a word was
    never heard (166 of the learners' 679 clips streamed as cut gave no event)."""
    y, truth = make_stream(seed=12, n_words=2)
    _, a, b = truth[0]
    start = int((a + 0.3 * (b - a)) * SR)  # inside the first word, past its soft onset
    stop = len(y) if end == "pause" else int((b + 0.05) * SR)
    events = events_chunked(model, y[start:stop], [320], noise_reduce=noise_reduce)
    assert len(events) == (2 if end == "pause" else 1), summary(events)
    assert events[0].start_s == 0.0 and abs(events[0].end_s - (b - start / SR)) < 0.08
    if end == "pause":  # the next word is found as before, at its own time
        assert abs(events[1].start_s - (truth[1][1] - start / SR)) < 0.06
        assert events[1].label == truth[1][0]


def test_a_click_at_the_start_is_not_a_word(model) -> None:
    """A stream that begins with a click (a button, the microphone switching on) and then
    quiet: decided again from the quiet, so the words after it are found as without it."""
    y, _ = make_stream(seed=13, n_words=2)
    clicked = y.copy()
    clicked[:200] += 0.5  # 12.5 ms
    assert summary(events_chunked(model, clicked, [320])) == summary(
        events_chunked(model, y, [320]))


def test_reset_restarts_the_clock(model) -> None:
    y, _ = make_stream(seed=7, n_words=2)
    s = StreamingRecognizer(model, sr=SR, min_probability=0.0)
    first = s.accept(y) + s.flush()
    s.accept(y[: len(y) // 3])
    s.reset()
    assert s.time_s == 0.0
    again = s.accept(y) + s.flush()
    assert summary(again) == summary(first)


def test_memory_stays_bounded(model, rng) -> None:
    s = StreamingRecognizer(model, sr=SR)
    for _ in range(200):  # 20 s of quiet noise in 100 ms chunks
        s.accept(rng.normal(0, 0.002, SR // 10).astype(np.float32))
    assert len(s._buf) < SR  # pre-roll plus one chunk, not 20 s


def test_min_probability_drops_unsure_words(model) -> None:
    y, _ = make_stream(seed=8, n_words=3)
    s = StreamingRecognizer(model, sr=SR, min_probability=1.0)
    assert s.accept(y) + s.flush() == []
    assert s.n_rejected == 0  # flush() resets the counters too


def test_event_to_dict(model) -> None:
    y, _ = make_stream(seed=9, n_words=1)
    (ev,) = events_chunked(model, y, [len(y)])
    d = ev.to_dict()
    assert set(d) == {"label", "probability", "start_s", "end_s", "top_k"}
    assert d["label"] == d["top_k"][0]["label"] and 0 <= d["probability"] <= 1


def test_bad_input(model) -> None:
    s = StreamingRecognizer(model, sr=SR)
    with pytest.raises(AudioError, match="NaN"):
        s.accept(np.array([0.0, np.nan], np.float32))
    with pytest.raises(AudioError, match="shape"):
        s.accept(np.zeros((2, 2, 2), np.float32))
    with pytest.raises(AudioError, match="sample rate"):
        StreamingRecognizer(model, sr=4000)
    with pytest.raises(UsageError):
        StreamConfig(stop_db=20.0, start_db=10.0)
    with pytest.raises(UsageError):
        StreamConfig(post_roll_ms=500.0, hangover_ms=200.0)
    with pytest.raises(TypeError):
        StreamingRecognizer(model, sr=SR, no_such_option=1)
    assert s.accept(np.zeros(0, np.float32)) == []


def test_iter_file_streams_the_whole_file(tmp_path: Path, rng) -> None:
    y = rng.normal(0, 0.1, 12345).astype(np.float32)
    p = tmp_path / "a.wav"
    sf.write(p, np.stack([y, y], axis=1), 22050, subtype="FLOAT")
    sr, chunks = iter_file(p, chunk_s=0.02)
    got = np.concatenate(list(chunks))
    assert sr == 22050 and np.allclose(got, y, atol=1e-6)
    with pytest.raises(AudioError, match="not found"):
        iter_file(tmp_path / "missing.wav")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all" * 10)
    with pytest.raises(AudioError, match="cannot decode"):
        iter_file(tmp_path / "junk.wav")
