"""The approval queue: four eyes, exact arguments, exactly once, expiry and rejection are final."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from policies import (
    ApprovalDesk,
    ApprovalNotFoundError,
    Controls,
    Denied,
    Guard,
    PendingApproval,
    Policy,
    Posted,
    records,
    verify,
)
from policies.errors import UnknownActionError
from policies.schema import approvals_table
from storage.clock import FixedClock
from storage.outbox import list_commands
from storage.store import Store
from tests.policies.support import (
    ADJUST,
    AWARD,
    CUSTOMER,
    PROGRAM,
    FakeMews,
    award_args,
    award_rows,
    make_policy,
    migrated,
)

pytestmark = pytest.mark.anyio


async def request(guard: Guard, name: str = "carol", points: int = 3000, **more: Any) -> str:
    outcome = await guard.submit(guard.principal(name), "award_points", award_args(points, **more))
    assert isinstance(outcome, PendingApproval), outcome
    return outcome.approval_id


async def two_requests(guard: Guard, clock: FixedClock, apart: timedelta) -> tuple[str, str]:
    """Two pending requests by carol, the second (of 2,500 points) `apart` after the first."""
    first = await request(guard)
    clock.advance(apart)
    return first, await request(guard, points=2500)


async def test_a_manager_who_is_not_the_requester_approves_and_it_executes_exactly_as_asked(
    guard: Guard, store: Store
) -> None:
    approval_id = await request(guard)
    outcome = await ApprovalDesk(guard).approve(
        guard.principal("alice"), approval_id, "ok, loyal guest"
    )
    assert outcome == Posted({"award_id": 1, "points": 3000})
    (row,) = award_rows(store)
    assert (row.points, row.membership_id, row.principal) == (3000, "m-1", "carol")
    approval = ApprovalDesk(guard).approval(approval_id)
    assert approval.status == "executed"
    assert approval.decided_by == "alice"
    assert approval.comment == "ok, loyal guest"
    assert approval.result == {"award_id": 1, "points": 3000}
    assert [(r.principal, r.action, r.decision) for r in records(store)[-2:]] == [
        ("alice", "approvals.approve", "allow"),
        ("alice", "award_points", "allow"),
    ]


async def test_the_requester_cannot_approve_their_own_request(guard: Guard, store: Store) -> None:
    approval_id = await request(guard, "alice")
    mine = await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id)
    assert isinstance(mine, Denied)
    assert mine.rule == "approvals.four_eyes"
    rejected_own = await ApprovalDesk(guard).reject(guard.principal("alice"), approval_id)
    assert isinstance(rejected_own, Denied)
    assert ApprovalDesk(guard).approval(approval_id).status == "pending"
    assert isinstance(
        await ApprovalDesk(guard).approve(guard.principal("bob"), approval_id), Posted
    )


@pytest.mark.parametrize("name", ["carol", "vera", "assistant"])
async def test_only_a_principal_with_the_approve_permission_decides(
    guard: Guard, name: str
) -> None:
    approval_id = await request(guard, "automation", points=2500)
    denied = await ApprovalDesk(guard).approve(guard.principal(name), approval_id)
    assert isinstance(denied, Denied)
    assert denied.rule == "role.permission"
    assert isinstance(await ApprovalDesk(guard).reject(guard.principal(name), approval_id), Denied)
    assert ApprovalDesk(guard).approval(approval_id).status == "pending"


async def test_an_approved_request_executes_once_and_a_second_approval_is_refused(
    guard: Guard, store: Store
) -> None:
    approval_id = await request(guard)
    await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id)
    again = await ApprovalDesk(guard).approve(guard.principal("bob"), approval_id)
    assert again == Denied("approvals.not_pending", f"approval {approval_id} is already executed")
    assert len(award_rows(store)) == 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def race_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = migrated(url)
    yield store
    store.dispose()


async def test_managers_approving_at_once_execute_the_request_once(
    race_store: Store, clock: FixedClock, policy: Policy
) -> None:
    guard = Guard(race_store, policy, [AWARD], clock=clock, audit_key=None)
    approval_id = await request(guard)
    managers = ["alice", "bob", "dave"] * 3
    outcomes = await asyncio.gather(
        *(ApprovalDesk(guard).approve(guard.principal(name), approval_id) for name in managers)
    )
    assert sum(isinstance(o, Posted) for o in outcomes) == 1
    refused = [o for o in outcomes if isinstance(o, Denied)]
    assert {o.rule for o in refused} == {"approvals.not_pending"}
    assert len(award_rows(race_store)) == 1
    assert verify(race_store, None).ok


async def test_approving_at_the_expiry_is_refused_and_marks_it_expired(
    guard: Guard, clock: FixedClock, store: Store
) -> None:
    approval_id = await request(guard)
    clock.advance(timedelta(hours=72))
    denied = await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id)
    assert isinstance(denied, Denied)
    assert denied.rule == "approvals.expired"
    expiry = ApprovalDesk(guard).approval(approval_id).expires_at.astimezone(guard.policy.tz)
    said = f"expired at {expiry:%d %b %Y, %H:%M} {expiry.tzname()}"  # the policy's zone, named
    assert said in denied.reason
    assert guard.policy.tz.key == "Europe/Prague"
    assert expiry.tzname() in ("CET", "CEST")
    assert ApprovalDesk(guard).approval(approval_id).status == "expired"
    assert isinstance(
        await ApprovalDesk(guard).reject(guard.principal("alice"), approval_id), Denied
    )
    assert award_rows(store) == []


async def test_approving_just_before_the_expiry_executes(guard: Guard, clock: FixedClock) -> None:
    approval_id = await request(guard)
    clock.advance(timedelta(hours=72) - timedelta(microseconds=1))
    assert isinstance(
        await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id), Posted
    )


async def test_a_rejected_request_is_final(guard: Guard, store: Store) -> None:
    approval_id = await request(guard)
    rejected = await ApprovalDesk(guard).reject(
        guard.principal("bob"), approval_id, "not this month"
    )
    assert rejected == Posted({"approval_id": approval_id, "status": "rejected"})
    approval = ApprovalDesk(guard).approval(approval_id)
    assert (approval.status, approval.decided_by, approval.comment) == (
        "rejected",
        "bob",
        "not this month",
    )
    after = await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id)
    assert after == Denied("approvals.not_pending", f"approval {approval_id} is already rejected")
    assert award_rows(store) == []


async def test_hard_caps_are_checked_again_when_the_approved_request_executes(
    guard: Guard, store: Store
) -> None:
    approval_id = await request(guard, points=3000)
    carol = guard.principal("carol")
    for i in range(4):  # meanwhile the member gets 8000 more: 3000 no longer fits
        more = await guard.submit(carol, "award_points", award_args(2000, attempt=i))
        if isinstance(more, PendingApproval):  # the day's running total is above the threshold
            assert isinstance(
                await ApprovalDesk(guard).approve(guard.principal("bob"), more.approval_id), Posted
            )
    denied = await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id)
    assert isinstance(denied, Denied)
    assert denied.rule == "caps.per_member_per_day"
    approval = ApprovalDesk(guard).approval(approval_id)
    assert approval.status == "failed"
    assert approval.error is not None
    assert approval.error.startswith("caps.per_member_per_day")
    assert sum(row.points for row in award_rows(store)) == 8000


async def test_an_approved_agent_request_executes_in_recommend_mode(
    guard: Guard, store: Store
) -> None:
    await Controls(guard).set_mode(guard.principal("alice"), "recommend")
    approval_id = await request(guard, "assistant", points=10, customer_id=CUSTOMER)
    assert isinstance(
        await ApprovalDesk(guard).approve(guard.principal("bob"), approval_id), Posted
    )
    note = [c for c in list_commands(store) if c.kind == "accountNotes/add"]
    assert note[0].payload["AccountNotes"][0]["Content"] == (
        f"Loyalty assistant (assistant): +10 points on membership m-1. "
        f"Approved by bob (approval {approval_id})."
    )


async def test_approving_in_read_only_mode_executes_nothing_and_keeps_the_request_pending(
    guard: Guard, store: Store
) -> None:
    approval_id = await request(guard)
    await Controls(guard).set_mode(guard.principal("alice"), "read_only")
    denied = await ApprovalDesk(guard).approve(guard.principal("bob"), approval_id)
    assert isinstance(denied, Denied)
    assert denied.rule == "mode.read_only"
    assert "stays pending" in denied.reason
    assert ApprovalDesk(guard).approval(approval_id).status == "pending"
    assert award_rows(store) == []
    await Controls(guard).set_mode(guard.principal("alice"), "automate")
    assert isinstance(
        await ApprovalDesk(guard).approve(guard.principal("bob"), approval_id), Posted
    )
    assert len(award_rows(store)) == 1


async def test_a_requester_removed_from_the_policy_file_no_longer_gets_executions(
    store: Store, clock: FixedClock, policy: Policy
) -> None:
    before = Guard(store, policy, [AWARD], clock=clock, audit_key=None)
    approval_id = await request(before)
    data = policy.to_dict()
    del data["principals"]["carol"]
    after = Guard(store, Policy.model_validate(data), [AWARD], clock=clock, audit_key=None)
    denied = await ApprovalDesk(after).approve(after.principal("alice"), approval_id)
    assert isinstance(denied, Denied)
    assert denied.rule == "role.permission"


async def test_stored_arguments_that_were_changed_are_not_executed(
    guard: Guard, store: Store
) -> None:
    approval_id = await request(guard)
    with store.write() as conn:
        conn.execute(
            approvals_table.update()
            .where(approvals_table.c.id == approval_id)
            .values(args='{"membership_id":"m-1","points":4999}')
        )
    denied = await ApprovalDesk(guard).approve(guard.principal("alice"), approval_id)
    assert isinstance(denied, Denied)
    assert denied.rule == "approvals.args_mismatch"
    assert ApprovalDesk(guard).approval(approval_id).status == "failed"
    assert award_rows(store) == []


async def test_the_expiry_sweep_marks_old_requests_expired_and_audits_each(
    guard: Guard, clock: FixedClock, store: Store
) -> None:
    old, young = await two_requests(guard, clock, timedelta(hours=1))
    clock.advance(timedelta(hours=71))
    assert [a.id for a in ApprovalDesk(guard).approvals()] == [
        young
    ]  # expired, though not swept yet
    assert [a.id for a in ApprovalDesk(guard).approvals(("expired",))] == [old]
    assert await ApprovalDesk(guard).expire_approvals() == [old]
    assert ApprovalDesk(guard).approval(old).status == "expired"
    assert records(store)[-1].action == "approvals.expire"
    assert records(store)[-1].approval_id == old


async def test_an_approved_external_action_calls_out_once(
    guard: Guard, mews: FakeMews, store: Store, clock: FixedClock
) -> None:
    policy = make_policy(
        mode="automate", approvals={"actions": {"update_loyalty_programs": {"always": True}}}
    )
    guarded = Guard(store, policy, [mews.spec()], clock=clock, audit_key=None)
    pending = await guarded.submit(
        guarded.principal("dave"), "update_loyalty_programs", {"program_id": PROGRAM}
    )
    assert isinstance(pending, PendingApproval)
    assert pending.rule == "approvals.actions.update_loyalty_programs.always"
    assert mews.calls == []
    dave_approves = await ApprovalDesk(guarded).approve(
        guarded.principal("dave"), pending.approval_id
    )
    assert isinstance(dave_approves, Denied)  # dave asked: four eyes
    admin_policy = make_policy(
        principals={"erin": "admin"},
        approvals={"actions": {"update_loyalty_programs": {"always": True}}},
    )
    erin_guard = Guard(store, admin_policy, [mews.spec()], clock=clock, audit_key=None)
    outcome = await ApprovalDesk(erin_guard).approve(
        erin_guard.principal("erin"), pending.approval_id
    )
    assert outcome == Posted({"updated": PROGRAM})
    assert mews.calls == [{"program_id": PROGRAM}]
    assert ApprovalDesk(guarded).approval(pending.approval_id).status == "executed"


async def test_unknown_ids_and_unregistered_actions_are_errors(
    guard: Guard, store: Store, clock: FixedClock, policy: Policy
) -> None:
    with pytest.raises(ApprovalNotFoundError):
        await ApprovalDesk(guard).approve(guard.principal("alice"), "apr_nope")
    approval_id = await request(guard)
    bare = Guard(store, policy, [ADJUST], clock=clock, audit_key=None)
    with pytest.raises(UnknownActionError):
        await ApprovalDesk(bare).approve(bare.principal("alice"), approval_id)
    assert isinstance(await ApprovalDesk(bare).reject(bare.principal("alice"), approval_id), Posted)


async def test_the_queue_lists_pending_requests_oldest_first_and_everything_on_request(
    guard: Guard, clock: FixedClock, store: Store
) -> None:
    first, second = await two_requests(guard, clock, timedelta(minutes=1))
    await ApprovalDesk(guard).reject(guard.principal("alice"), first)
    assert [a.id for a in ApprovalDesk(guard).approvals()] == [second]
    assert [a.id for a in ApprovalDesk(guard).approvals(None)] == [first, second]
    shown = ApprovalDesk(guard).approval(second).to_dict(clock.now())
    assert shown["args"] == {"membership_id": "m-1", "points": 2500}
    assert shown["status"] == "pending"
    assert shown["rule"] == "approvals.points_above"
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(approvals_table)).scalar() == 2


async def test_the_queue_has_no_hidden_cap_and_the_history_reads_newest_decisions_first(
    guard: Guard, clock: FixedClock
) -> None:
    desk = ApprovalDesk(guard)
    ids = []
    for i in range(205):  # more than the 200 the queue used to stop at
        clock.advance(timedelta(seconds=1))
        ids.append(await request(guard, points=2001 + i))
    assert [a.id for a in desk.approvals()] == ids, "every pending request, oldest first"
    for approval_id in ids[:3]:
        clock.advance(timedelta(minutes=1))
        await desk.reject(guard.principal("alice"), approval_id)
    clock.advance(timedelta(hours=72))  # every other request expires, unswept
    newest = desk.recent_decisions(limit=4)
    assert [a.id for a in newest][:1] == [ids[-1]], "the latest expiry is the newest"
    assert all(a.status_at(clock.now()) != "pending" for a in newest)
    clock.advance(timedelta(days=-100))  # before any deadline: only the three rejections
    assert [a.id for a in desk.recent_decisions(limit=10)] == [ids[2], ids[1], ids[0]]
