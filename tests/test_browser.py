"""End to end in a real browser: Chromium records a spoken digit through the page.

Chromium's fake microphone plays a WAV made from an FSDD test clip (resampled to 48 kHz,
the rate browsers record at); the page records it with getUserMedia + AudioWorklet, uploads
a WAV, and must show the right digit, a score, a band and the feedback picture. The page is
saved as ``docs/screenshot.png`` (the README shows it).

Needs Debian's ``chromium`` and the ``playwright`` package (no browser download: Playwright
drives the system Chromium), the bundled digits model and ../shared/data/fsdd; skipped with
the reason otherwise.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .conftest import FSDD, ROOT, needs_fsdd

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = ROOT / "docs" / "screenshot.png"
DIGIT = "7"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = [
    needs_fsdd,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt install chromium)"),
]


def _digits_model():
    from space.errors import ModelError
    from space.recognize import load_model

    try:
        return load_model("digits")
    except ModelError as e:
        pytest.skip(f"bundled digits model missing: {e}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fake_mic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 48 kHz WAV: 1 s quiet, a seven from FSDD's test split, 2.5 s quiet.

    Of the speakers' test clips (index 0-4, never trained on) it takes the first one the model
    gets right, and surely (p >= 0.8), offline through the same path: the test checks the
    browser path, not the model's accuracy on hard clips.
    """
    from space import audio

    model = _digits_model()
    out = tmp_path_factory.mktemp("mic") / "seven.wav"
    for speaker in ["george", "lucas", "nicolas", "yweweler", "theo", "jackson"]:
        for i in range(5):
            y, _ = audio.load(FSDD / "recordings" / f"{DIGIT}_{speaker}_{i}.wav", sr=48000)
            y = 0.5 * y / np.max(np.abs(y))
            rec = np.concatenate([np.zeros(48000), y, np.zeros(120000)]).astype(np.float32)
            rec += np.random.default_rng(0).normal(0, 3e-4, len(rec)).astype(np.float32)
            sf.write(out, rec, 48000, subtype="PCM_16")
            p = model.predict(out)
            if p.label == DIGIT and p.probability >= 0.8:
                return out, f"{DIGIT}_{speaker}_{i}.wav"
    pytest.skip("the digits model recognises none of the test sevens")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The app on 127.0.0.1 (a free port) in a thread, with references from FSDD's training
    split (index >= 5) of other speakers than the fake microphone's."""
    uvicorn = pytest.importorskip("uvicorn")
    from space import pronounce
    from space.web import create_app

    _digits_model()
    refs = tmp_path_factory.mktemp("refs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPACE_REFERENCES_DIR", str(refs))
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


def test_record_a_digit_in_chromium(server: str, fake_mic) -> None:
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
            page.wait_for_function("document.getElementById('picture').naturalWidth > 0",
                                   timeout=30_000)
            heard = page.inner_text("#heard")
            score = page.inner_text("#score")
            band = page.inner_text("#band").strip().lower()
            status = page.inner_text("#status")
            width = page.evaluate("document.getElementById('picture').naturalWidth")
            segments = page.locator("#segments li").count()
            attempt_src = page.get_attribute("#attempt-audio", "src")
            ref_src = page.get_attribute("#ref-audio", "src")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert heard == DIGIT, f"page heard {heard!r} for {source}"
    assert score.isdigit() and 0 <= int(score) <= 100
    assert band in {"excellent", "good", "fair", "poor"}
    assert "Done" in status
    assert width > 400  # the feedback picture arrived and decoded
    assert segments >= 1
    assert attempt_src.startswith("blob:") and ref_src.startswith(f"/api/references/{DIGIT}/")
