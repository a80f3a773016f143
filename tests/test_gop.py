"""GOP from PocketSphinx's acoustic model (space.pronounce.gop) on espeak-ng words."""

from __future__ import annotations

import numpy as np
import pytest

from space.errors import AudioError
from space.pronounce import gop
from space.pronounce.phones import PronunciationError

from .test_phones import needs_espeak, needs_sphinx, say


def test_phone_score_is_50_at_the_anchor_and_rises_with_gop() -> None:
    assert gop.phone_score(gop.GOP50) == pytest.approx(50.0)
    s = gop.phone_score(np.linspace(-150, 50, 41))
    assert np.all(np.diff(s) > 0) and s[0] < 1 and s[-1] > 99


@needs_espeak
@needs_sphinx
def test_phones_in_order_inside_the_clip_with_finite_gop() -> None:
    y, sr = say("[[s'Ev@n]]")
    r = gop.goodness(y, sr, "7")
    assert [p.phone for p in r.phones] == ["S", "EH", "V", "AH", "N"]
    dur = len(y) / sr
    for a, b in zip(r.phones, r.phones[1:], strict=False):
        assert a.start_s <= a.end_s <= b.start_s + 1e-6
    assert 0 <= r.phones[0].start_s and r.phones[-1].end_s <= dur + 1e-6
    assert all(np.isfinite(p.gop) and 0 <= p.score <= 100 for p in r.phones)
    assert r.score == pytest.approx(np.mean([p.score for p in r.phones]))
    assert r.score > 80  # a clear synthetic 'seven' is said right
    assert r.lowest == int(np.argmin([p.score for p in r.phones]))


@needs_espeak
@needs_sphinx
def test_another_word_forced_onto_the_audio_scores_far_lower() -> None:
    y, sr = say("[[j'Es]]")
    right = gop.goodness(y, sr, "yes").score
    wrong = gop.goodness(y, sr, "three")  # 'three' forced onto 'yes'
    assert wrong.score < right - 30
    assert min(p.score for p in wrong.phones) < 5


@needs_sphinx
def test_bad_input_is_an_error_not_a_verdict() -> None:
    with pytest.raises(PronunciationError, match="no known pronunciation for 'blorptastic'"):
        gop.goodness(np.zeros(1600, np.float32), 16000, "blorptastic")
    with pytest.raises(AudioError, match="empty audio"):
        gop.goodness(np.zeros(0, np.float32), 16000, "yes")
    with pytest.raises(PronunciationError, match="not ARPAbet phones"):
        gop.goodness(np.zeros(1600, np.float32), 16000, phones=["QQ"])
