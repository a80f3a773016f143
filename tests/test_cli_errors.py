"""Every bad input gives one line on stderr naming the file and the problem, and exit 2."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from .conftest import tone


def _bad_files(tmp_path):
    files = {}
    files["missing"] = (tmp_path / "missing.wav", "file not found")
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    files["empty"] = (p, "file is empty")
    p = tmp_path / "zero.wav"
    sf.write(p, np.zeros(0, dtype=np.float32), 16000)
    files["zero-length"] = (p, "audio has no samples")
    p = tmp_path / "text.wav"
    p.write_text("hello " * 100)
    files["not audio"] = (p, "cannot decode audio")
    p = tmp_path / "cut.wav"
    sf.write(p, tone(440, 1.0, 16000), 16000)
    p.write_bytes(p.read_bytes()[:9000])
    files["truncated"] = (p, "truncated WAV")
    p = tmp_path / "nan.wav"
    y = tone(440, 0.5, 16000)
    y[10:20] = np.nan
    sf.write(p, y, 16000, subtype="FLOAT")
    files["nan"] = (p, "NaN or infinite")
    p = tmp_path / "silent.wav"
    sf.write(p, np.zeros(16000, dtype=np.float32), 16000)
    files["silence"] = (p, "audio is silent")
    p = tmp_path / "long.wav"
    with sf.SoundFile(p, "w", 8000, 1, subtype="PCM_16") as f:
        for _ in range(10):
            f.write(tone(200, 60.0, 8000, 0.1))
    files["10 minutes"] = (p, "600.0 s long")
    p = tmp_path / "rate.wav"
    sf.write(p, tone(440, 0.5, 4000), 4000)
    files["unsupported rate"] = (p, "sample rate 4000 Hz is not supported")
    return files


def test_each_bad_file_is_one_line_and_exit_2(tiny_model, tmp_path, capsys):
    from space.cli import main

    for kind, (path, message) in _bad_files(tmp_path).items():
        code = main(["predict", "--model", str(tiny_model), str(path)])
        out, err = capsys.readouterr()
        assert code == 2, (kind, err)
        assert len(err.strip().splitlines()) == 1, (kind, err)
        assert err.startswith(f"space predict: error: {path}: ") and message in err, (kind, err)
        assert out == ""


def test_no_traceback_from_a_real_process(tiny_model, tmp_path):
    bad = tmp_path / "text.wav"
    bad.write_text("not audio at all")
    proc = subprocess.run([sys.executable, "-m", "space", "predict", "--model", str(tiny_model),
                           str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"space predict: error: {bad}: cannot decode audio "
        "(not a recognised audio format (WAV, FLAC, OGG, MP3))"
    ]


@pytest.mark.parametrize("content", [b"\x00" * 100, b"PK\x03\x04 not a checkpoint"])
def test_corrupt_checkpoint_cli(tmp_path, wav_file, content, capsys):
    from space.cli import main

    bad = tmp_path / "model.pt"
    bad.write_bytes(content)
    assert main(["predict", "--model", str(bad), str(wav_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"space predict: error: {bad}: not a readable SPACE checkpoint")


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "space", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("space ")
    out = subprocess.run([sys.executable, "-m", "space", "predict"], capture_output=True, text=True)
    assert out.returncode == 2 and "FILE_OR_DIR" in out.stderr
