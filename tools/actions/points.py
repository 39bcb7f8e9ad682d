"""Points movements as guarded writes: award, adjust, redeem a reward, reverse an entry.

Each is `Transactional`: the ledger entry, the cap usage, the idempotency record and the audit
record commit together. `describe` reads the membership from Mews (customer, program, tier) and
tells the policy the signed points, the goodwill flag, the variance of a dynamic price and the
locks to hold. The ledger queues the new balance for Mews through the outbox; a redemption also
queues what the hotel needs to fulfil it (`tools.actions.fulfilment`): a task linked to the
member's stay naming the guest and the room, and a zero-price order of the reward on the stay.

A Canceled or Declined membership earns nothing: `award_points` (plain or goodwill) is refused
before the policy decides (`InactiveMembershipError`, audited as `rejected`). Corrections stay
possible: `adjust_points` and `reverse_points_entry` still apply (under the usual adjustment
thresholds and approvals), so a manager can clean up such a membership's balance; a redemption
is refused by the reward's eligibility checks.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.engine import Connection

from policies import ExecContext, Facts
from tools.actions.accounts import open_account
from tools.actions.directory import MembershipRef
from tools.actions.errors import (
    InactiveMembershipError,
    InvalidActionArgumentsError,
    NotEligibleError,
)
from tools.actions.fulfilment import Stay, queue_order
from tools.actions.models import (
    AdjustInput,
    AdjustPointsArgs,
    AwardInput,
    AwardPointsArgs,
    PointsPosted,
    RedeemInput,
    RedeemRewardArgs,
    RedemptionPosted,
    ReverseInput,
    ReversePointsArgs,
)
from tools.actions.notices import queue_task
from tools.actions.write import GuardedWrite, InTransaction, WriteDeps
from tools.loyalty import (
    INACTIVE_MEMBERSHIP_STATES,
    Account,
    LedgerEntry,
    MembershipFacts,
    ProgramConfig,
    Source,
    balance,
    check_eligibility,
    get_account,
    ledger_lock_key,
    post_entry,
    post_entry_available,
    redemption_price,
    redemptions_on,
    reverse_entry,
    reward_inventory_lock_key,
)
from tools.loyalty.config import RewardConfig
from tools.loyalty.errors import RefusedRequestError, UnknownAccountError
from tools.loyalty.ledger_reads import available_points, reversed_under_key

__all__ = ["ADJUST_POINTS", "AWARD_POINTS", "REDEEM_REWARD", "REVERSE_POINTS_ENTRY"]

_PUSHES = True  # open world: the balance (and notes, tasks) go to Mews


# ---------------------------------------------------------------------------- shared steps
async def _lookup(deps: WriteDeps, membership_id: str, *, fresh: bool = False) -> MembershipRef:
    ref = await deps.directory.lookup(membership_id, fresh=fresh)
    deps.directory.program_of(ref)  # refuse unconfigured programs before deciding
    return ref


def _account(
    deps: WriteDeps, conn: Connection, membership_id: str, ctx: ExecContext
) -> tuple[MembershipRef, ProgramConfig, Account]:
    """The membership (as `describe` read it) with its ledger account (locked for this
    transaction), opened if new."""
    ref = deps.directory.remembered(membership_id)
    program = deps.directory.program_of(ref)
    account = get_account(conn, membership_id, for_update=True)
    return ref, program, account or open_account(conn, ref, program, ctx)


def _posted(entry: LedgerEntry, available: int) -> PointsPosted:
    """The posted entry, its balance after it as `balance`, and the points spendable after it."""
    return PointsPosted(
        membership_id=entry.membership_id,
        entry_id=entry.id,
        kind=entry.kind,
        points=entry.points,
        balance=entry.balance_after,
        available=available,
    )


def _source(ctx: ExecContext) -> Source:
    return Source("approval", ctx.approval_id) if ctx.approval_id else Source("manual")


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


def _adjustment_or_accrual(
    deps: WriteDeps,
    conn: Connection,
    args: AwardPointsArgs | AdjustPointsArgs,
    kind: Literal["accrual", "adjustment"],
    ctx: ExecContext,
) -> PointsPosted:
    ref = deps.directory.remembered(args.membership_id)
    program = deps.directory.program_of(ref)
    # A lot moves the account in the ledger's first statement (no read before it); a debit
    # reads it first, as does a membership's first posting (its account is opened here).
    account = None if args.points > 0 else _account(deps, conn, args.membership_id, ctx)[2]

    def post(account: Account | None) -> tuple[LedgerEntry, int]:
        return post_entry_available(
            conn,
            membership_id=args.membership_id,
            kind=kind,
            points=args.points,
            reason=args.reason,
            actor=ctx.actor,
            source=_source(ctx),
            idempotency_key=ctx.idempotency_key,
            program=program,
            now=ctx.now,
            account=account,
        )

    try:
        entry, available = post(account)
    except UnknownAccountError:  # nothing written yet: the first posting opens the account
        entry, available = post(open_account(conn, ref, program, ctx))
    return _posted(entry, available)


# ---------------------------------------------------------------------------- award
async def describe_award(deps: WriteDeps, args: AwardPointsArgs) -> Facts:
    ref = await _lookup(deps, args.membership_id)
    if ref.state in INACTIVE_MEMBERSHIP_STATES:
        raise InactiveMembershipError(ref.membership_id, ref.state)
    kind = "goodwill award" if args.goodwill else "award"
    return _facts(ref, args.points, f"{kind} of {args.points} points", goodwill=args.goodwill)


def award(
    deps: WriteDeps, conn: Connection, args: AwardPointsArgs, ctx: ExecContext
) -> PointsPosted:
    return _adjustment_or_accrual(
        deps, conn, args, "adjustment" if args.goodwill else "accrual", ctx
    )


AWARD_POINTS = GuardedWrite(
    name="award_points",
    title="Award points",
    description="Add points to a membership (pending_approval: do not retry).",
    kind="points",
    input=AwardInput,
    args=AwardPointsArgs,
    result=PointsPosted,
    describe=describe_award,
    execute=InTransaction(award),
    open_world=_PUSHES,
)


# ---------------------------------------------------------------------------- adjust
async def describe_adjust(deps: WriteDeps, args: AdjustPointsArgs) -> Facts:
    ref = await _lookup(deps, args.membership_id)
    note = f"adjustment of {args.points:+d} points"
    return _facts(ref, args.points, note, goodwill=args.points > 0)


def adjust(
    deps: WriteDeps, conn: Connection, args: AdjustPointsArgs, ctx: ExecContext
) -> PointsPosted:
    return _adjustment_or_accrual(deps, conn, args, "adjustment", ctx)


ADJUST_POINTS = GuardedWrite(
    name="adjust_points",
    title="Adjust points",
    description="Correct a membership's points by a signed amount.",
    kind="points",
    input=AdjustInput,
    args=AdjustPointsArgs,
    result=PointsPosted,
    describe=describe_adjust,
    execute=InTransaction(adjust),
    open_world=_PUSHES,
)


# ---------------------------------------------------------------------------- redeem
async def price_redemption(deps: WriteDeps, given: RedeemInput) -> RedeemRewardArgs:
    """The reward at the day's price, refused before the guard if the member is not eligible
    (checked again when it executes; this spares a doomed approval)."""
    ref = await deps.directory.lookup(given.membership_id)
    program = deps.directory.program_of(ref)
    on = given.on or deps.clock.now().date()
    occupancy = await deps.loader.occupancy(on)
    quote = redemption_price(program, given.reward_id, on=on, occupancy=occupancy)
    found = await deps.loader.members([ref.customer_id], with_stays=False)
    member = found.get(ref.customer_id)
    if member is None:
        raise RefusedRequestError(
            f"no customer {ref.customer_id!r} in Mews; look members up with find_members",
            field="customer_id",
        )
    membership = next(m for m in member.memberships if m.membership_id == ref.membership_id)
    with deps.store.read() as conn:
        redeemed = redemptions_on(conn, given.reward_id, on)
    verdict = check_eligibility(
        program,
        given.reward_id,
        membership=membership,
        on=on,
        redeemed_that_day=redeemed,
        price_points=quote.price_points,
    )
    if not verdict.eligible:
        raise RefusedRequestError(f"not eligible: {verdict.reasoning}", field="reward_id")
    # Fulfilled on the member's stay that day (the task and the order are linked to it).
    stay = await deps.stays.locate(ref.customer_id, on)
    return RedeemRewardArgs(
        membership_id=given.membership_id,
        reward_id=given.reward_id,
        on=on,
        price_points=quote.price_points,
        reservation_id=None if stay is None else stay.reservation_id,
    )


async def describe_redeem(deps: WriteDeps, args: RedeemRewardArgs) -> Facts:
    # Spending points: the membership as Mews has it now (state, and the balance an
    # unopened account opens with), never a cached read.
    ref = await _lookup(deps, args.membership_id, fresh=True)
    program = deps.directory.program_of(ref)
    reward = program.reward(args.reward_id)
    bounds = program.dynamic_pricing
    floor = int(reward.base_points * bounds.redemption_floor)
    ceiling = int(reward.base_points * bounds.redemption_ceiling)
    if not floor <= args.price_points <= ceiling:
        raise InvalidActionArgumentsError(
            "price_points", f"must be within [{floor}, {ceiling}] for {reward.id}"
        )
    variance = (args.price_points - reward.base_points) / reward.base_points
    hotel = None
    if args.reservation_id is not None:  # the executor fulfils on it (no Mews call there)
        stay = await deps.stays.read(args.reservation_id, customer_id=ref.customer_id)
        hotel = stay.enterprise_id or None
    return _facts(
        ref,
        -args.price_points,
        f"redemption of {reward.name} on {args.on} for {args.price_points} points",
        variance=variance,
        enterprise_id=hotel,
        lock_keys=(reward_inventory_lock_key(reward.id, args.on),),
    )


def redeem(
    deps: WriteDeps, conn: Connection, args: RedeemRewardArgs, ctx: ExecContext
) -> RedemptionPosted:
    ref, program, _ = _account(deps, conn, args.membership_id, ctx)
    reward = program.reward(args.reward_id)
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
        on=args.on,
        redeemed_that_day=redemptions_on(conn, reward.id, args.on),
        price_points=args.price_points,
    )
    if not verdict.eligible:
        raise NotEligibleError(reward.id, verdict.reasoning)
    entry = post_entry(
        conn,
        membership_id=ref.membership_id,
        kind="redemption",
        points=-args.price_points,
        reason=f"redeemed {reward.name} for {args.on}",
        actor=ctx.actor,
        source=Source("reward", reward.id),
        idempotency_key=ctx.idempotency_key,
        program=program,
        now=ctx.now,
    )
    stay = _stay(deps, args)
    fulfilment = _fulfil_reward(conn, stay, reward, args, entry, program, ctx)
    posted = _posted(entry, available_points(conn, entry.membership_id, now=ctx.now))
    return RedemptionPosted(
        **posted.model_dump(),
        reward_id=reward.id,
        reward_name=reward.name,
        on=args.on,
        fulfilment=fulfilment,
    )


def redemption_reversed(deps: WriteDeps, key: str) -> bool:
    """A redemption posted under `key` and reversed since: redeeming again is a new redemption."""
    with deps.store.read() as conn:
        return reversed_under_key(conn, key)


def _stay(deps: WriteDeps, args: RedeemRewardArgs) -> Stay | None:
    if args.reservation_id is None:
        return None
    stay = deps.stays.remembered(args.reservation_id)
    if stay is None:  # `describe` reads it just before; only a bug can get here
        raise InvalidActionArgumentsError("reservation_id", "the stay was not read before")
    return stay


def _fulfil_reward(
    conn: Connection,
    stay: Stay | None,
    reward: RewardConfig,
    args: RedeemRewardArgs,
    entry: LedgerEntry,
    program: ProgramConfig,
    ctx: ExecContext,
) -> str:
    """Queue the hotel's task (linked to the stay) and the zero-price order of the reward on
    the stay; the task's text."""
    paid = f"{args.price_points} points, ledger entry {entry.id}"
    if stay is None:
        fulfilment = (
            f"Loyalty reward to fulfil: {reward.name} on {args.on} for member "
            f"{entry.membership_id}, who has no stay that day ({paid})."
        )
        queue_task(
            conn,
            name=f"Loyalty reward: {reward.name}",
            description=fulfilment,
            deadline=ctx.now + timedelta(days=1),
            now=ctx.now,
        )
        return fulfilment
    link = reward.mews_product
    product = None if link is None else stay.product(id=link.id, name=link.name)
    order = queue_order(
        conn,
        stay,
        entry_id=entry.id,
        name=reward.name,
        cash=Decimal(0),
        currency=program.currency,
        product=product,
        notes=f"Loyalty reward redeemed for {paid}",
        now=ctx.now,
    )
    on_bill = " It is on the stay as a zero-price item." if order is not None else ""
    fulfilment = (
        f"Loyalty reward to fulfil: {reward.name} on {args.on} for {stay.label()} "
        f"({paid}).{on_bill}"
    )
    queue_task(
        conn,
        name=f"Loyalty reward: {reward.name} for {stay.guest}",
        description=fulfilment,
        deadline=ctx.now + timedelta(days=1),
        now=ctx.now,
        service_order_id=stay.reservation_id,
        enterprise_id=stay.enterprise_id,
    )
    return fulfilment


