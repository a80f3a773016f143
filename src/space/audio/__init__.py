"""Audio in: the one decoder every path uses, speech bounds and the model window.

:func:`load` reads any file (or bytes) to mono float32; :func:`prepare` finds the speech
and places it in the fixed window a model sees. The log-mel front end
(:mod:`space.audio.features`) is imported on its own: it needs torch.
"""

from .load import (
    MAX_DURATION_S,
    MAX_SR,
    MIN_SR,
    SILENCE_PEAK,
    Source,
    as_array,
    as_mono,
    blocks,
    check,
    is_array,
    load,
    load_input,
    probe,
    resample,
)
from .prepare import (
    NARROW_HZ,
    fit_window,
    is_narrowband,
    load_prepared,
    normalize_peak,
    place_window,
    prepare,
    speech_bounds,
    trim_silence,
)

__all__ = [
    "MAX_DURATION_S",
    "NARROW_HZ",
    "MAX_SR",
    "MIN_SR",
    "SILENCE_PEAK",
    "Source",
    "as_array",
    "as_mono",
    "blocks",
    "check",
    "is_array",
    "is_narrowband",
    "fit_window",
    "load",
    "load_input",
    "load_prepared",
    "normalize_peak",
    "place_window",
    "prepare",
    "probe",
    "resample",
    "speech_bounds",
    "trim_silence",
]
