"""Reading an admin write back from Mews: did an interrupted call happen?

An approved Mews write interrupted mid-call (a crash, a kill) leaves its approval `executing`;
`policies.ApprovalDesk.resolve` asks the write's `landed` (`CallsOut.landed`) whether its effect
is visible in Mews. Each answers the write's own result for what Mews shows done - the items
deleted, the items showing every requested value, the items that exist - or None when nothing
of it is visible (the call never reached Mews: the request failed, nothing changed).

A batch split over several chains can be cut between two calls: then the result lists only
what Mews shows, so a manager sees what is left to request again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from tools.actions.admin_models import (
    AddMembershipsArgs,
    AddProgramsArgs,
    AddTiersArgs,
    Deleted,
    DeleteMembershipsArgs,
    DeleteProgramsArgs,
    DeleteTiersArgs,
    MembershipOut,
    MembershipsOut,
    ProgramOut,
    ProgramsOut,
    TierOut,
    TiersOut,
    UpdateMembershipsArgs,
    UpdateProgramsArgs,
    UpdateTiersArgs,
)
from tools.actions.write import WriteDeps

__all__ = [
    "memberships_added",
    "memberships_deleted",
    "memberships_updated",
    "programs_added",
    "programs_deleted",
    "programs_updated",
    "tiers_added",
    "tiers_deleted",
    "tiers_updated",
]

_ACTIVE: Any = ["Active"]  # deleted items are not listed (Mews decides without it)


def _key(value: str) -> str:
    return value.lower()  # Mews ids are GUIDs, compared case-insensitively


def _shows(item: BaseModel, change: BaseModel, id_field: str) -> bool:
    """Whether `item` (as Mews lists it) holds every value `change` asked for."""
    have = item.model_dump()
    for name, want in change.model_dump(exclude={id_field}, exclude_none=True).items():
        got = have.get(name)
        if isinstance(got, datetime) and isinstance(want, date):
            got = got.date()  # an expiry is sent as midnight UTC of the day
        if isinstance(got, str) and isinstance(want, str):
            got, want = got.casefold(), want.casefold()
        if got != want:
            return False
    return True


def _gone(asked: Sequence[str], listed: Sequence[str]) -> Deleted | None:
    present = {_key(i) for i in listed}
    gone = [i for i in asked if _key(i) not in present]
    return Deleted(deleted=gone) if gone else None


def _updated(
    changes: Sequence[BaseModel], items: Sequence[BaseModel], id_field: str
) -> list[BaseModel]:
    by_id = {_key(str(getattr(item, "id"))): item for item in items}  # noqa: B009
    shown = []
    for change in changes:
        item = by_id.get(_key(str(getattr(change, id_field))))
        if item is not None and _shows(item, change, id_field):
            shown.append(item)
    return shown


# ---------------------------------------------------------------------------- memberships
async def _memberships(deps: WriteDeps, **filters: Any) -> list[MembershipOut]:
    found = deps.mews.loyalty_memberships.get_all(activity_states=_ACTIVE, **filters)
    return [MembershipOut.of(m) for m in await found.to_list()]


async def memberships_deleted(deps: WriteDeps, args: DeleteMembershipsArgs) -> Deleted | None:
    ids = list(args.loyalty_membership_ids)
    listed = await _memberships(deps, loyalty_membership_ids=ids)
    for membership_id in ids:
        deps.directory.forget(membership_id)
    return _gone(ids, [m.id for m in listed])


async def memberships_updated(
    deps: WriteDeps, args: UpdateMembershipsArgs
) -> MembershipsOut | None:
    ids = [u.loyalty_membership_id for u in args.updates]
    listed = await _memberships(deps, loyalty_membership_ids=ids)
    for membership_id in ids:
        deps.directory.forget(membership_id)
    shown = _updated(args.updates, listed, "loyalty_membership_id")
    return MembershipsOut.model_validate({"loyalty_memberships": shown}) if shown else None


async def memberships_added(deps: WriteDeps, args: AddMembershipsArgs) -> MembershipsOut | None:
    accounts = list(dict.fromkeys(m.account_id for m in args.memberships))
    listed = await _memberships(deps, account_ids=accounts)
    shown: list[MembershipOut] = []
    for new in args.memberships:
        for m in listed:
            if m in shown or _key(m.account_id) != _key(new.account_id):
                continue
            if _key(m.loyalty_program_id) != _key(new.loyalty_program_id):
                continue
            if new.membership_number is not None and m.membership_number != new.membership_number:
                continue
            shown.append(m)
            break
    return MembershipsOut(loyalty_memberships=shown) if shown else None


# ---------------------------------------------------------------------------- programs
async def _programs(deps: WriteDeps, **filters: Any) -> list[ProgramOut]:
    found = await deps.mews.loyalty_programs.get_all(activity_states=_ACTIVE, **filters).to_list()
    return [ProgramOut.of(p) for p in found]


async def programs_added(deps: WriteDeps, args: AddProgramsArgs) -> ProgramsOut | None:
    listed = await _programs(deps, codes=[p.code for p in args.programs])
    wanted = {p.code.casefold() for p in args.programs}
    shown = [p for p in listed if p.code.casefold() in wanted]
    deps.directory.refresh()
    return ProgramsOut(loyalty_programs=shown) if shown else None


async def programs_updated(deps: WriteDeps, args: UpdateProgramsArgs) -> ProgramsOut | None:
    listed = await _programs(deps, loyalty_program_ids=[u.loyalty_program_id for u in args.updates])
    shown = _updated(args.updates, listed, "loyalty_program_id")
    deps.directory.refresh()
    return ProgramsOut.model_validate({"loyalty_programs": shown}) if shown else None


async def programs_deleted(deps: WriteDeps, args: DeleteProgramsArgs) -> Deleted | None:
    ids = list(args.loyalty_program_ids)
    listed = await _programs(deps, loyalty_program_ids=ids)
    deps.directory.refresh()
    return _gone(ids, [p.id for p in listed])


# ---------------------------------------------------------------------------- tiers
async def _tiers(deps: WriteDeps, program_ids: list[str] | None, **filters: Any) -> list[TierOut]:
    if program_ids is None:  # Mews wants the programs; a tier write names only the tiers
        program_ids = [p.id for p in await _programs(deps)]
    if not program_ids:
        return []
    found = deps.mews.loyalty_tiers.get_all(
        loyalty_program_ids=program_ids, activity_states=_ACTIVE, **filters
    )
    return [TierOut.of(t) for t in await found.to_list()]


async def tiers_added(deps: WriteDeps, args: AddTiersArgs) -> TiersOut | None:
    programs = list(dict.fromkeys(t.loyalty_program_id for t in args.tiers))
    listed = await _tiers(deps, programs)
    wanted = {(_key(t.loyalty_program_id), t.code.casefold()) for t in args.tiers}
    shown = [t for t in listed if (_key(t.loyalty_program_id), t.code.casefold()) in wanted]
    deps.directory.refresh()
    return TiersOut(loyalty_tiers=shown) if shown else None


async def tiers_updated(deps: WriteDeps, args: UpdateTiersArgs) -> TiersOut | None:
    ids = [u.loyalty_tier_id for u in args.updates]
    listed = await _tiers(deps, None, loyalty_tier_ids=ids)
    shown = _updated(args.updates, listed, "loyalty_tier_id")
    deps.directory.refresh()
    return TiersOut.model_validate({"loyalty_tiers": shown}) if shown else None


async def tiers_deleted(deps: WriteDeps, args: DeleteTiersArgs) -> Deleted | None:
    ids = list(args.loyalty_tier_ids)
    listed = await _tiers(deps, None, loyalty_tier_ids=ids)
    deps.directory.refresh()
    return _gone(ids, [t.id for t in listed])
