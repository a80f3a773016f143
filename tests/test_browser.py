"""End to end in a real browser: Chromium records a spoken digit through the page.

Chromium's fake microphone plays a WAV made from an FSDD test clip (resampled to 48 kHz,
the rate browsers record at); the page records it with getUserMedia + AudioWorklet, uploads
a WAV, and must show the right digit, a score, a band and the feedback picture. The page is
saved as ``docs/screenshot.png`` (the README shows it) when SPACE_UPDATE_SCREENSHOT=1.

Needs Debian's ``chromium`` and the ``playwright`` package (no browser download: Playwright
drives the system Chromium), the bundled digits model and ../shared/data/fsdd; skipped with
the reason otherwise.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .conftest import FSDD, ROOT, espeak, needs_fsdd

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The README's picture is refreshed only on request, so `make test` leaves the tree clean:
# SPACE_UPDATE_SCREENSHOT=1 make test
SCREENSHOT = ROOT / "docs" / "screenshot.png"
DIGIT = "7"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]

# Distinct colours on a canvas (a blank or one-colour canvas has 1 or 2).
CANVAS_COLOURS = """() => {
  const c = document.getElementById('seq-picture');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
}"""

# The form fields the page sends (Playwright does not show multipart bodies that hold a
# file): fetch is wrapped before the page's script runs; text fields keep their values.
FORM_SPY = """(() => {
  const fetch0 = window.fetch;
  window.__forms = [];
  window.fetch = (url, opts) => {
    if (opts && opts.body instanceof FormData)
      window.__forms.push([String(url), Object.fromEntries([...opts.body.entries()].map(
        ([k, v]) => [k, typeof v === 'string' ? v : 'file'])) ]);
    return fetch0(url, opts);
  };
})();"""

# What the result card shows: the verdict, the words and their sound buttons, the picture.
SHOWN = """() => {
  const boxes = [...document.querySelectorAll('#words .word-box')];
  return {
    verdict: document.getElementById('verdict').textContent,
    verdict_cls: document.getElementById('verdict').className,
    score: document.getElementById('score').textContent,
    band: document.getElementById('band').textContent.trim().toLowerCase(),
    heard: document.getElementById('heard').textContent,
    quality: document.getElementById('quality').textContent.trim().toLowerCase(),
    status: document.getElementById('status').textContent,
    errors: [...document.querySelectorAll('#errors li')].map((li) => li.textContent),
    sentence_scores: document.getElementById('sentence-scores').hidden ? null
      : document.getElementById('sentence-scores').textContent,
    words: boxes.map((b) => ({
      head: b.querySelector('.word-head').textContent,
      unsaid: b.classList.contains('unsaid'),
      phones: [...b.querySelectorAll('.phone')].map((p) => ({
        text: p.textContent, cls: p.className, label: p.getAttribute('aria-label')})),
    })),
    picture: document.getElementById('picture').hidden ? 0
      : document.getElementById('picture').naturalWidth,
    attempt_src: document.getElementById('attempt-audio').getAttribute('src') || '',
  };
}"""

MARK = {"good": "", "fair": "~", "weak": "!"}


def _js_round(x: float) -> int:
    """JavaScript's Math.round (halves up; Python's round() rounds halves to even)."""
    return math.floor(x + 0.5)


def _check_shown(shown: dict, r: dict) -> None:
    """The card shows the one verdict ``r`` (the /api/score answer) and nothing else."""
    assert shown["score"] == str(_js_round(r["score"]))
    assert shown["band"] == r["band"]
    assert shown["verdict"] == r["sentence"][0].upper() + r["sentence"][1:] + "."
    # the sentence's colour follows the sounds': green praise only when every sound is
    # green, dark amber when it asks for amber sounds, red when it names an error
    named = bool(r["errors"]) or r["cause"] is not None
    clear = all(p["level"] == "good" for w in r["words"] for p in w["phones"])
    assert shown["verdict_cls"] == ("phone-line" if named else
                                    "phone-line ok" if clear else "phone-line fair")
    assert shown["heard"] == (r["heard"] or "–")
    assert len(shown["errors"]) == len(r["errors"])
    for li, e in zip(shown["errors"], r["errors"], strict=True):
        assert li.startswith(e["text"])
    assert [w["head"].split()[0] for w in shown["words"]] == [w["word"] for w in r["words"]]
    for box, w in zip(shown["words"], r["words"], strict=True):
        assert box["head"].startswith(f"{w['word']} {_js_round(w['score'])} · {w['band']}")
        assert box["unsaid"] == (not w["said"])
        assert [p["text"] for p in box["phones"]] == [p["ipa"] + MARK[p["level"]]
                                                      for p in w["phones"]]
        assert [p["cls"] for p in box["phones"]] == [f"phone {p['level']}" for p in w["phones"]]
        for b, p in zip(box["phones"], w["phones"], strict=True):  # not by colour alone
            assert b["label"].startswith(f"/{p['ipa']}/ score {_js_round(p['score'])} of 100")
    assert shown["quality"] == r["quality"]["label"]
    assert shown["attempt_src"].startswith("blob:")


pytestmark = [
    needs_fsdd,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt install chromium)"),
]


def _digits_model():
    from space.errors import ModelError
    from space.recognize.words.recognizer import load_model

    try:
        return load_model("digits")
    except ModelError as e:
        pytest.skip(f"bundled digits model missing: {e}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fake_mic(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 48 kHz WAV: 1 s quiet, a spoken seven, 2.5 s quiet.

    The voice is new to the references where possible: FSDD test clips (index 0-4, never
    trained on) of speakers without a reference, then espeak-ng voices, then the rest. Of
    those it takes the first the model gets right, and surely (p >= 0.8), offline through
    the same path: the test checks the browser path, not the model on hard clips.
    """
    from space import audio, pronounce

    model = _digits_model()
    tmp = tmp_path_factory.mktemp("mic")
    out = tmp / "seven.wav"
    ref_speakers = {p.stem.split("_")[1] for p in pronounce.reference_paths(DIGIT)
                    if p.stem.count("_") == 2}
    speakers = ["george", "lucas", "nicolas", "yweweler", "theo", "jackson"]
    candidates = [(FSDD / "recordings" / f"{DIGIT}_{s}_{i}.wav", f"{DIGIT}_{s}_{i}.wav")
                  for s in speakers if s not in ref_speakers for i in range(5)]
    if shutil.which("espeak-ng"):  # a voice no reference and no training clip has
        for voice in ["en-us", "en-gb", "en-us+m3"]:
            p = espeak("seven", tmp / f"espeak_{voice}.wav", voice=voice)
            candidates.append((p, f"espeak-ng {voice}"))
    candidates += [(FSDD / "recordings" / f"{DIGIT}_{s}_{i}.wav", f"{DIGIT}_{s}_{i}.wav")
                   for s in speakers if s in ref_speakers for i in range(5)]
    for path, source in candidates:
        y, _ = audio.load(path, sr=48000)
        a, b = audio.speech_bounds(y, 48000)
        y = 0.5 * y[a:b] / np.max(np.abs(y[a:b]))
        rec = np.concatenate([np.zeros(48000), y, np.zeros(120000)]).astype(np.float32)
        rec += np.random.default_rng(0).normal(0, 3e-4, len(rec)).astype(np.float32)
        sf.write(out, rec, 48000, subtype="PCM_16")
        p = model.predict(out)
        if p.label == DIGIT and p.probability >= 0.8:
            return out, source
    pytest.skip("the digits model recognises none of the test sevens")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The app on 127.0.0.1 (a free port) in a thread. References: the bundled set of the
    word; where it is not installed, FSDD training clips (index >= 5) of two speakers, as
    user references. The user's own references folder is replaced by an empty one."""
    uvicorn = pytest.importorskip("uvicorn")
    from space import pronounce
    from space.web import create_app

    _digits_model()
    refs = tmp_path_factory.mktemp("refs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPACE_REFERENCES_DIR", str(refs))
        if DIGIT not in pronounce.list_words():
            pronounce.add_references(DIGIT, [FSDD / "recordings" / f"{DIGIT}_{s}_{i}.wav"
                                             for s in ("jackson", "theo") for i in (10, 11)])
        port = _free_port()
        srv = uvicorn.Server(uvicorn.Config(create_app(model="digits"), host="127.0.0.1",
                                            port=port, log_level="warning"))
        t = threading.Thread(target=srv.run, daemon=True)
        t.start()
        # a hang guard, not a timing: on a loaded 2-core machine startup has taken > 30 s
        deadline = time.monotonic() + 180
        while not srv.started:
            if time.monotonic() > deadline or not t.is_alive():
                pytest.fail("the web app did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        srv.should_exit = True
        t.join(10)


def test_record_a_digit_in_chromium(server: str, fake_mic, tmp_path: Path) -> None:
    """The user's flow: type the word, press Record, say it, press Stop; the page shows the
    digit the model heard, the score, band, verdict, the word's sounds and the picture."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    wav, source = fake_mic
    flags = [*FLAGS, f"--use-file-for-fake-audio-capture={wav}%noloop"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.add_init_script(FORM_SPY)
            page.goto(server)
            page.wait_for_function("!document.getElementById('record').disabled")
            assert page.input_value("#text") == ""
            page.click("#record")  # nothing typed yet: the page asks for the word first
            no_text = page.inner_text("#status")
            record_off = page.get_attribute("#record", "class")
            page.fill("#text", "seven")
            page.click("#record")
            page.wait_for_selector("#record.on")
            recording = page.inner_text("#status")
            page.wait_for_timeout(2500)  # the fake microphone plays the word (1.0-1.6 s)
            page.click("#record")
            page.wait_for_selector("#result:not([hidden])", timeout=30_000)
            page.wait_for_function("document.getElementById('picture').naturalWidth > 0",
                                   timeout=30_000)
            shown = page.evaluate(SHOWN)
            r = page.evaluate("state.result")
            forms = page.evaluate("window.__forms")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            shot = SCREENSHOT if os.environ.get("SPACE_UPDATE_SCREENSHOT") else tmp_path / "page.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    print(f"fake microphone: {source}")
    assert no_text == "First type the word or sentence you will say." and "on" not in record_off
    assert "Recording at" in recording
    assert forms == [["/api/score", {"file": "file", "text": "seven", "plot": "true"}]]
    assert shown["heard"].startswith(f"{DIGIT} ("), f"page heard {shown['heard']!r} for {source}"
    assert r["recognized"]["label"] == DIGIT and r["recognized"]["matches_word"]
    assert 0 <= r["score"] <= 100 and r["band"] in {"excellent", "good", "fair", "poor"}
    assert r["quality"]["label"] in {"good", "fair", "poor"}  # the recording's own quality
    assert shown["status"].startswith("Done")
    assert [w["word"] for w in r["words"]] == ["seven"] and len(r["words"][0]["phones"]) == 5
    _check_shown(shown, r)
    assert shown["picture"] > 400  # the server's feedback picture (plot=true) is shown


def test_the_typed_words_verdict(server: str, tmp_path: Path) -> None:
    """Uploads with typed text: the right word scores above a wrong one for the same clip,
    a typed sentence gets a box per word and its sentence scores, a sound button plays that
    sound, and a text the lexicon cannot score is refused before anything is shown."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    clip = ROOT / "examples" / "7_seven_espeak_male.wav"
    sentence = "the cat sat on the mat"
    said = espeak(sentence, tmp_path / "cat.wav") if shutil.which("espeak-ng") else None
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.add_init_script(FORM_SPY)
            page.goto(f"{server}/?text=seven")  # a link can name the text
            page.wait_for_function("!document.getElementById('record').disabled")
            prefilled = page.input_value("#text")
            results = {}
            for text in ("seven", "three"):
                page.fill("#text", text)
                page.set_input_files("#file", str(clip))
                page.wait_for_function(f"state.result && state.result.text === '{text}'",
                                       timeout=30_000)
                results[text] = (page.evaluate(SHOWN), page.evaluate("state.result"))
            # a sound's button plays that sound of the attempt, with 60 ms either side
            phone = results["three"][1]["words"][0]["phones"][0]
            page.click("#words .phone >> nth=0")
            page.wait_for_function("document.getElementById('result').dataset.played")
            played = page.evaluate("JSON.parse(document.getElementById('result').dataset.played)")
            if said:
                page.fill("#text", sentence)
                page.set_input_files("#file", str(said))
                page.wait_for_function(f"state.result && state.result.text === '{sentence}'",
                                       timeout=60_000)
                results[sentence] = (page.evaluate(SHOWN), page.evaluate("state.result"))
            page.fill("#text", "xqzv")
            page.set_input_files("#file", str(clip))
            page.wait_for_function("document.getElementById('status').classList.contains('error')",
                                   timeout=30_000)
            refused = page.evaluate("[document.getElementById('status').textContent, "
                                    "state.result, document.getElementById('result').hidden]")
            forms = page.evaluate("window.__forms")
        finally:
            browser.close()
    assert errors == []
    assert prefilled == "seven"
    for shown, r in results.values():
        _check_shown(shown, r)
        assert shown["picture"] > 400
    seven, three = results["seven"][1], results["three"][1]
    assert seven["score"] > three["score"] + 20  # the typed word decides what is judged
    assert seven["recognized"]["matches_word"] and not three["recognized"]["matches_word"]
    assert [p["ipa"] for p in three["words"][0]["phones"]] == ["θ", "ɹ", "i"]
    assert results["seven"][0]["sentence_scores"] is None  # one word: no sentence scores
    assert played == {"source": "attempt", "start_s": round(max(0, phone["start_s"] - 0.06), 3),
                      "end_s": round(phone["end_s"] + 0.06, 3)}
    if said:
        shown, r = results[sentence]
        assert [w["word"] for w in r["words"]] == sentence.split()
        assert len(shown["words"]) == 6 and shown["sentence_scores"].startswith(
            f"accuracy {_js_round(r['accuracy'])} · completeness {_js_round(r['completeness'])}")
    assert refused[0].startswith("not in the pronunciation lexicon") and "xqzv" in refused[0]
    assert refused[1:] == [None, True]
    assert [f["text"] for url, f in forms if url == "/api/score"] == [
        "seven", "three", *([sentence] if said else []), "xqzv"]


def test_page_shows_connected_digits(server: str, tmp_path: Path) -> None:
    """'Several digits in a row': an uploaded PIN said in one breath comes back as four
    digits in order, listed with times and drawn on the waveform (the canvas)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    from space.recognize.sequence.model import bundled_sequence_path

    if not bundled_sequence_path().is_file():
        pytest.skip("connected-digits model digitseq.pt not built")
    from space.recognize.sequence import connected

    y = connected.espeak("two six four eight", voice="en-us", speed=150)
    quiet = np.zeros(8000, np.float32)
    pin = tmp_path / "pin.wav"
    sf.write(pin, np.concatenate([quiet, y, quiet]), 16000, subtype="PCM_16")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server)
            page.select_option("#seq-grammar", "digits4")
            page.set_input_files("#seq-file", str(pin))
            page.wait_for_function(
                "Number(document.getElementById('seq-picture').dataset.drawn) > 0",
                timeout=30_000)
            heard = page.inner_text("#seq-heard")
            words = page.locator("#seq-words li").all_inner_texts()
            status = page.inner_text("#seq-status")
            colours = page.evaluate(CANVAS_COLOURS)
            layout = page.evaluate("JSON.parse(document.getElementById('seq-picture')"
                                   ".dataset.layout)")
        finally:
            browser.close()
    assert errors == []
    assert heard.split() == ["2", "6", "4", "8"]
    assert len(words) == 4 and words[0].startswith("2: ") and " s (" in words[0]
    assert status.startswith("Heard 4 digit(s)")
    assert colours > 10  # waveform, shading, the strip's boxes and labels
    assert [b["label"] for b in layout["strip"]] == ["2", "6", "4", "8"]


def test_an_error_clears_the_last_result(server: str, tmp_path: Path) -> None:
    """Score a good clip, then upload an undecodable one: the old score, words, sounds,
    picture and recording (and the connected-digits card's old digits) disappear with the
    error; nothing shows or plays the refused file as if it had been scored."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    clip = ROOT / "examples" / "7_seven_espeak_male.wav"
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF" + b"\x00" * 200)
    cleared = """[state.result, state.attemptName, document.getElementById('result').hidden,
      document.querySelectorAll('#words .phone').length,
      document.querySelectorAll('#words > *, #errors > *, #warnings > *').length,
      document.getElementById('picture').getAttribute('src'),
      document.getElementById('attempt-audio').getAttribute('src')]"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/?word={DIGIT}")  # the old link form still fills the text
            page.wait_for_function("!document.getElementById('record').disabled")
            prefilled = page.input_value("#text")
            page.set_input_files("#file", str(clip))
            page.wait_for_function("document.getElementById('picture').naturalWidth > 0",
                                   timeout=30_000)
            shown_before = page.is_visible("#result")
            phones_before = page.locator("#words .phone").count()
            page.set_input_files("#file", str(bad))
            page.wait_for_function(
                "document.getElementById('status').classList.contains('error')", timeout=30_000)
            after = page.evaluate(cleared)
            status = page.inner_text("#status")
            # the connected-digits card: a good recording, then the broken one
            page.set_input_files("#seq-file", str(ROOT / "examples" / "2_two_espeak_male.wav"))
            page.wait_for_function("state.seqResult !== null && state.seqResult !== undefined",
                                   timeout=30_000)
            seq_before = page.is_visible("#seq-result")
            page.set_input_files("#seq-file", str(bad))
            page.wait_for_function(
                "document.getElementById('seq-status').classList.contains('error')",
                timeout=30_000)
            seq_after = page.evaluate("[state.seqName, document.getElementById('seq-result')"
                                      ".hidden, document.getElementById('seq-status')"
                                      ".classList.contains('error')]")
            seq_status = page.inner_text("#seq-status")
        finally:
            browser.close()
    assert errors == []
    assert prefilled == DIGIT
    assert shown_before and phones_before == 5
    assert after == [None, None, True, 0, 0, None, None]
    assert "broken.wav" in status or "decode" in status
    assert seq_before and seq_after == [None, True, True]
    assert "broken.wav" in seq_status or "decode" in seq_status


PHONE_WIDTH = 375  # an iPhone SE/mini's CSS width
MIN_PHONE_PX = 32  # a sound's button: readable and big enough to press
MIN_DIGIT_PX = 22  # a digit's box in the connected-digits strip (app.js SEQ_MIN_BOX_PX)
# Everything laid out on the page that must not overlap or leave the screen, in CSS px.
GEOMETRY = """() => {
  const r = (e) => { const b = e.getBoundingClientRect();
                     return {x0: b.left, x1: b.right, y0: b.top, y1: b.bottom}; };
  return {scroll_width: document.documentElement.scrollWidth,
          text: r(document.getElementById('text')),
          phones: [...document.querySelectorAll('#words .phone')].map(r),
          heads: [...document.querySelectorAll('#words .word-head')].map(r),
          canvas: r(document.getElementById('seq-picture'))};
}"""
# The drawn colour (#rrggbb) at CSS px (x, y) of the connected-digits canvas.
PIXEL = """([x, y]) => {
  const c = document.getElementById('seq-picture'), k = c.width / c.clientWidth;
  const d = c.getContext('2d').getImageData(Math.round(x * k), Math.round(y * k), 1, 1).data;
  return '#' + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('');
}"""


CROWDED = """() => {
  const res = {...state.seqResult, words: [], sequence: []};
  for (let k = 0; k < 12; k++) {
    const w = {label: String(k % 10), start_s: 0.5 + 0.06 * k, end_s: 0.53 + 0.06 * k};
    res.words.push(w); res.sequence.push(w.label);
  }
  const c = document.getElementById('seq-picture');
  drawSequence(c, res);
  return JSON.parse(c.dataset.layout);
}"""


def _check_layout(layout: dict, n: int) -> None:
    """n strip boxes in order, none a sliver, inside the canvas, no two labels touching."""
    strip = layout["strip"]
    assert len(strip) == n
    for a, b in zip(strip, strip[1:]):
        assert a["x1"] <= b["x0"]  # in time order, apart
    for b in strip:
        assert b["x1"] - b["x0"] >= MIN_DIGIT_PX - 0.01, f"a sliver: {b}"
        assert 0 <= b["x0"] and b["x1"] <= layout["width"]
    labels = layout["labels"]
    assert len(labels) >= n  # every digit is named in the strip, at least
    for i, a in enumerate(labels):
        assert 0 <= a["x0"] and a["x1"] <= layout["width"]
        assert not any(_overlap(a, b) for b in labels[i + 1:]), f"labels overlap: {a}"


def _overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] - 0.5 and b["x0"] < a["x1"] - 0.5 and \
        a["y0"] < b["y1"] - 0.5 and b["y0"] < a["y1"] - 0.5


def _red_or_amber(hex_colour: str) -> bool:
    """The hues that mean 'said wrong' / 'worth a listen' on the practice card."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return r > b + 60 and r >= g  # red (#c62f3b, #d23b3b) and amber (#d08a00, #e3a21a)


def test_phone_width_layout(server: str, tmp_path: Path) -> None:
    """At 375 px wide: nothing runs off the screen, a long word's sounds wrap instead of
    overflowing and none is a sliver, and in the connected-digits picture ten quick digits
    get boxes at least 22 px wide, in order, and no label touches another."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    from space.recognize.sequence.model import bundled_sequence_path

    text = "a comfortable temperature"  # 'comfortable': ten sounds, some 30 ms short
    said = espeak(text, tmp_path / "said.wav")
    digits = "two six four eight one nine five three zero seven"
    pin = espeak(digits, tmp_path / "pin.wav", speed=170) \
        if bundled_sequence_path().is_file() else None
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": PHONE_WIDTH, "height": 812},
                                    device_scale_factor=2, is_mobile=True, has_touch=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server)
            page.wait_for_function("!document.getElementById('record').disabled")
            page.fill("#text", text)
            page.set_input_files("#file", str(said))
            page.wait_for_function("state.result !== null && state.result !== undefined",
                                   timeout=60_000)
            phones = page.evaluate("state.result.words.map((w) => w.phones.length)")
            layout = colours = None
            if pin:
                page.set_input_files("#seq-file", str(pin))
                page.wait_for_function(
                    "Number(document.getElementById('seq-picture').dataset.drawn) > 0",
                    timeout=60_000)
                layout = page.evaluate("JSON.parse(document.getElementById('seq-picture')"
                                       ".dataset.layout)")
                colours = [page.evaluate(PIXEL, [b["x0"] + 2, b["y0"] + 2])
                           for b in layout["strip"]]
                # harder than speech gives: twelve 30-ms digits crowded into 0.7 s
                crowded = page.evaluate(CROWDED)
            geo = page.evaluate(GEOMETRY)
            page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert geo["scroll_width"] <= PHONE_WIDTH  # no sideways scrolling
    assert geo["text"]["x1"] <= PHONE_WIDTH
    assert max(phones) >= 10 and len(geo["phones"]) == sum(phones)
    for k, box in enumerate(geo["phones"]):
        assert box["x1"] - box["x0"] >= MIN_PHONE_PX - 0.5, f"sound {k} is a sliver: {box}"
        assert 0 <= box["x0"] and box["x1"] <= PHONE_WIDTH
        assert not any(_overlap(box, other) for other in geo["phones"][k + 1:])
    assert not any(_overlap(a, b) for i, a in enumerate(geo["heads"]) for b in geo["heads"][i + 1:])
    if layout is None:
        return  # connected-digits model not built
    assert geo["canvas"]["x1"] <= PHONE_WIDTH and layout["width"] <= PHONE_WIDTH
    assert len(layout["strip"]) >= 8  # the decoder heard (nearly) all ten
    _check_layout(layout, len(layout["strip"]))
    _check_layout(crowded, 12)
    strip = layout["strip"]
    # the strip's boxes are drawn in the colours said, and neither is red nor amber
    assert colours == [b["colour"] for b in strip]
    assert not any(_red_or_amber(c) for c in colours)
