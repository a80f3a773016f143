"""The pieces every trainer shares: the augmentation chain, the noise bank, the checkpoint
reader/writer, batch inference, the mono mix, config validation and the one loop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from space import audio
from space.config import (
    FRAMES_TRAIN,
    AugmentConfig,
    EncoderConfig,
    FeatureConfig,
    FieldError,
    ModelConfig,
    TrainConfig,
)
from space.data import Augmenter, ClipDataset, Example, NoiseBank
from space.errors import AudioError, ModelError, UsageError
from space.recognize import checkpoint
from space.recognize.frame_model import EncoderCheckpoint, FrameEncoder, load_encoder, save_encoder
from space.recognize.words.model import SpaceModel
from space.recognize.words.recognizer import Recognizer

from .conftest import ROOT, word_like

MODELS = ROOT / "src" / "space" / "models"


@pytest.fixture
def noise_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    d = tmp_path / "noise"
    d.mkdir()
    for i in range(2):
        sf.write(d / f"n{i}.wav", rng.normal(0, 0.1, 16000 * 3).astype(np.float32), 16000)
    return d


@pytest.fixture
def clips(tmp_path: Path) -> list[Example]:
    rng = np.random.default_rng(3)
    out = []
    for i in range(6):
        p = tmp_path / f"c{i}.wav"
        sr = (8000, 16000, 22050)[i % 3]
        sf.write(p, word_like(i % 3, sr, rng, dur=0.3 + 0.12 * i), sr)
        out.append(Example(str(p), str(i % 3)))
    return out


def _old_item(aug: Augmenter | None, y: np.ndarray, bounds: tuple[int, int], n: int,
              rng: np.random.Generator) -> np.ndarray:
    """The chain as data/dataset.py wrote it before Augmenter.window (kept for this test)."""
    start, end = bounds
    if aug is None:
        return audio.normalize_peak(audio.fit_window(y, start, end, n))
    y, factor = aug.speed(y, rng)
    start, end = int(start / factor), int(end / factor)
    y = aug.colour(y, rng)
    shift = aug.shift(rng)
    w = audio.fit_window(y, start - shift, end - shift, n)
    seg = y[start:end] if end > start else y
    w = aug.gain_and_noise(w, float(np.mean(seg**2)) + 1e-10, rng)
    return audio.normalize_peak(w)


@pytest.mark.parametrize("augmented", [True, False])
def test_one_chain_gives_the_windows_of_before(clips, noise_dir, augmented):
    cfg = FeatureConfig()
    aug = Augmenter(AugmentConfig(noise_dir=str(noise_dir), p_noise=1.0, p_reverb=0.5),
                    cfg.sample_rate) if augmented else None
    ds = ClipDataset(clips, ["0", "1", "2"], cfg, augmenter=aug, copies=2, seed=7)
    ds.set_epoch(3)
    for k in range(len(ds)):
        y, bounds = ds.raw(k % len(clips))
        before = _old_item(aug, y, bounds, cfg.n_samples, np.random.default_rng((7, 3, k)))
        w, target = ds[k]
        np.testing.assert_array_equal(w.numpy(), before)
        assert target == int(clips[k % len(clips)].label)
    if not augmented:  # un-augmented items are what prediction sees
        np.testing.assert_array_equal(ds[0][0].numpy(), audio.load_prepared(clips[0].path, cfg))


def test_window_reports_where_the_speech_is():
    sr, n = 16000, 16000
    y = np.zeros(sr * 2, np.float32)
    y[5000:9000] = np.sin(np.arange(4000) * 0.3)
    aug = Augmenter(AugmentConfig(time_shift_s=0.1).without("speed", "colour", "gain", "noise"),
                    sr)
    for seed in range(5):
        w, (s0, s1) = aug.window(y, (5000, 9000), n, np.random.default_rng(seed))
        assert s1 - s0 == 4000
        loud = np.flatnonzero(np.abs(w) > 1e-6)
        assert loud[0] == s0 + 1 and loud[-1] == s1 - 1  # sin(0) = 0 at the first sample


def test_frame_targets_follow_the_speech_span():
    from space.training.frames import EDGE_FRAMES, IGNORE, FrameDataset

    cfg = FeatureConfig(fmax=4000)
    ds = FrameDataset([Example("x.wav", "a")], ["a", "_silence_"], cfg, silence=1)
    lab = ds.frame_targets(0, (4000, 12000))
    hop = cfg.hop_length
    assert (lab[4000 // hop : 12000 // hop] == 0).all()
    assert (lab[: (4000 - EDGE_FRAMES * hop) // hop] == 1).all()
    assert lab[4000 // hop - 1] == IGNORE and lab[12000 // hop] == IGNORE
    assert (lab[(12000 + EDGE_FRAMES * hop) // hop :] == 1).all()
    assert (ds.frame_targets(0, (-3000, 20000)) == 0).sum() == cfg.n_frames - 1  # long clip


def test_noise_bank_cuts_from_its_share(noise_dir):
    full = NoiseBank(noise_dir, 16000)
    test = NoiseBank(noise_dir, 16000, share=(0.9, 1.0))
    for c_full, c_test in zip(full.clips, test.clips, strict=True):
        np.testing.assert_array_equal(c_test, c_full[int(0.9 * len(c_full)):])
    x = test.sample(8000, np.random.default_rng(0))  # longer than the share: looped
    assert x.shape == (8000,)
    with pytest.raises(Exception, match="noise share"):
        NoiseBank(noise_dir, 16000, share=(0.5, 0.5))


def test_det_noise_comes_from_the_test_share(noise_dir):
    from space.recognize.words.det import NOISE_RMS, _noise_source

    draw = _noise_source(str(noise_dir), 16000, np.random.default_rng(0))
    bank = NoiseBank(noise_dir, 16000, share=(0.9, 1.0))
    expect = bank.sample(1000, np.random.default_rng(0)).astype(np.float32)
    got = draw(1000)
    np.testing.assert_allclose(got, expect * NOISE_RMS / np.sqrt(np.mean(expect**2)), rtol=1e-5)
    white = _noise_source(None, 16000, np.random.default_rng(0))(4000)
    assert abs(np.sqrt(np.mean(white**2)) - NOISE_RMS) < 1e-6


# ---- checkpoints -------------------------------------------------------------------------

def _encoder_ck() -> EncoderCheckpoint:
    torch.manual_seed(0)
    enc = FrameEncoder(EncoderConfig(channels2d=(4,), channels1d=(8,), dilations=(1,), dim=4,
                                     n_classes=3), 40).eval()
    return EncoderCheckpoint(enc, FeatureConfig(fmax=4000), ["a", "b", "_silence_"], {"n": 1})


def _recogniser_ck() -> checkpoint.Checkpoint:
    torch.manual_seed(0)
    m = SpaceModel(FeatureConfig(n_mels=32), ModelConfig(n_classes=2, channels=(4,)))
    return checkpoint.Checkpoint(m.eval(), ["x", "y"], checkpoint.TrainingMeta(n_train=2))


def test_both_checkpoint_kinds_round_trip(tmp_path):
    p = save_encoder(_encoder_ck(), tmp_path / "e.pt", train_state={"epoch": 3})
    back = load_encoder(p)
    assert back.labels == ["a", "b", "_silence_"] and back.meta == {"n": 1}
    assert back.encoder.cfg == _encoder_ck().encoder.cfg and len(back.sha1) == 40
    feats = torch.randn(1, 40, 50)
    torch.testing.assert_close(back.encoder(feats)[1], _encoder_ck().encoder(feats)[1])
    assert checkpoint.read(p, format="space-frame-encoder")["train_state"] == {"epoch": 3}
    q = checkpoint.save(_recogniser_ck(), tmp_path / "r.pt")
    assert checkpoint.load(q).labels == ["x", "y"] and checkpoint.load(q).meta.n_train == 2
    # one kind is not the other
    with pytest.raises(ModelError, match="not a SPACE frame encoder checkpoint"):
        load_encoder(q)
    with pytest.raises(ModelError, match="not a SPACE model checkpoint"):
        checkpoint.load(p)


@pytest.mark.parametrize("kind", ["encoder", "recogniser"])
def test_newer_format_version_is_refused(tmp_path, kind):
    if kind == "encoder":
        p, load = save_encoder(_encoder_ck(), tmp_path / "m.pt"), load_encoder
    else:
        p, load = checkpoint.save(_recogniser_ck(), tmp_path / "m.pt"), checkpoint.load
    payload = torch.load(p, weights_only=True)
    payload["format_version"] += 1
    payload["space_version"] = "9.0"
    torch.save(payload, p)
    with pytest.raises(ModelError, match=r"written by a newer SPACE \(9.0\); upgrade space"):
        load(p)


def test_damaged_encoder_file_says_so_without_torch_text(tmp_path):
    p = tmp_path / "e.pt"
    p.write_text("hello")
    with pytest.raises(ModelError) as e:
        load_encoder(p)
    assert str(e.value) == f"{p}: not a readable SPACE checkpoint (not a PyTorch file, or damaged)"
    with pytest.raises(ModelError, match="frame encoder file not found"):
        load_encoder(tmp_path / "none.pt")


@pytest.mark.parametrize("name", ["digits", "commands", "frames"])
def test_shipped_models_load(name):
    path = MODELS / f"{name}.pt"
    if not path.is_file():
        pytest.skip(f"{path} not built (make models)")
    if name == "frames":
        ck = load_encoder(path)
        assert ck.labels[-1] == "_silence_" and len(ck.labels) == ck.encoder.cfg.n_classes
    else:
        ck = checkpoint.load(path)
        assert len(ck.labels) == ck.model_cfg.n_classes


def test_encoder_config_defaults_rebuild_the_shipped_encoder():
    path = MODELS / "frames.pt"
    if not path.is_file():
        pytest.skip("frames.pt not built")
    ck = load_encoder(path)
    assert ck.encoder.cfg == EncoderConfig()
    from space.recognize.frame_model import DEFAULT_FEATURES

    assert ck.feature_cfg == DEFAULT_FEATURES
    fresh = FrameEncoder(EncoderConfig(), DEFAULT_FEATURES.n_mels)
    fresh.load_state_dict(ck.encoder.state_dict())  # same shapes, nothing left over


# ---- batch inference, mono ---------------------------------------------------------------

def test_probabilities_in_batches_equal_one_pass():
    rec = Recognizer(_recogniser_ck())
    w = np.random.default_rng(0).normal(0, 0.1, (7, 16000)).astype(np.float32)
    one = rec.probabilities(w, batch_size=64)
    assert one.shape == (7, 2)
    np.testing.assert_allclose(rec.probabilities(w, batch_size=3), one, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rec.probabilities(iter(list(w)), batch_size=2), one, rtol=1e-5,
                               atol=1e-6)
    assert rec.probabilities(np.zeros((0, 16000), np.float32)).shape == (0, 2)


def test_one_mono_mix():
    stereo = np.stack([np.full(5, 0.5), np.full(5, -0.1)], axis=1).astype(np.float32)  # (n, ch)
    np.testing.assert_allclose(audio.as_mono(stereo), 0.2, rtol=1e-6)
    np.testing.assert_allclose(audio.as_mono(stereo.T), 0.2, rtol=1e-6)  # (ch, n) guessed
    # a one-frame stereo chunk from a sound card is (1, 2), not two samples
    assert audio.as_mono(stereo[:1], channels_first=False).shape == (1,)
    pcm = np.array([16384, -32768], dtype=np.int16)
    np.testing.assert_allclose(audio.as_mono(pcm), [0.5, -1.0])
    np.testing.assert_allclose(audio.as_mono(np.array([192, 64], np.uint8)), [0.5, -0.5])
    with pytest.raises(AudioError, match="expected audio of shape"):
        audio.as_mono(np.zeros((2, 2, 2)))


def test_featurizer_window_is_the_shared_placement():
    """Featurizer.window places through audio.place_window: the same window and offset as
    its own copy of the placement gave before (speech centred, never cut)."""
    from space.pronounce.references.frames import MARGIN_S, Featurizer

    f = Featurizer()
    rng = np.random.default_rng(0)
    short = word_like(0, 16000, rng, dur=0.4)
    long = np.concatenate([word_like(1, 16000, rng, dur=0.9) for _ in range(2)])
    for y in (short, long):
        y2, w, left, s0, s1 = f.window(y, 16000)
        start, end = audio.speech_bounds(y2, 16000)
        m = int(MARGIN_S * 16000)
        lo, hi = max(0, start - m), min(len(y2), end + m)
        n = max(16000, hi - lo)
        old_left = lo + (hi - lo) // 2 - n // 2
        old = np.zeros(n, np.float32)
        a, b = max(old_left, 0), min(old_left + n, len(y2))
        old[a - old_left : b - old_left] = y2[a:b]
        assert left == old_left and (s0, s1) == (lo - left, hi - left)
        np.testing.assert_array_equal(w, audio.normalize_peak(old))


# ---- configs -----------------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: AugmentConfig(snr_db=(20, 5)), "snr_db must be (low, high) with -20 <= low"),
    (lambda: AugmentConfig(p_noise=1.5), "p_noise must be a probability in [0, 1], not 1.5"),
    (lambda: AugmentConfig(p_eq=-0.1), "p_eq must be a probability"),
    (lambda: AugmentConfig(speed=(1.2, 0.8)), "speed must be (low, high)"),
    (lambda: AugmentConfig(snr_db=5), "snr_db must be a (low, high) pair of numbers"),
    (lambda: TrainConfig(epochs=0), "epochs must be a whole number >= 1, not 0"),
    (lambda: TrainConfig(batch_size=2.5), "batch_size must be a whole number >= 1"),
    (lambda: TrainConfig(lr=0), "lr must be in (0, 1], not 0"),
    (lambda: TrainConfig(label_smoothing=1.0), "label_smoothing must be in [0, 1)"),
    (lambda: TrainConfig(warmup=0), "warmup must be in (0, 1)"),
])
def test_config_validation_names_the_field(make, message):
    with pytest.raises(FieldError) as e:
        make()
    assert str(e.value).startswith(message)
    assert "--" not in str(e.value)  # a library message names fields, never CLI flags
    assert isinstance(e.value, UsageError)


def test_augment_without_switches_stages_off():
    a = AugmentConfig(noise_dir="n")
    assert a.without("speed").p_speed == 0 and a.without("speed").p_eq == a.p_eq
    c = a.without("colour", "specaugment")
    assert (c.p_eq, c.p_reverb, c.freq_masks, c.time_masks) == (0, 0, 0, 0)
    assert a.without("noise").noise_dir is None and a.without("shift").time_shift_s == 0
    assert AugmentConfig.none() == a.without("speed", "colour", "shift", "gain", "noise",
                                             "specaugment")
    with pytest.raises(UsageError, match="unknown augmentation stage 'pitch'"):
        a.without("pitch")
    assert TrainConfig(augment={"p_speed": 0.5}).augment.p_speed == 0.5  # from a checkpoint


def test_cli_reports_config_errors_under_flags(synthetic_dataset, tmp_path, capsys):
    from space.cli import main as cli

    for bad, msg in ((["--epochs", "0"], "--epochs must be a whole number >= 1, not 0"),
                     (["--lr", "-1"], "--lr must be in (0, 1], not -1.0"),
                     (["--snr", "20,5"], "--snr must be LOW,HIGH in dB with -20 <= low"),
                     (["--p-noise", "2"], "--p-noise must be a probability in [0, 1], not 2.0")):
        assert cli(["train", "--data", str(synthetic_dataset), "--out",
                    str(tmp_path / "x.pt"), *bad]) == 2
        err = capsys.readouterr().err
        assert msg in err and "snr_db" not in err and "p_noise" not in err
    assert not (tmp_path / "x.pt").exists()


def test_help_takes_defaults_from_the_configs(capsys):
    from space.cli import main as cli

    with pytest.raises(SystemExit):
        cli(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    t = TrainConfig()
    assert f"(default {t.epochs})" in out and "default 5,30)" in out
    assert f"(default {ModelConfig().channels[0]},{ModelConfig().channels[1]}" in out
    with pytest.raises(SystemExit):
        cli(["train-frames", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--speech-commands" in out and "(default 1,2,4)" in out
    assert f"(default {FRAMES_TRAIN.epochs})" in out


# ---- the API and the one loop -------------------------------------------------------------

def test_train_model_takes_config_objects(synthetic_dataset, tmp_path):
    from space.api import train_model

    out = tmp_path / "m.pt"
    s = train_model(synthetic_dataset, out, progress=False,
                    train=TrainConfig(epochs=1, batch_size=16, augment=AugmentConfig.none()),
                    model=ModelConfig(channels=(4, 8)), features=FeatureConfig(n_mels=24))
    ck = checkpoint.load(out)
    assert s["labels"] == ["beep", "fall", "rise"] and ck.model_cfg.n_classes == 3
    assert ck.feature_cfg.n_mels == 24 and ck.model_cfg.channels == (4, 8)
    assert ck.meta.train_config["batch_size"] == 16
    assert ck.meta.train_config["augment"]["p_speed"] == 0.0
    with pytest.raises(UsageError, match="noise folder not found"):
        train_model(synthetic_dataset, out, train=TrainConfig(
            augment=AugmentConfig(noise_dir=str(tmp_path / "none"))))


@pytest.fixture
def mini_words(tmp_path: Path) -> Path:
    """An FSDD-shaped folder of synthetic 'digits' 0-2 (train index 8-11, val 5-7)."""
    rng = np.random.default_rng(2)
    rec = tmp_path / "fsdd" / "recordings"
    rec.mkdir(parents=True)
    for d in range(3):
        for spk in ("ann", "bob"):
            for i in range(5, 12):
                sf.write(rec / f"{d}_{spk}_{i}.wav", word_like(d, 8000, rng), 8000)
    return tmp_path / "fsdd"


def test_frame_encoder_trains_through_the_one_loop(mini_words, tmp_path):
    from space.training.frames import train_encoder

    out = tmp_path / "frames.pt"
    small = EncoderConfig(channels2d=(4,), channels1d=(16,), dilations=(1,), dim=8)
    cfg = replace(FRAMES_TRAIN, epochs=2, batch_size=8)
    lines: list[str] = []
    ck = train_encoder(out, speech_commands=None, fsdd=mini_words, train=cfg, encoder=small,
                       progress=False, log=lines.append)
    assert ck is not None and ck.labels == ["0", "1", "2", "_silence_"]
    assert ck.encoder.cfg == replace(small, n_classes=4)
    assert [ln.split(":")[0] for ln in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "val word acc" in lines[0]
    assert ck.meta["train_config"]["label_smoothing"] == 0.1
    assert not Path(ck.meta["data"]["fsdd"]).is_absolute()  # no machine paths in the file
    last = out.with_name("frames.last.pt")
    assert checkpoint.read(last, format="space-frame-encoder")["train_state"]["epoch"] == 1
    # resuming a finished run keeps it; another plan is refused with the field's name
    with pytest.raises(UsageError, match="planned for 2 epochs.*epochs=2"):
        train_encoder(out, speech_commands=None, fsdd=mini_words, train=replace(cfg, epochs=3),
                      encoder=small, resume=last, progress=False, log=lines.append)


def test_cli_train_frames(mini_words, tmp_path, capsys):
    from space.cli import main as cli

    out = tmp_path / "f.pt"
    assert cli(["train-frames", "--fsdd", str(mini_words), "--out", str(out), "--epochs", "1",
                "--batch-size", "16", "--dilations", "1", "--dim", "8", "-q", "--json"]) == 0
    import json

    summary = json.loads(capsys.readouterr().out)
    assert summary["checkpoint"] == str(out) and summary["labels"][-1] == "_silence_"
    assert load_encoder(out).encoder.cfg.dilations == (1,)
    assert cli(["train-frames", "--out", str(out)]) == 2
    assert "give --speech-commands and/or --fsdd" in capsys.readouterr().err
