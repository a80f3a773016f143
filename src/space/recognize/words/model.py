"""The CNN, built from a :class:`~space.config.ModelConfig` and nothing else.

A :class:`SpaceModel` takes waveforms and includes its log-mel front end, so exported
models and every caller feed it the same way: ``logits = model(wave)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ...audio.features import LogMel
from ...config import FeatureConfig, ModelConfig


class ConvBlock(nn.Sequential):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )


class CNN(nn.Module):
    """Conv blocks (conv3x3-BN-ReLU-maxpool) then global average+max pooling and a linear head.

    Global pooling makes the classifier indifferent to where in the window the word sits
    and keeps the parameter count small (no flatten-to-dense layer).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        chans = (1, *cfg.channels)
        self.blocks = nn.ModuleList(ConvBlock(a, b) for a, b in zip(chans[:-1], chans[1:]))
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(2 * chans[-1], cfg.n_classes)

    def embed(self, feats: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        """[shape=(b, n_mels, frames)] -> activations after block ``upto`` (default: last),
        [shape=(b, channels, mels', frames')]."""
        x = feats[:, None]
        for i, block in enumerate(self.blocks):
            if upto is not None and i >= upto:
                break
            x = block(x)
        return x

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.embed(feats)
        x = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.head(self.dropout(x))


class SpaceModel(nn.Module):
    """Front end + CNN: ``forward(wave [b, n_samples]) -> logits [b, n_classes]``."""

    def __init__(
        self, feature_cfg: FeatureConfig, model_cfg: ModelConfig, *, frontend: LogMel | None = None
    ) -> None:
        super().__init__()
        self.feature_cfg = feature_cfg
        self.model_cfg = model_cfg
        self.frontend = frontend if frontend is not None else LogMel(feature_cfg)
        self.cnn = CNN(model_cfg)

    def forward(
        self,
        wave: torch.Tensor,
        feature_hook: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """``feature_hook`` edits the log-mels before the CNN (training's SpecAugment)."""
        feats = self.frontend(wave)
        if feature_hook is not None:
            feats = feature_hook(feats)
        return self.cnn(feats)

