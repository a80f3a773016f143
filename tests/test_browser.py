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

# Distinct colours on the feedback canvas (a blank or one-colour canvas has 1 or 2).
CANVAS_COLOURS = """() => {
  const c = document.getElementById('picture');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
}"""

FORM_SPY = """(() => {
  const fetch0 = window.fetch;
  window.__forms = [];
  window.fetch = (url, opts) => {
    if (opts && opts.body instanceof FormData) window.__forms.push([String(url), [...opts.body.keys()]]);
    return fetch0(url, opts);
  };
})();"""

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
        deadline = time.monotonic() + 30
        while not srv.started:
            if time.monotonic() > deadline or not t.is_alive():
                pytest.fail("the web app did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        srv.should_exit = True
        t.join(10)


def test_record_a_digit_in_chromium(server: str, fake_mic, tmp_path: Path) -> None:
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
            page.goto(f"{server}/?word={DIGIT}")
            page.wait_for_function("!document.getElementById('record').disabled")
            assert page.input_value("#word") == DIGIT
            page.click("#record")
            page.wait_for_selector("#record.on")
            assert "Recording at" in page.inner_text("#status")
            page.wait_for_timeout(2500)  # the fake microphone plays the word (1.0-1.6 s)
            page.click("#record")
            page.wait_for_selector("#result:not([hidden])", timeout=30_000)
            page.wait_for_function("Number(document.getElementById('picture').dataset.drawn) > 0",
                                   timeout=30_000)
            heard = page.inner_text("#heard")
            score = page.inner_text("#score")
            band = page.inner_text("#band").strip().lower()
            status = page.inner_text("#status")
            quality = page.inner_text("#quality").strip().lower()
            width = page.evaluate("document.getElementById('picture').width")
            colours = page.evaluate(CANVAS_COLOURS)
            segments = page.locator("#segments li").count()
            attempt_src = page.get_attribute("#attempt-audio", "src")
            ref_src = page.get_attribute("#ref-audio", "src")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            shot = SCREENSHOT if os.environ.get("SPACE_UPDATE_SCREENSHOT") else tmp_path / "page.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    print(f"fake microphone: {source}")
    assert heard == DIGIT, f"page heard {heard!r} for {source}"
    assert score.isdigit() and 0 <= int(score) <= 100
    assert band in {"excellent", "good", "fair", "poor"}
    assert quality in {"good", "fair", "poor"}  # the recording's own quality is shown
    assert "Done" in status
    assert width > 400 and colours > 100  # the page drew the feedback picture
    assert segments >= 1
    assert attempt_src.startswith("blob:") and ref_src.startswith(f"/api/references/{DIGIT}/")


def test_page_draws_feedback_from_json(server: str, tmp_path: Path) -> None:
    """An uploaded example clip: the page asks /api/score without the PNG and draws the
    picture itself on the canvas, from the JSON's ``drawing`` (non-blank, many colours)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    clip = ROOT / "examples" / "7_seven_espeak_male.wav"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            # The form fields the page sends (Playwright does not show multipart bodies that
            # hold a file): fetch is wrapped before the page's script runs.
            page.add_init_script(FORM_SPY)
            page.goto(f"{server}/?word={DIGIT}")
            page.wait_for_function("!document.getElementById('record').disabled")
            assert page.evaluate("Number(document.getElementById('picture').dataset.drawn || 0)"
                                 ) == 0
            page.set_input_files("#file", str(clip))
            page.wait_for_function("Number(document.getElementById('picture').dataset.drawn) > 0",
                                   timeout=30_000)
            colours = page.evaluate(CANVAS_COLOURS)
            size = page.evaluate("[document.getElementById('picture').width, "
                                 "document.getElementById('picture').height]")
            segments = page.locator("#segments li").count()
            forms = page.evaluate("window.__forms")
            score = page.evaluate("state.result")
            strip = _phone_strip(page) if score["phones"] else None
        finally:
            browser.close()
    assert errors == []
    scored = [keys for url, keys in forms if url.endswith("/api/score")]
    assert len(scored) == 1 and "plot" not in scored[0]  # no PNG asked for
    assert size[0] > 400 and size[1] > 200
    assert colours > 100  # spectrograms (a colour map), lines and shading, not a blank canvas
    assert segments >= 1
    assert "phones" in scored[0]  # the page asks for a score per sound
    if not score["phones"]:  # no phone model / pocketsphinx here: the page says why
        assert any("phones" in w or "pronunciation" in w for w in score["warnings"])
        return
    phones = score["phones"]
    assert strip["ipa"] == [p["ipa"] for p in phones] == ["s", "ɛ", "v", "ʌ", "n"]
    assert strip["drawn"] == len(phones)  # the canvas picture has the strip too
    fb = score["drawing"]["phone_feedback"]
    assert strip["classes"] == [f"phone {lv}" + (" weakest" if k == fb["weakest"] else "")
                                + (" selected" if k == strip["selected"] else "")
                                for k, lv in enumerate(fb["levels"])]
    # accessible: each sound's score is in its label, not only in its colour
    for label, p in zip(strip["labels"], phones, strict=True):
        assert label.startswith(f"/{p['ipa']}/ score {round(p['score'])} of 100")
    low = min(range(len(phones)), key=lambda k: phones[k]["score"])
    assert strip["selected"] == (fb["weakest"] if fb["weakest"] is not None else low)
    if fb["text"]:
        assert strip["line"].lower().startswith(fb["text"].lower())
    else:
        assert strip["line"] == "No sound of the word stood out as wrong."
    # the play buttons play the selected sound: the attempt's span and the reference's, padded
    p = phones[strip["selected"]]
    assert strip["played_attempt"] == {"source": "attempt",
                                       "start_s": round(max(0, p["attempt_start_s"] - 0.06), 3),
                                       "end_s": round(p["attempt_end_s"] + 0.06, 3)}
    ref = strip["played_reference"]
    assert ref["source"] == score["reference_urls"][p["reference_index"]]
    assert ref["start_s"] == round(max(0, p["reference_start_s"] - 0.06), 3)
    assert ref["end_s"] == round(p["reference_end_s"] + 0.06, 3)


def _phone_strip(page) -> dict:
    """What the page's phone strip shows, and what its play buttons played."""
    page.wait_for_selector("#phones-box:not([hidden])")
    out = page.evaluate("""() => {
      const bs = [...document.querySelectorAll('#phones .phone')];
      return {ipa: bs.map((b) => b.firstChild.textContent), classes: bs.map((b) => b.className),
              labels: bs.map((b) => b.getAttribute('aria-label')),
              selected: bs.findIndex((b) => b.getAttribute('aria-pressed') === 'true'),
              line: document.getElementById('phone-line').textContent,
              drawn: Number(document.getElementById('picture').dataset.phones)};
    }""")
    for button, key in (("#play-phone-attempt", "played_attempt"),
                        ("#play-phone-ref", "played_reference")):
        page.evaluate("delete document.getElementById('result').dataset.played")
        page.click(button)
        page.wait_for_function("document.getElementById('result').dataset.played")
        out[key] = page.evaluate("JSON.parse(document.getElementById('result').dataset.played)")
    return out


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
            colours = page.evaluate(CANVAS_COLOURS.replace("'picture'", "'seq-picture'"))
        finally:
            browser.close()
    assert errors == []
    assert heard.split() == ["2", "6", "4", "8"]
    assert len(words) == 4 and words[0].startswith("2: ") and " s (" in words[0]
    assert status.startswith("Heard 4 digit(s)")
    assert colours > 10  # waveform, shading, the strip's boxes and labels


def test_an_error_clears_the_last_result(server: str, tmp_path: Path) -> None:
    """Score a good clip, then upload an undecodable one: the old score (and the connected-
    digits card's old digits) disappear with the error; nothing shows the refused file."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    clip = ROOT / "examples" / "7_seven_espeak_male.wav"
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF" + b"\x00" * 200)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/?word={DIGIT}")
            page.wait_for_function("!document.getElementById('record').disabled")
            page.set_input_files("#file", str(clip))
            page.wait_for_function("Number(document.getElementById('picture').dataset.drawn) > 0",
                                   timeout=30_000)
            shown_before = page.is_visible("#result")
            page.set_input_files("#file", str(bad))
            page.wait_for_function(
                "document.getElementById('status').classList.contains('error')", timeout=30_000)
            after = page.evaluate("[state.result, state.attemptName, "
                                  "document.getElementById('result').hidden]")
            status = page.inner_text("#status")
            # the connected-digits card: a good recording, then the broken one
            page.set_input_files("#seq-file", str(ROOT / "examples" / "2_two_espeak_male.wav"))
            page.wait_for_function("state.seqResult !== null && state.seqResult !== undefined",
                                   timeout=30_000)
            seq_before = page.is_visible("#seq-result")
            page.set_input_files("#seq-file", str(bad))
            page.wait_for_function("state.seqResult === null", timeout=30_000)
            seq_after = page.evaluate("[state.seqName, document.getElementById('seq-result')"
                                      ".hidden, document.getElementById('seq-status')"
                                      ".classList.contains('error')]")
        finally:
            browser.close()
    assert errors == []
    assert shown_before and after == [None, None, True]
    assert "broken.wav" in status or "decode" in status
    assert seq_before and seq_after == [None, True, True]