REDEEM_REWARD = GuardedWrite(
    name="redeem_reward",
    title="Redeem reward",
    description="Redeem a reward at the day's price; the hotel gets a task and an order.",
    kind="points",
    input=RedeemInput,
    args=RedeemRewardArgs,
    result=RedemptionPosted,
    prepare=price_redemption,
    describe=describe_redeem,
    execute=InTransaction(redeem),
    undone=redemption_reversed,
    open_world=_PUSHES,
)


# ---------------------------------------------------------------------------- reverse
async def describe_reverse(deps: WriteDeps, args: ReversePointsArgs) -> Facts:
    ref = await _lookup(deps, args.membership_id)
    entry = deps.directory.ledger_entry(args.membership_id, args.entry_id)
    # A reversal never issues points as far as the caps go (policies.decision); its size
    # still meets the approval threshold. An unknown entry is refused by the executor.
    points = 0 if entry is None else -abs(entry.points)
    facts = _facts(ref, points, f"reversal of ledger entry {args.entry_id}")
    if entry is not None and entry.points < 0:
        # Undoing a redemption gives the member's own points back: judged like the
        # redemption it undoes, not as a deduction.
        facts = dataclasses.replace(facts, movement="redeem")
    return facts


def reverse(
    deps: WriteDeps, conn: Connection, args: ReversePointsArgs, ctx: ExecContext
) -> PointsPosted:
    _account(deps, conn, args.membership_id, ctx)
    # The arguments name the entry to undo as the ledger does (membership, entry, reason).
    entry = reverse_entry(
        conn, **args.model_dump(), actor=ctx.actor, now=ctx.now, idempotency_key=ctx.idempotency_key
    )
    return _posted(entry, available_points(conn, entry.membership_id, now=ctx.now))


REVERSE_POINTS_ENTRY = GuardedWrite(
    name="reverse_points_entry",
    title="Reverse points entry",
    description="Undo one ledger entry exactly.",
    kind="points",
    input=ReverseInput,
    args=ReversePointsArgs,
    result=PointsPosted,
    describe=describe_reverse,
    execute=InTransaction(reverse),
    destructive=True,
    open_world=_PUSHES,
)
