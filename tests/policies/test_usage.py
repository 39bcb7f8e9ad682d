"""Daily windows in the policy's time zone, and what the daily totals count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies import ActionSpec, Denied, External, Guard, Posted
from policies.specs import ExecContext
from policies.usage import day_window, issued_on_days
from storage.clock import FixedClock
from storage.store import Store
from tests.policies.support import MEMBER, award_args, describe_award, make_policy

PRAGUE = ZoneInfo("Europe/Prague")


def test_a_day_runs_from_local_midnight_to_local_midnight() -> None:
    window = day_window(datetime(2025, 3, 10, 9, 0, tzinfo=UTC), PRAGUE)
    assert window.day == date(2025, 3, 10)
    assert window.start == datetime(2025, 3, 9, 23, 0, tzinfo=UTC)
    assert window.end == datetime(2025, 3, 10, 23, 0, tzinfo=UTC)


def test_the_local_day_changes_at_local_midnight_not_at_utc_midnight() -> None:
    assert day_window(datetime(2025, 3, 10, 22, 59, 59, tzinfo=UTC), PRAGUE).day == date(
        2025, 3, 10
    )
    assert day_window(datetime(2025, 3, 10, 23, 0, tzinfo=UTC), PRAGUE).day == date(2025, 3, 11)


def test_daylight_saving_days_are_23_and_25_hours_long() -> None:
    spring = day_window(datetime(2025, 3, 30, 12, tzinfo=UTC), PRAGUE)
    autumn = day_window(datetime(2025, 10, 26, 12, tzinfo=UTC), PRAGUE)
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_days_back_names_earlier_local_days() -> None:
    window = day_window(datetime(2025, 3, 10, 9, tzinfo=UTC), PRAGUE, days_back=14)
    assert window.day == date(2025, 2, 24)


@pytest.mark.anyio
async def test_an_external_points_write_that_fails_gives_its_cap_back(
    store: Store, clock: FixedClock
) -> None:
    calls: list[int] = []

    async def push(args: dict[str, object], ctx: ExecContext) -> dict[str, object]:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("mews timed out before sending")
        return {"pushed": args["points"]}

    spec = ActionSpec("push_points", "points", External(push), describe_award)
    policy = make_policy(mode="automate", caps={"per_member_per_day": 1000})
    guard = Guard(store, policy, [spec], clock=clock, audit_key=None)
    carol = guard.principal("carol")
    with pytest.raises(ConnectionError):
        await guard.submit(carol, "push_points", award_args(1000))
    with store.read() as conn:
        assert issued_on_days(conn, date(2025, 3, 10), date(2025, 3, 11)) == 0
    assert await guard.submit(carol, "push_points", award_args(1000)) == Posted({"pushed": 1000})
    over = await guard.submit(carol, "push_points", award_args(1, MEMBER, n=2))
    assert isinstance(over, Denied)
    assert over.rule == "caps.per_member_per_day"
