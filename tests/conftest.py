"""Fixtures that make their own audio: tones, chirps, noise, and espeak-ng speech."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FSDD = SHARED / "fsdd"
SPEECH_COMMANDS = SHARED / "speech_commands"
NOISE_DIR = SPEECH_COMMANDS / "_background_noise_"

needs_fsdd = pytest.mark.skipif(
    not (FSDD / "recordings").is_dir(), reason=f"FSDD not found at {FSDD} (see README: data)"
)
needs_speech_commands = pytest.mark.skipif(
    not (SPEECH_COMMANDS / "testing_list.txt").is_file(),
    reason=f"Speech Commands subset not found at {SPEECH_COMMANDS}",
)
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt install espeak-ng)"
)


def tone(freq: float, dur: float, sr: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(dur * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def word_like(kind: int, sr: int, rng: np.random.Generator, dur: float | None = None) -> np.ndarray:
    """A synthetic 'word' of class ``kind`` (0: rising chirp, 1: falling chirp, 2: two gliding
    beeps), with random pitch, length and placement inside 1 s of low noise."""
    dur = dur or float(rng.uniform(0.35, 0.6))
    n = int(dur * sr)
    t = np.arange(n) / sr
    f0 = float(rng.uniform(300, 500))
    if kind == 0:
        phase = 2 * np.pi * (f0 * t + 0.5 * (1500 / dur) * t**2)
    elif kind == 1:
        phase = 2 * np.pi * ((f0 + 1500) * t - 0.5 * (1500 / dur) * t**2)
    else:  # a 10% glide: a steady beep is refused as "no speech" (space.audio.speech)
        phase = 2 * np.pi * (f0 * 2 * t + 0.5 * (0.2 * f0 / dur) * t**2)
    y = np.sin(phase) * np.hanning(n)
    if kind == 2:
        y = y * (np.abs(t - dur / 2) > dur / 6)
    out = rng.normal(0, 0.003, sr).astype(np.float32)
    start = int(rng.integers(0, sr - n))
    out[start : start + n] += 0.5 * y.astype(np.float32)
    return out


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder-per-label data set of 3 synthetic 'words', 40 clips each, at mixed rates."""
    root = tmp_path_factory.mktemp("synth")
    rng = np.random.default_rng(1)
    for kind, name in enumerate(["rise", "fall", "beep"]):
        (root / name).mkdir()
        for i in range(40):
            sr = (8000, 16000, 22050)[i % 3]
            sf.write(root / name / f"{name}_{i:02d}.wav", word_like(kind, sr, rng), sr)
    return root


@pytest.fixture(scope="session")
def tiny_model(synthetic_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model trained on the synthetic data set (a few seconds)."""
    from space.api import train_model
    from space.config import ModelConfig, TrainConfig

    out = tmp_path_factory.mktemp("model") / "synth.pt"
    train_model(synthetic_dataset, out, train=TrainConfig(epochs=6, batch_size=16, lr=5e-3),
                model=ModelConfig(channels=(8, 16, 32)), progress=False)
    return out


def espeak(text: str, path: Path, *, voice: str = "en-us", speed: int = 140) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                   check=True, capture_output=True)
    return path


@pytest.fixture
def wav_file(tmp_path: Path, rng: np.random.Generator) -> Path:
    p = tmp_path / "clip.wav"
    sf.write(p, word_like(0, 16000, rng), 16000)
    return p
