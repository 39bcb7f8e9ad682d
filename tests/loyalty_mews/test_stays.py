"""Stay points: accrued once per checked-out reservation whatever fails or repeats, and taken
back when a reservation is canceled after its points were accrued."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from policies import ApprovalDesk, PendingApproval
from tests.loyalty_mews.conftest import World
from tests.loyalty_mews.test_sync import open_ledger
from tools.loyalty.accrual import accrual_idempotency_key
from tools.loyalty.ledger_schema import entries_table
from tools.loyalty.stays import (
    PlannedAccrual,
    PlannedReversal,
    Skipped,
    plan_stay_accruals,
    submit_stay_plans,
)
from tools.mews import MewsServerError
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

API = "/api/connector/v1/"


async def emma_stays(world: World, state: str) -> list[str]:
    found = [
        r.id
        async for r in world.mews.reservations.get_all(account_ids=[STORY.emma_novak])
        if str(r.state) == state
    ]
    world.mews.stats.reset()
    return found


def stay_entries(world: World) -> list[tuple[str, str, int]]:
    e = entries_table
    with world.store.read() as conn:
        rows = conn.execute(
            sa.select(e.c.source_id, e.c.kind, e.c.points).where(e.c.source_type == "reservation")
        ).all()
    return sorted((row.source_id, row.kind, int(row.points)) for row in rows)


async def accrue(world: World, reservation_ids: list[str]) -> list[str]:
    plans = await plan_stay_accruals(world.loader, reservation_ids)
    results = await submit_stay_plans(world.guard, world.automation, plans)
    return [r.status for r in results]


async def test_checked_out_stays_accrue_once_under_faults_and_re_runs(world: World) -> None:
    stays = await emma_stays(world, "Processed")
    faults = world.sandbox.faults
    faults.fail_next(429, 2, path=f"{API}reservations/getAll/2023-06-06")
    faults.fail_next(500, 1, path=f"{API}orderItems/getAll")
    faults.fail_next(500, 1, path=f"{API}productServiceOrders/getAll")

    first = await accrue(world, stays)
    assert set(first) <= {"posted", "pending_approval"}
    assert "posted" in first
    assert world.mews.stats.rate_limited == 2
    assert world.mews.stats.retries == 4

    plans = await plan_stay_accruals(world.loader, stays)
    again = await submit_stay_plans(world.guard, world.automation, plans)

    posted = [rid for rid, status in zip(stays, first, strict=True) if status == "posted"]
    accruals = [(rid, kind) for rid, kind, _ in stay_entries(world)]
    assert accruals == sorted((rid, "accrual") for rid in posted)
    assert all(
        isinstance(p, Skipped) and "accrued already" in p.reason
        for p in plans
        if p.reservation_id in posted
    )
    assert all(r.status in ("skipped", "pending_approval") for r in again)


async def test_planning_reads_in_batches_not_per_reservation(world: World) -> None:
    stays = await emma_stays(world, "Processed")

    await plan_stay_accruals(world.loader, stays)

    requests = world.mews.stats.requests
    assert requests["reservations/getAll/2023-06-06"] == 1
    assert requests["orderItems/getAll"] == 1
    assert requests["productServiceOrders/getAll"] == 1
    assert requests["loyaltyMemberships/getAll"] == 1


async def test_a_run_that_mews_keeps_failing_posts_nothing_and_a_later_run_posts_once(
    world: World,
) -> None:
    stays = await emma_stays(world, "Processed")
    world.sandbox.faults.fail_next(500, 10, path=f"{API}orderItems/getAll")

    with pytest.raises(MewsServerError):
        await accrue(world, stays)
    assert stay_entries(world) == []

    world.sandbox.faults.clear()
    await accrue(world, stays)
    await accrue(world, stays)
    assert len(stay_entries(world)) == len({rid for rid, _, _ in stay_entries(world)})


async def test_two_runs_racing_post_each_stay_once(world: World) -> None:
    stays = await emma_stays(world, "Processed")
    plans = await plan_stay_accruals(world.loader, stays)
    other = world.another_guard()

    await asyncio.gather(
        submit_stay_plans(world.guard, world.automation, plans),
        submit_stay_plans(other, other.principal("automation"), plans),
    )

    reservations = [rid for rid, _, _ in stay_entries(world)]
    assert reservations
    assert len(reservations) == len(set(reservations))


async def test_checkout_in_mews_then_accrue_credits_the_stay_and_mews_shows_it(
    world: World,
) -> None:
    stay = STORY.emma_novak_upcoming_stay
    world.sandbox.transition(stay, "Started")
    [before] = await plan_stay_accruals(world.loader, [stay])
    assert isinstance(before, Skipped)
    assert "Started" in before.reason

    world.sandbox.transition(stay, "Processed")
    [plan] = await plan_stay_accruals(world.loader, [stay])
    assert isinstance(plan, PlannedAccrual)
    assert plan.args()["mews_points"] == 6240  # no ledger account yet: opened with it
    [result] = await submit_stay_plans(world.guard, world.automation, [plan])
    await world.dispatcher.drain()

    assert result.status == "posted"
    assert await world.mews_points([STORY.emma_novak_membership]) == {
        STORY.emma_novak_membership: 6240 + plan.quote.points
    }


async def test_a_stay_canceled_after_accrual_is_reversed_once(world: World) -> None:
    [stay, *_] = await emma_stays(world, "Processed")
    await accrue(world, [stay])
    [(_, _, points)] = stay_entries(world)
    # A back-office correction the sandbox's transitions do not offer: the stay is canceled.
    reservation = world.sandbox.state.reservations.get(stay)
    assert reservation is not None
    reservation.state, reservation.cancelled = "Canceled", world.sandbox.now()

    [plan] = await plan_stay_accruals(world.loader, [stay])
    assert isinstance(plan, PlannedReversal)
    assert plan.points == points
    assert await accrue(world, [stay]) == ["posted"]
    assert await accrue(world, [stay]) == ["skipped"]
    await world.dispatcher.drain()

    assert stay_entries(world) == [(stay, "accrual", points), (stay, "reversal", -points)]
    membership = STORY.emma_novak_membership
    assert world.ledger_balances()[membership] == 6240
    assert await world.mews_points([membership]) == {membership: 6240}


async def test_in_recommend_mode_a_re_run_does_not_queue_a_second_approval(
    world: World,
) -> None:
    stays = await emma_stays(world, "Processed")
    guard = world.another_guard(world.guard.policy.model_copy(update={"mode": "recommend"}))
    plans = await plan_stay_accruals(world.loader, stays[:1])

    first = await submit_stay_plans(guard, guard.principal("automation"), plans)
    second = await submit_stay_plans(guard, guard.principal("automation"), plans)

    assert [r.status for r in first] == ["pending_approval"]
    assert isinstance(first[0].outcome, PendingApproval)
    assert second[0].outcome == first[0].outcome
    assert len(ApprovalDesk(guard).approvals()) == 1
    assert stay_entries(world) == []
    assert accrual_idempotency_key(stays[0]) == f"accrual:reservation:{stays[0]}"


async def test_stays_that_ended_before_the_opening_balance_or_the_go_live_date_are_not_accrued(
    world: World,
) -> None:
    stays = await emma_stays(world, "Processed")
    go_live = world.clock.now().date()
    world.loader.programs = world.programs.model_copy(update={"go_live": go_live})
    before_go_live = await plan_stay_accruals(world.loader, stays)
    assert stays
    assert all(isinstance(p, Skipped) and "go-live date" in p.reason for p in before_go_live)

    world.loader.programs = world.programs  # no go-live date: the opening balance is the line
    await open_ledger(world)
    after_opening = await plan_stay_accruals(world.loader, stays)
    assert all(
        isinstance(p, Skipped) and "before the ledger opened with the Mews balance" in p.reason
        for p in after_opening
    )
