"""Property-based fuzzing (hypothesis) of every decoder entry point.

Asserted for every generated case: only the package's own errors (:class:`SpaceError`
subclasses) or the documented HTTP statuses come out, nothing hangs (a per-case deadline),
and no file is written outside the temporary area.

The default run is short (``make test``: ``SPACE_FUZZ_EXAMPLES`` cases per property, 8
unless set: about half a minute). ``make fuzz`` runs the long one (``SPACE_FUZZ=long``: 300
cases per property, or ``SPACE_FUZZ_EXAMPLES``, with random seeds) and prints how many
cases ran and how many properties failed.
"""

from __future__ import annotations

import io
import os
import struct
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from space.errors import SpaceError  # noqa: E402

from .conftest import ROOT, word_like  # noqa: E402

LONG = os.environ.get("SPACE_FUZZ") == "long"
N = int(os.environ.get("SPACE_FUZZ_EXAMPLES") or (300 if LONG else 8))
# Generous on a busy 2-core machine: the point is "no hang", not speed.
DEADLINE = timedelta(seconds=30)
FUZZ = settings(max_examples=N, deadline=DEADLINE, derandomize=not LONG, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])
# The statuses the web API documents: 200 answered; 404 unknown word/model; 409 a stored
# reference changed under the request; 413 too large/long; 415 not decodable audio;
# 422 unusable audio or bad form fields; 403 adding references switched off.
WEB_STATUSES = {200, 403, 404, 409, 413, 415, 422}

CASES: dict[str, int] = {}


def _count(name: str) -> None:
    CASES[name] = CASES.get(name, 0) + 1


def _tree(root: Path) -> set[tuple[str, int]]:
    skip = {".git", "__pycache__", ".pytest_cache", ".venv", ".ruff_cache", ".hypothesis"}
    out = set()
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for f in files:
            p = os.path.join(dirpath, f)
            try:
                out.add((p, os.stat(p).st_mtime_ns))
            except OSError:
                pass
    return out


@pytest.fixture(scope="module", autouse=True)
def _nothing_written_outside_tmp(tmp_path_factory, request):
    """Run every property inside a temporary cwd and references folder; the repository
    tree (code, models, bundled references) must be unchanged afterwards."""
    work = tmp_path_factory.mktemp("fuzz-cwd")
    mp = pytest.MonkeyPatch()
    mp.chdir(work)
    mp.setenv("SPACE_REFERENCES_DIR", str(work / "refs"))
    before = _tree(ROOT)
    failed_before = request.session.testsfailed
    t0 = time.monotonic()
    yield work
    mp.undo()
    after = _tree(ROOT)
    failed = request.session.testsfailed - failed_before
    total = sum(CASES.values())
    line = (f"fuzz: {total} cases in {time.monotonic() - t0:.0f} s, {failed} failing "
            f"properties ({', '.join(f'{k} {v}' for k, v in sorted(CASES.items()))})")
    report = os.environ.get("SPACE_FUZZ_REPORT")
    if report:
        with open(report, "a") as fh:
            fh.write(line + "\n")
    print("\n" + line)
    assert after == before, f"files changed outside the temp area: {sorted(after ^ before)[:5]}"


# ---------------------------------------------------------------------------------------
# audio.load on mutated files

