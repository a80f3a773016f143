"""Figures. Each takes ``ax=None``, returns the figure and never calls ``plt.show()``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix(cm: np.ndarray, labels: list[str], *, title: str = "", ax: Any = None) -> Any:
    """Confusion matrix heat map, rows true and columns predicted, counts in the cells."""
    plt = _plt()
    if ax is None:
        size = max(4.0, 0.45 * len(labels) + 2)
        fig, ax = plt.subplots(figsize=(size, size * 0.9))
    else:
        fig = ax.figure
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    hi = cm.max() if cm.size else 0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > hi / 2 else "black")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def save(fig: Any, path: str | Path, *, dpi: int = 110) -> Path:
    """Save a figure as PNG atomically and close it."""
    from .checkpoint import atomic_write

    plt = _plt()
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
    finally:
        plt.close(fig)
