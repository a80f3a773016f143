"""Frame features for DTW of reference clips: the log-mel front end, then the frame encoder.

Spectrogram DTW compares speakers as much as words (a male reference against a female
learner). The frame encoder is a small CNN trained on many speakers (Speech Commands words
and FSDD digits) to tell, frame by frame, which word a frame belongs to; its penultimate
layer is a frame embedding in which the same sound by different speakers lands close.
It pools along frequency only, so it keeps the front end's 10 ms frames, and its receptive
field (about +-0.2 s) is short enough that a mispronounced span stays local.

Every path (building and checking reference sets, the benchmarks) gets its frames from
:class:`Featurizer`, which calls the package's one front end (:class:`space.audio.features.LogMel`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ... import audio
from ...audio.features import LogMel
from ...audio.speech import true_runs
from ...config import FeatureConfig
from ...errors import NoSpeechError, UsageError

# The network and its checkpoint live below both of their users (here and the connected-words
# model), in space.recognize.frame_model.
from ...recognize.frame_model import (
    DEFAULT_FEATURES,
    SILENCE,
    EncoderCheckpoint,
    FrameEncoder,
    bundled_encoder_path,
    load_encoder,
)
from ..evidence.quality import estimate_snr

# Silence kept on each side of the detected speech: enough for a soft onset or a final
# stop burst that the energy threshold cuts, short enough that pauses do not dominate.
MARGIN_S = 0.06
# Audio around the energy-found speech of a long recording that the encoder also sees.
CONTEXT_S = 0.3
MIN_SPEECH_FRAMES = 4  # a shorter run of 'speech' frames is a click or a breath
# Share of the frame distance from the log-mels themselves (next to the encoder's
# posteriors): the posteriors hardly change with noise or a garbled sound as long as the
# word stays recognisable; the spectrum does.
MEL_WEIGHT = 0.3
MEL_COEFFS = 12  # ... as this many cepstral coefficients of the centred log-mels (0: all bands)


class FrameNet(nn.Module):
    """Front end + frame encoder as one network, what :class:`Featurizer` runs (on ONNX
    Runtime or PyTorch, see :mod:`space.recognize.engines.runtime`): wave ``[shape=(1, n)]`` -> log-mels
    ``[shape=(1, n_mels, t)]``, per-frame class posteriors ``[shape=(1, n_classes, t)]``
    and embeddings ``[shape=(1, dim, t)]``. Without an encoder, the log-mels alone."""

    def __init__(self, frontend: LogMel, encoder: FrameEncoder | None) -> None:
        super().__init__()
        self.frontend = frontend
        self.encoder = encoder

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = self.frontend(wave)
        if self.encoder is None:
            return (feats,)
        emb, logits = self.encoder(feats)
        return feats, torch.softmax(logits, dim=1), emb


@dataclass
class Utterance:
    """One clip ready for DTW.

    Attributes
    ----------
    frames : np.ndarray [shape=(n, d)]
        Feature frames of the speech (plus a short margin), rows unit-length.
    spec : np.ndarray [shape=(n_mels, n)]
        The log-mel frames of the same span (for pictures).
    audio : np.ndarray [shape=(samples,)]
        The clip at the model rate, as loaded (for playback).
    offset_s : float
        Time in ``audio`` of the first frame's centre.
    hop_s : float
        Time between frames.
    """

    frames: np.ndarray
    spec: np.ndarray
    audio: np.ndarray
    offset_s: float
    hop_s: float
    name: str = "<audio>"
    speech_s: float = 0.0
    snr_db: float = float("inf")  # estimated signal-to-noise ratio (see estimate_snr)

    def time(self, frame: Any) -> Any:
        """Seconds into :attr:`audio` of a frame index (its centre); a float, or an array
        [shape=(n,)] for an array of indices."""
        return self.offset_s + frame * self.hop_s


class Featurizer:
    """Audio -> :class:`Utterance`: one path for references, attempts and benchmarks.

    With a frame encoder, the encoder also finds the speech: its 'silence' output was
    trained on noisy audio, so a word is cut the same way in a quiet room and in noise
    (an energy threshold keeps the whole clip once noise is within 40 dB of the peak).
    ``output`` picks the frame features DTW compares: ``"posterior"`` (square roots of the
    per-frame word posteriors, unit length, so cosine distance is one minus the
    Bhattacharyya coefficient) or ``"embedding"`` (the layer below).
    ``encoder=None`` gives the baseline: normalised log-mels, speech found by energy.
    """

    def __init__(self, encoder: EncoderCheckpoint | None = None,
                 feature_cfg: FeatureConfig | None = None, *, output: str = "posterior",
                 mel_weight: float | None = None, mel_center: bool = True,
                 mel_coeffs: int | None = None, engine: str | None = None) -> None:
        if output not in ("posterior", "embedding"):
            raise UsageError(f"output must be 'posterior' or 'embedding', not {output!r}")
        if mel_weight is None:
            mel_weight = MEL_WEIGHT if encoder is not None else 0.0
        if not 0.0 <= mel_weight < 1.0:
            raise UsageError(f"mel_weight must be in [0, 1), not {mel_weight}")
        self.mel_weight = float(mel_weight) if encoder is not None else 0.0
        self.mel_center = mel_center
        self.mel_coeffs = int(MEL_COEFFS if mel_coeffs is None else mel_coeffs)
        self.encoder = encoder
        self.cfg = encoder.feature_cfg if encoder is not None else (feature_cfg or DEFAULT_FEATURES)
        self.frontend = LogMel(self.cfg).eval()
        self._engine_choice = engine
        self._engine: Any = None  # built on first use (see the engine property)
        self._engine_lock = threading.Lock()
        self.output = output
        self.name = f"encoder {output}" if encoder is not None else "log-mel"
        self.silence = None
        if encoder is not None and SILENCE in encoder.labels:
            self.silence = encoder.labels.index(SILENCE)
        # Names the frame features in stored calibrations: anchors measured with other
        # features are recomputed, never reused.
        self.id = (f"frames-{encoder.sha1[:12]}-{output}" if encoder is not None else
                   f"log-mel-{self.cfg.fmax:g}")
        if self.mel_weight > 0:
            self.id += (f"+mel{self.mel_weight:g}{'c' if mel_center else ''}"
                        f"{self.mel_coeffs or ''}")

    @classmethod
    def bundled(cls) -> Featurizer:
        """The shipped frame encoder, or the log-mel baseline when it is not installed."""
        path = bundled_encoder_path()
        return cls(load_encoder(path)) if path.is_file() else cls()

    def window(self, y: np.ndarray, sr: int, *, name: str = "<audio>") -> tuple[
            np.ndarray, np.ndarray, int, int, int]:
        """Model rate, speech found by energy, padded to at least the training window.

        Returns ``(y, window, left, s0, s1)``: ``y`` at the model rate; the window, ``y``'s
        speech centred in it and peak-normalised; ``left``, the window's first sample in
        ``y``'s time (negative when it starts with padding); ``s0:s1``, the speech plus
        margin inside the window by energy.
        """
        cfg = self.cfg
        y = audio.resample(np.asarray(y, dtype=np.float32), sr, cfg.sample_rate, name=name)
        audio.check(y, cfg.sample_rate, name=name)
        start, end = audio.speech_bounds(y, cfg.sample_rate, top_db=cfg.trim_top_db)
        margin = int(MARGIN_S * cfg.sample_rate)
        start, end = max(0, start - margin), min(len(y), end + margin)
        if self.encoder is not None:
            # The encoder decides where the speech is: give it the whole clip, or a
            # generous span around the energy bounds of a long one.
            ctx = int(CONTEXT_S * cfg.sample_rate)
            lo, hi = (0, len(y)) if len(y) <= cfg.n_samples + 2 * ctx else (
                max(0, start - ctx), min(len(y), end + ctx))
        else:
            lo, hi = start, end
        # At least the training window, more for a long recording (then centred, never cut)
        w, left = audio.place_window(y, lo, hi, max(cfg.n_samples, hi - lo))
        return y, audio.normalize_peak(w), left, start - left, end - left

    @property
    def engine(self) -> Any:
        """The engine that runs :class:`FrameNet` (:mod:`space.recognize.engines.runtime`),
        built on first use:
        ONNX Runtime unless ``engine``/``$SPACE_ENGINE`` says torch or it is not installed.
        The ONNX file is cached beside the encoder checkpoint, keyed by the checkpoint's
        hash and the front end's mel filterbank (which the encoder file does not hold)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    self._engine = self._build_engine()
        return self._engine

    def _build_engine(self) -> Any:
        from ...recognize.engines.runtime import build, module_hash

        net = FrameNet(self.frontend, self.encoder.encoder if self.encoder else None).eval()
        enc = self.encoder
        if enc is not None and enc.sha1:
            key = f"{enc.sha1}|{module_hash(self.frontend)}"
        else:
            key = module_hash(net)
        names = ["feats", "posteriors", "embeddings"] if enc is not None else ["feats"]
        axes = {"input": {1: "samples"}, **{n: {2: "frames"} for n in names}}
        near = Path(enc.path) if enc is not None and enc.path else None
        return build(net, torch.zeros(1, self.cfg.n_samples), kind="frames", key=key,
                     near=near, output_names=names, dynamic_axes=axes,
                     engine=self._engine_choice)

    def __call__(self, y: np.ndarray, sr: int, *, name: str = "<audio>") -> Utterance:
        """Mono audio ``[shape=(n,)]`` at ``sr`` Hz -> :class:`Utterance`.

        Raises :class:`AudioError` when the encoder finds no speech (silence, noise).
        """
        from .dtw import frames as unit_frames

        y, w, left, s0, s1 = self.window(y, sr, name=name)
        outs = self.engine.run(w[None])
        feats = outs[0][0]  # [n_mels, t]
        hop = self.cfg.hop_length
        n_frames = feats.shape[1]
        if self.encoder is not None:
            post, emb = outs[1][0], outs[2][0]  # [n_classes, t], [dim, t]
            if self.silence is not None:
                f0, f1 = _speech_frames(post[self.silence], name)
                m = int(round(MARGIN_S * self.cfg.sample_rate / hop))
                f0, f1 = max(0, f0 - m), min(n_frames, f1 + m)
            else:
                f0, f1 = s0 // hop, -(-s1 // hop) + 1
            out = np.sqrt(post) if self.output == "posterior" else emb
        else:
            # Frame k is centred on window sample k * hop (the STFT is centred).
            f0, f1 = s0 // hop, -(-s1 // hop) + 1
            out = feats
        f1 = max(f0 + 2, min(n_frames, f1))
        sr_m = self.cfg.sample_rate
        x = unit_frames(out[:, f0:f1])
        spec = np.ascontiguousarray(feats[:, f0:f1])
        if self.mel_weight > 0:
            x = _blend(x, spec, self.mel_weight, self.mel_center, self.mel_coeffs)
        return Utterance(x, spec, y,
                         (left + f0 * hop) / sr_m, hop / sr_m, name=name,
                         speech_s=(f1 - f0) * hop / sr_m, snr_db=estimate_snr(y, sr_m))


