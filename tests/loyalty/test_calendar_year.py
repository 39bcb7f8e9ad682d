"""Calendar-year qualification: nights count toward the calendar year of their departure (in the
qualification zone) and a tier reached in a year is kept through the next one.

The clock is injected (`as_of`), so the year boundaries here are fixed instants, not today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.loyalty.builders import member, membership, shipped_program, stay
from tools.loyalty import MemberFacts, ProgramConfig, tier_progress
from tools.loyalty.errors import ProgramConfigError
from tools.loyalty.facts import StayFacts
from tools.loyalty.tiers import evaluate_tiers, qualified_until

NEW_YORK = ZoneInfo("America/New_York")


def calendar_program(grace_days: int = 0, extra: str = "") -> ProgramConfig:
    return shipped_program(
        ('period = "rolling"', f'period = "calendar_year"{extra}'),
        ("downgrade_grace_days = 90", f"downgrade_grace_days = {grace_days}"),
    )


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def holding(tier: str, *stays: StayFacts) -> MemberFacts:
    return member(*stays, memberships=(membership(tier_code=tier),))


def test_the_year_so_far_counts_and_a_new_year_starts_from_zero() -> None:
    program = calendar_program()
    guest = holding("S1", stay(departure=at(2025, 12, 30), nights=12))
    on_new_years_eve = tier_progress(program, guest, as_of=at(2025, 12, 31))
    on_new_years_day = tier_progress(program, guest, as_of=at(2026, 1, 1))
    assert (on_new_years_eve.value, on_new_years_eve.inputs["previous_year_value"]) == (12, 0)
    assert (on_new_years_day.value, on_new_years_day.inputs["previous_year_value"]) == (0, 12)
    assert on_new_years_day.period_label == "2026 so far"
    # Silver reached in 2025 holds through 2026: nothing due on 1 January.
    assert on_new_years_day.qualified_tier == "S1"
    assert not on_new_years_day.downgrade_due
    assert "0 nights in 2026 so far, 12 in 2025" in on_new_years_day.reasoning


def test_a_tier_reached_in_a_year_is_kept_through_the_whole_next_year() -> None:
    program = calendar_program()
    guest = holding("G1", stay(departure=at(2025, 3, 1), nights=26))
    last_day = tier_progress(program, guest, as_of=at(2026, 12, 31, 23))
    after = tier_progress(program, guest, as_of=at(2027, 1, 1, 1))
    assert not last_day.downgrade_due
    assert (after.downgrade_due, after.downgrade_to) == (True, "S1")  # soft landing
    assert "ran out on 1 Jan 2027" in after.reasoning  # a date as people read it


def test_the_shipped_rolling_window_drops_the_same_member_mid_year(pc01: ProgramConfig) -> None:
    guest = holding("G1", stay(departure=at(2025, 3, 1), nights=26))
    # rolling: ran out on 1 March 2026, 90 days' grace to 30 May
    assert tier_progress(pc01, guest, as_of=at(2026, 6, 1)).downgrade_due
    assert not tier_progress(calendar_program(90), guest, as_of=at(2026, 6, 1)).downgrade_due


def test_grace_runs_from_the_first_of_january_after_the_year_of_status() -> None:
    program = calendar_program(grace_days=59)
    guest = holding("S1", stay(departure=at(2024, 7, 1), nights=10))
    progress = tier_progress(program, guest, as_of=at(2026, 2, 1))
    assert progress.grace_until == date(2026, 1, 1) + timedelta(days=59)
    assert not progress.downgrade_due
    assert tier_progress(program, guest, as_of=at(2026, 3, 1)).downgrade_due


def test_an_upgrade_is_due_as_soon_as_the_year_reaches_the_threshold() -> None:
    program = calendar_program()
    guest = holding("B1", stay(departure=at(2026, 1, 5), nights=4), stay(departure=at(2026, 2, 9)))
    assert tier_progress(program, guest, as_of=at(2026, 2, 8)).qualified_tier == "B1"
    more = holding("B1", stay(departure=at(2026, 1, 5), nights=8), stay(departure=at(2026, 2, 9)))
    evaluation = evaluate_tiers(program, [more], as_of=at(2026, 2, 10))
    assert [(c.direction, c.to_tier) for c in evaluation.changes] == [("upgrade", "S1")]


def test_the_year_turns_at_midnight_in_the_hotels_time_zone() -> None:
    program = calendar_program()
    # 02:00 UTC on 1 January is 21:00 on New Year's Eve in New York: a 2025 night there.
    late = stay(departure=datetime(2026, 1, 1, 2, tzinfo=UTC), nights=10)
    guest = holding("S1", late)
    still_2025 = datetime(2026, 1, 1, 3, tzinfo=UTC)
    in_new_york = tier_progress(program, guest, as_of=still_2025, zone=NEW_YORK)
    in_utc = tier_progress(program, guest, as_of=still_2025, zone=UTC)
    assert (in_new_york.value, in_new_york.period_label) == (10, "2025 so far")
    assert (in_utc.value, in_utc.inputs["previous_year_value"]) == (10, 0)
    assert in_utc.period_label == "2026 so far"
    assert in_new_york.inputs["time_zone"] == "America/New_York"


def test_the_program_files_time_zone_is_used_when_the_caller_gives_none() -> None:
    program = calendar_program(extra='\ntime_zone = "America/New_York"')
    guest = holding("S1", stay(departure=datetime(2026, 1, 1, 2, tzinfo=UTC), nights=10))
    progress = tier_progress(program, guest, as_of=datetime(2026, 1, 1, 3, tzinfo=UTC))
    assert progress.period_label == "2025 so far"


def test_calendar_qualification_runs_out_two_new_years_after_the_last_year_that_reached_it() -> (
    None
):
    events = [(date(2024, 12, 31), 10), (date(2025, 6, 1), 4)]
    assert qualified_until(events, 10, date(2026, 3, 1), 12, calendar_year=True) == date(2026, 1, 1)
    assert qualified_until(events, 4, date(2026, 3, 1), 12, calendar_year=True) == date(2027, 1, 1)
    assert qualified_until(events, 11, date(2026, 3, 1), 12, calendar_year=True) is None


def test_an_unknown_time_zone_names_the_key_and_what_to_write() -> None:
    with pytest.raises(ProgramConfigError, match=r"qualification\.time_zone.*IANA name"):
        calendar_program(extra='\ntime_zone = "Mars/Olympus"')
