"""Loyalty memberships in Mews as guarded writes: enrol, update, delete (`CallsOut`).

Memberships are loyalty writes (kind `write`, deletes `delete`). Each is sent with its own
chain's id (a portfolio may span several chains; Mews wants `ChainId` to match). A tier change
to a lower tier (Mews `Ordering`) is reported to the policy as a downgrade, and one up by the
tiers it passes. New memberships are handed to `WriteDeps.on_enrolled` (the welcome bonus),
the tier changes Mews made to `WriteDeps.on_tier_changed` (the tier-change message). The
server's `update_loyalty_memberships` tool adds a points value on top, as an `adjust_points`
ledger adjustment.
"""

from __future__ import annotations

from policies import ExecContext, Facts
from tools.actions.admin_models import (
    AddMembershipsArgs,
    Deleted,
    DeleteMembershipsArgs,
    MembershipOut,
    MembershipsOut,
    NewMembership,
    UpdateMembershipsArgs,
    instant,
    membership_update,
)
from tools.actions.directory import MembershipRef
from tools.actions.errors import UnknownMembershipError
from tools.actions.landed import memberships_added, memberships_deleted, memberships_updated
from tools.actions.programs import counted
from tools.actions.write import CallsOut, GuardedWrite, TierMove, WriteDeps
from tools.mews.models import (
    LoyaltyMembership,
    LoyaltyMembershipParameters,
    LoyaltyMembershipState,
)

__all__ = [
    "ADD_LOYALTY_MEMBERSHIPS",
    "DELETE_LOYALTY_MEMBERSHIPS",
    "UPDATE_LOYALTY_MEMBERSHIPS",
]


async def _chain_of(deps: WriteDeps, membership_id: str) -> str:
    """The membership's own chain (a portfolio may span several; `ChainId` must match)."""
    return (await _ref(deps, membership_id)).chain_id


