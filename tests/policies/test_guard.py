"""The guard: writes are decided, executed and accounted for in one transaction; reads audited."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from policies import (
    ActionSpec,
    Controls,
    Denied,
    Facts,
    Guard,
    PendingApproval,
    Posted,
    Transactional,
    records,
    verify,
)
from policies.errors import InvalidRequestError, RequestInProgressError, UnknownActionError
from policies.schema import usage_table
from storage.clock import FixedClock
from storage.outbox import list_commands
from storage.store import Store
from tests.policies.support import (
    CUSTOMER,
    PROGRAM,
    FakeMews,
    award_args,
    award_rows,
    insert_award,
    make_policy,
)

pytestmark = pytest.mark.anyio


def usage_points(store: Store) -> int:
    with store.read() as conn:
        total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(usage_table.c.points), 0)))
        return int(total.scalar_one())


async def test_an_allowed_award_posts_its_result_records_usage_and_an_audit_record(
    guard: Guard, store: Store
) -> None:
    outcome = await guard.submit(guard.principal("carol"), "award_points", award_args(150))
    assert outcome == Posted({"award_id": 1, "points": 150})
    assert outcome.to_dict() == {"status": "posted", "result": {"award_id": 1, "points": 150}}
    assert [row.points for row in award_rows(store)] == [150]
    assert usage_points(store) == 150
    (record,) = records(store)
    assert (record.principal, record.role, record.action, record.decision) == (
        "carol",
        "staff",
        "award_points",
        "allow",
    )
    assert record.result == {"award_id": 1, "points": 150}


LIFTED = {"points_above": 100_000, "principal_points_above": 100_000, "deductions_above": 100_000}
"""Approval thresholds out of the way, for the tests of the hard caps."""


def automated(store: Store, clock: FixedClock, **policy: Any) -> Guard:
    """A guard of `_award` in automate mode; `policy`: more of `make_policy`'s sections."""
    automate = make_policy(mode="automate", **policy)
    return Guard(store, automate, [_award()], clock=clock, audit_key=None)


@pytest.fixture
def capped(store: Store, clock: FixedClock) -> Guard:
    return automated(store, clock, approvals=LIFTED)


async def test_five_awards_of_2000_to_one_member_need_a_manager_from_the_second_on(
    guard: Guard, store: Store
) -> None:
    carol = guard.principal("carol")
    outcomes = [
        await guard.submit(carol, "award_points", award_args(2000, attempt=i)) for i in range(5)
    ]
    assert isinstance(outcomes[0], Posted)
    assert all(isinstance(o, PendingApproval) for o in outcomes[1:])
    assert {o.rule for o in outcomes[1:] if isinstance(o, PendingApproval)} == {
        "approvals.points_above"
    }
    assert sum(row.points for row in award_rows(store)) == 2000


async def test_small_deductions_in_steps_need_a_manager_once_the_day_adds_up(
    guard: Guard, store: Store
) -> None:
    carol = guard.principal("carol")
    outcomes = [
        await guard.submit(carol, "award_points", award_args(-400, attempt=i)) for i in range(4)
    ]
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Posted", "Posted", "PendingApproval", "PendingApproval"]
    assert sum(row.points for row in award_rows(store)) == -800


async def test_five_awards_of_2000_fill_a_10000_daily_cap_and_the_sixth_is_denied(
    capped: Guard, store: Store
) -> None:
    guard = capped
    carol = guard.principal("carol")
    outcomes = [
        await guard.submit(carol, "award_points", award_args(2000, attempt=i)) for i in range(6)
    ]
    assert all(isinstance(o, Posted) for o in outcomes[:5])
    assert isinstance(outcomes[5], Denied)
    assert outcomes[5].rule == "caps.per_member_per_day"
    assert sum(row.points for row in award_rows(store)) == 10_000


async def test_the_principal_cap_adds_up_awards_to_different_members(
    store: Store, clock: FixedClock
) -> None:
    guard = automated(store, clock, caps={"per_principal_per_day": 900})
    carol = guard.principal("carol")
    for member in ("a", "b", "c"):
        assert isinstance(
            await guard.submit(carol, "award_points", award_args(300, member)), Posted
        )
    denied = await guard.submit(carol, "award_points", award_args(1, "d"))
    assert isinstance(denied, Denied)
    assert denied.rule == "caps.per_principal_per_day"
    other = await guard.submit(guard.principal("bob"), "award_points", award_args(1, "d"))
    assert isinstance(other, Posted)


