"""Download and unpack the official data set archives: checksummed, resumable, atomic.

``space data download speech-commands --out DIR`` fetches Speech Commands v0.02 (2.4 GB)
and ``space data download fsdd --out DIR`` the Free Spoken Digit Dataset, then unpack
them so that ``DIR`` is ready for ``space train --data DIR``.

How an interrupted run is kept from looking finished:

- bytes go to ``DIR/.<archive>.part``; only after the whole file is there *and* its
  SHA-256 matches is it renamed to ``DIR/<archive>``;
- a later run continues the ``.part`` file with an HTTP ``Range`` request (a server that
  ignores ranges answers 200 and the download starts over);
- the archive is unpacked into a hidden temporary folder inside ``DIR`` and moved into
  place; ``DIR/.space-download.json`` is written last and is the only sign of a complete
  download (a run that finds it does nothing).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DownloadError

CHUNK = 1 << 20
TIMEOUT_S = 60.0
MARKER = ".space-download.json"


@dataclass(frozen=True)
class Archive:
    """An official archive: where it is, what it must hash to, how it unpacks."""

    name: str
    url: str
    sha256: str
    size: int  # bytes; for the progress bar when the server does not say
    strip_top: bool  # the archive wraps everything in one top folder (GitHub tarballs)
    license: str
    description: str


ARCHIVES = {
    "speech-commands": Archive(
        name="speech-commands",
        url="https://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
        # Checksum and size as published in TensorFlow Datasets' url_checksums.
        sha256="af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
        size=2428923189,
        strip_top=False,
        license="CC BY 4.0 (credit: Speech Commands, Pete Warden / Google)",
        description="Speech Commands v0.02: 105,829 one-second clips of 35 words, 16 kHz",
    ),
    "fsdd": Archive(
        name="fsdd",
        # v1.0.9 is the newest release with an independently published checksum
        # (TensorFlow Datasets). It holds 5 speakers / 2,500 clips; the project's copy
        # (a later commit) has 6. For another release pass --url and --sha256.
        url="https://github.com/Jakobovski/free-spoken-digit-dataset/archive/v1.0.9.tar.gz",
        sha256="8bc44cde129d505cbbb6b365c09f80c663f2aa77578afc634e6141a2f87100c0",
        size=11975353,
        strip_top=True,
        license="CC BY-SA 4.0 (credit: Free Spoken Digit Dataset, Zohar Jackson et al.)",
        description="Free Spoken Digit Dataset v1.0.9: spoken digits 0-9, 8 kHz",
    ),
}


def _filename(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return name or "archive.tar.gz"


def sha256_file(path: str | os.PathLike, *, hasher: Any = None) -> str:
    """SHA-256 of a file as hex (``hasher``: continue an existing hash object)."""
    h = hasher or hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def fetch(url: str, dest: str | os.PathLike, *, sha256: str, size: int | None = None,
          progress: bool = True, timeout_s: float = TIMEOUT_S) -> Path:
    """Download ``url`` to ``dest``, resuming ``<dir>/.<name>.part`` if there is one.

    ``dest`` appears only once the whole file is there and matches ``sha256``.

    Raises
    ------
    DownloadError
        Network or server failure (the ``.part`` file is kept, so run again to resume),
        or a checksum mismatch (the ``.part`` file is deleted).
    """
    from tqdm import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    have = part.stat().st_size if part.exists() else 0
    hasher = hashlib.sha256()
    if have:
        sha256_file(part, hasher=hasher)  # the hash continues over the bytes already here
    request = urllib.request.Request(url, headers={"User-Agent": "space-speech"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to fetch: the .part file is complete
            return _finish(part, dest, hasher, sha256, url)
        raise DownloadError(f"{url}: server answered {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"{url}: cannot connect ({reason})") from None
    with resp:
        status = resp.status
        length = resp.headers.get("Content-Length")
        if have and status == 206:
            start = _range_start(resp.headers.get("Content-Range", ""))
            if start != have:
                raise DownloadError(f"{url}: server resumed at byte {start}, not {have}")
        elif have:  # 200: the server ignores Range; start over
            have, hasher = 0, hashlib.sha256()
        total = have + int(length) if length is not None else size
        mode = "ab" if have else "wb"
        bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=dest.name, disable=not progress, file=sys.stderr, leave=False)
        got = have
        try:
            with open(part, mode) as f, bar:
                while True:
                    block = resp.read(CHUNK)
                    if not block:
                        break
                    f.write(block)
                    hasher.update(block)
                    got += len(block)
                    bar.update(len(block))
        except (OSError, http.client.HTTPException) as e:  # reset, timeout, IncompleteRead
            raise _interrupted(url, part, got, total, e) from None
    if total is not None and length is not None and got < total:
        raise _interrupted(url, part, got, total, "connection closed early")
    return _finish(part, dest, hasher, sha256, url)


def _range_start(content_range: str) -> int:
    # "bytes 100-199/200"
    try:
        return int(content_range.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return -1


def _interrupted(url: str, part: Path, got: int, total: int | None, why: object) -> DownloadError:
    of = f" of {total}" if total else ""
    return DownloadError(f"{url}: download interrupted after {got}{of} bytes ({why}); "
                         f"run the same command again to resume from {part}")


def _finish(part: Path, dest: Path, hasher: Any, sha256: str, url: str) -> Path:
    digest = hasher.hexdigest()
    if digest != sha256.lower():
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: checksum mismatch (SHA-256 {digest}, expected {sha256}); "
                            "the partial file was deleted, run again to download afresh")
    os.replace(part, dest)
    return dest


def _safe_members(tar: tarfile.TarFile, strip_top: bool) -> list[tuple[tarfile.TarInfo, str]]:
    """Members and their paths inside the target; refuses absolute paths, '..' and links
    that point outside (an archive must not write anywhere but its folder)."""
    out = []
    for m in tar.getmembers():
        parts = [p for p in Path(m.name).parts if p not in ("", ".")]
        if m.name.startswith("/") or ".." in parts:
            raise DownloadError(f"archive member {m.name!r} points outside the target folder")
        if strip_top:
            parts = parts[1:]
        if parts and (m.isfile() or m.isdir()):  # links, devices: nothing a data set needs
            out.append((m, "/".join(parts)))
    return out


def extract(archive: str | os.PathLike, to: str | os.PathLike, *, strip_top: bool = False,
            progress: bool = True) -> list[str]:
    """Unpack a .tar.gz into ``to`` through a hidden temporary folder. Returns the top-level
    names it placed."""
    from tqdm import tqdm

    to = Path(to)
    tmp = to / f".extract-{os.getpid()}-{int(time.time())}"
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = _safe_members(tar, strip_top)
            for m, rel in tqdm(members, desc="unpacking", unit="file", disable=not progress,
                               file=sys.stderr, leave=False):
                target = tmp / rel
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                assert src is not None  # regular files always have data
                with src, open(target, "wb") as f:
                    shutil.copyfileobj(src, f, CHUNK)
        placed = []
        for item in sorted(tmp.iterdir()):
            final = to / item.name
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            elif final.exists():
                final.unlink()
            os.replace(item, final)
            placed.append(item.name)
        return placed
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DownloadError(f"{archive}: cannot unpack ({e})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_writable(to: Path, created: list[Path]) -> None:
    """Create ``to`` and write a file into it, before any download: a read-only place (a
    read-only mount, a folder of another user's) is refused in one line, leaving no
    folders behind. ``created``: the folders this run creates, innermost first."""
    from ..io import write_error

    try:
        to.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=to, prefix=".space-write-check"):
            pass
    except OSError as e:
        for p in created:
            try:
                p.rmdir()
            except OSError:
                break
        raise write_error(to, e) from None


def download(name: str, to: str | os.PathLike, *, url: str | None = None,
             sha256: str | None = None, keep_archive: bool = False,
             progress: bool = True) -> dict[str, Any]:
    """Download and unpack an official data set into ``to``.

    Parameters
    ----------
    name : {"speech-commands", "fsdd"}
    url : str, optional
        A mirror (or a local server in tests). The checksum stays the official one unless
        ``sha256`` is given too.
    sha256 : str, optional
        Expected SHA-256 (hex) of the archive at ``url``.
    keep_archive : bool
        Keep the ``.tar.gz`` beside the data after unpacking.

    Returns
    -------
    dict
        What was done: ``folder``, ``archive``, ``url``, ``sha256``, ``files`` and
        ``already_present`` (True when a previous run had finished).
    """
    if name not in ARCHIVES:
        raise DownloadError(f"unknown data set {name!r} (use {', '.join(ARCHIVES)})")
    spec = ARCHIVES[name]
    url = url or spec.url
    want = (sha256 or spec.sha256).lower()
    if len(want) != 64 or any(c not in "0123456789abcdef" for c in want):
        raise DownloadError(f"--sha256 must be 64 hex digits, not {sha256!r}")
    to = Path(to)
    if to.exists() and not to.is_dir():
        raise DownloadError(f"{to}: exists and is not a folder")
    marker = to / MARKER
    if marker.is_file():
        done = json.loads(marker.read_text())
        if done.get("sha256") == want:
            return {**done, "already_present": True}
    created = [p for p in (to, *to.parents) if not p.exists()]
    _check_writable(to, created)
    archive = to / _filename(url)
    try:
        if not (archive.is_file() and sha256_file(archive) == want):
            fetch(url, archive, sha256=want, size=spec.size if url == spec.url else None,
                  progress=progress)
    except BaseException:
        # Offline or refused: leave no empty folders behind. A folder holding a partial
        # download is kept, so the next run resumes it.
        for p in created:
            try:
                p.rmdir()  # only succeeds while empty
            except OSError:
                break
        raise
    placed = extract(archive, to, strip_top=spec.strip_top, progress=progress)
    if not keep_archive:
        archive.unlink()
    files = sum(1 for p in to.rglob("*") if p.is_file() and not p.name.startswith("."))
    record = {"dataset": name, "folder": str(to), "url": url, "sha256": want,
              "archive": str(archive) if keep_archive else None, "files": files,
              "top_level": placed, "license": spec.license}
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, marker)  # written last: the sign that the folder is complete
    return {**record, "already_present": False}
