"""The map from the anchor score to the experts' scale (space.pronounce.calibrate)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from space.errors import UsageError
from space.pronounce import calibrate
from space.pronounce.calibrate import EXPERTS_MAP, ExpertsMap, experts_map, to_experts

from .test_phones import needs_espeak, say


def test_shipped_map_is_strictly_increasing_and_says_where_it_came_from() -> None:
    d = json.loads(EXPERTS_MAP.read_text())
    assert d["method"] == "logistic"
    assert "speechocean762" in d["data"] and d["date"] and "calibrate_experts" in d["fit"]
    s = np.linspace(0, 100, 1001)
    m = experts_map()(s)
    assert np.all(np.diff(m) > 0)  # strictly: no two scores become a tie
    assert np.all((m >= 0) & (m <= 100))
    # a reference-like attempt stays excellent; a typical different word stays poor
    assert to_experts(100.0) >= 95 and calibrate.band(to_experts(0.0)) == "poor"
    # the learners said right get about 'excellent' after the map (52 before it)
    assert to_experts(52.0) >= 75


def test_map_is_read_once(monkeypatch) -> None:
    experts_map.cache_clear()
    reads = []
    real = type(EXPERTS_MAP).read_text

    def counting(self, *a, **k):  # noqa: ANN001, ANN202
        reads.append(self)
        return real(self, *a, **k)

    monkeypatch.setattr(type(EXPERTS_MAP), "read_text", counting)
    for x in (0.0, 50.0, 100.0):
        to_experts(x)
    assert experts_map() is experts_map()
    assert reads == [EXPERTS_MAP]
    experts_map.cache_clear()


def test_bad_maps_are_refused() -> None:
    with pytest.raises(UsageError, match="needs a > 0"):
        ExpertsMap(-0.1, 10.0, 0.0)
    with pytest.raises(UsageError, match="unknown experts' map method 'isotonic'"):
        ExpertsMap.from_dict({"method": "isotonic"})
    with pytest.raises(UsageError, match="bad experts' map record"):
        ExpertsMap.from_dict({"method": "logistic", "a": 0.1})
    m = ExpertsMap.from_dict({"method": "logistic", "a": 0.05, "b": 10, "c": 0.1, "date": "x"})
    assert m.to_dict()["date"] == "x" and m(10.0) == pytest.approx(55.0)


@needs_espeak
def test_score_is_on_the_experts_scale_and_keeps_right_above_wrong() -> None:
    import space

    y, sr = say("[[st'A:p]]")
    good = space.score(y, sr=sr, word="stop")
    y, sr = say("[[st'oUp]]")  # 'stope'
    bad = space.score(y, sr=sr, word="stop")
    for r in (good, bad):
        assert r.score == pytest.approx(to_experts(r.calibration.score(r.distance)))
    assert good.score > bad.score
    assert good.band == "excellent"
