"""The points writes at their own seam: `describe` against the sandbox's memberships, then the
executor against the ledger (award, adjust, redeem, reverse)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from storage.outbox import outbox_table
from tests.actions.conftest import execute
from tools.actions import (
    ADJUST_POINTS,
    AWARD_POINTS,
    REDEEM_REWARD,
    REVERSE_POINTS_ENTRY,
    WriteDeps,
)
from tools.actions.errors import InactiveMembershipError
from tools.actions.models import (
    AdjustPointsArgs,
    AwardPointsArgs,
    RedeemInput,
    ReversePointsArgs,
)
from tools.loyalty import ledger_lock_key
from tools.loyalty.errors import RefusedRequestError
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership  # Silver, 6,240 points in Mews


async def test_award_describes_the_member_and_posts_an_accrual_on_the_opening_balance(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    args = AwardPointsArgs(membership_id=EMMA, points=100, reason="spa closure")
    facts = await AWARD_POINTS.describe(deps, args)
    assert (facts.points, facts.membership_id, facts.customer_id) == (100, EMMA, STORY.emma_novak)
    assert facts.program_id == STORY.program_pc01
    assert facts.goodwill is False
    assert facts.note == "award of 100 points"
    assert facts.lock_keys == (ledger_lock_key(EMMA),)

    posted = await execute(runtime, AWARD_POINTS, args)
    assert (posted.kind, posted.points, posted.balance) == ("accrual", 100, 6340)


async def test_a_goodwill_award_is_an_adjustment_judged_as_goodwill(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    args = AwardPointsArgs(membership_id=EMMA, points=50, reason="a gesture", goodwill=True)
    facts = await AWARD_POINTS.describe(deps, args)
    assert facts.goodwill is True
    assert facts.note == "goodwill award of 50 points"
    posted = await execute(runtime, AWARD_POINTS, args)
    assert (posted.kind, posted.balance) == ("adjustment", 6290)


async def test_no_award_to_a_canceled_membership(deps: WriteDeps) -> None:
    args = AwardPointsArgs(
        membership_id=STORY.canceled_member_membership, points=10, reason="late bonus"
    )
    with pytest.raises(InactiveMembershipError, match="is Canceled"):
        await AWARD_POINTS.describe(deps, args)


async def test_adjust_moves_points_either_way(runtime: LoyaltyRuntime, deps: WriteDeps) -> None:
    args = AdjustPointsArgs(membership_id=EMMA, points=-240, reason="double-counted stay")
    facts = await ADJUST_POINTS.describe(deps, args)
    assert (facts.points, facts.goodwill, facts.note) == (-240, False, "adjustment of -240 points")
    posted = await execute(runtime, ADJUST_POINTS, args)
    assert (posted.kind, posted.points, posted.balance, posted.available) == (
        "adjustment",
        -240,
        6000,
        6000,
    )


async def test_redeem_is_priced_before_the_guard_then_posted_with_a_task_for_the_hotel(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    on = runtime.clock.now().date() + timedelta(days=3)
    assert REDEEM_REWARD.prepare is not None
    args = await REDEEM_REWARD.prepare(
        deps, RedeemInput(membership_id=EMMA, reward_id="late-checkout", on=on)
    )
    reward = deps.programs.program("PC01").reward("late-checkout")
    bounds = deps.programs.program("PC01").dynamic_pricing
    assert reward.base_points * bounds.redemption_floor <= args.price_points
    assert args.price_points <= reward.base_points * bounds.redemption_ceiling
    assert args.on == on

    facts = await REDEEM_REWARD.describe(deps, args)
    assert facts.points == -args.price_points
    assert facts.variance == pytest.approx(
        (args.price_points - reward.base_points) / reward.base_points
    )
    assert len(facts.lock_keys) == 2

    posted = await execute(runtime, REDEEM_REWARD, args)
    assert (posted.kind, posted.points) == ("redemption", -args.price_points)
    assert posted.balance == 6240 - args.price_points
    assert posted.reward_id == "late-checkout"
    assert f"ledger entry {posted.entry_id}" in posted.fulfilment
    with runtime.store.read() as conn:
        tasks = conn.execute(
            sa.select(outbox_table.c.payload).where(outbox_table.c.kind == "tasks/add")
        ).all()
    assert [json.loads(row.payload)["Description"] for row in tasks] == [posted.fulfilment]


async def test_redeem_refuses_a_reward_the_tier_cannot_have_before_the_guard(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    assert REDEEM_REWARD.prepare is not None
    with pytest.raises(RefusedRequestError, match="not eligible") as refused:
        await REDEEM_REWARD.prepare(
            deps,
            RedeemInput(membership_id=EMMA, reward_id="room-upgrade"),  # Gold and up
        )
    assert refused.value.field == "reward_id"


async def test_reverse_undoes_one_entry_exactly(runtime: LoyaltyRuntime, deps: WriteDeps) -> None:
    award = AwardPointsArgs(membership_id=EMMA, points=300, reason="wrong member")
    await AWARD_POINTS.describe(deps, award)
    awarded = await execute(runtime, AWARD_POINTS, award, key="award-1")

    args = ReversePointsArgs(membership_id=EMMA, entry_id=awarded.entry_id, reason="wrong member")
    facts = await REVERSE_POINTS_ENTRY.describe(deps, args)
    assert facts.points == -300
    assert facts.movement != "redeem"
    assert facts.note == f"reversal of ledger entry {awarded.entry_id}"
    reversed_ = await execute(runtime, REVERSE_POINTS_ENTRY, args, key="reverse-1")
    assert (reversed_.points, reversed_.balance) == (-300, 6240)
