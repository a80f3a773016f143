"""What the numbers were measured on: CPU model, cores, load average, library versions.

Speed tables print :func:`describe` beside their numbers: this machine is shared, and a
median means little without the load it was taken under (ratios between engines measured
side by side in one run mean more).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def describe() -> str:
    """One markdown line: CPU, cores usable by this process, load (1/5/15 min), versions."""
    import torch

    try:
        import onnxruntime as ort

        ort_v = ort.__version__
    except ImportError:
        ort_v = "not installed"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"CPU: {cpu_model()}, {cores} cores; load average (1/5/15 min): {load_average()}; "
            f"Python {platform.python_version()}, torch {torch.__version__}, "
            f"onnxruntime {ort_v}")
