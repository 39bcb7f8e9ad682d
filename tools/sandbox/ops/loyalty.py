"""`loyaltyPrograms`, `loyaltyTiers` and `loyaltyMemberships`: getAll, add, update, delete.

The three refer to each other (a tier belongs to a program, a membership to a program and maybe a
tier, a program with active memberships cannot be deleted), so they live in one module, as they
do in the client (`tools.mews.resources.loyalty`).

Programs, undocumented behaviour decided here: program codes need not be unique (the documented
add example re-adds `PC01`); a program that still has active (not deleted) memberships cannot be
deleted (403, whatever the memberships' `State`); deleting an unknown or already deleted program
is 400 `Invalid LoyaltyProgramIds`; deleting a program leaves its tiers alone.

Tiers: `Ordering` in the seeded chain: higher = higher tier (Bronze 1, Silver 2, Gold 3,
Platinum 4); the API itself stores any integer. Tier codes need not be unique.
`LoyaltyProgramIds` is required on getAll. Deleting a tier leaves memberships that point at it
unchanged (undocumented).

Memberships, decisions where the docs are silent:

- `IsPrimary` is exclusive per account and chain: when a membership becomes primary (add or
  update), the account's other active memberships in the chain stop being primary (their hidden
  `UpdatedUtc` moves too). `State.exclusive_primary = False` turns this off.
- An account may hold several memberships of one program, and membership numbers need not be
  unique (the documented add example adds a second PC01 membership for John Smith).
- `State` defaults to `Enrolled` on add. `Code` (deprecated) mirrors `MembershipNumber` in
  answers and is accepted on input when `MembershipNumber` is absent.
- A tier must belong to the membership's program (400 `Invalid LoyaltyTierId`).
- API-made changes set `CreatorProfile` / `UpdaterProfile` to the integration's profile
  `{"Discriminator": "Integration", "EnterpriseProfile": null}`; seeded records keep `null`, as
  in the current documented examples.
- `Points` is any integer (a Number update value is rounded down); the answer of add/update has
  `"Cursor": null` (the generated docs list a `Cursor` for these non-paginated operations).
- Deleting an unknown or already deleted membership is 400 `Invalid LoyaltyMembershipIds`.
"""

from __future__ import annotations

