"""Loyalty programs and tiers in Mews as guarded writes: add, update, delete (`CallsOut`: the
decision commits first, then Mews is called).

They need the `administer_programs` permission (kind `admin`; the deletes are kind `delete`
and need it too). Chain-scoped writes name the chain (`WriteDeps.loader.chain_id`: portfolio
tokens need it; Mews ignores it for a single-enterprise token). Each write refreshes the cached
program and tier codes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from policies import ExecContext, Facts, Permission
from tools.actions.admin_models import (
    AddProgramsArgs,
    AddTiersArgs,
    Deleted,
    DeleteProgramsArgs,
    DeleteTiersArgs,
    ProgramOut,
    ProgramsOut,
    TierOut,
    TiersOut,
    UpdateProgramsArgs,
    UpdateTiersArgs,
    update_value,
)
from tools.actions.landed import (
    programs_added,
    programs_deleted,
    programs_updated,
    tiers_added,
    tiers_deleted,
    tiers_updated,
)
from tools.actions.write import CallsOut, GuardedWrite, WriteDeps
from tools.mews.models import (
    LoyaltyProgramParameters,
    LoyaltyProgramSubscription,
    LoyaltyProgramType,
    LoyaltyProgramUpdateParameters,
    LoyaltyTierParameters,
    LoyaltyTierUpdateParameters,
)

__all__ = [
    "ADD_LOYALTY_PROGRAMS",
    "ADD_LOYALTY_TIERS",
    "DELETE_LOYALTY_PROGRAMS",
    "DELETE_LOYALTY_TIERS",
    "PROGRAM_WRITES",
    "UPDATE_LOYALTY_PROGRAMS",
    "UPDATE_LOYALTY_TIERS",
    "counted",
]

_ADMIN: tuple[Permission, ...] = ("administer_programs",)


def counted(text: str, field: str, **facts: Any) -> Callable[[WriteDeps, Any], Awaitable[Facts]]:
    """A `describe` that notes the write and how many items it touches."""

    async def describe(_deps: WriteDeps, args: BaseModel) -> Facts:
        return Facts(note=f"{text} ({len(getattr(args, field))})", **facts)

    return describe


def _admin_write(
    name: str,
    description: str,
    args: type[BaseModel],
    result: type[BaseModel],
    execute: Callable[[WriteDeps, Any, ExecContext], Awaitable[Any]],
    landed: Callable[[WriteDeps, Any], Awaitable[Any | None]],
    *,
    counts: str,
) -> GuardedWrite[Any, Any]:
    """A program or tier write, titled and noted by its name (`add_…`, `update_…`, `delete_…`):
    it calls Mews and needs `administer_programs`; a delete also needs `delete` and approval,
    an add makes new items on every call. Once Mews answers, the cached codes are refreshed."""
    what = name.replace("_", " ")
    deletes = name.startswith("delete_")

    async def refreshing(deps: WriteDeps, args: Any, ctx: ExecContext) -> Any:
        result = await execute(deps, args, ctx)
        deps.directory.refresh()  # the program and tier codes it cached may have changed
        return result

    return GuardedWrite(
        name=name,
        title=what.capitalize(),
        description=description,
        kind="delete" if deletes else "admin",
        input=args,
        args=args,
        result=result,
        describe=counted(what, counts, requires=_ADMIN) if deletes else counted(what, counts),
        execute=CallsOut(refreshing, landed),
        needs=("delete", *_ADMIN) if deletes else _ADMIN,
        destructive=deletes,
        idempotent=not name.startswith("add_"),
        open_world=True,
    )


# ---------------------------------------------------------------------------- programs
async def add_programs(deps: WriteDeps, args: AddProgramsArgs, _ctx: ExecContext) -> ProgramsOut:
    added = await deps.mews.loyalty_programs.add(
        [
            LoyaltyProgramParameters(
                name=p.name,
                code=p.code,
                type=LoyaltyProgramType(p.type),
                subscription=LoyaltyProgramSubscription(p.subscription),
            )
            for p in args.programs
        ],
        chain_id=await deps.loader.chain_id(),
    )
    return ProgramsOut(loyalty_programs=[ProgramOut.of(p) for p in added])


async def update_programs(
    deps: WriteDeps, args: UpdateProgramsArgs, _ctx: ExecContext
) -> ProgramsOut:
    updated = await deps.mews.loyalty_programs.update(
        [
            LoyaltyProgramUpdateParameters(
                loyalty_program_id=u.loyalty_program_id,
                name=update_value(u.name),
                type=update_value(None if u.type is None else LoyaltyProgramType(u.type)),
                subscription=update_value(
                    None if u.subscription is None else LoyaltyProgramSubscription(u.subscription)
                ),
            )
            for u in args.updates
        ],
        chain_id=await deps.loader.chain_id(),
    )
    return ProgramsOut(loyalty_programs=[ProgramOut.of(p) for p in updated])


async def delete_programs(deps: WriteDeps, args: DeleteProgramsArgs, _ctx: ExecContext) -> Deleted:
    await deps.mews.loyalty_programs.delete(args.loyalty_program_ids)
    return Deleted(deleted=list(args.loyalty_program_ids))


ADD_LOYALTY_PROGRAMS = _admin_write(
    "add_loyalty_programs",
    "Create loyalty programs in Mews (batch).",
    AddProgramsArgs,
    ProgramsOut,
    add_programs,
    programs_added,
    counts="programs",
)
UPDATE_LOYALTY_PROGRAMS = _admin_write(
    "update_loyalty_programs",
    "Change names, types or subscriptions of programs (codes are fixed).",
    UpdateProgramsArgs,
    ProgramsOut,
    update_programs,
    programs_updated,
    counts="updates",
)
DELETE_LOYALTY_PROGRAMS = _admin_write(
    "delete_loyalty_programs",
    "Delete programs (Mews refuses programs with active memberships). Needs approval.",
    DeleteProgramsArgs,
    Deleted,
    delete_programs,
    programs_deleted,
    counts="loyalty_program_ids",
)


# ---------------------------------------------------------------------------- tiers
async def add_tiers(deps: WriteDeps, args: AddTiersArgs, _ctx: ExecContext) -> TiersOut:
    added = await deps.mews.loyalty_tiers.add(
        [
            LoyaltyTierParameters(
                loyalty_program_id=t.loyalty_program_id,
                name=t.name,
                code=t.code,
                ordering=t.ordering,
            )
            for t in args.tiers
        ],
        chain_id=await deps.loader.chain_id(),
    )
    return TiersOut(loyalty_tiers=[TierOut.of(t) for t in added])


async def update_tiers(deps: WriteDeps, args: UpdateTiersArgs, _ctx: ExecContext) -> TiersOut:
    updated = await deps.mews.loyalty_tiers.update(
        [
            LoyaltyTierUpdateParameters(
                loyalty_tier_id=u.loyalty_tier_id,
                name=update_value(u.name),
                code=update_value(u.code),
                ordering=update_value(u.ordering),
            )
            for u in args.updates
        ]
    )
    return TiersOut(loyalty_tiers=[TierOut.of(t) for t in updated])


async def delete_tiers(deps: WriteDeps, args: DeleteTiersArgs, _ctx: ExecContext) -> Deleted:
    await deps.mews.loyalty_tiers.delete(args.loyalty_tier_ids)
    return Deleted(deleted=list(args.loyalty_tier_ids))


ADD_LOYALTY_TIERS = _admin_write(
    "add_loyalty_tiers",
    "Create tiers in existing programs (batch).",
    AddTiersArgs,
    TiersOut,
    add_tiers,
    tiers_added,
    counts="tiers",
)
UPDATE_LOYALTY_TIERS = _admin_write(
    "update_loyalty_tiers",
    "Change tier names, codes or ordering.",
    UpdateTiersArgs,
    TiersOut,
    update_tiers,
    tiers_updated,
    counts="updates",
)
DELETE_LOYALTY_TIERS = _admin_write(
    "delete_loyalty_tiers",
    "Delete tiers. Needs approval.",
    DeleteTiersArgs,
    Deleted,
    delete_tiers,
    tiers_deleted,
    counts="loyalty_tier_ids",
)

PROGRAM_WRITES = (
    ADD_LOYALTY_PROGRAMS,
    UPDATE_LOYALTY_PROGRAMS,
    DELETE_LOYALTY_PROGRAMS,
    ADD_LOYALTY_TIERS,
    UPDATE_LOYALTY_TIERS,
    DELETE_LOYALTY_TIERS,
)
"""The program and tier writes, in the order their tools are listed."""
