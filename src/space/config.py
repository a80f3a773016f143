"""Configuration as frozen dataclasses.

Feature and model configs are stored in every checkpoint, so a model is rebuilt and fed
exactly as it was trained, from the file alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .errors import UsageError


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
    # single gain on unseen speakers (README: "One audio front end" and the digits model card).
    normalize: str = "utterance"  # "utterance" | "none"
    trim_top_db: float = 40.0  # silence threshold (dB below peak) used to find the speech

    def __post_init__(self) -> None:
        if not 4000 <= self.sample_rate <= 48000:
            raise UsageError(f"sample_rate {self.sample_rate} Hz is outside 4-48 kHz")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise UsageError(
                f"mel band {self.fmin}-{self.fmax} Hz must lie within 0-{self.sample_rate / 2} Hz"
            )
        if self.normalize not in ("utterance", "none"):
            raise UsageError(f"normalize must be 'utterance' or 'none', not {self.normalize!r}")
        if self.n_mels < 8 or self.clip_s <= 0 or self.hop_ms <= 0 or self.win_ms < self.hop_ms:
            raise UsageError("n_mels >= 8, clip_s > 0 and win_ms >= hop_ms > 0 are required")

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
    """The CNN. Built from this and nothing else (see :mod:`space.recognize.words.model`)."""

    n_classes: int = 10
    channels: tuple[int, ...] = (32, 64, 128, 256)  # one conv block per entry
    dropout: float = 0.2

    def __post_init__(self) -> None:
        if self.n_classes < 2:
            raise UsageError("a classifier needs at least 2 classes")
        if not self.channels or any(c < 1 for c in self.channels):
            raise UsageError(f"channels must be positive, got {self.channels}")
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))


class FieldError(UsageError):
    """A configuration field with a value outside its rule.

    The message names the field (``snr_db must be ...``); a face that set the field from
    its own input (the CLI's ``--snr``) can name that input instead from :attr:`field`,
    :attr:`rule` and :attr:`value`.
    """

    def __init__(self, field: str, rule: str, value: Any) -> None:
        self.field, self.rule, self.value = field, rule, value
        super().__init__(f"{field} must be {rule}, not {value!r}")


def _need(ok: bool, field: str, rule: str, value: Any) -> None:
    if not ok:
        raise FieldError(field, rule, value)


def _pair(value: Any) -> tuple[float, float]:
    lo, hi = (float(v) for v in value)
    return lo, hi


# The augmentation stages, in the order :meth:`space.data.Augmenter.window` applies them
# (SpecAugment comes later, on the features).
AUGMENT_STAGES = ("vtlp", "speed", "colour", "shift", "gain", "noise", "specaugment")


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentations that bridge speakers and microphones. Each stage can be switched off
    alone (:meth:`without`); ``benchmarks/augment_ablation.py`` measures what each buys."""

    time_shift_s: float = 0.15  # random move of the speech inside the window
    speed: tuple[float, float] = (0.85, 1.15)  # resampling factor: pitch + tempo (speaker-like)
    p_speed: float = 0.8
    # Formant (x0.9-1.35) and pitch (x0.8-2.6) moved apart, tempo kept: women's and children's
    # voices from men's (space.data.vtlp), on this share of clips. Off by default; the digits
    # recipe (six adult men) uses 0.5, commands (about 200 voices) none (README: "Many voices").
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

    def __post_init__(self) -> None:
        for name in ("speed", "snr_db", "gain_db"):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, _pair(value))
            except (TypeError, ValueError):
                raise FieldError(name, "a (low, high) pair of numbers", value) from None
        lo, hi = self.speed
        _need(0.5 <= lo <= hi <= 2.0, "speed", "(low, high) with 0.5 <= low <= high <= 2",
              self.speed)
        lo, hi = self.snr_db
        _need(-20 <= lo <= hi <= 60, "snr_db", "(low, high) with -20 <= low <= high <= 60 dB",
              self.snr_db)
        lo, hi = self.gain_db
        _need(-40 <= lo <= hi <= 40, "gain_db", "(low, high) with -40 <= low <= high <= 40 dB",
              self.gain_db)
        for name in ("p_vtlp", "p_speed", "p_noise", "p_eq", "p_reverb"):
            value = getattr(self, name)
            _need(0 <= value <= 1, name, "a probability in [0, 1]", value)
        _need(0 <= self.time_shift_s <= 1, "time_shift_s", "in [0, 1] s", self.time_shift_s)
        for name in ("freq_masks", "freq_mask_width", "time_masks", "time_mask_width"):
            value = getattr(self, name)
            _need(isinstance(value, int) and value >= 0, name, "a whole number >= 0", value)

    @classmethod
    def none(cls) -> AugmentConfig:
        """Every stage off: windows exactly as prediction places them."""
        return cls().without(*AUGMENT_STAGES)

    def without(self, *stages: str) -> AugmentConfig:
        """This recipe with the named stages (:data:`AUGMENT_STAGES`) switched off."""
        off: dict[str, Any] = {
            "vtlp": {"p_vtlp": 0.0},
            "speed": {"p_speed": 0.0},
            "colour": {"p_eq": 0.0, "p_reverb": 0.0},
            "shift": {"time_shift_s": 0.0},
            "gain": {"gain_db": (0.0, 0.0)},
            "noise": {"noise_dir": None, "p_noise": 0.0},
            "specaugment": {"freq_masks": 0, "time_masks": 0},
        }
        changes: dict[str, Any] = {}
        for stage in stages:
            if stage not in off:
                raise UsageError(f"unknown augmentation stage {stage!r} "
                                 f"(stages: {', '.join(AUGMENT_STAGES)})")
            changes.update(off[stage])
        return replace(self, **changes)