async def test_the_goodwill_budget_is_shared_by_every_member_of_the_program(
    store: Store, clock: FixedClock
) -> None:
    guard = automated(store, clock, caps={"program_goodwill_per_day": 1000})
    carol = guard.principal("carol")
    for member in ("a", "b"):
        args = award_args(500, member, goodwill=True)
        assert isinstance(await guard.submit(carol, "award_points", args), Posted)
    over = await guard.submit(carol, "award_points", award_args(1, "c", goodwill=True))
    assert isinstance(over, Denied)
    assert over.rule == "caps.program_goodwill_per_day"
    assert isinstance(await guard.submit(carol, "award_points", award_args(1, "c")), Posted)
    elsewhere = award_args(1, "c", goodwill=True, program_id="prog-2")
    assert isinstance(await guard.submit(carol, "award_points", elsewhere), Posted)


async def test_the_daily_caps_start_again_at_midnight_in_the_policy_time_zone(
    capped: Guard, clock: FixedClock
) -> None:
    guard = capped
    carol = guard.principal("carol")
    clock.set(clock.now().replace(hour=21, minute=0))  # 22:00 in Prague
    for i in range(5):
        await guard.submit(carol, "award_points", award_args(2000, attempt=i))
    clock.set(clock.now().replace(hour=22, minute=59, second=59))  # 23:59:59 in Prague
    late = await guard.submit(carol, "award_points", award_args(1, attempt="late"))
    assert isinstance(late, Denied)
    clock.set(clock.now().replace(hour=23, minute=0, second=0))  # midnight in Prague, not UTC
    assert isinstance(
        await guard.submit(carol, "award_points", award_args(1, attempt="new")), Posted
    )


async def test_points_taken_back_do_not_free_any_cap(capped: Guard) -> None:
    guard = capped
    carol = guard.principal("carol")
    for i in range(2):
        await guard.submit(carol, "award_points", award_args(5000, attempt=i))
    assert isinstance(await guard.submit(carol, "award_points", award_args(-5000)), Posted)
    again = await guard.submit(carol, "award_points", award_args(1))
    assert isinstance(again, Denied)
    assert again.rule == "caps.per_member_per_day"


async def test_an_executor_that_raises_posts_nothing_is_audited_and_raises(
    guard: Guard, store: Store
) -> None:
    carol = guard.principal("carol")
    with pytest.raises(RuntimeError, match="insufficient points"):
        await guard.submit(carol, "award_points", award_args(100, explode=True), "k-1")
    assert award_rows(store) == []  # the partial insert was rolled back with its savepoint
    assert usage_points(store) == 0
    (record,) = records(store)
    assert record.decision == "failed"
    assert record.result == {
        "error": "RuntimeError: ledger refused: insufficient points for [email]"
    }
    with pytest.raises(RuntimeError):  # the key stays free: the retry executes again
        await guard.submit(carol, "award_points", award_args(100, explode=True), "k-1")
    assert verify(store, None).ok


async def test_a_pending_request_announces_itself_to_the_property_as_a_mews_task(
    guard: Guard, store: Store
) -> None:
    outcome = await guard.submit(guard.principal("carol"), "award_points", award_args(3000))
    assert isinstance(outcome, PendingApproval)
    assert outcome.rule == "approvals.points_above"
    assert outcome.expires_at == guard.clock.now() + timedelta(hours=72)
    assert award_rows(store) == []
    (task,) = list_commands(store)
    assert task.kind == "tasks/add"
    assert task.payload["Name"] == "Loyalty approval: award_points"
    assert task.payload["DeadlineUtc"] == "2025-03-13T09:00:00Z"
    description = task.payload["Description"]
    assert outcome.approval_id in description
    assert "3000 points" in description
    assert "3,000 points are above the approval threshold of 2,000" in description
    assert "Requested by carol" in description


