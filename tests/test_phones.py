"""Phones: dictionary, ARPAbet/IPA, forced alignment (PocketSphinx) and the Viterbi
aligner of the phone encoder, on espeak-ng words."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest

from space.audio import is_narrowband
from space.errors import AudioError, SpaceError
from space.pronounce.lexicon import phones as ph
from space.pronounce.lexicon import pocketsphinx as ps

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt install espeak-ng)")
needs_sphinx = pytest.mark.skipif(
    __import__("importlib").util.find_spec("pocketsphinx") is None,
    reason="pocketsphinx is not installed")


def say(phonemes: str, voice: str = "en-us") -> tuple[np.ndarray, int]:
    import soundfile as sf

    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "--stdout", phonemes],
                         capture_output=True, check=True).stdout
    y, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return y, sr


def test_ipa_table_round_trips_all_39_phones() -> None:
    assert len(ph.ARPABET_IPA) == 39
    assert len(set(ph.ARPABET_IPA.values())) == 39  # one IPA symbol per phone: reads both ways
    assert ph.to_ipa("th") == "θ" and ph.to_ipa("IY1") == "i"
    with pytest.raises(ph.PronunciationError, match="'QQ' is not an ARPAbet phone"):
        ph.to_ipa("QQ")
    assert issubclass(ph.PronunciationError, SpaceError)


def test_unstressed_ah_is_a_schwa() -> None:
    """'seven' is /sɛvən/, not /sɛvʌn/; the AH of a one-vowel word is stressed: /wʌn/."""
    assert ph.word_ipa(["S", "EH", "V", "AH", "N"]) == ["s", "ɛ", "v", "ə", "n"]
    assert ph.word_ipa(["W", "AH", "N"]) == ["w", "ʌ", "n"]
    assert ph.to_ipa("AH0") == "ə" and ph.to_ipa("AH1") == "ʌ"
    assert ph.word_ipa(["AH0", "B", "AH1", "V"]) == ["ə", "b", "ʌ", "v"]  # stress digits kept


@needs_sphinx
def test_dictionary_and_digit_folders() -> None:
    assert ph.pronunciation("three") == ["TH", "R", "IY"]
    assert ph.pronunciation("7") == ["S", "EH", "V", "AH", "N"]
    assert ph.pronunciation("Left") == ["L", "EH", "F", "T"]
    assert ph.pronunciation("xqzzyv") is None
    with pytest.raises(ph.PronunciationError, match="no known pronunciation for 'xqzzyv'"):
        ps.align(np.zeros(16000, np.float32), 16000, "xqzzyv")
    with pytest.raises(ph.PronunciationError, match="not ARPAbet phones"):
        ph.check_phones(["T", "XX"])


@needs_espeak
@needs_sphinx
def test_align_espeak_word_gives_ordered_phone_spans_inside_the_speech() -> None:
    from space import audio

    y, sr = say("[[s'Ev@n]]")
    y = np.r_[np.zeros(sr // 2, np.float32), y]  # half a second of silence first
    spans = ps.align(y, sr, "seven")
    assert [s.phone for s in spans] == ["S", "EH", "V", "AH", "N"]
    a, b = audio.speech_bounds(y, sr)
    assert spans[0].start_s >= a / sr - 0.06 and spans[-1].end_s <= b / sr + 0.06
    assert all(s.end_s > s.start_s for s in spans)
    assert all(x.end_s <= y_.start_s + 1e-9 for x, y_ in zip(spans, spans[1:], strict=False))
    # the fricative /s/ is first and lasts a plausible 40-250 ms
    assert 0.04 <= spans[0].end_s - spans[0].start_s <= 0.25
    # a mispronunciation is aligned with its own phones
    y2, sr2 = say("[[s'Eb@n]]")
    assert [s.phone for s in ps.align(y2, sr2, phones=["S", "EH", "B", "AH", "N"])][2] == "B"


def test_align_rejects_empty_audio() -> None:
    with pytest.raises(AudioError, match="empty audio"):
        ps.align(np.zeros(0, np.float32), 16000, phones=["T"])


def test_narrowband_detection() -> None:
    rng = np.random.default_rng(0)
    wide = rng.standard_normal(16000).astype(np.float32)
    assert not is_narrowband(wide, 16000)
    assert is_narrowband(wide[:8000], 8000)
    import soxr

    up = soxr.resample(soxr.resample(wide, 16000, 8000), 8000, 16000)
    assert is_narrowband(up, 16000)
