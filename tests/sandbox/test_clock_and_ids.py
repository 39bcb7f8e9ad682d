"""The clock, durations and derived ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tools.sandbox import FrozenClock, SystemClock
from tools.sandbox.clock import add_months, format_ts, parse_duration, parse_ts
from tools.sandbox.ids import Kind, derived_id, is_guid, parse_derived


@pytest.mark.parametrize(
    ("text", "months", "seconds"),
    [
        ("P1D", 0, 86400),
        ("PT2H", 0, 7200),
        ("P0Y0M1DT0H0M0S", 0, 86400),
        ("P1M", 1, 0),
        ("P1Y2M3W", 14, 21 * 86400),
        ("PT0.5S", 0, 0.5),
        ("-P1D", 0, -86400),
    ],
)
def test_iso_durations_parse(text: str, months: int, seconds: float) -> None:
    duration = parse_duration(text)
    assert (duration.months, duration.seconds) == (months, seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "1D", "P1H", "P1DT", "P-1D"])
def test_malformed_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(text)


def test_month_arithmetic_clamps_the_day() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 2) == datetime(2027, 2, 15, tzinfo=UTC)


def test_a_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(parse_duration("P1M"))
    assert clock.now() == datetime(2026, 2, 1, tzinfo=UTC)
    clock.set(datetime(2020, 5, 5))
    assert clock.now() == datetime(2020, 5, 5, tzinfo=UTC)


def test_a_system_clock_is_real_time_plus_an_offset() -> None:
    clock = SystemClock()
    clock.set(datetime.now(UTC) + timedelta(days=10))
    assert timedelta(days=10) - timedelta(seconds=5) < clock.offset < timedelta(days=10, seconds=5)
    clock.advance(parse_duration("P1D"))
    assert timedelta(days=11) - timedelta(seconds=5) < clock.offset < timedelta(days=11, seconds=5)


def test_instants_round_trip_in_the_canonical_form() -> None:
    assert format_ts(parse_ts("2023-03-22T12:12:00Z")) == "2023-03-22T12:12:00Z"
    assert format_ts(parse_ts("2023-03-22T13:12:00+01:00")) == "2023-03-22T12:12:00Z"
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_ts("yesterday")


def test_derived_ids_are_guids_that_invert_only_for_their_seed() -> None:
    for n in (0, 1, 12345, 2**40):
        text = derived_id(77, Kind.ORDER_ITEM, n)
        assert is_guid(text)
        assert text[14] == "4"
        assert parse_derived(77, text) == (Kind.ORDER_ITEM, n)
        assert parse_derived(78, text) is None
    assert derived_id(77, Kind.BILL, 5) != derived_id(77, Kind.PAYMENT, 5)
    assert parse_derived(77, "0f515589-99b4-423d-b83a-b237009f0509") is None
