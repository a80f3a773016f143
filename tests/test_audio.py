import io

import numpy as np
import pytest
import soundfile as sf

from space import audio
from space.config import FeatureConfig
from space.errors import AudioError

from .conftest import tone


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_load_bit_depths(tmp_path, subtype):
    y = tone(440, 0.5, 16000)
    fmt = "WAV"
    p = tmp_path / f"x_{subtype}.wav"
    sf.write(p, y, 16000, subtype=subtype, format=fmt)
    z, sr = audio.load(p)
    assert sr == 16000 and z.dtype == np.float32 and z.shape == y.shape
    assert np.max(np.abs(z - y)) < (0.02 if subtype == "PCM_U8" else 1e-3)


@pytest.mark.parametrize("fmt,ext", [("FLAC", "flac"), ("OGG", "ogg")])
def test_load_compressed(tmp_path, fmt, ext):
    p = tmp_path / f"x.{ext}"
    sf.write(p, tone(440, 0.5, 16000), 16000, format=fmt)
    z, sr = audio.load(p)
    assert sr == 16000 and abs(len(z) - 8000) < 100


@pytest.mark.skipif("MP3" not in sf.available_formats(), reason="this libsndfile has no MP3")
def test_load_mp3(tmp_path):
    p = tmp_path / "x.mp3"
    sf.write(p, tone(440, 1.0, 16000), 16000, format="MP3")
    z, sr = audio.load(p, sr=16000)
    assert sr == 16000 and abs(len(z) - 16000) < 1200
    spec = np.abs(np.fft.rfft(z))
    assert abs(np.argmax(spec) * 16000 / len(z) - 440) < 5


def test_multichannel_is_mixed_to_mono(tmp_path):
    y = tone(440, 0.5, 16000)
    p = tmp_path / "st.wav"
    sf.write(p, np.stack([y, np.zeros_like(y), y, y], axis=1), 16000)
    z, _ = audio.load(p)
    assert z.ndim == 1 and np.allclose(z, 0.75 * y, atol=1e-3)


@pytest.mark.parametrize("sr", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
def test_resample_any_supported_rate(tmp_path, sr):
    p = tmp_path / "r.wav"
    sf.write(p, tone(440, 1.0, sr), sr)
    z, out_sr = audio.load(p, sr=16000)
    assert out_sr == 16000 and abs(len(z) - 16000) <= 2
    # the tone survives resampling: its spectrum peaks at 440 Hz
    spec = np.abs(np.fft.rfft(z))
    assert abs(np.argmax(spec) * 16000 / len(z) - 440) < 3


def test_load_from_bytes():
    buf = io.BytesIO()
    sf.write(buf, tone(440, 0.5, 8000), 8000, format="WAV")
    z, sr = audio.load(buf.getvalue(), name="upload.wav")
    assert sr == 8000 and len(z) == 4000


def _msg(exc_info) -> str:
    return str(exc_info.value)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError) as e:
        audio.load(tmp_path / "nope.wav")
    assert "nope.wav" in _msg(e) and "not found" in _msg(e)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav: file is empty"):
        audio.load(p)


def test_zero_length_wav(tmp_path):
    p = tmp_path / "zero.wav"
    sf.write(p, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match=r"zero\.wav: audio has no samples"):
        audio.load(p)


def test_not_audio(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("these are not the samples you are looking for\n" * 20)
    with pytest.raises(AudioError, match=r"notes\.wav: cannot decode audio \(not a recognised"):
        audio.load(p)


def test_truncated_wav(tmp_path):
    p = tmp_path / "cut.wav"
    sf.write(p, tone(440, 1.0, 16000), 16000, subtype="PCM_16")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match=r"cut\.wav: truncated WAV"):
        audio.load(p)


def test_truncated_header(tmp_path):
    p = tmp_path / "head.wav"
    sf.write(p, tone(440, 1.0, 16000), 16000)
    p.write_bytes(p.read_bytes()[:30])
    with pytest.raises(AudioError, match=r"head\.wav"):
        audio.load(p)


def test_nan_samples(tmp_path):
    y = tone(440, 0.5, 16000)
    y[100] = np.nan
    p = tmp_path / "nan.wav"
    sf.write(p, y, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"nan\.wav: audio contains NaN or infinite"):
        audio.load(p)


