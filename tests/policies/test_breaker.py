"""The circuit breaker trips on repeated denials or a points spike, stops agents, and a manager
resets it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies import Controls, Denied, Guard, Posted, delegate, records
from storage.clock import FixedClock
from storage.store import Store
from tests.policies.support import AWARD, award_args, make_policy

pytestmark = pytest.mark.anyio


@pytest.fixture
def breaker_guard(store: Store, clock: FixedClock) -> Guard:
    """Three denials per hour trip it; a member cap of 100 makes denials easy to collect."""
    policy = make_policy(
        mode="automate",
        caps={"per_member_per_day": 100},
        breaker={"denials_per_hour": 3},
    )
    return Guard(store, policy, [AWARD], clock=clock, audit_key=None)


async def deny(guard: Guard, name: str = "assistant", n: int = 1) -> None:
    for i in range(n):
        outcome = await guard.submit(
            guard.principal(name), "award_points", award_args(101, attempt=i)
        )
        assert isinstance(outcome, Denied)


async def test_two_denials_within_an_hour_do_not_trip_it_and_the_third_does(
    breaker_guard: Guard, store: Store
) -> None:
    await deny(breaker_guard, n=2)
    assert not Controls(breaker_guard).breaker().tripped
    await deny(breaker_guard)
    state = Controls(breaker_guard).breaker()
    assert state.tripped
    assert state.rule == "breaker.denials_per_hour"
    assert state.cause == "assistant"
    trip = records(store)[-1]
    assert (trip.principal, trip.action, trip.decision, trip.rule) == (
        "system",
        "breaker.trip",
        "trip",
        "breaker.denials_per_hour",
    )


async def test_when_tripped_agent_writes_are_denied_and_staff_writes_go_on(
    breaker_guard: Guard,
) -> None:
    await deny(breaker_guard, n=3)
    agent = await breaker_guard.submit(
        breaker_guard.principal("assistant"), "award_points", award_args(1, "m-2")
    )
    assert isinstance(agent, Denied)
    assert agent.rule == "circuit_breaker"
    staff = await breaker_guard.submit(
        breaker_guard.principal("carol"), "award_points", award_args(1, "m-2")
    )
    assert isinstance(staff, Posted)


async def test_one_principals_denials_do_not_stop_the_other_agents(breaker_guard: Guard) -> None:
    await deny(breaker_guard, "carol", n=3)  # staff denied three times: the breaker trips
    assert Controls(breaker_guard).breaker().cause == "carol"
    automation = await breaker_guard.submit(
        breaker_guard.principal("automation"), "award_points", award_args(1, "m-2")
    )
    for_carol = await breaker_guard.submit(
        delegate(breaker_guard.policy, breaker_guard.principal("carol")),
        "award_points",
        award_args(1, "m-3"),
    )
    assert isinstance(automation, Posted)  # the chain's stay points go on
    assert isinstance(for_carol, Denied)  # carol's assistant is stopped with her
    assert for_carol.rule == "circuit_breaker"


async def test_a_manager_resets_it_and_agent_writes_resume(
    breaker_guard: Guard, store: Store
) -> None:
    await deny(breaker_guard, n=3)
    refused = await Controls(breaker_guard).reset_breaker(breaker_guard.principal("carol"))
    assert isinstance(refused, Denied)
    assert refused.rule == "role.permission"
    reset = await Controls(breaker_guard).reset_breaker(breaker_guard.principal("alice"))
    assert isinstance(reset, Posted)
    assert reset.result["was_tripped"] is True
    assert not Controls(breaker_guard).breaker().tripped
    assert Controls(breaker_guard).breaker().reset_by == "alice"
    assert records(store)[-1].action == "breaker.reset"
    after = await breaker_guard.submit(
        breaker_guard.principal("assistant"), "award_points", award_args(1, "m-2")
    )
    assert isinstance(after, Posted)


async def test_denials_before_a_reset_do_not_count_again(
    breaker_guard: Guard, clock: FixedClock
) -> None:
    await deny(breaker_guard, n=3)
    await Controls(breaker_guard).reset_breaker(breaker_guard.principal("alice"))
    clock.advance(timedelta(seconds=1))
    await deny(breaker_guard, n=2)
    assert not Controls(breaker_guard).breaker().tripped
    await deny(breaker_guard)
    assert Controls(breaker_guard).breaker().tripped


async def test_denials_older_than_an_hour_do_not_count(
    breaker_guard: Guard, clock: FixedClock
) -> None:
    await deny(breaker_guard, n=2)
    clock.advance(timedelta(hours=1))
    await deny(breaker_guard)
    assert not Controls(breaker_guard).breaker().tripped


async def test_denials_are_counted_per_principal(breaker_guard: Guard) -> None:
    await deny(breaker_guard, "assistant", n=2)
    await deny(breaker_guard, "automation", n=2)
    assert not Controls(breaker_guard).breaker().tripped


@pytest.fixture
def spike_guard(store: Store, clock: FixedClock) -> Guard:
    """Trips above 2x the average of the last two days, which counts as at least 1000."""
    policy = make_policy(
        mode="automate",
        approvals={"points_above": 100_000},
        caps={"max_points_per_entry": 100_000, "per_member_per_day": 100_000},
        breaker={"spike_multiple": 2.0, "trailing_days": 2, "min_daily_baseline": 1000},
    )
    return Guard(store, policy, [AWARD], clock=clock, audit_key=None)


async def award(guard: Guard, points: int, name: str = "carol", tag: str = "") -> object:
    return await guard.submit(guard.principal(name), "award_points", award_args(points, tag=tag))


async def test_a_quiet_start_does_not_trip_it_below_the_minimum_baseline(
    spike_guard: Guard,
) -> None:
    assert isinstance(await award(spike_guard, 2000), Posted)  # at 2 x 1000
    assert not Controls(spike_guard).breaker().tripped
    assert isinstance(await award(spike_guard, 1), Posted)  # the award that crosses still posts
    state = Controls(spike_guard).breaker()
    assert state.tripped
    assert state.rule == "breaker.points_spike"
    assert "2001 points issued today" in state.reason
    assert isinstance(await award(spike_guard, 1, "assistant", "x"), Denied)


async def test_the_spike_limit_follows_the_trailing_daily_average(
    spike_guard: Guard, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=-2))
    await award(spike_guard, 3000, tag="two days ago")
    clock.advance(timedelta(days=1))
    await award(spike_guard, 5000, tag="yesterday")  # 5000 > 2 x 1500: tripped yesterday
    await Controls(spike_guard).reset_breaker(spike_guard.principal("alice"))
    clock.advance(timedelta(days=1))
    # today: the average of the last two days is 4000, so the limit is 8000
    await award(spike_guard, 8000, tag="today")
    assert not Controls(spike_guard).breaker().tripped
    await award(spike_guard, 1, tag="one more")
    assert Controls(spike_guard).breaker().tripped
