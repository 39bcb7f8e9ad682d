from __future__ import annotations

import math

import pytest

from tools.campaigns import Group, compare


def test_lift_and_interval_match_a_hand_computed_example() -> None:
    # 60 of 400 treated converted (15 %), 5 of 100 held out (5 %): lift 0.10.
    # se = sqrt(0.15*0.85/400 + 0.05*0.95/100) = sqrt(0.00031875 + 0.000475) = 0.0281736
    # 95 %: z = 1.959964, margin = 0.0552193 -> (0.0447807, 0.1552193)
    result = compare(Group(60, 400), Group(5, 100))
    assert result.lift == pytest.approx(0.10)
    assert result.relative_lift == pytest.approx(2.0)
    assert result.interval is not None
    assert result.interval[0] == pytest.approx(0.0447807, abs=1e-6)
    assert result.interval[1] == pytest.approx(0.1552193, abs=1e-6)
    assert result.conclusive
    assert "helped" in result.verdict


def test_an_interval_that_includes_zero_says_no_clear_effect() -> None:
    # 40/400 vs 5/100: se = sqrt(0.000225 + 0.000475) = 0.0264575, margin 0.0518564
    result = compare(Group(40, 400), Group(5, 100))
    assert result.interval is not None
    assert result.interval[0] == pytest.approx(0.05 - 0.0518564, abs=1e-6)
    assert "no clear effect" in result.verdict
    assert result.conclusive


def test_small_groups_are_reported_as_too_small_to_conclude() -> None:
    result = compare(Group(3, 20), Group(1, 10))
    assert not result.conclusive
    assert result.verdict.startswith("too small to conclude anything")
    assert "20 members" in result.verdict


def test_few_conversions_are_too_small_even_in_big_groups() -> None:
    result = compare(Group(2, 500), Group(0, 500))
    assert not result.conclusive
    assert "2 conversions" in result.verdict


def test_an_empty_group_has_no_lift() -> None:
    result = compare(Group(3, 20), Group(0, 0))
    assert result.lift is None
    assert result.interval is None
    assert "holdout group is empty" in result.verdict


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    narrow = compare(Group(60, 400), Group(5, 100), confidence=0.9).interval
    wide = compare(Group(60, 400), Group(5, 100), confidence=0.99).interval
    assert narrow is not None
    assert wide is not None
    assert wide[1] - wide[0] > narrow[1] - narrow[0]
    assert math.isclose((wide[0] + wide[1]) / 2, 0.10)


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="converted must be between 0 and size"):
        Group(5, 3)