from typing import Any

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, forbidden, invalid
from tools.sandbox.factory import INTEGRATION_PROFILE
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import (
    activity_states,
    apply_update,
    apply_updates,
    find_active,
    find_all_active,
    given,
    in_filter,
    in_interval,
    insert,
    is_visible,
    rendered_page,
    soft_delete,
    soft_delete_named,
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import LoyaltyMembership, LoyaltyProgram, LoyaltyTier
from tools.sandbox.validation import KEEP, Obj
from tools.sandbox.world import CHAIN_ID

__all__ = [
    "MEMBERSHIP_STATES",
    "PROGRAM_TYPES",
    "SUBSCRIPTIONS",
    "render_membership",
    "render_program",
    "render_tier",
]

PROGRAM_TYPES = ("Hotel", "ExternalPartner", "SoftBrand", "Unknown")
SUBSCRIPTIONS = ("Free", "Paid")
MEMBERSHIP_STATES = ("New", "Pending", "Enrolled", "Canceled", "Declined")
_PROGRAM, _TIER, _MEMBERSHIP = "loyalty program", "loyalty tier", "loyalty membership"


# ---------------------------------------------------------------------------------- programs
def render_program(program: LoyaltyProgram) -> JSON:
    return {
        "Id": program.id,
        "ChainId": program.chain_id,
        "Name": program.name,
        "Code": program.code,
        "Type": program.type,
        "Subscription": program.subscription,
    }


def _find_program(ctx: Ctx, chains: set[str], program_id: str, parameter: str) -> LoyaltyProgram:
    """An active program of one of `chains`, else 400 `Invalid <parameter>`."""
    return find_active(ctx.state.programs, chains, program_id, parameter, _PROGRAM)


@operation("loyaltyPrograms/getAll", page_key="LoyaltyPrograms")
def programs_get_all(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains(q)
    created, updated = q.interval("CreatedUtc"), q.interval("UpdatedUtc")
    ids = q.guids("LoyaltyProgramIds")
    codes = q.strs("Codes")
    states = activity_states(q)
    rows = [
        p
        for p in ctx.state.programs
        if p.chain_id in chains
        and in_filter(ids, p.id)
        and in_filter(codes, p.code)
        and is_visible(p.active, states)
        and in_interval(created, p.created)
        and in_interval(updated, p.updated)
    ]
    return rendered_page(q, rows, ctx.state.programs.get, "LoyaltyPrograms", render_program)


@operation("loyaltyPrograms/add", writes=True)
def programs_add(ctx: Ctx, q: Obj) -> JSON:
    chain = ctx.write_chain(q)
    new: list[LoyaltyProgram] = []
    for item in q.objs("LoyaltyPrograms", required=True):
        new.append(
            LoyaltyProgram(
                id=new_id(),
                chain_id=chain,
                name=item.req_str("Name", max_len=100),
                code=item.req_str("Code", max_len=50),
                type=item.req_enum("Type", PROGRAM_TYPES),
                subscription=item.req_enum("Subscription", SUBSCRIPTIONS),
                created=ctx.now,
                updated=ctx.now,
            )
        )
    insert(ctx, ctx.state.programs, new)
    return {"LoyaltyPrograms": [render_program(p) for p in new]}


@operation("loyaltyPrograms/update", writes=True)
def programs_update(ctx: Ctx, q: Obj) -> JSON:
    chains = {ctx.write_chain(q)}
    planned: list[tuple[LoyaltyProgram, dict[str, object]]] = []
    for item in q.objs("LoyaltyProgramUpdates", required=True):
        program = _find_program(ctx, chains, item.req_guid("LoyaltyProgramId"), "LoyaltyProgramId")
        changes = given(
            name=item.update_str("Name", nullable=False, max_len=100),
            type=item.update_enum("Type", PROGRAM_TYPES),
            subscription=item.update_enum("Subscription", SUBSCRIPTIONS),
        )
        planned.append((program, changes))
    updated = apply_updates(ctx, ctx.state.programs, planned)
    return {"LoyaltyPrograms": [render_program(p) for p in updated]}


@operation("loyaltyPrograms/delete", writes=True)
def programs_delete(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains()
    programs = find_all_active(ctx.state.programs, chains, q, "LoyaltyProgramIds", _PROGRAM)
    active: dict[str, int] = {}
    for membership in ctx.state.memberships:
        if membership.active and membership.program_id in programs:
            active[membership.program_id] = active.get(membership.program_id, 0) + 1
    for program_id, count in active.items():
        program = programs[program_id]
        raise forbidden(
            f"The loyalty program '{program.name}' ({program.code}) cannot be deleted because it "
            f"still has {count} active membership(s). Delete the memberships first."
        )
    soft_delete(ctx, ctx.state.programs, programs.values())
    return {}


# ------------------------------------------------------------------------------------- tiers
def render_tier(tier: LoyaltyTier) -> JSON:
    return {
        "Id": tier.id,
        "LoyaltyProgramId": tier.program_id,
        "Name": tier.name,
        "Code": tier.code,
        "Ordering": tier.ordering,
    }


def _find_tier(ctx: Ctx, chains: set[str], tier_id: str, parameter: str) -> LoyaltyTier:
    return find_active(ctx.state.tiers, chains, tier_id, parameter, _TIER)


@operation("loyaltyTiers/getAll", page_key="LoyaltyTiers")
def tiers_get_all(ctx: Ctx, q: Obj) -> JSON:
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
def tiers_add(ctx: Ctx, q: Obj) -> JSON:
    chain = ctx.write_chain(q)
    new: list[LoyaltyTier] = []
    for item in q.objs("LoyaltyTiers", required=True):
        program = _find_program(ctx, {chain}, item.req_guid("LoyaltyProgramId"), "LoyaltyProgramId")
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
def tiers_update(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains()
    planned: list[tuple[LoyaltyTier, dict[str, object]]] = []
    for item in q.objs("LoyaltyTierUpdates", required=True):
        tier = _find_tier(ctx, chains, item.req_guid("LoyaltyTierId"), "LoyaltyTierId")
        changes = given(
            name=item.update_str("Name", nullable=False, max_len=50),
            code=item.update_str("Code", nullable=False, max_len=50),
            ordering=item.update_int("Ordering", nullable=False),
        )
        planned.append((tier, changes))
    return {"LoyaltyTiers": [render_tier(t) for t in apply_updates(ctx, ctx.state.tiers, planned)]}


@operation("loyaltyTiers/delete", writes=True)
def tiers_delete(ctx: Ctx, q: Obj) -> JSON:
    soft_delete_named(ctx, ctx.state.tiers, ctx.chains(), q, "LoyaltyTierIds", _TIER)
    return {}


# ------------------------------------------------------------------------------- memberships
def render_membership(m: LoyaltyMembership) -> JSON:
    return {
        "Id": m.id,
        "ChainId": m.chain_id,
        "AccountId": m.account_id,
        "LoyaltyProgramId": m.program_id,
        "State": m.state,
        "IsPrimary": m.is_primary,
        "ProviderMembershipId": m.provider_membership_id,
        "Code": m.membership_number,
        "MembershipNumber": m.membership_number,
        "Points": m.points,
        "ExpirationDate": m.expiration_date,
        "Url": m.url,
        "LoyaltyTierId": m.tier_id,
        "CreatorProfile": m.creator_profile,
        "UpdaterProfile": m.updater_profile,
    }


def _find_membership(
    ctx: Ctx, chains: set[str], membership_id: str, parameter: str
) -> LoyaltyMembership:
    return find_active(ctx.state.memberships, chains, membership_id, parameter, _MEMBERSHIP)


def _account(ctx: Ctx, chain: str, account_id: str) -> str:
    """Customers are chain-level profiles; every seeded one belongs to the demo chain."""
    customer = ctx.state.customers.get(account_id)
    if customer is None or not customer.active or chain != CHAIN_ID:
        raise invalid("AccountId", f"customer {account_id} does not exist.")
    return customer.id


def _check_tier(ctx: Ctx, chain: str, tier_id: str | None, program_id: str) -> None:
    if tier_id is None:
        return
    tier = _find_tier(ctx, {chain}, tier_id, "LoyaltyTierId")
    if tier.program_id != program_id:
        raise invalid(
            "LoyaltyTierId", f"tier {tier_id} belongs to another loyalty program than {program_id}."
        )


def _expiration(item: Obj) -> str | None:
    """Kept as sent (the docs show both date-times and dates), once it parses."""
    item.utc("ExpirationDate")
    return item.str_("ExpirationDate")


def _make_primary(ctx: Ctx, membership: LoyaltyMembership) -> None:
    if not ctx.state.exclusive_primary or not membership.is_primary:
        return
    for other in ctx.state.memberships:
        if (
            other is not membership
            and other.active
            and other.is_primary
            and other.account_id == membership.account_id
            and other.chain_id == membership.chain_id
        ):
            other.is_primary, other.updated = False, ctx.now
            other.updater_profile = dict(INTEGRATION_PROFILE)
            ctx.state.touch(ctx.state.memberships, other.id)


@operation("loyaltyMemberships/getAll", page_key="LoyaltyMemberships")
def memberships_get_all(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains(q)
    created, updated = q.interval("CreatedUtc"), q.interval("UpdatedUtc")
    ids = q.guids("LoyaltyMembershipIds")
    accounts = q.guids("AccountIds")
    programs = q.guids("LoyaltyProgramIds")
    membership_states = q.enums("MembershipStates", MEMBERSHIP_STATES)
    states = activity_states(q)
    numbers = q.strs("MembershipNumbers")
    codes = q.strs("Codes")
    providers = q.strs("ProviderMembershipIds")
    sets = [
        set(v) if v is not None else None
        for v in (ids, accounts, programs, numbers, codes, providers)
    ]
    rows = [
        m
        for m in ctx.state.memberships
        if m.chain_id in chains
        and in_filter(sets[0], m.id)
        and in_filter(sets[1], m.account_id)
        and in_filter(sets[2], m.program_id)
        and in_filter(membership_states, m.state)
        and in_filter(sets[3], m.membership_number)
        and in_filter(sets[4], m.membership_number)
        and in_filter(sets[5], m.provider_membership_id)
        and is_visible(m.active, states)
        and in_interval(created, m.created)
        and in_interval(updated, m.updated)
    ]
    return rendered_page(
        q, rows, ctx.state.memberships.get, "LoyaltyMemberships", render_membership
    )


@operation("loyaltyMemberships/add", writes=True)
def memberships_add(ctx: Ctx, q: Obj) -> JSON:
    chain = ctx.write_chain(q)
    new: list[LoyaltyMembership] = []
    for item in q.objs("LoyaltyMemberships", required=True):
        account = _account(ctx, chain, item.req_guid("AccountId"))
        program = _find_program(ctx, {chain}, item.req_guid("LoyaltyProgramId"), "LoyaltyProgramId")
        primary = item.bool_("IsPrimary", required=True)
        state = item.enum("State", MEMBERSHIP_STATES) or "Enrolled"
        number = item.str_("MembershipNumber", max_len=255)
        code = item.str_("Code", max_len=255)
        tier_id = item.guid("LoyaltyTierId")
        _check_tier(ctx, chain, tier_id, program.id)
        new.append(
            LoyaltyMembership(
                id=new_id(),
                chain_id=chain,
                account_id=account,
                program_id=program.id,
                state=state,
                is_primary=bool(primary),
                points=item.int_("Points"),
                membership_number=number if number is not None else code,
                provider_membership_id=None,
                expiration_date=_expiration(item),
                url=item.str_("Url"),
                tier_id=tier_id,
                creator_profile=dict(INTEGRATION_PROFILE),
                updater_profile=dict(INTEGRATION_PROFILE),
                created=ctx.now,
                updated=ctx.now,
            )
        )
    for membership in new:
        # One at a time: a later primary membership of the same account wins.
        insert(ctx, ctx.state.memberships, [membership])
        _make_primary(ctx, membership)
    return {"LoyaltyMemberships": [render_membership(m) for m in new], "Cursor": None}


def _plan_update(ctx: Ctx, chain: str, item: Obj) -> tuple[LoyaltyMembership, dict[str, Any]]:
    membership = _find_membership(
        ctx, {chain}, item.req_guid("LoyaltyMembershipId"), "LoyaltyMembershipId"
    )
    changes: dict[str, Any] = {}
    program_id = item.update_guid("LoyaltyProgramId", nullable=False)
    if program_id is not KEEP and program_id is not None:
        changes["program_id"] = _find_program(ctx, {chain}, program_id, "LoyaltyProgramId").id
    fields: dict[str, object] = {
        "state": item.update_enum("State", MEMBERSHIP_STATES),
        "is_primary": item.update_bool("IsPrimary"),
        "membership_number": item.update_str("MembershipNumber", max_len=255),
        "provider_membership_id": item.update_str("ProviderMembershipId", max_len=100),
        "points": item.update_int("Points", allow_fraction=True),
        "expiration_date": item.update_utc_text("ExpirationDate"),
        "url": item.update_str("Url"),
        "tier_id": item.update_guid("LoyaltyTierId"),
    }
    code = item.update_str("Code", max_len=255)
    if fields["membership_number"] is KEEP and code is not KEEP:
        fields["membership_number"] = code
    changes.update({key: value for key, value in fields.items() if value is not KEEP})
    tier_id = changes.get("tier_id", membership.tier_id)
    _check_tier(ctx, chain, tier_id, changes.get("program_id", membership.program_id))
    return membership, changes


@operation("loyaltyMemberships/update", writes=True)
def memberships_update(ctx: Ctx, q: Obj) -> JSON:
    chain = ctx.write_chain(q)
    planned = [
        _plan_update(ctx, chain, item) for item in q.objs("LoyaltyMembershipUpdates", required=True)
    ]
    for membership, changes in planned:
        changes["updater_profile"] = dict(INTEGRATION_PROFILE)
        apply_update(ctx, ctx.state.memberships, membership, changes)
        if changes.get("is_primary"):
            _make_primary(ctx, membership)
    return {"LoyaltyMemberships": [render_membership(m) for m, _ in planned], "Cursor": None}


@operation("loyaltyMemberships/delete", writes=True)
def memberships_delete(ctx: Ctx, q: Obj) -> JSON:
    chains = {ctx.write_chain(q)}
    soft_delete_named(ctx, ctx.state.memberships, chains, q, "LoyaltyMembershipIds", _MEMBERSHIP)
    return {}
