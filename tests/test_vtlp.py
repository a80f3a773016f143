"""The voice-warp augmentation (space.data.vtlp): formants and pitch move apart, timing stays;
its stage of the one augmentation chain (Augmenter.window) and its `space train --vtlp` option."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss

from space import audio
from space.config import AUGMENT_STAGES, AugmentConfig, FieldError, TrainConfig
from space.data.augment import Augmenter
from space.data.vtlp import (
    FORMANT_RANGE,
    PITCH_RANGE,
    random_voice,
    vtlp_source_positions,
    warp_voice,
)
from space.errors import UsageError

SR = 16000


def resonator(x: np.ndarray, freqs: tuple[float, ...], bw: float = 80.0) -> np.ndarray:
    """``x`` through two-pole resonances at ``freqs`` (Hz): a vowel's formants."""
    for f in freqs:
        r = np.exp(-np.pi * bw / SR)
        x = ss.lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * f / SR), r * r], x)
    return (x / np.abs(x).max()).astype(np.float32)


def voiced_vowel(f0: float = 120.0) -> np.ndarray:
    """1 s of a pulse train at ``f0`` through formants at 700 and 1200 Hz."""
    x = np.zeros(SR)
    x[np.arange(0, SR, SR / f0).astype(int)] = 1.0
    return resonator(x, (700.0, 1200.0))


def whispered_vowel(rng: np.random.Generator) -> np.ndarray:
    """1 s of noise through one formant at 800 Hz: an envelope with no harmonics."""
    return resonator(rng.standard_normal(SR), (800.0,), bw=120.0)


