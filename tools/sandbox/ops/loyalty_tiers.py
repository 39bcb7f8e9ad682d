"""`loyaltyTiers/getAll|add|update|delete`.

`Ordering` in the seeded chain: higher = higher tier (Bronze 1, Silver 2, Gold 3, Platinum 4);
the API itself stores any integer. Tier codes need not be unique. `LoyaltyProgramIds` is required
on getAll. Deleting a tier leaves memberships that point at it unchanged (undocumented).
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import (
    activity_states,
    apply_updates,
    find_active,
    given,
    in_filter,
    in_interval,
    insert,
    is_visible,
    rendered_page,
    soft_delete_named,
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.ops.loyalty_programs import find_program
from tools.sandbox.state import LoyaltyTier
from tools.sandbox.validation import Obj

__all__ = ["find_tier", "render_tier"]

_NOUN = "loyalty tier"


def render_tier(tier: LoyaltyTier) -> JSON:
    return {
        "Id": tier.id,
        "LoyaltyProgramId": tier.program_id,
        "Name": tier.name,
        "Code": tier.code,
        "Ordering": tier.ordering,
    }


def find_tier(ctx: Ctx, chains: set[str], tier_id: str, parameter: str) -> LoyaltyTier:
    return find_active(ctx.state.tiers, chains, tier_id, parameter, _NOUN)


@operation("loyaltyTiers/getAll", page_key="LoyaltyTiers")
def get_all(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains(q)
    programs = set(q.req_guids("LoyaltyProgramIds"))
    ids = q.guids("LoyaltyTierIds")
    states = activity_states(q)
    updated = q.interval("UpdatedUtc")
    rows = [
        t
        for t in ctx.state.tiers
        if t.chain_id in chains
        and t.program_id in programs
        and in_filter(ids, t.id)
        and is_visible(t.active, states)
        and in_interval(updated, t.updated)
    ]
    return rendered_page(q, rows, ctx.state.tiers.get, "LoyaltyTiers", render_tier)


@operation("loyaltyTiers/add", writes=True)
def add(ctx: Ctx, q: Obj) -> JSON:
    chain = ctx.write_chain(q)
    new: list[LoyaltyTier] = []
    for item in q.objs("LoyaltyTiers", required=True):
        program = find_program(ctx, {chain}, item.req_guid("LoyaltyProgramId"), "LoyaltyProgramId")
        ordering = item.int_("Ordering", required=True)
        assert ordering is not None
        new.append(
            LoyaltyTier(
                id=new_id(),
                chain_id=chain,
                program_id=program.id,
                name=item.req_str("Name", max_len=50),
                code=item.req_str("Code", max_len=50),
                ordering=ordering,
                created=ctx.now,
                updated=ctx.now,
            )
        )
    insert(ctx, ctx.state.tiers, new)
    return {"LoyaltyTiers": [render_tier(t) for t in new]}


@operation("loyaltyTiers/update", writes=True)
def update(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains()
    planned: list[tuple[LoyaltyTier, dict[str, object]]] = []
    for item in q.objs("LoyaltyTierUpdates", required=True):
        tier = find_tier(ctx, chains, item.req_guid("LoyaltyTierId"), "LoyaltyTierId")
        changes = given(
            name=item.update_str("Name", nullable=False, max_len=50),
            code=item.update_str("Code", nullable=False, max_len=50),
            ordering=item.update_int("Ordering", nullable=False),
        )
        planned.append((tier, changes))
    return {"LoyaltyTiers": [render_tier(t) for t in apply_updates(ctx, ctx.state.tiers, planned)]}


@operation("loyaltyTiers/delete", writes=True)
def delete(ctx: Ctx, q: Obj) -> JSON:
    soft_delete_named(ctx, ctx.state.tiers, ctx.chains(), q, "LoyaltyTierIds", _NOUN)
    return {}
