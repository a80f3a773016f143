"""One check for a new reference on every face (issue 19, item 6): the CLI, the Python API
and the web app refuse the same recordings with the same message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.cli import main
from space.errors import AudioError

from .conftest import espeak, needs_espeak


def _four_words(tmp_path: Path, total_s: float | None) -> Path:
    from space import audio

    y, sr = audio.load(espeak("seven, seven, seven, seven", tmp_path / "say.wav"))
    if total_s is not None:  # padded with quiet to a given length
        y = np.concatenate([y, np.zeros(int(total_s * sr) - len(y), np.float32)])
    p = tmp_path / f"four_{total_s}.wav"
    sf.write(p, y, sr)
    return p


def _web_add(path: Path) -> tuple[int, str]:
    from fastapi.testclient import TestClient

    from space.web import create_app

    with TestClient(create_app()) as c:
        r = c.post("/api/references/7", files=[("files", (path.name, path.read_bytes()))])
    return r.status_code, r.json().get("detail", "")


@needs_espeak
@pytest.mark.parametrize("total_s", [None, 7.0])
def test_four_words_are_refused_on_every_face(total_s, tmp_path, monkeypatch, capsys) -> None:
    from space import pronounce

    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    clip = _four_words(tmp_path, total_s)
    want = "at most 5 s per clip" if total_s else "a reference is the one word said once"
    assert main(["references", "add", "7", str(clip)]) == 2
    cli = capsys.readouterr().err
    assert want in cli and cli.count("\n") == 1
    with pytest.raises(AudioError, match=want):
        pronounce.add_reference_clips("7", [clip])
    status, detail = _web_add(clip)
    assert status in (413, 422) and want in detail
    assert not (tmp_path / "refs" / "7").exists()


@needs_espeak
def test_one_word_is_accepted_on_every_face(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    one = espeak("seven", tmp_path / "seven.wav", voice="en+f3")
    assert main(["references", "add", "7", str(one)]) == 0
    capsys.readouterr()
    two = espeak("seven", tmp_path / "seven_b.wav", voice="en-gb", speed=110)  # slowly
    status, _ = _web_add(two)
    assert status == 200
    assert len(list((tmp_path / "refs" / "7").glob("*.wav"))) == 2