async def test_agent_writes_are_noted_on_the_guest_profile_and_staff_writes_are_not(
    guard: Guard, store: Store
) -> None:
    await guard.submit(
        guard.principal("assistant"), "award_points", award_args(10, customer_id=CUSTOMER)
    )
    await guard.submit(
        guard.principal("carol"), "award_points", award_args(20, customer_id=CUSTOMER)
    )
    await guard.submit(guard.principal("assistant"), "award_points", award_args(30))
    (note,) = list_commands(store)
    assert note.kind == "accountNotes/add"
    assert note.payload == {
        "AccountNotes": [
            {
                "AccountId": CUSTOMER,
                "Content": "Loyalty assistant (assistant): +10 points on membership m-1.",
            }
        ]
    }


async def test_a_read_is_audited_with_personal_data_redacted_and_only_a_count_of_results(
    guard: Guard, store: Store
) -> None:
    async def find() -> list[str]:
        return ["m-1", "m-2"]

    args = {"name": "Jana Nováková", "email": "jana@example.com", "limit": 5}
    assert await guard.read(guard.principal("vera"), "find_members", args, find) == ["m-1", "m-2"]
    (record,) = records(store)
    assert record.action == "find_members"
    assert record.args == {"email": "[redacted]", "limit": 5, "name": "[redacted]"}
    assert record.result == {"items": 2}


async def test_a_role_without_read_is_denied_reads_and_the_function_never_runs(
    store: Store, clock: FixedClock
) -> None:
    policy = make_policy(
        roles={"locked": {"permissions": ["write"]}}, principals={"lena": "locked"}
    )
    guard = Guard(store, policy, clock=clock, audit_key=None)
    calls: list[int] = []

    async def find() -> int:
        calls.append(1)
        return 1

    denied = await guard.read(guard.principal("lena"), "find_members", {}, find)
    assert isinstance(denied, Denied)
    assert denied.rule == "role.permission"
    assert calls == []
    assert [r.decision for r in records(store)] == ["deny"]


async def test_a_read_that_raises_is_audited_as_failed(guard: Guard, store: Store) -> None:
    async def broken() -> int:
        raise ConnectionError("mews down")

    with pytest.raises(ConnectionError):
        await guard.read(guard.principal("vera"), "list_loyalty_programs", {}, broken)
    (record,) = records(store)
    assert record.decision == "failed"
    assert record.result == {"error": "ConnectionError: mews down"}


# ---------------------------------------------------------------------------- external


async def test_an_external_write_is_decided_then_called_then_recorded(
    guard: Guard, store: Store, mews: FakeMews
) -> None:
    dave = guard.principal("dave")
    outcome = await guard.submit(dave, "update_loyalty_programs", {"program_id": PROGRAM}, "e-1")
    assert outcome == Posted({"updated": PROGRAM})
    assert mews.calls == [{"program_id": PROGRAM}]
    assert [(r.decision, r.result) for r in records(store)] == [
        ("allow", {"status": "executing"}),
        ("executed", {"updated": PROGRAM}),
    ]
    again = await guard.submit(dave, "update_loyalty_programs", {"program_id": PROGRAM}, "e-1")
    assert again == Posted({"updated": PROGRAM}, replayed=True)
    assert again.to_dict() == {"status": "posted", "replayed": True, "result": {"updated": PROGRAM}}
    assert len(mews.calls) == 1


async def test_an_external_write_that_fails_cleanly_can_be_tried_again(
    guard: Guard, mews: FakeMews, store: Store
) -> None:
    dave = guard.principal("dave")
    mews.fail = ValueError("400 invalid program")
    with pytest.raises(ValueError, match="400"):
        await guard.submit(dave, "update_loyalty_programs", {"program_id": PROGRAM}, "e-1")
    assert records(store)[-1].decision == "failed"
    retried = await guard.submit(dave, "update_loyalty_programs", {"program_id": PROGRAM}, "e-1")
    assert isinstance(retried, Posted)
    assert len(mews.calls) == 2


async def test_an_interrupted_external_write_is_never_executed_a_second_time(
    guard: Guard, mews: FakeMews, store: Store
) -> None:
    dave = guard.principal("dave")
    mews.fail = asyncio.CancelledError()  # the process stops between the call and its record
    with pytest.raises(asyncio.CancelledError):
        await guard.submit(dave, "update_loyalty_programs", {"program_id": PROGRAM}, "e-1")
    with pytest.raises(RequestInProgressError):
        await guard.submit(dave, "update_loyalty_programs", {"program_id": PROGRAM}, "e-1")
    assert len(mews.calls) == 1
    assert [r.result for r in records(store)] == [{"status": "executing"}]