def _blend(x: np.ndarray, mel: np.ndarray, w: float, center: bool,
           coeffs: int = 0) -> np.ndarray:
    """Unit frames ``x`` and log-mels ``[shape=(n_mels, n)]`` -> unit frames whose cosine
    distance is ``(1 - w)`` x's plus ``w`` the (speech-centred) log-mels' cosine distance;
    with ``coeffs``, of their first ``coeffs`` cepstral (DCT) coefficients: the spectral
    envelope, in fewer dimensions (cheaper DTW)."""
    from .dtw import frames as unit_frames

    if center:
        mel = mel - mel.mean(axis=1, keepdims=True)
    if coeffs:
        from ...audio.mel import dct_matrix

        # the DCT as a small matrix product: importing scipy.fft costs 0.7 s of start-up
        mel = (dct_matrix(mel.shape[0], coeffs) @ mel).astype(mel.dtype, copy=False)
    m = unit_frames(mel)
    return np.ascontiguousarray(np.concatenate([np.sqrt(1 - w) * x, np.sqrt(w) * m], axis=1),
                                dtype=np.float32)


def _speech_frames(p_silence: np.ndarray, name: str) -> tuple[int, int]:
    """First and one-past-last frame of the speech: frames the encoder thinks are more
    likely speech than silence, ignoring runs shorter than :data:`MIN_SPEECH_FRAMES`."""
    speech = p_silence < 0.5
    runs = [(a, b) for a, b in true_runs(speech) if b - a >= MIN_SPEECH_FRAMES]
    if not runs:
        raise NoSpeechError(f"{name}: no speech found (silence or noise only)")
    return int(runs[0][0]), int(runs[-1][1])


_default_lock = threading.Lock()
_default: Featurizer | None = None


def default_featurizer() -> Featurizer:
    """The process-wide featurizer (the bundled frame encoder, loaded once, thread-safe)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Featurizer.bundled()
        return _default