def pitch_hz(y: np.ndarray) -> float:
    """Autocorrelation pitch of the middle half second."""
    seg = y[SR // 4 : 3 * SR // 4].astype(np.float64)
    ac = np.correlate(seg, seg, "full")[len(seg) - 1 :]
    lo, hi = SR // 500, SR // 60
    return SR / (lo + int(np.argmax(ac[lo:hi])))


def envelope_peak_hz(y: np.ndarray) -> float:
    """Peak of the frame-averaged power spectrum between 300 and 3000 Hz."""
    f, _, z = ss.stft(y, fs=SR, nperseg=512)
    p = (np.abs(z) ** 2).mean(axis=1)
    p = np.convolve(p, np.hanning(7), "same")  # smooth away the noise's ripple
    band = (f > 300) & (f < 3000)
    return float(f[band][np.argmax(p[band])])


def test_identity_returns_the_input():
    y = voiced_vowel()
    out = warp_voice(y, SR, formant=1.0, pitch=1.0)
    assert out.dtype == np.float32 and out.shape == y.shape
    assert np.sqrt(np.mean((out - y) ** 2)) < 1e-3 * np.sqrt(np.mean(y**2))


def test_pitch_moves_and_length_and_level_stay():
    y = voiced_vowel(120.0)
    assert pitch_hz(y) == pytest.approx(120.0, rel=0.02)
    for ratio in (0.8, 2.0, 2.5):
        out = warp_voice(y, SR, pitch=ratio)
        assert out.shape == y.shape
        assert pitch_hz(out) == pytest.approx(120.0 * ratio, rel=0.05)
        assert np.sqrt(np.mean(out**2)) == pytest.approx(np.sqrt(np.mean(y**2)), rel=1e-3)


def test_formants_move_and_pitch_stays(rng):
    y = whispered_vowel(rng)
    assert envelope_peak_hz(y) == pytest.approx(800.0, rel=0.05)
    assert envelope_peak_hz(warp_voice(y, SR, formant=1.3)) == pytest.approx(1040.0, rel=0.07)
    assert envelope_peak_hz(warp_voice(y, SR, formant=0.9)) == pytest.approx(720.0, rel=0.07)
    voiced = warp_voice(voiced_vowel(120.0), SR, formant=1.3)
    assert pitch_hz(voiced) == pytest.approx(120.0, rel=0.03)


def test_vtlp_map_scales_below_the_boundary_and_keeps_the_band_edge():
    n = 513
    assert np.allclose(vtlp_source_positions(n, 1.0), np.arange(n), atol=1e-9)
    pos = vtlp_source_positions(n, 1.25)
    assert pos[100] == pytest.approx(80.0, abs=0.1)  # output bin 100 reads input bin 80
    assert pos[-1] == pytest.approx(n - 1, abs=1e-6)
    assert np.all(np.diff(pos) > 0)


def test_bad_ratios_are_refused():
    with pytest.raises(UsageError, match="0.5-3"):
        warp_voice(np.zeros(SR, np.float32), SR, pitch=4.0)


def test_random_voice_is_seeded():
    y = voiced_vowel()
    a = random_voice(y, SR, np.random.default_rng(3))
    b = random_voice(y, SR, np.random.default_rng(3))
    assert np.array_equal(a, b) and not np.allclose(a, y)


def test_stage_of_the_chain_is_switched_by_p_vtlp():
    y = voiced_vowel()
    on = Augmenter(AugmentConfig(p_vtlp=1.0), SR)
    out = on.voice(y, np.random.default_rng(0))
    assert out.shape == y.shape and not np.allclose(out, y)
    # The chain's window with only this stage on is the warped clip, placed as prediction
    # places it: the warp keeps the length, so the speech bounds still hold.
    only = Augmenter(AugmentConfig(p_vtlp=1.0).without(*AUGMENT_STAGES[1:]), SR)
    w, span = only.window(y, (0, SR), SR, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    rng.random()  # the stage's coin
    expect = audio.normalize_peak(random_voice(y, SR, rng))
    np.testing.assert_allclose(w, expect, atol=1e-6)
    assert span == (0, SR)


def test_stage_off_draws_nothing():
    """Off (the default), the chain draws exactly the numbers it drew without the stage:
    the shipped recipes train on the same windows."""
    y = voiced_vowel()
    off = Augmenter(AugmentConfig(p_speed=1.0), SR)
    rng = np.random.default_rng(0)
    assert off.voice(y, rng) is y
    assert rng.random() == np.random.default_rng(0).random()
    a = off.window(y, (2000, 12000), SR, np.random.default_rng(5))
    b = Augmenter(AugmentConfig(p_speed=1.0, p_vtlp=0.3).without("vtlp"), SR).window(
        y, (2000, 12000), SR, np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


def test_config_validates_and_switches_the_stage():
    assert AugmentConfig().p_vtlp == 0.0 and AugmentConfig.none().p_vtlp == 0.0
    assert AugmentConfig(p_vtlp=0.5).without("vtlp").p_vtlp == 0.0
    assert AugmentConfig(p_vtlp=0.5).without("speed").p_vtlp == 0.5
    assert AUGMENT_STAGES[0] == "vtlp"  # the first stage of Augmenter.window
    with pytest.raises(FieldError, match=r"^p_vtlp must be a probability in \[0, 1\], not 1.5$"):
        AugmentConfig(p_vtlp=1.5)
    assert TrainConfig(augment={"p_vtlp": 0.25}).augment.p_vtlp == 0.25  # from a checkpoint


def _train_args(*flags: str):
    from space.cli import build_parser

    return build_parser().parse_args(["train", "--data", "d", "--out", "m.pt", *flags])


def test_cli_vtlp_option(tmp_path, capsys):
    from space.cli import main as cli
    from space.cli.train import train_config

    assert train_config(_train_args(), TrainConfig()).augment.p_vtlp == 0.0
    assert train_config(_train_args("--vtlp", "0.5"), TrainConfig()).augment.p_vtlp == 0.5
    aug = train_config(_train_args("--vtlp", "0.5", "--no-speed"), TrainConfig()).augment
    assert (aug.p_vtlp, aug.p_speed) == (0.5, 0.0)
    out = str(tmp_path / "x.pt")
    assert cli(["train", "--data", str(tmp_path), "--out", out, "--vtlp", "2"]) == 2
    err = capsys.readouterr().err
    assert "--vtlp must be a probability in [0, 1], not 2.0" in err and "p_vtlp" not in err
    assert cli(["train", "--data", str(tmp_path), "--out", out, "--vtlp", "0.5",
                "--no-augment"]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_cli_help_states_the_ranges(capsys):
    from space.cli import main as cli

    with pytest.raises(SystemExit):
        cli(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert (f"formants x{FORMANT_RANGE[0]:g}-{FORMANT_RANGE[1]:g} and pitch "
            f"x{PITCH_RANGE[0]:g}-{PITCH_RANGE[1]:g}") in help_text
    assert "--vtlp P" in help_text and "(default 0: off)" in help_text
