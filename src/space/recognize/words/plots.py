"""Report figures. Each takes ``ax=None`` and returns the figure; none touches pyplot, so
they can be drawn from several threads (see :func:`space.io.new_figure`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...io import new_figure


def confusion_matrix(cm: np.ndarray, labels: list[str], *, title: str = "", ax: Any = None) -> Any:
    """Confusion matrix heat map, rows true and columns predicted, counts in the cells."""
    if ax is None:
        size = max(4.0, 0.45 * len(labels) + 2)
        fig = new_figure((size, size * 0.9))
        ax = fig.add_subplot()
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
