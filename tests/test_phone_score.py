"""Phone-level scores (space.pronounce.phone_score / phone_result) on espeak-ng words."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from space.errors import AudioError
from space.pronounce import phone_encoder
from space.pronounce.phone_result import attempt_phones, weakest_phone

from .test_phones import needs_sphinx, say

needs_model = pytest.mark.skipif(not phone_encoder.bundled_phone_model_path().is_file(),
                                 reason="the phone model (src/space/models/phones.pt) is missing")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


@needs_model
@needs_espeak
@needs_sphinx
def test_phones_of_a_bundled_word_are_in_order_inside_the_attempt() -> None:
    from space.pronounce.phone_score import score_phones

    y, sr = say("[[s'Ev@n]]")
    r = score_phones(y, sr, "7")
    assert [p.phone for p in r.results] == ["S", "EH", "V", "AH", "N"]
    assert [p.ipa for p in r.results] == ["s", "ɛ", "v", "ə", "n"]  # unstressed AH: schwa
    dur = len(y) / sr
    for a, b in zip(r.results, r.results[1:], strict=False):
        assert a.attempt_start_s < b.attempt_start_s and a.attempt_end_s <= b.attempt_start_s + 1e-6
    assert 0 <= r.results[0].attempt_start_s and r.results[-1].attempt_end_s <= dur + 0.01
    assert all(0 <= p.score <= 100 for p in r.results)
    assert 0 <= r.score <= 100
    # the bundled digit references are 8 kHz recordings, which the user cannot change: not
    # warned on every score (test_narrowband_warning_only_where_the_user_can_act)
    assert not any("narrowband" in w for w in r.warnings)


@needs_model
@needs_espeak
@needs_sphinx
def test_a_replaced_vowel_scores_lower_than_the_word_said_right() -> None:
    from space.pronounce.phone_score import score_phones

    good = score_phones(*say("[[st'A:p]]"), "stop")
    bad = score_phones(*say("[[st'oUp]]"), "stop")  # 'stope'
    assert bad.score < good.score
    assert bad.results[2].score < good.results[2].score


@needs_model
@needs_sphinx
def test_no_speech_is_an_error_not_a_verdict() -> None:
    from space.pronounce.phone_score import score_phones

    with pytest.raises(AudioError, match="audio is silent|no speech found"):
        score_phones(np.zeros(16000, np.float32) + 1e-4, 16000, "7")
    phones, warnings = attempt_phones("7", np.zeros(16000, np.float32) + 1e-4, 16000,
                                      bundled=True)
    assert phones == [] and warnings and "no phone scores" in warnings[0]


@needs_sphinx
def test_unknown_words_are_scored_without_phones_and_say_so() -> None:
    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    phones, warnings = attempt_phones("xqzzyv", y, 16000, bundled=False,
                                      reference_audio=[y], key=("t",))
    assert phones == []
    assert warnings == ["no known pronunciation for 'xqzzyv': scored without phones"]
    phones, warnings = attempt_phones(None, y, 16000, bundled=False, reference_audio=[y])
    assert phones == [] and "no word given" in warnings[0]


def test_weakest_phone_line() -> None:
    ph = [{"ipa": "θ", "score": 3.0, "sounded_like_ipa": "t"},
          {"ipa": "ɹ", "score": 90.0, "sounded_like_ipa": None}]
    assert weakest_phone(ph, "3") == "the /θ/ of 'three' sounded like /t/ (score 3)"
    ph[0]["sounded_like_ipa"] = None
    assert weakest_phone(ph, "three") == "the /θ/ of 'three' was not clear (score 3)"
    # a weak phone above the verdict threshold is not worth a line (most such lines were
    # false alarms on correct speech: benchmarks/phone_verdicts.py)
    ph[0]["score"] = 30.0
    assert weakest_phone(ph, "three") is None
    assert weakest_phone(ph, "three", below=60) == "the /θ/ of 'three' was not clear (score 30)"
    ph[0]["score"] = 80.0
    assert weakest_phone(ph, "three") is None
    assert weakest_phone([], "three") is None


@needs_model
@needs_espeak
@needs_sphinx
def test_score_result_carries_phones_in_json(tmp_path) -> None:
    import soundfile as sf

    import space

    y, sr = say("[[s'Ev@n]]")
    # phones=False: the list is empty and no phone warning is added
    plain = space.score(y, sr=sr, word="7", phones=False).to_dict()
    assert plain["phones"] == [] and not any("narrowband" in w for w in plain["warnings"])
    r = space.score(y, sr=sr, word="7")
    d = r.to_dict()
    assert d["score"] == plain["score"]  # the word score does not change
    assert [p["phone"] for p in d["phones"]] == ["S", "EH", "V", "AH", "N"]
    keys = {"phone", "ipa", "attempt_start_s", "attempt_end_s", "reference_start_s",
            "reference_end_s", "score", "sounded_like"}
    assert all(keys <= set(p) for p in d["phones"])
    assert not any("narrowband" in w for w in d["warnings"])  # bundled 8 kHz: not the user's
    # user references of a word with no known pronunciation: scored, no phones, says so
    paths = []
    for i, v in enumerate(["en-us", "en-us+f2"]):
        yy, s2 = say("[[bl'Ig]]", voice=v)
        sf.write(tmp_path / f"r{i}.wav", yy, s2)
        paths.append(str(tmp_path / f"r{i}.wav"))
    r2 = space.score(say("[[bl'Ig]]", voice="en-us+m3")[0], sr=s2, references=paths,
                     word="blxqig")
    assert r2.phones == []
    assert "no known pronunciation for 'blxqig': scored without phones" in r2.warnings


@needs_model
def test_a_missing_pocketsphinx_is_a_warning_not_an_error(monkeypatch) -> None:
    from space.pronounce import phone_score
    from space.pronounce.phones import PronunciationError

    def no_sphinx(word: str) -> None:
        raise PronunciationError("phone alignment needs the pocketsphinx package "
                                 "(pip install pocketsphinx)")

    monkeypatch.setattr(phone_score, "pronunciation", no_sphinx)
    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    phones, warnings = attempt_phones("seven", y, 16000, bundled=False, reference_audio=[y])
    assert phones == []
    assert warnings == ["phone alignment needs the pocketsphinx package (pip install "
                        "pocketsphinx): scored without phones"]


@needs_model
@needs_sphinx
def test_narrowband_warning_only_where_the_user_can_act(tmp_path) -> None:
    """The bundled digits are 8 kHz FSDD clips: no warning on every digit score (the user
    cannot change them). The user's own 8 kHz references: warned (they can re-record)."""
    from pathlib import Path

    import soundfile as sf

    from space import audio
    from space.pronounce import score

    example = Path(__file__).resolve().parents[1] / "examples" / "7_seven_espeak_male.wav"
    assert not [w for w in score(example, word="7").warnings if "narrowband" in w]
    y, sr = audio.load(example)
    refs = []
    for i, rate in enumerate((8000, 8000)):
        p = tmp_path / f"ref{i}.wav"
        sf.write(p, audio.resample(y * (0.8 + 0.1 * i), sr, rate), rate)
        refs.append(p)
    warned = score(example, word="7", references=refs).warnings
    assert any("the references are narrowband (nothing above 4 kHz)" in w for w in warned)
