"""Configuration as frozen dataclasses.

Feature and model configs are stored in every checkpoint, so a model is rebuilt and fed
exactly as it was trained, from the file alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class FeatureConfig:
    """How audio becomes a log-mel spectrogram. Stored in the checkpoint."""

    sample_rate: int = 16000  # model rate; every input is resampled to it
    clip_s: float = 1.0  # fixed window fed to the CNN, centred on the speech
    n_mels: int = 40
    fmin: float = 20.0
    # Upper band edge. 4 kHz for FSDD-trained models: FSDD is 8 kHz audio, so a model trained
    # on it has never seen energy above 4 kHz, and a 48 kHz microphone must not show it any.
    fmax: float = 4000.0
    win_ms: float = 25.0
    hop_ms: float = 10.0
    # Per-utterance mean/variance normalisation of each mel band: removes the microphone's
    # and room's spectral tilt (a channel effect) and the level, measured as the biggest
    # single gain on unseen speakers (FINDINGS.md).
    normalize: str = "utterance"  # "utterance" | "none"
    trim_top_db: float = 40.0  # silence threshold (dB below peak) used to find the speech

    def __post_init__(self) -> None:
        if not 4000 <= self.sample_rate <= 48000:
            raise ConfigError(f"sample_rate {self.sample_rate} Hz is outside 4-48 kHz")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ConfigError(
                f"mel band {self.fmin}-{self.fmax} Hz must lie within 0-{self.sample_rate / 2} Hz"
            )
        if self.normalize not in ("utterance", "none"):
            raise ConfigError(f"normalize must be 'utterance' or 'none', not {self.normalize!r}")
        if self.n_mels < 8 or self.clip_s <= 0 or self.hop_ms <= 0 or self.win_ms < self.hop_ms:
            raise ConfigError("n_mels >= 8, clip_s > 0 and win_ms >= hop_ms > 0 are required")

    @property
    def hop_length(self) -> int:
        return int(round(self.sample_rate * self.hop_ms / 1000))

    @property
    def win_length(self) -> int:
        return int(round(self.sample_rate * self.win_ms / 1000))

    @property
    def n_fft(self) -> int:
        n = 1
        while n < self.win_length:
            n *= 2
        return n

    @property
    def n_samples(self) -> int:
        return int(round(self.clip_s * self.sample_rate))

    @property
    def n_frames(self) -> int:
        return 1 + self.n_samples // self.hop_length


@dataclass(frozen=True)
class ModelConfig:
    """The CNN. Built from this and nothing else (see :mod:`space.model`)."""

    n_classes: int = 10
    channels: tuple[int, ...] = (32, 64, 128, 256)  # one conv block per entry
    dropout: float = 0.2

    def __post_init__(self) -> None:
        if self.n_classes < 2:
            raise ConfigError("a classifier needs at least 2 classes")
        if not self.channels or any(c < 1 for c in self.channels):
            raise ConfigError(f"channels must be positive, got {self.channels}")
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentations that bridge speakers and microphones. Each can be switched off alone."""

    time_shift_s: float = 0.15  # random move of the speech inside the window
    speed: tuple[float, float] = (0.85, 1.15)  # resampling factor: pitch + tempo (speaker-like)
    p_speed: float = 0.8
    # Formant (x0.9-1.35) and pitch (x0.8-2.6) moved apart, tempo kept: women's and children's
    # voices from men's (space.data.vtlp). Off by default: the shipped recipes do without it.
    p_vtlp: float = 0.0
    noise_dir: str | None = None  # folder of long noise recordings (e.g. _background_noise_)
    snr_db: tuple[float, float] = (5.0, 30.0)
    p_noise: float = 0.8
    gain_db: tuple[float, float] = (-12.0, 6.0)
    p_eq: float = 0.5  # random low/high shelf: microphone colour
    p_reverb: float = 0.2  # short synthetic room impulse response
    freq_masks: int = 2  # SpecAugment
    freq_mask_width: int = 6
    time_masks: int = 2
    time_mask_width: int = 10

    @classmethod
    def none(cls) -> AugmentConfig:
        return cls(
            time_shift_s=0.0, p_speed=0.0, noise_dir=None, p_noise=0.0, gain_db=(0.0, 0.0),
            p_eq=0.0, p_reverb=0.0, freq_masks=0, time_masks=0,
        )


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 12
    batch_size: int = 64
    lr: float = 3e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-2
    label_smoothing: float = 0.05
    copies: int = 1  # augmented copies of each clip per epoch
    seed: int = 0
    num_workers: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain-dict form of a config dataclass (tuples become lists), for checkpoints and JSON."""
    return asdict(cfg)


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a config dataclass from :func:`to_dict` output; unknown keys are an error."""
    if not isinstance(data, dict):
        raise ConfigError(f"{cls.__name__} must be a mapping, got {type(data).__name__}")
    names = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for k, v in data.items():
        if k == "augment" and isinstance(v, dict):
            v = from_dict(AugmentConfig, v)
        elif isinstance(v, list):
            v = tuple(v)
        kwargs[k] = v
    return cls(**kwargs)
