"""`space data download` against a local HTTP server serving an archive the test builds."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from space.cli import main
from space.data import download as dl
from space.data import fsdd_splits, speech_commands_splits


def _wav_bytes(seed: int, sr: int = 16000) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    sf.write(buf, (0.3 * rng.standard_normal(sr // 4)).astype(np.float32), sr, format="WAV",
             subtype="PCM_16")
    return buf.getvalue()


def _tar(files: dict[str, bytes], *, extra: list[tarfile.TarInfo] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return buf.getvalue()


def speech_commands_archive() -> bytes:
    """A tiny archive laid out like speech_commands_v0.02.tar.gz (no top folder)."""
    files = {}
    for w, word in enumerate(["yes", "no", "house"]):
        for i in range(3):
            files[f"./{word}/spk{i}_nohash_0.wav"] = _wav_bytes(10 * w + i)
    files["./_background_noise_/white_noise.wav"] = _wav_bytes(99)
    files["./validation_list.txt"] = b"yes/spk1_nohash_0.wav\nno/spk1_nohash_0.wav\n"
    files["./testing_list.txt"] = b"yes/spk2_nohash_0.wav\nno/spk2_nohash_0.wav\n"
    files["./LICENSE"] = b"CC BY 4.0\n"
    return _tar(files)


def fsdd_archive() -> bytes:
    """Like a GitHub tarball: everything inside one top folder."""
    top = "free-spoken-digit-dataset-1.0.9"
    files = {f"{top}/recordings/{d}_jackson_{i}.wav": _wav_bytes(d * 10 + i, 8000)
             for d in range(2) for i in (0, 5, 9)}
    files[f"{top}/README.md"] = b"FSDD\n"
    return _tar(files)


class Server:
    """127.0.0.1 HTTP server for one payload, with HTTP Range support that can be switched
    off, and a way to cut the first response short (an interrupted download)."""

    def __init__(self, payload: bytes, *, ranges: bool = True, cut_first_at: int | None = None):
        self.payload = payload
        self.ranges = ranges
        self.cut_first_at = cut_first_at
        self.requests: list[dict[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802 - the http.server API
                rng = self.headers.get("Range")
                outer.requests.append({"path": self.path, "range": rng})
                data, start = outer.payload, 0
                if rng and outer.ranges:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_first_at is not None and len(outer.requests) == 1:
                    self.wfile.write(body[: outer.cut_first_at])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/archive.tar.gz"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def visible(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def test_speech_commands_download_unpacks_a_ready_folder(tmp_path):
    payload = speech_commands_archive()
    with Server(payload) as srv:
        done = dl.download("speech-commands", tmp_path / "sc", url=srv.url,
                           sha256=sha(payload), progress=False)
        assert done["already_present"] is False
        assert done["sha256"] == sha(payload)
        # A second run finds the marker and asks the server nothing.
        again = dl.download("speech-commands", tmp_path / "sc", url=srv.url,
                            sha256=sha(payload), progress=False)
        assert again["already_present"] is True
        assert len(srv.requests) == 1
    root = tmp_path / "sc"
    assert (root / dl.MARKER).is_file()
    assert not (root / "archive.tar.gz").exists()  # removed after unpacking by default
    assert "yes/spk0_nohash_0.wav" in visible(root)
    splits = speech_commands_splits(root)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (5, 2, 2)
    assert splits.labels == ["house", "no", "yes"]


def test_fsdd_download_strips_the_top_folder(tmp_path):
    payload = fsdd_archive()
    with Server(payload) as srv:
        done = dl.download("fsdd", tmp_path / "fsdd", url=srv.url, sha256=sha(payload),
                           keep_archive=True, progress=False)
    root = tmp_path / "fsdd"
    assert done["files"] == 8  # 6 clips, README, the kept archive
    assert (root / "archive.tar.gz").read_bytes() == payload
    splits = fsdd_splits(root)
    assert len(splits.test) == 2 and len(splits.train) == 2 and len(splits.val) == 2


def test_interrupted_download_leaves_nothing_that_looks_complete_then_resumes(tmp_path):
    payload = speech_commands_archive()
    cut = len(payload) // 2
    root = tmp_path / "sc"
    with Server(payload, cut_first_at=cut) as srv:
        with pytest.raises(dl.DownloadError, match="interrupted after") as e:
            dl.download("speech-commands", root, url=srv.url, sha256=sha(payload),
                        progress=False)
        assert "\n" not in str(e.value)
        # Only the hidden partial file: no archive under its real name, no data, no marker.
        assert [p.name for p in root.iterdir()] == [".archive.tar.gz.part"]
        assert (root / ".archive.tar.gz.part").read_bytes() == payload[:cut]
        dl.download("speech-commands", root, url=srv.url, sha256=sha(payload), progress=False)
        assert srv.requests[1]["range"] == f"bytes={cut}-"
    assert (root / dl.MARKER).is_file()
    assert not (root / ".archive.tar.gz.part").exists()
    assert (root / "yes" / "spk0_nohash_0.wav").read_bytes() == _wav_bytes(0)


def test_server_without_range_support_restarts_from_zero(tmp_path):
    payload = speech_commands_archive()
    root = tmp_path / "sc"
    root.mkdir()
    (root / ".archive.tar.gz.part").write_bytes(payload[:100])
    with Server(payload, ranges=False) as srv:
        dl.download("speech-commands", root, url=srv.url, sha256=sha(payload), progress=False)
        assert srv.requests[0]["range"] == "bytes=100-"  # asked, was answered with 200
    assert (root / "no" / "spk1_nohash_0.wav").read_bytes() == _wav_bytes(11)


def test_complete_part_file_is_finished_without_refetching(tmp_path):
    payload = fsdd_archive()
    root = tmp_path / "fsdd"
    root.mkdir()
    (root / ".archive.tar.gz.part").write_bytes(payload)  # interrupted just before the rename
    with Server(payload) as srv:
        dl.download("fsdd", root, url=srv.url, sha256=sha(payload), progress=False)
        assert srv.requests == [{"path": "/archive.tar.gz", "range": f"bytes={len(payload)}-"}]
    assert (root / "recordings" / "1_jackson_9.wav").is_file()


def test_checksum_mismatch_deletes_the_download(tmp_path):
    payload = speech_commands_archive()
    root = tmp_path / "sc"
    with Server(payload) as srv, pytest.raises(dl.DownloadError, match="checksum mismatch"):
        dl.download("speech-commands", root, url=srv.url, sha256="0" * 64, progress=False)
    assert not root.exists()  # the folder this run created is removed again: it is empty


def test_archive_member_outside_the_folder_is_refused(tmp_path):
    evil = tarfile.TarInfo("../escaped.txt")
    evil.size = 0
    payload = _tar({"./yes/a_nohash_0.wav": _wav_bytes(1)}, extra=[evil])
    with Server(payload) as srv, pytest.raises(dl.DownloadError, match="outside the target"):
        dl.download("speech-commands", tmp_path / "sc", url=srv.url, sha256=sha(payload),
                    progress=False)
    assert not (tmp_path / "escaped.txt").exists()
    # The verified archive stays for a re-run; nothing is unpacked and there is no marker.
    assert visible(tmp_path / "sc") == ["archive.tar.gz"]
    assert not (tmp_path / "sc" / dl.MARKER).exists()


def test_official_archives_are_pinned():
    sc = dl.ARCHIVES["speech-commands"]
    assert sc.url.endswith("speech_commands_v0.02.tar.gz") and sc.size == 2428923189
    assert sc.sha256 == "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58"
    assert dl.ARCHIVES["fsdd"].url.endswith("v1.0.9.tar.gz")


def test_cli_download_and_one_line_errors(tmp_path, capsys):
    payload = fsdd_archive()
    with Server(payload) as srv:
        rc = main(["data", "download", "fsdd", "--to", str(tmp_path / "f"), "--url", srv.url,
                   "--sha256", sha(payload), "--quiet"])
    assert rc == 0
    assert "fsdd: 7 files in" in capsys.readouterr().err  # 6 clips and the README
    assert (tmp_path / "f" / "recordings" / "0_jackson_0.wav").is_file()

    # A port nothing listens on: a network error is one line and exit 2.
    with Server(payload) as srv:
        dead = srv.url
    rc = main(["data", "download", "fsdd", "--to", str(tmp_path / "g"), "--url", dead,
               "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "cannot connect" in err and "\n" not in err
    rc = main(["data", "download", "fsdd", "--to", str(tmp_path / "h"), "--sha256", "xyz"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "64 hex digits" in err