def test_inf_in_array():
    y = tone(440, 0.5, 16000)
    y[5] = np.inf
    with pytest.raises(AudioError, match="NaN or infinite"):
        audio.prepare(y, 16000, FeatureConfig())


def test_silence(tmp_path):
    p = tmp_path / "quiet.wav"
    sf.write(p, np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match=r"quiet\.wav: audio is silent"):
        audio.load(p)


def test_ten_minute_file_refused_before_decoding(tmp_path):
    p = tmp_path / "long.wav"
    sr = 8000
    with sf.SoundFile(p, "w", sr, 1, subtype="PCM_16") as f:
        block = (tone(300, 60.0, sr) * 0.1)
        for _ in range(10):
            f.write(block)
    with pytest.raises(AudioError, match=r"long\.wav: 600\.0 s long; at most 30 s"):
        audio.load(p)


@pytest.mark.parametrize("sr", [4000, 192000])
def test_unsupported_rate(tmp_path, sr):
    p = tmp_path / "rate.wav"
    sf.write(p, tone(300, 0.5, sr), sr)
    with pytest.raises(AudioError, match=rf"rate\.wav: sample rate {sr} Hz is not supported"):
        audio.load(p)


def test_prepare_centres_the_speech():
    cfg = FeatureConfig()
    sr = 16000
    y = np.zeros(3 * sr, dtype=np.float32)
    y[int(2.2 * sr) : int(2.6 * sr)] = tone(500, 0.4, sr)
    w = audio.prepare(y, sr, cfg)
    assert w.shape == (cfg.n_samples,)
    loud = np.nonzero(np.abs(w) > 0.1)[0]
    centre = (loud[0] + loud[-1]) / 2
    assert abs(centre - cfg.n_samples / 2) < 0.03 * sr
    assert abs(np.max(np.abs(w)) - 0.9) < 1e-5  # peak-normalised


def test_prepare_long_speech_keeps_loudest_window():
    sr = 16000
    y = np.concatenate([tone(300, 1.0, sr, 0.05), tone(300, 1.0, sr, 0.8), tone(300, 1.0, sr, 0.05)])
    w = audio.prepare(y, sr, FeatureConfig())
    # the loud second is kept: after peak normalisation nearly every sample is near full scale
    assert np.mean(np.abs(w) > 0.3) > 0.55


@pytest.mark.parametrize("seed", range(5))
def test_speech_bounds_match_librosa_trim(seed):
    import librosa

    rng = np.random.default_rng(seed)
    sr = 16000
    y = rng.normal(0, 0.001, 2 * sr).astype(np.float32)
    a, b = sorted(rng.integers(0, 2 * sr, 2))
    y[a:b] += tone(300, (b - a) / sr, sr)[: b - a]
    frame = int(sr * 0.032)
    _, (ra, rb) = librosa.effects.trim(y, top_db=40, frame_length=frame, hop_length=frame // 4)
    assert audio.speech_bounds(y, sr, top_db=40) == (ra, rb)


def test_prediction_path_does_not_import_librosa(tmp_path):
    import subprocess
    import sys

    p = tmp_path / "x.wav"
    t = np.arange(8000) / 16000  # a glide (a steady tone is "no speech found")
    sf.write(p, (0.5 * np.sin(2 * np.pi * 300 * (t + t**2))).astype(np.float32), 16000)
    code = (
        "import sys, torch\n"
        "from space.recognize import checkpoint\n"
        "from space.config import FeatureConfig, ModelConfig\n"
        "from space.recognize.words.model import SpaceModel\n"
        "m = SpaceModel(FeatureConfig(), ModelConfig(n_classes=2, channels=(4,)))\n"
        f"checkpoint.save(checkpoint.Checkpoint(m, ['a', 'b']), {str(tmp_path / 'm.pt')!r})\n"
        "for k in [k for k in sys.modules if k.startswith(('librosa', 'numba', 'scipy'))]:\n"
        "    del sys.modules[k]\n"
        "from space.recognize import load_model\n"
        f"load_model({str(tmp_path / 'm.pt')!r}).predict({str(p)!r})\n"
        "print(sorted({k.split('.')[0] for k in sys.modules} & {'librosa', 'numba', 'scipy'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
