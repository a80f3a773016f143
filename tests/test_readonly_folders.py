"""Read-only references and data folders: one line and exit 2, or 507 with a JSON message.

Tests run as root, whom file permissions do not stop, so a read-only place is either
/sys/kernel (sysfs refuses new files even to root) or an ``open`` that fails with EROFS.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.cli import main

SYS = Path("/sys/kernel")


def _refuses_writes(folder: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            return False
    except OSError:
        return folder.is_dir()


needs_sysfs = pytest.mark.skipif(not _refuses_writes(SYS),
                                 reason="needs Linux sysfs (/sys/kernel), which nobody may write")


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 0.5 s gliding vowel-like sound in 1 s (passes the speech check)."""
    t = np.arange(8000) / 16000
    y = np.zeros(16000, np.float32)
    y[4000:12000] = 0.4 * np.sin(2 * np.pi * 200 * (t + 0.6 * t**2)) * np.hanning(8000)
    y[4000:12000] += 0.2 * np.sin(2 * np.pi * 700 * (t + 0.4 * t**2)) * np.hanning(8000)
    p = tmp_path / "seven.wav"
    sf.write(p, y, 16000)
    return p


@needs_sysfs
def test_references_add_into_a_read_only_folder(clip, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(SYS))
    assert main(["references", "add", "7", str(clip)]) == 2
    out, err = capsys.readouterr()
    assert err == f"space references: error: cannot write {SYS}: permission denied; nothing " \
                  "was written\n"


def test_references_add_on_a_read_only_mount(clip, tmp_path, monkeypatch, capsys) -> None:
    """The folder exists, but the file system refuses the first write (its lock file)."""
    from space.pronounce.references import folders as refsets

    def read_only(path, *a, **kw):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(refsets, "open", read_only, raising=False)
    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(tmp_path / "refs"))
    assert main(["references", "add", "7", str(clip)]) == 2
    err = capsys.readouterr().err
    assert "the file system is read-only; nothing was written" in err and err.count("\n") == 1
    assert not (tmp_path / "refs" / "7").exists()


@needs_sysfs
def test_web_add_reference_answers_507(clip, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from space.web import create_app

    monkeypatch.setenv("SPACE_REFERENCES_DIR", str(SYS))
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        r = c.post("/api/references/7", files=[("files", ("seven.wav", clip.read_bytes()))])
    assert r.status_code == 507
    assert "cannot write" in r.json()["detail"] and "permission denied" in r.json()["detail"]


@needs_sysfs
@pytest.mark.parametrize("out", [SYS, SYS / "x"])
def test_data_download_into_a_read_only_place(out, capsys) -> None:
    # refused before any network access: the URL is never fetched
    assert main(["data", "download", "fsdd", "--out", str(out),
                 "--url", "http://127.0.0.1:9/never.tar.gz"]) == 2
    err = capsys.readouterr().err
    assert err == f"space data: error: cannot write {out}: permission denied; nothing was " \
                  "written\n"
