"""The web app's JSON API (in-process, FastAPI's TestClient): answers, limits, safety."""

from __future__ import annotations

import base64
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="httpx (dev extra) is needed by FastAPI's TestClient")
from fastapi.testclient import TestClient  # noqa: E402

from space.recognize.words.recognizer import load_model  # noqa: E402
from space.web import create_app  # noqa: E402
from space.web.errors import for_browser  # noqa: E402

from .conftest import ROOT, word_like  # noqa: E402

KEYS = {"attempt", "text", "score", "band", "accuracy", "completeness", "fluency", "cause",
        "sentence", "span", "heard", "errors", "words", "recognized", "quality", "warnings"}


def wav_bytes(y: np.ndarray, sr: int, fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture(scope="module")
def refs_dir(tmp_path_factory: pytest.TempPathFactory):
    """User references for two synthetic words, in a folder of the test's own."""
    from space import pronounce

    root = tmp_path_factory.mktemp("refs")
    clips = tmp_path_factory.mktemp("refclips")
    rng = np.random.default_rng(5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPACE_REFERENCES_DIR", str(root))
        for kind, word in [(0, "rise"), (1, "fall")]:
            files = []
            for i in range(3):
                p = clips / f"{word}{i}.wav"
                sf.write(p, word_like(kind, 16000, rng), 16000)
                files.append(p)
            pronounce.add_references(word, files)
        yield root


@pytest.fixture
def client(tiny_model: Path, refs_dir: Path, monkeypatch):
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(refs_dir))
    app = create_app(model=str(tiny_model), max_upload_bytes=2 * 1024 * 1024,
                     max_duration_s=5.0)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def attempt() -> tuple[np.ndarray, int]:
    """A 'rise' at 48 kHz, the rate a browser records at."""
    from space.audio.load import resample

    y = word_like(0, 16000, np.random.default_rng(9))
    return resample(y, 16000, 48000), 48000


def test_health_and_page(client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    h = r.json()
    # The lifespan loaded everything before the first request: ready, with what runs it.
    assert h["ready"] is True and h["engine"] in ("onnx", "torch")
    assert h["engines"]["model:synth"] == h["engine"]
    assert h["warmup_s"] is not None and h["warmup_s"] >= 0
    page = client.get("/")
    assert page.status_code == 200 and "getUserMedia" not in page.text  # logic lives in app.js
    assert "/static/app.js" in page.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "getUserMedia" in js.text and "AudioContext" in js.text
    assert client.get("/static/recorder.js").status_code == 200
    assert "/api/score" in client.get("/openapi.json").json()["paths"]


def test_words(client) -> None:
    d = client.get("/api/words").json()
    words = {w["word"]: w for w in d["words"]}
    assert words["rise"]["references"] == 3 and words["rise"]["source"] == "user"
    assert words["rise"]["model"] == "synth"  # the tiny model's labels hold "rise"
    assert d["default_model"] == "synth"


def test_predict_matches_the_python_api(client, tiny_model: Path, attempt) -> None:
    y, sr = attempt
    r = client.post("/api/predict", files={"file": ("a.wav", wav_bytes(y, sr), "audio/wav")})
    assert r.status_code == 200, r.text
    d = r.json()
    # The server decodes the same 16-bit WAV the page sends, then the one front end.
    y16, _ = sf.read(io.BytesIO(wav_bytes(y, sr)), dtype="float32")
    want = load_model(tiny_model).predict(y16, sr=sr)
    assert d["label"] == want.label == "rise"
    assert d["probability"] == pytest.approx(want.probability, abs=1e-6)
    assert d["sr"] == 48000 and d["duration_s"] == pytest.approx(1.0, abs=0.01)
    assert [t["label"] for t in d["top_k"]] == [lab for lab, _ in want.top_k]


def test_score_json_picture_and_reference_playback(client, attempt) -> None:
    y, sr = attempt
    r = client.post("/api/score", data={"word": "rise", "plot": "true"},
                    files={"file": ("take1.wav", wav_bytes(y, sr), "audio/wav")})
    assert r.status_code == 200, r.text
    d = r.json()
    assert KEYS <= set(d)
    assert d["attempt"] == "take1.wav" and d["text"] == "rise"
    assert 0 <= d["score"] <= 100 and d["band"] in {"excellent", "good", "fair", "poor"}
    # The word check uses the server's own models (here the tiny one that knows "rise").
    assert d["recognized"]["label"] == "rise" and d["recognized"]["matches_word"] is True
    (w,) = d["words"]
    assert [p["phone"] for p in w["phones"]] == ["R", "AY", "Z"]
    assert all(p["level"] in ("good", "fair", "weak") for p in w["phones"])
    png = base64.b64decode(d["plot_png"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    listing = client.get("/api/references/rise").json()  # examples still play
    assert [x["index"] for x in listing["references"]] == [0, 1, 2]
    ref = client.get(listing["references"][0]["url"])
    assert ref.status_code == 200 and ref.headers["content-type"] == "audio/wav"
    # The same word without the picture: same numbers, no PNG.
    r2 = client.post("/api/score", data={"word": "RISE"},
                     files={"file": ("take1.wav", wav_bytes(y, sr), "audio/wav")})
    assert "plot_png" not in r2.json() and r2.json()["score"] == d["score"]


def test_score_a_sentence_and_bad_text(client, attempt) -> None:
    """Any text of lexicon words is scored; bad text is refused with 422 and the words of
    the package's error (the CLI's line), before the audio is read."""
    from space.errors import TextError
    from space.pronounce.assess import check_text

    y, sr = attempt
    files = {"file": ("a.wav", wav_bytes(y, sr), "audio/wav")}
    r = client.post("/api/score", data={"text": "rise and fall"}, files=files)
    assert r.status_code == 200, r.text
    d = r.json()
    assert [w["word"] for w in d["words"]] == ["rise", "and", "fall"]
    assert 0 <= d["completeness"] <= 100 and d["recognized"] is None
    for data in ({"text": ""}, {"text": "rise qzxvw"}, {"word": "two words"}, {},
                 {"text": "go " * 31}):
        r = client.post("/api/score", data=data, files=files)
        assert r.status_code == 422, (data, r.text)
        with pytest.raises(TextError) as e:
            # an empty form field arrives as no field
            check_text(word=data.get("word"), text=data.get("text") or None)
        # the package's message, less its CLI hint ('(--text)'): web.errors.for_browser
        assert r.json()["detail"] == for_browser(str(e.value)) and "--" not in r.json()["detail"]


def test_a_worse_attempt_scores_lower(client, attempt) -> None:
    y, sr = attempt
    good = client.post("/api/score", data={"word": "rise"},
                       files={"file": ("a.wav", wav_bytes(y, sr))}).json()["score"]
    other = word_like(1, 48000, np.random.default_rng(9))  # a "fall"
    bad = client.post("/api/score", data={"word": "rise"},
                      files={"file": ("b.wav", wav_bytes(other, 48000))}).json()["score"]
    assert bad < good


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_other_formats(client, attempt, fmt: str) -> None:
    y, sr = attempt
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt)
    r = client.post("/api/predict", files={"file": (f"a.{fmt.lower()}", buf.getvalue())})
    assert r.status_code == 200 and r.json()["label"] == "rise"


def test_bad_uploads(client, tiny_model: Path, refs_dir: Path, monkeypatch) -> None:
    def post(path, content, name="x.wav", **data):
        return client.post(path, data=data, files={"file": (name, content, "audio/wav")})

    r = post("/api/predict", b"this is not audio at all, just text" * 20, "notes.txt")
    assert r.status_code == 415 and "not a recognised audio format" in r.json()["detail"]
    r = post("/api/predict", b"")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = post("/api/predict", wav_bytes(np.zeros(8000, np.float32), 8000))
    assert r.status_code == 422 and "silent" in r.json()["detail"]
    long = wav_bytes(0.1 * np.ones(8000 * 6, np.float32), 8000)  # 6 s > 5 s limit, 96 kB
    r = post("/api/predict", long)
    assert r.status_code == 413 and "at most 5 s" in r.json()["detail"]
    big = b"RIFF" + b"\0" * (3 * 1024 * 1024)  # 3 MB > 2 MB limit
    r = post("/api/score", big, word="rise")
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    r = client.post("/api/predict")
    assert r.status_code == 422  # no file field
    ok = wav_bytes(word_like(0, 16000, np.random.default_rng(1)), 16000)
    r = post("/api/score", ok, word="nosuchwordq")
    assert r.status_code == 422 and "not in the pronunciation lexicon" in r.json()["detail"]
    r = post("/api/score", ok, word="../../etc/passwd")
    assert r.status_code == 422 and "is 2 words" in r.json()["detail"]
    r = post("/api/predict", ok, model="/etc/passwd")
    assert r.status_code == 404 and "unknown model" in r.json()["detail"]
    assert client.get("/api/references/rise/7").status_code == 404
    assert client.get("/api/references/..%2F..%2Fetc/0").status_code in (404, 422)
    assert client.get("/api/references/.hidden/0").status_code == 422


def test_body_without_length_is_limited_too(client) -> None:
    def gen():
        for _ in range(40):
            yield b"\0" * (100 * 1024)  # 4 MB in chunks, no Content-Length

    r = client.post("/api/predict", content=gen(),
                    headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413


def test_big_upload_leaves_no_temp_files(client, refs_dir: Path, tmp_path: Path,
                                         monkeypatch) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    rng = np.random.default_rng(3)
    y = (0.1 * rng.standard_normal(48000 * 4)).astype(np.float32)  # 4 s at 48k: 1.5 MB WAV
    y[: 48000] += word_like(0, 48000, rng)
    r = client.post("/api/predict", files={"file": ("big.wav", wav_bytes(y, 48000))})
    assert r.status_code == 200
    assert list(spool.iterdir()) == []


def test_add_references_stays_in_the_folder(client, refs_dir: Path, tmp_path: Path,
                                            monkeypatch) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    rng = np.random.default_rng(4)
    clip = wav_bytes(word_like(2, 16000, rng), 16000)
    clip2 = wav_bytes(word_like(2, 16000, rng), 16000)
    files = [("files", ("../../../evil name.wav", clip, "audio/wav")),
             ("files", ("/etc/cron.d/x.wav", clip2, "audio/wav"))]
    r = client.post("/api/references/beep", files=files)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["word"] == "beep" and d["references"] == 2 and d["duplicates"] == []
    stored = sorted(p.name for p in (refs_dir / "beep").iterdir() if p.suffix == ".wav")
    assert stored == sorted(d["added"]) and all("/" not in n and ".." not in n for n in stored)
    assert list(spool.iterdir()) == []  # the upload folder is gone
    assert not (refs_dir.parent / "evil name.wav").exists()
    # A bad file among good ones: nothing is added.
    bad = [("files", ("a.wav", clip, "audio/wav")), ("files", ("b.wav", b"junk" * 100))]
    r = client.post("/api/references/beep2", files=bad)
    assert r.status_code == 415 and not (refs_dir / "beep2").exists()
    r = client.post("/api/references/..", files=files[:1])
    assert r.status_code in (404, 422)
    words = {w["word"] for w in client.get("/api/words").json()["words"]}
    assert "beep" in words
    assert d["warnings"] == []  # two clips of one kind agree


def test_add_references_names_a_clip_that_disagrees(client, refs_dir: Path,
                                                    tmp_path: Path) -> None:
    """Three voices saying a word, then another word: the answer names that clip."""
    import shutil

    from .conftest import espeak

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    files = [("files", (f"b{i}.wav", espeak("boop", tmp_path / f"b{i}.wav", voice=v).read_bytes(),
                        "audio/wav")) for i, v in enumerate(["en-us", "en-gb", "en-us+f3"])]
    r = client.post("/api/references/boop", files=files)
    assert r.status_code == 200 and r.json()["warnings"] == []
    odd = espeak("seven", tmp_path / "odd.wav", voice="en-us+m3").read_bytes()
    r = client.post("/api/references/boop", files=[("files", ("odd.wav", odd, "audio/wav"))])
    assert r.status_code == 200, r.text
    (name,) = r.json()["added"]
    (w,) = r.json()["warnings"]
    assert w.startswith(f"reference {name} disagrees with the other references of 'boop'")
    # the CLI's remedy ('`space references remove boop ...`') is not a browser user's
    assert w.endswith("is it another word? If so, remove it") and "`" not in w


def test_add_references_can_be_switched_off(tiny_model: Path, refs_dir: Path,
                                            monkeypatch) -> None:
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(refs_dir))
    app = create_app(model=str(tiny_model), allow_add_references=False)
    with TestClient(app) as c:
        r = c.post("/api/references/zzz", files={"files": ("a.wav", b"x")})
        assert r.status_code == 403


def test_serve_defaults_to_loopback() -> None:
    from space.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.port == 8000


def test_png_drawn_in_worker_processes(tiny_model: Path, refs_dir: Path, monkeypatch,
                                       attempt) -> None:
    """``png_workers``: pictures come from worker processes, the same PNG as in-thread."""
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(refs_dir))
    y, sr = attempt
    app = create_app(model=str(tiny_model), png_workers=1)
    with TestClient(app) as c:
        r = c.post("/api/score", data={"word": "rise", "plot": "true"},
                   files={"file": ("take1.wav", wav_bytes(y, sr), "audio/wav")})
        assert r.status_code == 200, r.text
        png = base64.b64decode(r.json()["plot_png"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def _readme_keys(request: str) -> set[str]:
    """The top-level fields the README's HTTP API table gives for ``request`` (its answer
    column: the quoted names at the first level of the first ``{...}``, values left out;
    a quoted name after it, like ``"plot_png"``, counts too)."""
    row = next(line for line in (ROOT / "README.md").read_text().splitlines()
               if line.startswith(f"| `{request}` |"))
    answer = re.split(r"(?<!\\)\|", row)[3]  # the cells; "\|" is a | inside one
    keys, depth, i = set(), 0, answer.index("{")
    while i < len(answer):
        ch = answer[i]
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        elif ch == '"':
            j = answer.index('"', i + 1)
            if depth <= 1 and not answer[:i].rstrip().endswith((":", "|")):
                keys.add(answer[i + 1:j])
            i = j
        i += 1
    return keys


def test_readme_lists_every_field_the_api_answers(client, attempt) -> None:
    """Issue 19: the README listed a `source` that /api/predict lacks and left out the
    `file` it returns. Every answer's fields are exactly the README's."""
    y, sr = attempt
    files = {"file": ("take.wav", wav_bytes(y, sr), "audio/wav")}
    predict = client.post("/api/predict", files=files).json()
    assert set(predict) == _readme_keys("POST /api/predict")
    assert predict["file"] == "take.wav" and "source" not in predict
    score = client.post("/api/score", data={"text": "rise", "plot": "true"}, files=files).json()
    assert set(score) == _readme_keys("POST /api/score")
    assert set(client.get("/api/words").json()) == _readme_keys("GET /api/words")
    assert set(client.get("/api/words").json()["words"][0]) == {
        "word", "display", "references", "source", "replaces_bundled", "model"}
    assert set(client.get("/api/health").json()) == _readme_keys("GET /api/health")
    assert set(client.get("/api/references/rise").json()) == _readme_keys(
        "GET /api/references/{word}")


@pytest.mark.parametrize(("message", "shown"), [
    ("long.wav: 15.0 s long; at most 10 s per clip (for long recordings use "
     "`space listen --input FILE`)", "long.wav: 15.0 s long; at most 10 s per clip"),
    ("no references for word 'x' (known words: 0-9 (or zero-nine), bed); record the word and "
     "add the recordings first (`space references add x FILE...`)",
     "no references for word 'x' (known words: 0-9 (or zero-nine), bed); record the word and "
     "add the recordings first"),
    ("a reference of '7' cannot be used: /home/u/.local/share/space/references/7/00_a.wav: "
     "cannot decode audio; remove it with `space references remove 7 CLIP`",
     "a reference of '7' cannot be used: 00_a.wav: cannot decode audio"),
    ("'two words' is 2 words: score it as a text (--text)",
     "'two words' is 2 words: score it as a text"),
    ("bundled model 'x' is not installed (run `make models`)", "bundled model 'x' is not installed"),
    ("only one reference recording: the score's 100 is estimated; add more with "
     "`space references add`", "only one reference recording: the score's 100 is estimated"),
    ("cannot write ~/refs/7: read-only file system", "cannot write 7: read-only file system"),
    ("score 50/100 and/or '../x' at 3 s", "score 50/100 and/or '../x' at 3 s"),  # not paths
])
def test_messages_for_the_browser(message: str, shown: str) -> None:
    assert for_browser(message) == shown


def test_web_answers_name_no_commands_or_server_paths(client, refs_dir: Path,
                                                      tmp_path: Path) -> None:
    """What the library says to a terminal user ('`space references add`', a --flag, a
    path on the server) is not what a browser user can act on: errors and warnings the
    app answers with carry none of it."""
    bad = re.compile(r"`space |`make |--[a-z]|" + re.escape(str(refs_dir)) + "|" +
                     re.escape(str(tmp_path)))
    long = wav_bytes(0.1 * np.ones(8000 * 6, np.float32), 8000)  # over the 5-s limit
    answers = [client.post("/api/score", data={"text": "rise"},
                           files={"file": ("long.wav", long)}),
               client.post("/api/score", data={"word": "two words"},
                           files={"file": ("a.wav", long)}),
               client.get("/api/references/nosuchword")]
    # one reference of a new word: the library warns "add more with `space references add`"
    one = wav_bytes(word_like(0, 16000, np.random.default_rng(3)), 16000)
    added = client.post("/api/references/solo", files=[("files", ("one.wav", one))])
    # a stored reference damaged on the server: 409 naming the clip, not its path
    (refs_dir / "rise" / "zz_damaged.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunk")
    try:
        damaged = client.post("/api/references/rise", files=[("files", ("new.wav", one))])
    finally:
        for p in (refs_dir / "rise").glob("*"):
            if p.name == "zz_damaged.wav" or "new" in p.name:
                p.unlink()
        for p in (refs_dir / "solo").glob("*"):
            p.unlink()
        (refs_dir / "solo").rmdir()
    assert [r.status_code for r in answers] == [413, 422, 404]
    assert added.status_code == 200 and added.json()["warnings"]
    assert damaged.status_code == 409 and "zz_damaged.wav" in damaged.json()["detail"]
    texts = [r.json()["detail"] for r in [*answers, damaged]] + added.json()["warnings"]
    for t in texts:
        assert not bad.search(t), t


def test_sequence_strip_colours_mean_nothing_said_wrong() -> None:
    """The connected-digits strip only tells neighbouring digits apart: its colours are
    none of the practice card's verdict colours (red 'said wrong', amber 'worth a listen')
    and not red or amber at all. The browser test reads the drawn pixels too."""
    static = ROOT / "src" / "space" / "web" / "static"
    js = (static / "app.js").read_text()
    strip = re.search(r"const SEQ_STRIP = \[([^\]]*)\]", js)
    assert strip, "app.js: SEQ_STRIP not found"
    colours = re.findall(r'"(#[0-9a-fA-F]{6})"', strip.group(1))
    assert len(colours) == 2 and "colours[k % 2]" not in js
    css = (static / "style.css").read_text()
    verdict = set()
    for rule in (r"\.phone\.weak", r"\.phone\.fair", r"\.band\.poor", r"\.band\.fair"):
        verdict |= set(re.findall(rule + r"[^{]*\{[^}]*background: (#[0-9a-fA-F]{6})", css))
    assert {"#d23b3b", "#e3a21a", "#c62f3b", "#d08a00"} <= verdict
    for c in colours:
        r, g, b = (int(c[i:i + 2], 16) for i in (1, 3, 5))
        assert c.lower() not in verdict and not (r > b + 60 and r >= g), c


def test_work_of_a_client_that_left_is_dropped() -> None:
    """A request whose client leaves while its work waits for a core is answered 499 and
    never computed (abandoned uploads used to queue by the thousand, issue 19's soak);
    one whose client stays gets its answer, and an error keeps its own type."""
    import anyio
    from fastapi import HTTPException

    from space.errors import DecodeError
    from space.web.state import CLIENT_GONE, Server, Settings

    class Client:  # the ASGI receive of a request whose body has been read
        def __init__(self, leaves: bool) -> None:
            self.leaves, self.left = leaves, anyio.Event()

        async def receive(self) -> dict:
            if self.leaves:
                return {"type": "http.disconnect"}
            await self.left.wait()  # stays until the answer is sent
            return {"type": "http.disconnect"}

    ran: list[str] = []

    def work(name: str):
        def fn() -> str:
            ran.append(name)
            if name == "bad":
                raise DecodeError("x.wav: cannot decode audio")
            return name
        return fn

    async def main() -> list:
        s = Server(Settings(), models=None, png=None, cpu=anyio.CapacityLimiter(1))
        out: list = []
        await s.cpu.acquire()  # the one core is busy
        async with anyio.create_task_group() as tg:
            async def call(name: str, client: Client) -> None:
                try:
                    out.append(await s.in_thread(work(name), client))  # type: ignore[arg-type]
                except HTTPException as e:
                    out.append(e.status_code)
                except DecodeError as e:
                    out.append(type(e).__name__)
            tg.start_soon(call, "gone", Client(leaves=True))
            tg.start_soon(call, "stays", Client(leaves=False))
            await anyio.sleep(0.2)
            s.cpu.release()
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "bad", Client(leaves=False))
        return out

    assert anyio.run(main) == [CLIENT_GONE, "stays", "DecodeError"]
    assert ran == ["stays", "bad"]  # the gone client's work never ran
