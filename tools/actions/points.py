"""Points movements as guarded actions: award, adjust, redeem a reward, reverse an entry.

Each is `Transactional`: the ledger entry, the cap usage, the idempotency record and the audit
record commit together. `describe` reads the membership from Mews (customer, program, tier) and
tells the policy the signed points, the goodwill flag, the variance of a dynamic price and the
locks to hold. The ledger queues the new balance for Mews through the outbox; a redemption also
queues a Mews task telling the property what to fulfil.

A Canceled or Declined membership earns nothing: `award_points` (plain or goodwill) is refused
before the policy decides (`InactiveMembershipError`, audited as `rejected`). Corrections stay
possible: `adjust_points` and `reverse_points_entry` still apply (under the usual adjustment
thresholds and approvals), so a manager can clean up such a membership's balance; a redemption
is refused by the reward's eligibility checks.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Transactional
from storage.canonical import JSONObject
from storage.outbox import enqueue
from tools.actions.directory import MembershipDirectory, MembershipRef
from tools.actions.errors import (
    InactiveMembershipError,
    InvalidActionArgumentsError,
    NotEligibleError,
)
from tools.actions.models import (
    AdjustPointsArgs,
    AwardPointsArgs,
    PointsPosted,
    RedeemRewardArgs,
    RedemptionPosted,
    ReversePointsArgs,
)
from tools.loyalty import (
    INACTIVE_MEMBERSHIP_STATES,
    LedgerEntry,
    MembershipFacts,
    ProgramConfig,
    Source,
    balance,
    check_eligibility,
    ensure_account,
    get_account,
    ledger_lock_key,
    post_entry,
    redemptions_on,
    reverse_entry,
    reward_inventory_lock_key,
)
from tools.loyalty.ledger_reads import available_points

__all__ = ["points_actions"]


def _account(
    conn: Connection, directory: MembershipDirectory, membership_id: str, ctx: ExecContext
) -> tuple[MembershipRef, ProgramConfig]:
    """The membership (as `describe` read it) with its ledger account opened if new."""
    ref = directory.remembered(membership_id)
    program = directory.program_of(ref)
    if get_account(conn, membership_id) is None:
        ensure_account(
            conn,
            membership_id=membership_id,
            chain_id=ref.chain_id,
            program_id=ref.program_id,
            program=program,
            customer_id=ref.customer_id,
            mews_points=ref.mews_points,
            now=ctx.now,
            actor=ctx.principal.name,
        )
    return ref, program


def _posted(conn: Connection, entry: LedgerEntry, ctx: ExecContext) -> PointsPosted:
    # The entry carries the balance it left; only the available part needs the open lots.
    return PointsPosted(
        membership_id=entry.membership_id,
        entry_id=entry.id,
        kind=entry.kind,
        points=entry.points,
        balance=entry.balance_after,
        available=available_points(conn, entry.membership_id, now=ctx.now),
    )


def _actor(ctx: ExecContext) -> str:
    if ctx.approved_by:
        return f"{ctx.principal.name} (approved by {ctx.approved_by})"
    return ctx.principal.name


def _facts(ref: MembershipRef, points: int, note: str, **more: Any) -> Facts:
    return Facts(
        points=points,
        membership_id=ref.membership_id,
        program_id=ref.program_id,
        customer_id=ref.customer_id,
        lock_keys=(ledger_lock_key(ref.membership_id), *more.pop("lock_keys", ())),
        note=note,
        **more,
    )


def points_actions(directory: MembershipDirectory) -> tuple[ActionSpec, ...]:
    """The ActionSpecs of every points movement, bound to one membership directory."""

    async def lookup(membership_id: str, *, fresh: bool = False) -> MembershipRef:
        ref = await directory.lookup(membership_id, fresh=fresh)
        directory.program_of(ref)  # refuse unconfigured programs before deciding
        return ref

    # ------------------------------------------------------------------ award
    async def describe_award(args: JSONObject) -> Facts:
        parsed = AwardPointsArgs.model_validate(args)
        ref = await lookup(parsed.membership_id)
        if ref.state in INACTIVE_MEMBERSHIP_STATES:
            raise InactiveMembershipError(ref.membership_id, ref.state)
        kind = "goodwill award" if parsed.goodwill else "award"
        return _facts(
            ref, parsed.points, f"{kind} of {parsed.points} points", goodwill=parsed.goodwill
        )

    def award(conn: Connection, args: JSONObject, ctx: ExecContext) -> PointsPosted:
        parsed = AwardPointsArgs.model_validate(args)
        _, program = _account(conn, directory, parsed.membership_id, ctx)
        entry = post_entry(
            conn,
            membership_id=parsed.membership_id,
            kind="adjustment" if parsed.goodwill else "accrual",
            points=parsed.points,
            reason=parsed.reason,
            actor=_actor(ctx),
            source=_source(ctx),
            idempotency_key=ctx.idempotency_key,
            program=program,
            now=ctx.now,
        )
        return _posted(conn, entry, ctx)

    # ------------------------------------------------------------------ adjust
    async def describe_adjust(args: JSONObject) -> Facts:
        parsed = AdjustPointsArgs.model_validate(args)
        ref = await lookup(parsed.membership_id)
        return _facts(
            ref,
            parsed.points,
            f"adjustment of {parsed.points:+d} points",
            goodwill=parsed.points > 0,
        )

    def adjust(conn: Connection, args: JSONObject, ctx: ExecContext) -> PointsPosted:
        parsed = AdjustPointsArgs.model_validate(args)
        _, program = _account(conn, directory, parsed.membership_id, ctx)
        entry = post_entry(
            conn,
            membership_id=parsed.membership_id,
            kind="adjustment",
            points=parsed.points,
            reason=parsed.reason,
            actor=_actor(ctx),
            source=_source(ctx),
            idempotency_key=ctx.idempotency_key,
            program=program,
            now=ctx.now,
        )
        return _posted(conn, entry, ctx)

    # ------------------------------------------------------------------ redeem
    async def describe_redeem(args: JSONObject) -> Facts:
        parsed = RedeemRewardArgs.model_validate(args)
        # Spending points: the membership as Mews has it now (state, and the balance an
        # unopened account opens with), never a cached read.
        ref = await lookup(parsed.membership_id, fresh=True)
        program = directory.program_of(ref)
        reward = program.reward(parsed.reward_id)
        bounds = program.dynamic_pricing
        floor = int(reward.base_points * bounds.redemption_floor)
        ceiling = int(reward.base_points * bounds.redemption_ceiling)
        if not floor <= parsed.price_points <= ceiling:
            raise InvalidActionArgumentsError(
                "price_points", f"must be within [{floor}, {ceiling}] for {reward.id}"
            )
        variance = (parsed.price_points - reward.base_points) / reward.base_points
        return _facts(
            ref,
            -parsed.price_points,
            f"redemption of {reward.name} on {parsed.on} for {parsed.price_points} points",
            variance=variance,
            lock_keys=(reward_inventory_lock_key(reward.id, parsed.on),),
        )

    def redeem(conn: Connection, args: JSONObject, ctx: ExecContext) -> RedemptionPosted:
        parsed = RedeemRewardArgs.model_validate(args)
        ref, program = _account(conn, directory, parsed.membership_id, ctx)
        reward = program.reward(parsed.reward_id)
        membership = MembershipFacts(
            membership_id=ref.membership_id,
            program_id=ref.program_id,
            program_code=program.code,
            state=ref.state,
            tier_code=ref.tier_code,
            balance=balance(conn, ref.membership_id, now=ctx.now),
        )
        verdict = check_eligibility(
            program,
            reward.id,
            membership=membership,
            on=parsed.on,
            redeemed_that_day=redemptions_on(conn, reward.id, parsed.on),
            price_points=parsed.price_points,
        )
        if not verdict.eligible:
            raise NotEligibleError(reward.id, verdict.reasoning)
        entry = post_entry(
            conn,
            membership_id=ref.membership_id,
            kind="redemption",
            points=-parsed.price_points,
            reason=f"redeemed {reward.name} for {parsed.on}",
            actor=_actor(ctx),
            source=Source("reward", reward.id),
            idempotency_key=ctx.idempotency_key,
            program=program,
            now=ctx.now,
        )
        fulfilment = (
            f"Loyalty reward to fulfil: {reward.name} on {parsed.on} for membership "
            f"{ref.membership_id} (ledger entry {entry.id}, {parsed.price_points} points)."
        )
        deadline = ctx.now + timedelta(days=1)
        enqueue(
            conn,
            "tasks/add",
            {
                "Name": f"Loyalty reward: {reward.name}"[:100],
                "DeadlineUtc": deadline.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Description": fulfilment,
            },
            now=ctx.now,
        )
        posted = _posted(conn, entry, ctx)
        return RedemptionPosted(
            **posted.model_dump(),
            reward_id=reward.id,
            reward_name=reward.name,
            on=parsed.on,
            fulfilment=fulfilment,
        )

    # ------------------------------------------------------------------ reverse
    async def describe_reverse(args: JSONObject) -> Facts:
        parsed = ReversePointsArgs.model_validate(args)
        ref = await lookup(parsed.membership_id)
        entry = directory.ledger_entry(parsed.membership_id, parsed.entry_id)
        # A reversal never issues points as far as the caps go (policies.decision); its size
        # still meets the approval threshold. An unknown entry is refused by the executor.
        points = 0 if entry is None else -abs(entry.points)
        facts = _facts(ref, points, f"reversal of ledger entry {parsed.entry_id}")
        if entry is not None and entry.points < 0:
            # Undoing a redemption gives the member's own points back: judged like the
            # redemption it undoes, not as a deduction.
            facts = dataclasses.replace(facts, movement="redeem")
        return facts

    def reverse(conn: Connection, args: JSONObject, ctx: ExecContext) -> PointsPosted:
        parsed = ReversePointsArgs.model_validate(args)
        _account(conn, directory, parsed.membership_id, ctx)
        entry = reverse_entry(
            conn,
            membership_id=parsed.membership_id,
            entry_id=parsed.entry_id,
            reason=parsed.reason,
            actor=_actor(ctx),
            now=ctx.now,
            idempotency_key=ctx.idempotency_key,
        )
        return _posted(conn, entry, ctx)

    return (
        ActionSpec("award_points", "points", Transactional(award), describe_award),
        ActionSpec("adjust_points", "points", Transactional(adjust), describe_adjust),
        ActionSpec("redeem_reward", "points", Transactional(redeem), describe_redeem),
        ActionSpec("reverse_points_entry", "points", Transactional(reverse), describe_reverse),
    )


def _source(ctx: ExecContext) -> Source:
    return Source("approval", ctx.approval_id) if ctx.approval_id else Source("manual")