@dataclass(frozen=True)
class TrainConfig:
    """How a network is trained: the one loop (:func:`space.training.loop.fit`) reads it."""

    epochs: int = 12
    batch_size: int = 64
    lr: float = 3e-3  # peak of the one-cycle schedule
    warmup: float = 0.25  # share of the steps over which the rate rises to its peak
    weight_decay: float = 1e-2
    label_smoothing: float = 0.05
    copies: int = 1  # augmented copies of each clip per epoch
    seed: int = 0
    num_workers: int = 0  # DataLoader worker processes (0: load in the training process)
    # Torch threads; 0 takes every CPU this process may use (taskset / container cpusets),
    # shared among the local ranks under torchrun.
    threads: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # Recognisers with an ``_unknown_`` class: the share of the loss that class carries
    # (its examples weighted to it). None: as many as were drawn. More other words then
    # teach more words to refuse without moving the class prior (README, Many voices:
    # measured in issue 21's trials, not in the shipped recipe).
    unknown_share: float | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "copies"):
            value = getattr(self, name)
            _need(isinstance(value, int) and value >= 1, name, "a whole number >= 1", value)
        for name in ("seed", "num_workers", "threads"):
            value = getattr(self, name)
            _need(isinstance(value, int) and value >= 0, name, "a whole number >= 0", value)
        _need(0 < self.lr <= 1, "lr", "in (0, 1]", self.lr)
        _need(0 < self.warmup < 1, "warmup", "in (0, 1)", self.warmup)
        _need(0 <= self.weight_decay <= 1, "weight_decay", "in [0, 1]", self.weight_decay)
        _need(0 <= self.label_smoothing < 1, "label_smoothing", "in [0, 1)",
              self.label_smoothing)
        _need(self.unknown_share is None or (isinstance(self.unknown_share, (int, float))
                                             and 0 < self.unknown_share < 1), "unknown_share",
              "in (0, 1)", self.unknown_share)
        if isinstance(self.augment, dict):  # from a checkpoint's meta
            object.__setattr__(self, "augment", from_dict(AugmentConfig, self.augment))
        _need(isinstance(self.augment, AugmentConfig), "augment", "an AugmentConfig",
              type(self.augment).__name__)


@dataclass(frozen=True)
class EncoderConfig:
    """The frame encoder of pronunciation scoring (:mod:`space.pronounce.references.frames`). Stored in
    its checkpoint; the defaults are the shipped ``frames.pt``."""

    channels2d: tuple[int, ...] = (16, 32, 48)  # conv3x3 blocks, each halving the mel axis only
    # Temporal convs over (channels x mels) per frame; three with dilations 1, 2, 4 see
    # about +-0.2 s, so a mispronounced span stays local.
    channels1d: tuple[int, ...] = (128, 128, 128)
    kernel1d: int = 5
    dilations: tuple[int, ...] = (1, 2, 4)  # widen the receptive field without more weights
    dim: int = 64  # frame embedding size (what DTW compares)
    n_classes: int = 36  # training targets: words + one 'silence' class (set from the data)
    dropout: float = 0.1

    def __post_init__(self) -> None:
        for name in ("channels2d", "channels1d", "dilations"):
            object.__setattr__(self, name, tuple(int(c) for c in getattr(self, name)))
        if len(self.dilations) != len(self.channels1d):
            raise UsageError("one dilation per temporal conv layer is required")
        if self.dim < 2 or self.n_classes < 2 or self.kernel1d % 2 == 0:
            raise UsageError("dim >= 2, n_classes >= 2 and an odd kernel1d are required")


# How the shipped frame encoder is trained (``space train-frames``): the recogniser's loop
# and augmentation, with more label smoothing (many frames are near-ambiguous) and a
# shorter warm-up.
FRAMES_TRAIN = TrainConfig(label_smoothing=0.1, warmup=0.2)
# The connected-digits frame model (space.training.sequence): an "epoch" is
# SEQUENCE_STEPS_PER_EPOCH batches of freshly built recordings; speed up to 1.25 reaches
# children's voices, a shift of up to 1 s places a sequence anywhere in its 2-4 s window.
SEQUENCE_STEPS_PER_EPOCH = 25
SEQUENCE_TRAIN = TrainConfig(
    epochs=75, batch_size=24, lr=1e-3, label_smoothing=0.05, threads=1,
    augment=AugmentConfig(speed=(0.85, 1.25), p_speed=0.9, time_shift_s=1.0, p_noise=0.8,
                          snr_db=(0.0, 30.0), gain_db=(-12.0, 6.0)))

# How the shipped phone encoder (``models/phones.pt``, ``space train-phones``) is trained:
# 16 epochs of batches of 48 on one thread (about 35 s an epoch on a free core; validation
# phone frame accuracy 0.70 after 6, 0.78 after 16); the recogniser's augmentation with narrower
# SpecAugment masks (a phone lasts a few frames; word-sized masks would hide whole phones)
# and more label smoothing (the aligner's phone boundaries are soft).
PHONES_TRAIN = TrainConfig(
    epochs=16, batch_size=48, warmup=0.15, label_smoothing=0.1, threads=1,
    augment=AugmentConfig(time_masks=2, time_mask_width=4, freq_mask_width=5))


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain-dict form of a config dataclass (tuples become lists), for checkpoints and JSON."""
    return asdict(cfg)


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a config dataclass from :func:`to_dict` output; unknown keys are an error."""
    if not isinstance(data, dict):
        raise UsageError(f"{cls.__name__} must be a mapping, got {type(data).__name__}")
    names = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise UsageError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for k, v in data.items():
        if k == "augment" and isinstance(v, dict):
            v = from_dict(AugmentConfig, v)
        elif isinstance(v, list):
            v = tuple(v)
        kwargs[k] = v
    return cls(**kwargs)
