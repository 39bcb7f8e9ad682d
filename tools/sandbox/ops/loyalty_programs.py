"""`loyaltyPrograms/getAll|add|update|delete`.

Undocumented behaviour, decided here: program codes need not be unique (the documented add
example re-adds `PC01`); a program that still has active (not deleted) memberships cannot be
deleted (403, whatever the memberships' `State`); deleting an unknown or already deleted program
is 400 `Invalid LoyaltyProgramIds`; deleting a program leaves its tiers alone.
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, forbidden
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import (
    activity_states,
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
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import LoyaltyProgram
from tools.sandbox.validation import Obj

__all__ = ["PROGRAM_TYPES", "SUBSCRIPTIONS", "find_program", "render_program"]

PROGRAM_TYPES = ("Hotel", "ExternalPartner", "SoftBrand", "Unknown")
SUBSCRIPTIONS = ("Free", "Paid")
_NOUN = "loyalty program"


def render_program(program: LoyaltyProgram) -> JSON:
    return {
        "Id": program.id,
        "ChainId": program.chain_id,
        "Name": program.name,
        "Code": program.code,
        "Type": program.type,
        "Subscription": program.subscription,
    }


def find_program(ctx: Ctx, chains: set[str], program_id: str, parameter: str) -> LoyaltyProgram:
    """An active program of one of `chains`, else 400 `Invalid <parameter>`."""
    return find_active(ctx.state.programs, chains, program_id, parameter, _NOUN)


@operation("loyaltyPrograms/getAll", page_key="LoyaltyPrograms")
def get_all(ctx: Ctx, q: Obj) -> JSON:
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
def add(ctx: Ctx, q: Obj) -> JSON:
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
def update(ctx: Ctx, q: Obj) -> JSON:
    chains = {ctx.write_chain(q)}
    planned: list[tuple[LoyaltyProgram, dict[str, object]]] = []
    for item in q.objs("LoyaltyProgramUpdates", required=True):
        program = find_program(ctx, chains, item.req_guid("LoyaltyProgramId"), "LoyaltyProgramId")
        changes = given(
            name=item.update_str("Name", nullable=False, max_len=100),
            type=item.update_enum("Type", PROGRAM_TYPES),
            subscription=item.update_enum("Subscription", SUBSCRIPTIONS),
        )
        planned.append((program, changes))
    updated = apply_updates(ctx, ctx.state.programs, planned)
    return {"LoyaltyPrograms": [render_program(p) for p in updated]}


@operation("loyaltyPrograms/delete", writes=True)
def delete(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains()
    programs = find_all_active(ctx.state.programs, chains, q, "LoyaltyProgramIds", _NOUN)
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
