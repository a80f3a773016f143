"""Training windows from examples, through the same front end as prediction."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from .. import audio
from ..config import AugmentConfig, FeatureConfig
from ..errors import AudioError, DataError
from .augment import Augmenter
from .readers import Example


class ClipDataset(Dataset):
    """Yields ``(window [n_samples], label index)``.

    Clips are decoded and resampled once and kept in memory at the model rate (FSDD or
    the Speech Commands subset: a few hundred MB at most). Without an augmenter an item
    is exactly what :func:`space.audio.prepare` gives at prediction time.
    """

    def __init__(
        self,
        examples: list[Example],
        labels: list[str],
        cfg: FeatureConfig,
        *,
        augmenter: Augmenter | None = None,
        copies: int = 1,
        seed: int = 0,
    ) -> None:
        if not examples:
            raise DataError("no examples to train or evaluate on")
        index = {lab: i for i, lab in enumerate(labels)}
        unknown = sorted({e.label for e in examples} - set(index))
        if unknown:
            raise DataError(f"labels not in the model's label list: {unknown}")
        self.examples = examples
        self.targets = [index[e.label] for e in examples]
        self.cfg = cfg
        # Without augmentation, the same chain with every stage off: what prediction sees.
        self.augmenter = augmenter or Augmenter(AugmentConfig.none(), cfg.sample_rate)
        self.copies = max(1, copies)
        self.seed = seed
        self.epoch = 0
        self._raw: list[np.ndarray | None] = [None] * len(examples)
        self._bounds: list[tuple[int, int]] = [(0, 0)] * len(examples)

    def __len__(self) -> int:
        return len(self.examples) * self.copies

    def set_epoch(self, epoch: int) -> None:
        """Different augmentation each epoch, yet reproducible from the seed."""
        self.epoch = epoch

    def raw(self, i: int) -> tuple[np.ndarray, tuple[int, int]]:
        """Clip ``i`` at the model rate and its speech bounds (cached)."""
        y = self._raw[i]
        if y is None:
            ex = self.examples[i]
            sr = self.cfg.sample_rate
            if ex.duration_s is not None:
                y, _ = audio.load(ex.path, sr=sr, max_duration_s=None)
                a = int(ex.offset_s * sr)
                y = y[a : a + int(ex.duration_s * sr)]
                bounds = (0, len(y))  # a noise span: no speech to find
            else:
                y, _ = audio.load(ex.path, sr=sr)
                bounds = audio.speech_bounds(y, sr, top_db=self.cfg.trim_top_db)
            self._raw[i], self._bounds[i] = y, bounds
        return self._raw[i], self._bounds[i]  # type: ignore[return-value]

    def item(self, k: int) -> tuple[np.ndarray, int, tuple[int, int]]:
        """Item ``k``: its window [shape=(n_samples,)], label index, and where the speech
        lies in the window (sample indices)."""
        i = k % len(self.examples)
        try:
            y, bounds = self.raw(i)
        except AudioError as e:
            # (evaluation reads its clips through here too: not always a "training" clip)
            raise DataError(f"cannot use clip: {e}") from None
        rng = np.random.default_rng((self.seed, self.epoch, k))
        w, span = self.augmenter.window(y, bounds, self.cfg.n_samples, rng)
        return w, self.targets[i], span

    def __getitem__(self, k: int) -> tuple[torch.Tensor, int]:
        w, target, _ = self.item(k)
        return torch.from_numpy(w), target