def _encode(fmt: str, subtype: str | None, channels: int, sr: int) -> bytes:
    y = word_like(0, sr, np.random.default_rng(channels))[: sr // 2]
    if channels > 1:
        y = np.stack([y * (0.5 + 0.5 * c / channels) for c in range(channels)], axis=1)
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


SEEDS = [("WAV", "PCM_16", 1, 16000), ("WAV", "FLOAT", 2, 8000), ("WAV", "PCM_U8", 1, 11025),
         ("WAV", "PCM_24", 3, 48000), ("FLAC", "PCM_16", 1, 16000), ("OGG", "VORBIS", 1, 16000),
         ("MP3", "MPEG_LAYER_III", 1, 16000), ("AIFF", "PCM_16", 2, 22050)]
_CORPUS: dict[int, bytes] = {}


def corpus(i: int) -> bytes:
    if i not in _CORPUS:
        try:
            _CORPUS[i] = _encode(*SEEDS[i])
        except (sf.LibsndfileError, RuntimeError, ValueError):  # a build without MP3 writing
            _CORPUS[i] = _encode(*SEEDS[0])
    return _CORPUS[i]


@st.composite
def mutated_audio(draw: st.DrawFn) -> bytes:
    data = bytearray(corpus(draw(st.integers(0, len(SEEDS) - 1))))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "header_u32", "header_u16", "truncate", "insert",
                                     "delete", "zero"]))
        if not data:
            break
        if kind == "flip":
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        elif kind in ("header_u32", "header_u16"):
            # sizes, rates, channel counts and chunk lengths live in the first 64 bytes
            width = 4 if kind == "header_u32" else 2
            i = draw(st.integers(0, max(0, min(64, len(data) - width))))
            v = draw(st.one_of(st.sampled_from([0, 1, 2**15, 2**16 - 1, 2**31 - 1, 2**32 - 1]),
                               st.integers(0, 2 ** (8 * width) - 1)))
            data[i : i + width] = (v % 2 ** (8 * width)).to_bytes(width, "little")
        elif kind == "truncate":
            del data[draw(st.integers(0, len(data))):]
        elif kind == "insert":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            i = draw(st.integers(0, len(data) - 1))
            del data[i : i + draw(st.integers(1, 64))]
        else:
            i = draw(st.integers(0, len(data) - 1))
            data[i : i + 16] = bytes(min(16, len(data) - i))
    return bytes(data)


def _check_loaded(y: np.ndarray, sr: int) -> None:
    from space import audio

    assert y.dtype == np.float32 and y.ndim == 1 and y.size > 0
    assert np.all(np.isfinite(y)) and audio.MIN_SR <= sr <= audio.MAX_SR


@FUZZ
@given(data=mutated_audio(), as_path=st.booleans())
def test_load_mutated_files(data: bytes, as_path: bool, tmp_path_factory) -> None:
    from space import audio

    _count("audio.load")
    source: bytes | Path = data
    if as_path:
        source = tmp_path_factory.mktemp("f") / "x.wav"
        source.write_bytes(data)
    try:
        y, sr = audio.load(source)
    except SpaceError:
        return
    _check_loaded(y, sr)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_load_random_bytes(data: bytes) -> None:
    from space import audio

    _count("audio.load random")
    try:
        _check_loaded(*audio.load(data))
    except SpaceError:
        pass


@FUZZ
@given(sr=st.integers(0, 2**32 - 1), channels=st.integers(0, 2**16 - 1),
       bits=st.sampled_from([0, 8, 16, 24, 32, 64, 7]), fmt=st.sampled_from([1, 3, 0xFFFE, 0, 85]),
       n_data=st.integers(0, 4096), claimed=st.integers(0, 2**32 - 1))
