"""What a recogniser checkpoint records about how it was made: :class:`TrainingMeta`.

Its own module (numpy-free, torch-free) so that a cold start reading a cached graph's
sidecar (:meth:`space.recognize.words.recognizer.Recognizer.from_cache`) reads it the same
way the checkpoint reader does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class TrainingMeta:
    """What a recogniser checkpoint records about how it was made (its ``meta``), typed.

    Stored in the file as a plain dict (:meth:`to_dict`); keys this version does not know
    (written by another version, or by a caller) are kept in ``extra`` and written back.
    """

    task: str | None = None  # Speech Commands task ("12", "35", ...), None for other data
    data: Any = None  # the data set folder(s), relative to the working folder
    layout: str | None = None
    split: str | None = None
    add_learners: str | None = None  # what --add-learners added ("DIR: N clips of M learners")
    add_unknown: str | None = None
    n_train: int | None = None
    n_val: int | None = None
    n_test: int | None = None
    train_config: dict[str, Any] = field(default_factory=dict)  # TrainConfig as a dict
    world_size: int = 1
    history: list[dict[str, Any]] = field(default_factory=list)  # one dict per epoch
    best_epoch: int | None = None
    val_acc: float | None = None
    test_acc: float | None = None
    train_s: float | None = None
    rejection: dict[str, Any] | None = None  # {"min_probability": p, ...}: words.reject
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> TrainingMeta:
        """Read the stored dict (unknown keys go to ``extra``)."""
        d = dict(d or {})
        known = {f.name for f in fields(cls)} - {"extra"}
        meta = cls(**{k: d.pop(k) for k in list(d) if k in known})
        meta.extra = d
        return meta

    def to_dict(self) -> dict[str, Any]:
        """The dict stored in the file: the fields that are set, then ``extra``."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out = {k: v for k, v in out.items() if v is not None and v != [] and v != {}}
        return {**out, **self.extra}

    @property
    def min_probability(self) -> float:
        """The calibrated minimum top probability (0: every answer is accepted)."""
        return float((self.rejection or {}).get("min_probability", 0.0))
