"""The ledger drives Mews `Points`: the outbox pushes them, reconcile finds and fixes drift."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from storage.outbox import claim, list_commands
from storage.progress import counting
from tests.loyalty_mews.conftest import World, set_mews_points
from tools.loyalty import history, ledger_lock_key, post_entry
from tools.loyalty.ledger_model import Source
from tools.loyalty.sync import ReconcileReport, reconcile
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership
MARCUS = STORY.business_traveller_membership
UPDATE = "loyaltyMemberships/update"


async def open_ledger(world: World) -> ReconcileReport:
    """First sight of the chain: every membership with points gets its opening balance."""
    report = await reconcile(world.loader, world.guard, world.automation, apply=True)
    await world.dispatcher.drain()
    return report


def award(world: World, membership_id: str, points: int, key: str) -> None:
    """A posted ledger entry (what any guarded points action does inside its transaction)."""
    with world.store.write(ledger_lock_key(membership_id)) as conn:
        post_entry(
            conn,
            membership_id=membership_id,
            kind="adjustment" if points < 0 else "accrual",
            points=points,
            reason="test",
            actor="carol",
            source=Source("manual", key),
            idempotency_key=key,
            program=world.programs.program("PC01"),
            now=world.clock.now(),
        )


async def test_first_reconcile_opens_every_membership_with_points_and_then_reports_no_drift(
    world: World,
) -> None:
    first = await open_ledger(world)

    assert first.unopened
    assert not first.mews_ahead
    assert not first.ledger_ahead
    assert all(status == "posted" for _, o in first.outcomes for status in [o["status"]])
    with world.store.read() as conn:
        opening = history(conn, EMMA).entries
    assert [(e.kind, e.points, e.idempotency_key) for e in opening] == [
        ("opening_balance", 6240, f"opening:{EMMA}")
    ]
    again = await reconcile(world.loader, world.guard, world.automation, apply=True)
    assert again.drifts == ()
    assert again.in_sync == again.checked
    assert again.outcomes == ()


async def test_an_award_moves_the_balance_mews_shows_and_reconcile_then_finds_no_drift(
    world: World,
) -> None:
    await open_ledger(world)
    award(world, EMMA, 500, "award-1")
    award(world, EMMA, 250, "award-2")  # coalesced with the first push
    world.mews.stats.reset()

    report = await world.dispatcher.drain()

    assert (report.claimed, report.pushed, report.failed) == (1, 1, 0)
    assert world.mews.stats.requests[UPDATE] == 1
    assert await world.mews_points([EMMA]) == {EMMA: 6240 + 750}
    after = await reconcile(world.loader, world.guard, world.automation)
    assert after.drifts == ()
    assert after.awaiting_push == 0


async def test_a_balance_waiting_in_the_outbox_is_not_drift(world: World) -> None:
    await open_ledger(world)
    award(world, EMMA, 100, "award-1")

    report = await reconcile(world.loader, world.guard, world.automation)

    assert report.drifts == ()
    assert report.awaiting_push == 1


async def test_drift_both_ways_is_reported_and_adjust_ledger_makes_the_ledger_follow_mews(
    world: World,
) -> None:
    await open_ledger(world)
    await set_mews_points(world, {EMMA: 7000, MARCUS: 40000})  # +760 and -1200

    found = await reconcile(world.loader, world.guard, world.automation)
    assert [(d.membership_id, d.difference) for d in found.mews_ahead] == [(EMMA, 760)]
    assert [(d.membership_id, d.difference) for d in found.ledger_ahead] == [(MARCUS, -1200)]

    fixed = await reconcile(
        world.loader, world.guard, world.automation, apply=True, rule="adjust_ledger"
    )
    await world.dispatcher.drain()

    assert {o["status"] for _, o in fixed.outcomes} == {"posted"}
    assert {EMMA: 7000, MARCUS: 40000}.items() <= world.ledger_balances().items()
    assert await world.mews_points([EMMA, MARCUS]) == {EMMA: 7000, MARCUS: 40000}
    assert (await reconcile(world.loader, world.guard, world.automation)).drifts == ()


async def test_push_ledger_puts_the_ledger_balance_back_into_mews(world: World) -> None:
    await open_ledger(world)
    await set_mews_points(world, {EMMA: 9999, MARCUS: 0})

    fixed = await reconcile(
        world.loader, world.guard, world.automation, apply=True, rule="push_ledger"
    )
    drained = await world.dispatcher.drain()

    assert {o["status"] for _, o in fixed.outcomes} == {"posted"}
    assert drained.pushed == 2
    assert world.mews.stats.requests[UPDATE] == 1
    assert await world.mews_points([EMMA, MARCUS]) == {EMMA: 6240, MARCUS: 41200}
    assert world.ledger_balances()[EMMA] == 6240
    assert (await reconcile(world.loader, world.guard, world.automation)).drifts == ()


async def test_a_large_drift_waits_for_a_manager_like_any_large_adjustment(world: World) -> None:
    await open_ledger(world)
    await set_mews_points(world, {EMMA: 60000})

    fixed = await reconcile(world.loader, world.guard, world.automation, apply=True)

    [(membership_id, outcome)] = fixed.outcomes
    assert membership_id == EMMA
    assert outcome["status"] in ("pending_approval", "denied")
    assert world.ledger_balances()[EMMA] == 6240


async def test_every_balance_goes_to_mews_in_one_read_and_one_update_request(world: World) -> None:
    report = await reconcile(world.loader, world.guard, world.automation, apply=True)
    world.mews.stats.reset()

    drained = await world.dispatcher.drain()

    assert drained.pushed == len(report.unopened) > 20
    assert dict(world.mews.stats.requests) == {"loyaltyMemberships/getAll": 1, UPDATE: 1}


async def test_a_failing_push_backs_off_and_is_delivered_by_a_later_drain(world: World) -> None:
    await open_ledger(world)
    award(world, EMMA, 40, "award-1")
    world.sandbox.faults.fail_next(500, 4, path=f"/api/connector/v1/{UPDATE}")

    failed = await world.dispatcher.drain()
    assert (failed.failed, failed.pushed) == (1, 0)
    assert "500" in failed.errors[0]
    assert (await world.dispatcher.drain()).claimed == 0, "backing off"

    world.clock.advance(timedelta(minutes=1))
    delivered = await world.dispatcher.drain()

    assert delivered.pushed == 1
    assert await world.mews_points([EMMA]) == {EMMA: 6280}


async def test_a_push_that_keeps_failing_becomes_a_dead_letter(world: World) -> None:
    await open_ledger(world)
    award(world, EMMA, 40, "award-1")
    world.sandbox.faults.fail_next(500, 100, path=f"/api/connector/v1/{UPDATE}")
    dispatcher = type(world.dispatcher)(
        world.mews,
        world.store,
        clock=world.clock,
        guard=world.guard,
        programs=world.programs,
        max_attempts=2,
    )

    first = await dispatcher.drain()
    world.clock.advance(timedelta(hours=1))
    second = await dispatcher.drain()

    assert (first.failed, second.dead) == (1, 1)
    pushes = [c for c in list_commands(world.store) if c.kind == UPDATE]
    assert [c.status for c in pushes] == ["dead"]


async def test_one_deleted_membership_does_not_hold_back_the_others(world: World) -> None:
    await open_ledger(world)
    award(world, EMMA, 10, "award-1")
    award(world, MARCUS, 10, "award-2")
    await world.mews.loyalty_memberships.delete([MARCUS], chain_id=STORY.chain_id)
    world.mews.stats.reset()

    report = await world.dispatcher.drain()

    assert (report.pushed, report.failed) == (1, 1)
    assert await world.mews_points([EMMA]) == {EMMA: 6250}


async def test_a_crash_between_push_and_complete_re_pushes_the_current_balance(
    world: World,
) -> None:
    await open_ledger(world)
    award(world, EMMA, 100, "award-1")
    [lost] = claim(world.store, now=world.clock.now(), lease=timedelta(minutes=2), kinds=[UPDATE])
    await set_mews_points(world, {EMMA: lost.payload["Points"]})  # pushed, then the crash
    award(world, EMMA, 5, "award-2")  # queued behind the in-flight command

    assert (await world.dispatcher.drain()).claimed == 0, "the lease still holds"
    world.clock.advance(timedelta(minutes=3))
    report = await world.dispatcher.drain()

    assert report.pushed == 2
    assert report.failed == 0
    assert await world.mews_points([EMMA]) == {EMMA: 6345}
    with world.store.read() as conn:
        pending = conn.execute(
            sa.text("SELECT count(*) FROM outbox WHERE status != 'done' AND kind = :kind"),
            {"kind": UPDATE},
        ).scalar_one()
    assert pending == 0


async def test_reconcile_counts_the_memberships_it_compares_and_the_drifts_it_resolves(
    world: World,
) -> None:
    seen: list[tuple[int, int | None, str]] = []
    with counting(lambda done, total, what: seen.append((done, total, what))):
        report = await reconcile(world.loader, world.guard, world.automation, apply=True)

    def counts(what: str) -> list[tuple[int, int | None]]:
        return [(done, total) for done, total, said in seen if said == what]

    compared = counts("memberships compared with the ledger")
    assert compared[0] == (0, report.checked)
    assert compared[-1] == (report.checked,) * 2
    resolved = counts("drifts resolved")
    assert len(report.drifts) > 1  # every membership with points gets its opening balance
    assert resolved[0] == (0, len(report.drifts))
    assert resolved[-1] == (len(report.drifts),) * 2


async def test_a_sync_knows_how_many_balances_are_due_so_its_bar_counts_to_them(
    world: World,
) -> None:
    report = await reconcile(world.loader, world.guard, world.automation, apply=True)
    due = world.dispatcher.due()
    assert due == len(report.unopened) > 20  # one balance per membership opened

    seen: list[tuple[int, int | None, str]] = []
    with counting(lambda done, total, what: seen.append((done, total, what))):
        drained = await world.dispatcher.drain(due)

    assert drained.pushed == due
    assert seen[-1] == (due, due, "balances pushed to Mews")
    assert world.dispatcher.due() == 0