def test_load_crafted_wav_headers(sr: int, channels: int, bits: int, fmt: int, n_data: int,
                                  claimed: int) -> None:
    """A hand-made RIFF header with any rate, channel count, bit depth and data length."""
    from space import audio

    _count("wav header")
    block = max(1, channels * bits // 8) & 0xFFFF
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, sr, (sr * block) & 0xFFFFFFFF, block, bits)
    body = bytes((i * 37) & 0xFF for i in range(n_data))
    data = (b"RIFF" + struct.pack("<I", (36 + n_data) & 0xFFFFFFFF) + b"WAVE" + b"fmt " +
            struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", claimed) + body)
    try:
        _check_loaded(*audio.load(data))
    except SpaceError:
        pass


# ---------------------------------------------------------------------------------------
# predict / score on arrays of any shape, dtype, rate and content

_REC: dict[str, object] = {}


def rec():
    if "r" not in _REC:
        from space import load_model

        _REC["r"] = load_model("digits")
    return _REC["r"]


DTYPES = st.sampled_from([np.float32, np.float64, np.float16, np.int16, np.int32, np.int8,
                          np.uint8, np.bool_, np.complex64, np.int64])


@st.composite
def any_array(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(DTYPES))
    if draw(st.booleans()):  # small arrays of anything (NaN, inf, extremes)
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=24))
        return draw(hnp.arrays(dtype, shape))
    # audio-sized: a word, noise, a tone or DC, at any level, maybe with channels
    sr = 16000
    n = draw(st.integers(1, 2 * sr))
    kind = draw(st.sampled_from(["word", "noise", "tone", "dc", "impulse"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if kind == "word":
        y = word_like(0, sr, rng)[:n]
    elif kind == "noise":
        y = rng.normal(0, 1, n)
    elif kind == "tone":
        y = np.sin(np.arange(n) * draw(st.floats(0.001, 3.1)))
    elif kind == "dc":
        y = np.ones(n)
    else:
        y = np.zeros(n)
        y[n // 2] = 1
    y = y * draw(st.sampled_from([0.0, 1e-9, 1e-3, 0.5, 1.0, 3e4, 1e38]))
    if draw(st.booleans()):
        y = np.stack([y, -y], axis=draw(st.sampled_from([0, 1])))
    with np.errstate(all="ignore"):
        return y.astype(dtype)


RATES = st.one_of(st.none(), st.sampled_from([8000, 16000, 44100, 48000, 96000, 7999, 96001, 0,
                                               -16000]), st.integers(-10, 200000))


@FUZZ
@given(y=any_array(), sr=RATES)
def test_predict_any_array(y: np.ndarray, sr: int | None) -> None:
    _count("predict")
    try:
        p = rec().predict(y, sr=sr)
    except SpaceError:
        return
    assert p.label in rec().labels and 0 <= p.probability <= 1


@FUZZ
@given(y=any_array(), sr=RATES, word=st.sampled_from(["7", "seven", "yes", "nope", "../x"]))
def test_score_any_array(y: np.ndarray, sr: int | None, word: str) -> None:
    from space import score

    _count("score")
    try:
        r = score(y, word=word, sr=sr)
    except SpaceError:
        return
    assert 0 <= r.score <= 100 and r.band in ("excellent", "good", "fair", "poor")


@FUZZ
@given(y=any_array())
def test_torch_tensors_like_arrays(y: np.ndarray) -> None:
    import torch

    _count("predict tensor")
    try:
        t = torch.from_numpy(np.ascontiguousarray(y))
    except TypeError:  # dtypes torch has no tensor for (uint16...): not our input
        return
    try:
        rec().predict(t, sr=16000)
    except SpaceError:
        pass


# ---------------------------------------------------------------------------------------
# the streaming recogniser on random chunkings

_SIGNAL: dict[str, np.ndarray] = {}


def stream_signal() -> np.ndarray:
    if "y" not in _SIGNAL:
        y, sr = sf.read(ROOT / "examples" / "7_seven_espeak_male.wav", dtype="float32")
        from space import audio

        y = audio.resample(y, sr, 16000)
        gap = np.zeros(8000, np.float32)
        _SIGNAL["y"] = np.concatenate([gap, y, gap, 0.5 * y, gap])
    return _SIGNAL["y"]


def _events(chunks: list[np.ndarray]) -> list[tuple[str, float]]:
    from space.recognize.stream import StreamingRecognizer

    s = StreamingRecognizer(rec(), sr=16000)
    return [(e.label, round(e.start_s, 3)) for e in s.feed(chunks)]


@FUZZ
@given(cuts=st.lists(st.integers(0, 5000), max_size=40))
def test_stream_random_chunkings_agree(cuts: list[int]) -> None:
    """Any chunking (empty chunks included) gives the same words as one big chunk."""
    _count("stream chunking")
    y = stream_signal()
    edges = sorted({min(c * 7, len(y)) for c in cuts} | {0, len(y)})
    chunks = [y[a:b] for a, b in zip(edges[:-1], edges[1:])] + [y[:0]]
    if "whole" not in _SIGNAL:
        _SIGNAL["whole"] = _events([y])  # type: ignore[assignment]
    assert _events(chunks) == _SIGNAL["whole"]


@FUZZ
@given(chunks=st.lists(any_array(), max_size=4), sr=st.integers(-5, 200000))
def test_stream_any_chunks(chunks: list[np.ndarray], sr: int) -> None:
    from space.recognize.stream import StreamingRecognizer

    _count("stream chunks")
    try:
        s = StreamingRecognizer(rec(), sr=sr)
        for c in chunks:
            s.accept(c)
        s.flush()
    except SpaceError:
        pass


# ---------------------------------------------------------------------------------------
# checkpoint loading on mutated files

_CKPT: dict[str, bytes] = {}


def small_checkpoint(tmp: Path) -> bytes:
    if "b" not in _CKPT:
        from space.config import FeatureConfig, ModelConfig
        from space.recognize import checkpoint
        from space.recognize.words.model import SpaceModel

        m = SpaceModel(FeatureConfig(), ModelConfig(n_classes=3, channels=(4, 8)))
        checkpoint.save(checkpoint.Checkpoint(m, ["a", "b", "c"], checkpoint.TrainingMeta(extra={"x": 1})),
                        tmp / "c.pt")
        _CKPT["b"] = (tmp / "c.pt").read_bytes()
    return _CKPT["b"]


@FUZZ
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_checkpoint_load_mutated(edits, cut, tmp_path_factory) -> None:
    from space.errors import ModelError
    from space.recognize import checkpoint

    _count("checkpoint.load")
    tmp = tmp_path_factory.mktemp("ck")
    data = bytearray(small_checkpoint(tmp))
    for pos, b in edits:
        data[min(len(data) - 1, int(pos * len(data)))] = b
    if cut is not None:
        del data[int(cut * len(data)):]
    p = tmp / "m.pt"
    p.write_bytes(bytes(data))
    try:
        ck = checkpoint.load(p)
    except ModelError:
        return
    assert ck.labels == ["a", "b", "c"] or len(ck.labels) == ck.model_cfg.n_classes


@FUZZ
@given(payload=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4), max_leaves=12),
    keep=st.sets(st.sampled_from(["format", "feature_config", "model_config", "labels",
                                  "state_dict"])))
def test_checkpoint_load_odd_payloads(payload, keep, tmp_path_factory) -> None:
    """A well-formed torch file whose SPACE fields are missing or of the wrong kind."""
    import torch

    from space.errors import ModelError
    from space.recognize import checkpoint

    _count("checkpoint payload")
    tmp = tmp_path_factory.mktemp("ckp")
    good = torch.load(io.BytesIO(small_checkpoint(tmp)), weights_only=True)
    bad = {k: (v if k in keep else payload) for k, v in good.items()}
    p = tmp / "m.pt"
    torch.save(bad, p)
    try:
        checkpoint.load(p)
    except ModelError:
        pass


# ---------------------------------------------------------------------------------------
# the web upload endpoints

_APP: dict[str, object] = {}


def client():
    if "c" not in _APP:
        from fastapi.testclient import TestClient

        from space.web import create_app

        _APP["c"] = TestClient(create_app(max_upload_bytes=64 * 1024, max_duration_s=5.0))
        _APP["c"].__enter__()
    return _APP["c"]


@pytest.fixture(scope="module", autouse=True)
def _close_client():
    yield
    if "c" in _APP:
        _APP.pop("c").__exit__(None, None, None)


UPLOADS = st.one_of(mutated_audio(), st.binary(max_size=1024),
                    st.just(b""), st.just(b"\0" * (70 * 1024)))


@FUZZ
@given(data=UPLOADS, endpoint=st.sampled_from(["predict", "score", "score-plot", "references"]),
       word=st.one_of(st.sampled_from(["7", "yes", "fuzz-word"]), st.text(max_size=12)),
       filename=st.one_of(st.just("a.wav"), st.text(max_size=20)),
       top_k=st.one_of(st.none(), st.integers(-3, 80), st.text(max_size=3)))
def test_web_uploads(data: bytes, endpoint: str, word: str, filename: str, top_k) -> None:
    from urllib.parse import quote

    _count("web upload")
    c = client()
    if endpoint == "predict":
        form = {} if top_k is None else {"top_k": str(top_k)}
        r = c.post("/api/predict", files={"file": (filename, data)}, data=form)
    elif endpoint.startswith("score"):
        form = {"word": word, **({"plot": "true"} if endpoint == "score-plot" else {})}
        r = c.post("/api/score", files={"file": (filename, data)}, data=form)
    else:
        r = c.post(f"/api/references/{quote(word, safe='')}",
                   files=[("files", (filename, data))])
    # 405: a word with a "/" (or none) routes to no POST endpoint (the path names another)
    routed_elsewhere = r.status_code == 405 and ("/" in word or not word.strip())
    assert r.status_code in WEB_STATUSES or routed_elsewhere, (r.status_code, r.text[:200])
    if r.status_code != 200:
        assert isinstance(r.json().get("detail"), (str, list))