async def _by_chain(deps: WriteDeps, ids: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for membership_id in ids:
        groups.setdefault(await _chain_of(deps, membership_id), []).append(membership_id)
    return groups


# ---------------------------------------------------------------------------- enrol
async def describe_add(_deps: WriteDeps, args: AddMembershipsArgs) -> Facts:
    single = args.memberships[0].account_id if len(args.memberships) == 1 else None
    return Facts(customer_id=single, note=f"enrol {len(args.memberships)} membership(s)")


def _parameters(m: NewMembership) -> LoyaltyMembershipParameters:
    return LoyaltyMembershipParameters(
        account_id=m.account_id,
        loyalty_program_id=m.loyalty_program_id,
        is_primary=m.is_primary,
        state=None if m.state is None else LoyaltyMembershipState(m.state),
        membership_number=m.membership_number,
        loyalty_tier_id=m.loyalty_tier_id,
        expiration_date=instant(m.expiration_date),
    )


async def add_memberships(
    deps: WriteDeps, args: AddMembershipsArgs, _ctx: ExecContext
) -> MembershipsOut:
    accounts = list(dict.fromkeys(m.account_id for m in args.memberships))
    customers = await deps.mews.customers.get_all(customer_ids=accounts).to_list()
    default = await deps.loader.chain_id()
    chain_of_account = {c.id: c.chain_id or default for c in customers}
    groups: dict[str, list[NewMembership]] = {}
    for m in args.memberships:  # each customer's own chain (a portfolio may span several)
        groups.setdefault(chain_of_account.get(m.account_id, default), []).append(m)
    added: list[LoyaltyMembership] = []
    for chain, group in groups.items():
        added += await deps.mews.loyalty_memberships.add(
            [_parameters(m) for m in group], chain_id=chain
        )
    for follow in deps.on_enrolled:  # the welcome bonus: after Mews, whoever enrolled them
        await follow(added)
    return MembershipsOut(loyalty_memberships=[MembershipOut.of(m) for m in added])


ADD_LOYALTY_MEMBERSHIPS = GuardedWrite(
    name="add_loyalty_memberships",
    title="Add loyalty memberships",
    description="Enrol customers in programs (batch). Points start at zero: award them separately.",
    kind="write",
    input=AddMembershipsArgs,
    args=AddMembershipsArgs,
    result=MembershipsOut,
    describe=describe_add,
    execute=CallsOut(add_memberships, memberships_added),
    idempotent=False,
    open_world=True,
)


# ---------------------------------------------------------------------------- update
async def describe_update(deps: WriteDeps, args: UpdateMembershipsArgs) -> Facts:
    downgrade, steps_up = False, 0
    customers: set[str] = set()
    for update in args.updates:
        ref = await deps.directory.lookup(update.loyalty_membership_id)
        customers.add(ref.customer_id)
        if update.loyalty_tier_id and update.loyalty_tier_id != ref.tier_id:
            tiers = await deps.directory.tiers(ref.program_id)
            new = tiers.get(update.loyalty_tier_id)
            if ref.tier_ordering is not None and new is not None:
                downgrade = downgrade or new[1] < ref.tier_ordering
                # the tiers passed on the way up (Bronze to Gold passes Silver: 2 steps)
                passed = [o for _n, o in tiers.values() if ref.tier_ordering < o <= new[1]]
                steps_up = max(steps_up, len(passed))
    return Facts(
        tier_downgrade=downgrade,
        tier_steps_up=steps_up,
        customer_id=next(iter(customers)) if len(customers) == 1 else None,
        note=f"update {len(args.updates)} membership(s)"
        + (" including a tier downgrade" if downgrade else ""),
    )


async def update_memberships(
    deps: WriteDeps, args: UpdateMembershipsArgs, ctx: ExecContext
) -> MembershipsOut:
    wanted = {u.loyalty_membership_id: u for u in args.updates}
    before = {
        u.loyalty_membership_id: await _ref(deps, u.loyalty_membership_id)
        for u in args.updates
        if u.loyalty_tier_id
    }
    updated: list[LoyaltyMembership] = []
    for chain, ids in (await _by_chain(deps, list(wanted))).items():
        updated += await deps.mews.loyalty_memberships.update(
            [membership_update(wanted[i]) for i in ids], chain_id=chain
        )
    for membership_id in wanted:  # our own write: the cached read is stale now
        deps.directory.forget(membership_id)
    moves = await _tier_moves(deps, before, updated)
    for follow in deps.on_tier_changed:  # the tier-change message, whoever changed the tier
        await follow(moves, ctx.idempotency_key)
    return MembershipsOut(loyalty_memberships=[MembershipOut.of(m) for m in updated])


async def _ref(deps: WriteDeps, membership_id: str) -> MembershipRef:
    try:
        return deps.directory.remembered(membership_id)
    except UnknownMembershipError:
        return await deps.directory.lookup(membership_id)


async def _tier_moves(
    deps: WriteDeps, before: dict[str, MembershipRef], updated: list[LoyaltyMembership]
) -> list[TierMove]:
    """The memberships whose tier Mews now holds differs from the one they had."""
    moves: list[TierMove] = []
    for m in updated:
        old = before.get(m.id)
        if old is None or not m.loyalty_tier_id or m.loyalty_tier_id == old.tier_id:
            continue
        tier = (await deps.directory.tiers(m.loyalty_program_id)).get(m.loyalty_tier_id)
        if tier is None:
            continue
        moves.append(
            TierMove(
                m.id, m.account_id, m.loyalty_program_id, old.program_code, old.tier_code, tier[0]
            )
        )
    return moves


UPDATE_LOYALTY_MEMBERSHIPS = GuardedWrite(
    name="update_loyalty_memberships",
    title="Update loyalty memberships",
    description="Change state, tier, number, primary flag or expiry of memberships (batch). A "
    "points value becomes a ledger adjustment under the points policy; a lower tier needs "
    "approval.",
    kind="write",
    input=UpdateMembershipsArgs,
    args=UpdateMembershipsArgs,
    result=MembershipsOut,
    describe=describe_update,
    execute=CallsOut(update_memberships, memberships_updated),
    destructive=True,
    open_world=True,
)


# ---------------------------------------------------------------------------- delete
async def delete_memberships(
    deps: WriteDeps, args: DeleteMembershipsArgs, _ctx: ExecContext
) -> Deleted:
    for chain, ids in (await _by_chain(deps, list(args.loyalty_membership_ids))).items():
        await deps.mews.loyalty_memberships.delete(ids, chain_id=chain)
    for membership_id in args.loyalty_membership_ids:
        deps.directory.forget(membership_id)
    return Deleted(deleted=list(args.loyalty_membership_ids))


DELETE_LOYALTY_MEMBERSHIPS = GuardedWrite(
    name="delete_loyalty_memberships",
    title="Delete loyalty memberships",
    description="Delete memberships. Needs approval.",
    kind="delete",
    input=DeleteMembershipsArgs,
    args=DeleteMembershipsArgs,
    result=Deleted,
    describe=counted("delete loyalty memberships", "loyalty_membership_ids"),
    execute=CallsOut(delete_memberships, memberships_deleted),
    needs=("delete",),
    destructive=True,
    open_world=True,
)
