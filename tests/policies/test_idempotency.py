"""One idempotency key executes at most once; the same key with another request is an error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies import (
    ActionSpec,
    ApprovalDesk,
    Controls,
    Denied,
    Facts,
    Guard,
    PendingApproval,
    Posted,
    Transactional,
    records,
)
from policies.approvals import list_approvals
from policies.errors import IdempotencyConflictError
from storage.clock import FixedClock
from storage.store import Store
from tests.policies.support import award_args, award_rows, insert_award, make_policy

pytestmark = pytest.mark.anyio


def replay_of(outcome: object) -> Posted:
    assert isinstance(outcome, Posted)
    return Posted(outcome.result, replayed=True)


async def test_the_same_key_twice_returns_the_first_outcome_and_executes_once(
    guard: Guard, store: Store
) -> None:
    carol = guard.principal("carol")
    first = await guard.submit(carol, "award_points", award_args(100), "key-1")
    second = await guard.submit(carol, "award_points", award_args(100), "key-1")
    assert first == Posted({"award_id": 1, "points": 100})
    assert second == Posted({"award_id": 1, "points": 100}, replayed=True)
    assert second.to_dict() == {"status": "posted", "replayed": True, "result": first.result}
    assert len(award_rows(store)) == 1
    assert [r.decision for r in records(store)] == ["allow", "replayed"]


async def test_the_same_key_with_other_arguments_is_an_error_and_executes_nothing(
    guard: Guard, store: Store
) -> None:
    carol = guard.principal("carol")
    await guard.submit(carol, "award_points", award_args(100), "key-1")
    with pytest.raises(IdempotencyConflictError, match="key-1"):
        await guard.submit(carol, "award_points", award_args(101), "key-1")
    with pytest.raises(IdempotencyConflictError):
        await guard.submit(guard.principal("bob"), "award_points", award_args(100), "key-1")
    with pytest.raises(IdempotencyConflictError):
        await guard.submit(carol, "adjust_points", award_args(100), "key-1")
    assert len(award_rows(store)) == 1


async def test_an_identical_call_without_a_key_the_same_day_is_a_retry(
    guard: Guard, store: Store, clock: FixedClock
) -> None:
    carol = guard.principal("carol")
    first = await guard.submit(carol, "award_points", award_args(100))
    clock.advance(timedelta(hours=5))
    assert await guard.submit(carol, "award_points", award_args(100)) == replay_of(first)
    assert isinstance(await guard.submit(carol, "award_points", award_args(101)), Posted)
    assert len(award_rows(store)) == 2


async def test_the_derived_key_changes_at_midnight_in_the_policy_time_zone(
    guard: Guard, store: Store, clock: FixedClock
) -> None:
    carol = guard.principal("carol")
    clock.set(clock.now().replace(hour=22, minute=59))  # 23:59 in Prague
    await guard.submit(carol, "award_points", award_args(100))
    clock.set(clock.now().replace(hour=23, minute=0))  # 00:00 the next day in Prague
    second = await guard.submit(carol, "award_points", award_args(100))
    assert second == Posted({"award_id": 2, "points": 100})
    assert len(award_rows(store)) == 2


async def test_a_repeated_request_for_approval_returns_the_same_approval_id(
    guard: Guard, store: Store
) -> None:
    assistant = guard.principal("assistant")
    first = await guard.submit(assistant, "award_points", award_args(3000))
    again = await guard.submit(assistant, "award_points", award_args(3000))
    assert isinstance(first, PendingApproval)
    assert again == first
    assert len(list_approvals(store)) == 1


async def test_a_denial_is_not_stored_so_the_retry_is_judged_afresh(guard: Guard) -> None:
    carol, alice = guard.principal("carol"), guard.principal("alice")
    await Controls(guard).set_mode(alice, "read_only")
    assert isinstance(await guard.submit(carol, "award_points", award_args(10), "k"), Denied)
    await Controls(guard).set_mode(alice, "automate")
    assert isinstance(await guard.submit(carol, "award_points", award_args(10), "k"), Posted)


async def test_a_retry_of_a_write_that_moves_no_points_is_answered_without_describing_it_again(
    store: Store, clock: FixedClock
) -> None:
    described: list[int] = []

    async def describe(args: dict[str, object]) -> Facts:
        described.append(1)
        return Facts(membership_id="m-1")

    spec = ActionSpec("award_points", "write", Transactional(insert_award), describe)
    guard = Guard(store, make_policy(mode="automate"), [spec], clock=clock, audit_key=None)
    for _ in range(3):
        await guard.submit(guard.principal("carol"), "award_points", award_args(10), "k")
    assert described == [1]


async def test_a_points_retry_is_found_by_the_transactions_first_read_even_if_describing_fails(
    store: Store, clock: FixedClock
) -> None:
    """A points write reads its key with the policy state and the day's sums (one statement),
    so a retry is described again before it is answered as it was; a retry that cannot be
    described now (the membership left, Mews is down) is still answered as it was."""
    described: list[int] = []

    async def describe(args: dict[str, object]) -> Facts:
        described.append(1)
        if len(described) > 2:
            raise RuntimeError("membership m-1 is not active")
        return Facts(points=10, membership_id="m-1")

    spec = ActionSpec("award_points", "points", Transactional(insert_award), describe)
    guard = Guard(store, make_policy(mode="automate"), [spec], clock=clock, audit_key=None)
    carol = guard.principal("carol")
    first = await guard.submit(carol, "award_points", award_args(10), "k")
    outcomes = [await guard.submit(carol, "award_points", award_args(10), "k") for _ in range(2)]

    assert outcomes == [replay_of(first), replay_of(first)]
    assert described == [1, 1, 1]
    assert len(award_rows(store)) == 1
    assert [r.decision for r in records(store)] == ["allow", "replayed", "replayed"]


async def test_keys_are_shared_by_every_guard_on_the_same_database(
    guard: Guard, store: Store, clock: FixedClock
) -> None:
    other = Guard(
        store,
        make_policy(mode="automate"),
        [guard.spec("award_points")],
        clock=clock,
        audit_key=None,
    )
    first = await guard.submit(guard.principal("carol"), "award_points", award_args(5), "k")
    again = await other.submit(other.principal("carol"), "award_points", award_args(5), "k")
    assert again == replay_of(first)
    assert len(award_rows(store)) == 1


async def test_a_replay_of_an_approved_and_executed_request_says_posted_not_pending(
    guard: Guard,
) -> None:
    carol = guard.principal("carol")
    pending = await guard.submit(carol, "award_points", award_args(3000), "big-1")
    assert isinstance(pending, PendingApproval)
    executed = await ApprovalDesk(guard).approve(guard.principal("alice"), pending.approval_id)

    again = await guard.submit(carol, "award_points", award_args(3000), "big-1")

    assert isinstance(executed, Posted)
    assert again == Posted(executed.result, replayed=True)


async def test_a_replay_of_a_rejected_request_says_denied(guard: Guard) -> None:
    carol = guard.principal("carol")
    pending = await guard.submit(carol, "award_points", award_args(3000), "big-2")
    assert isinstance(pending, PendingApproval)
    await ApprovalDesk(guard).reject(guard.principal("alice"), pending.approval_id, "no")

    again = await guard.submit(carol, "award_points", award_args(3000), "big-2")

    assert isinstance(again, Denied)
    assert again.rule == "approvals.rejected"


async def test_a_key_that_arrives_between_the_first_look_and_the_write_replays(
    guard: Guard, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write transaction does not look the key up again when the look before it found
    nothing; a same-key call that committed in between (another process) is refused by the
    record's primary key, and this call runs again, looking: a replay, executed once."""
    carol = guard.principal("carol")
    first = await guard.submit(carol, "award_points", award_args(100), "key-1")
    monkeypatch.setattr(guard, "_lookup", lambda key, digest: None)  # looked before it landed
    second = await guard.submit(carol, "award_points", award_args(100), "key-1")
    assert second == replay_of(first)
    assert len(award_rows(store)) == 1
    assert [r.decision for r in records(store)] == ["allow", "replayed"]