async def test_an_external_write_is_denied_without_calling_out(
    guard: Guard, mews: FakeMews
) -> None:
    denied = await guard.submit(
        guard.principal("alice"), "update_loyalty_programs", {"program_id": "p"}
    )
    assert isinstance(denied, Denied)
    assert denied.rule == "role.permission"
    assert mews.calls == []


# ---------------------------------------------------------------------------- modes


async def test_the_mode_starts_as_the_file_says_and_a_manager_switches_it_for_everyone(
    guard: Guard, store: Store, clock: FixedClock
) -> None:
    assert Controls(guard).mode().mode == "automate"
    assert Controls(guard).mode().source == "file"
    assert await Controls(guard).set_mode(guard.principal("alice"), "read_only") == Posted(
        {"mode": "read_only", "previous": "automate"}
    )
    other_process = Guard(store, make_policy(mode="automate"), clock=clock, audit_key=None)
    state = Controls(other_process).mode()
    assert (state.mode, state.source, state.updated_by) == ("read_only", "database", "alice")
    assert records(store)[-1].action == "set_mode"


async def test_read_only_mode_stops_every_write_but_not_reads(guard: Guard, store: Store) -> None:
    await Controls(guard).set_mode(guard.principal("alice"), "read_only")
    denied = await guard.submit(guard.principal("carol"), "award_points", award_args(1))
    assert isinstance(denied, Denied)
    assert denied.rule == "mode.read_only"

    async def one() -> int:
        return 1

    assert await guard.read(guard.principal("carol"), "get_member_summary", {}, one) == 1
    assert award_rows(store) == []


async def test_recommend_mode_queues_agent_writes_and_posts_staff_writes(
    guard: Guard, store: Store
) -> None:
    await Controls(guard).set_mode(guard.principal("alice"), "recommend")
    queued = await guard.submit(guard.principal("assistant"), "award_points", award_args(10))
    assert isinstance(queued, PendingApproval)
    assert queued.rule == "mode.recommend"
    assert isinstance(
        await guard.submit(guard.principal("carol"), "award_points", award_args(10)), Posted
    )
    assert len(award_rows(store)) == 1


async def test_only_a_principal_with_change_mode_switches_the_mode(guard: Guard) -> None:
    denied = await Controls(guard).set_mode(guard.principal("carol"), "automate")
    assert isinstance(denied, Denied)
    assert denied.rule == "role.permission"
    with pytest.raises(InvalidRequestError, match="mode must be one of"):
        await Controls(guard).set_mode(guard.principal("alice"), "yolo")


# ---------------------------------------------------------------------------- misuse


async def test_unknown_actions_and_non_json_arguments_are_refused(guard: Guard) -> None:
    carol = guard.principal("carol")
    with pytest.raises(UnknownActionError):
        await guard.submit(carol, "mint_points", {})
    with pytest.raises(InvalidRequestError, match="plain JSON"):
        await guard.submit(carol, "award_points", {"points": 1, "when": object()})
    with pytest.raises(InvalidRequestError, match="idempotency_key"):
        await guard.submit(carol, "award_points", award_args(1), "k" * 201)


def test_reads_and_controls_cannot_be_registered_as_write_actions() -> None:
    with pytest.raises(ValueError, match="not a write kind"):
        ActionSpec("list_x", "read", Transactional(insert_award))
    with pytest.raises(ValueError, match="registered twice"):
        Guard(Store("sqlite://"), make_policy(), [_award(), _award()], audit_key=None)


def _award(**facts: Any) -> ActionSpec:
    async def describe(args: dict[str, Any]) -> Facts:
        return Facts(
            points=int(args["points"]),
            goodwill=bool(args.get("goodwill")),
            membership_id=args["membership_id"],
            program_id=args.get("program_id", PROGRAM),
            **facts,
        )

    return ActionSpec("award_points", "points", Transactional(insert_award), describe)
