"""The `admin` toolset: Mews loyalty programs, tiers and memberships, one tool per operation,
batch-capable as the API is. Writes go through the guard like every other write; a `Points`
change through `update_loyalty_memberships` becomes a ledger adjustment (`adjust_points`, by
the difference to the balance the ledger holds now) under the same policy, per-action
thresholds included.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from policies import Denied, Outcome, PendingApproval
from tools.actions import ADJUST_POINTS
from tools.actions.admin_models import (
    MembershipOut,
    MembershipsOut,
    MembershipUpdate,
    ProgramOut,
    ProgramsOut,
    TierOut,
    TiersOut,
    UpdateMembershipsArgs,
)
from tools.actions.memberships import (
    ADD_LOYALTY_MEMBERSHIPS,
    DELETE_LOYALTY_MEMBERSHIPS,
    UPDATE_LOYALTY_MEMBERSHIPS,
)
from tools.actions.models import (
    MAX_POINTS,
    AdjustInput,
    IdempotencyKey,
    MewsId,
    PointsPosted,
    Reason,
)
from tools.actions.outcome import WriteOutcome
from tools.actions.programs import (
    ADD_LOYALTY_PROGRAMS,
    ADD_LOYALTY_TIERS,
    DELETE_LOYALTY_PROGRAMS,
    DELETE_LOYALTY_TIERS,
    UPDATE_LOYALTY_PROGRAMS,
    UPDATE_LOYALTY_TIERS,
)
from tools.loyalty._time import add_months
from tools.server.tooling import ToolDef, ToolEnv, ToolRefusal, denied_result, write_tool

__all__ = ["ADMIN_TOOLS"]

_IDS = Field(min_length=1, max_length=1000)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


async def _read(env: ToolEnv, name: str, args: BaseModel, fn: Any) -> Any:
    return await env.runtime.guard.read(env.principal, name, args.model_dump(mode="json"), fn)


# ---------------------------------------------------------------------------- reads
class ListProgramsArgs(_Args):
    codes: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] | None, _IDS
    ] = None
    include_deleted: bool = False


async def list_programs(env: ToolEnv, args: ListProgramsArgs) -> Any:
    async def run() -> ProgramsOut:
        filters: dict[str, Any] = {}
        if args.codes:
            filters["codes"] = args.codes
        if args.include_deleted:
            filters["activity_states"] = ["Active", "Deleted"]
        found = await env.runtime.mews.loyalty_programs.get_all(**filters).to_list()
        return ProgramsOut(loyalty_programs=[ProgramOut.of(p) for p in found])

    return await _read(env, "list_loyalty_programs", args, run)


class ListTiersArgs(_Args):
    loyalty_program_ids: Annotated[list[MewsId], _IDS]


async def list_tiers(env: ToolEnv, args: ListTiersArgs) -> Any:
    async def run() -> TiersOut:
        found = await env.runtime.mews.loyalty_tiers.get_all(
            loyalty_program_ids=args.loyalty_program_ids
        ).to_list()
        return TiersOut(loyalty_tiers=[TierOut.of(t) for t in found])

    return await _read(env, "list_loyalty_tiers", args, run)


class ListMembershipsArgs(_Args):
    account_ids: Annotated[list[MewsId] | None, _IDS] = None
    loyalty_membership_ids: Annotated[list[MewsId] | None, _IDS] = None
    loyalty_program_ids: Annotated[list[MewsId] | None, _IDS] = None
    membership_numbers: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] | None, _IDS
    ] = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


async def list_memberships(env: ToolEnv, args: ListMembershipsArgs) -> Any:
    async def run() -> MembershipsOut:
        filters = args.model_dump(exclude={"limit"}, exclude_none=True)
        found: list[MembershipOut] = []
        async for membership in env.runtime.mews.loyalty_memberships.get_all(**filters):
            found.append(MembershipOut.of(membership))
            if len(found) >= args.limit:
                break
        return MembershipsOut(loyalty_memberships=found)

    return await _read(env, "list_loyalty_memberships", args, run)


# ---------------------------------------------------------------------------- writes
async def _submit(env: ToolEnv, write: Any, given: BaseModel) -> Outcome:
    runtime = env.runtime
    result: Outcome = await write.submit(runtime.guard, runtime.writes, env.principal, given)
    return result


class MembershipChange(MembershipUpdate):
    points: Annotated[int | None, Field(ge=-MAX_POINTS, le=MAX_POINTS)] = Field(
        default=None, description="new absolute balance: posted as a ledger adjustment"
    )


class UpdateMembershipsInput(_Args):
    updates: Annotated[list[MembershipChange], Field(min_length=1, max_length=100)]
    reason: Reason | None = Field(default=None, description="required when points change")
    idempotency_key: IdempotencyKey = Field(
        default=None,
        description="the same key never posts twice; each points change gets its own key "
        "from it (default: from each change's arguments)",
    )

    @model_validator(mode="after")
    def _reason_for_points(self) -> Self:
        if any(u.points is not None for u in self.updates) and self.reason is None:
            raise ValueError("reason is required when an update changes points")
        seen: set[str] = set()
        for u in self.updates:
            if not u.changes_anything and u.points is None:
                raise ValueError(f"update of {u.loyalty_membership_id} changes nothing")
            # Two target balances for one membership cannot both hold (posting both would land
            # on the last, posting one would drop the other): refused, never merged.
            if u.loyalty_membership_id.lower() in seen:
                raise ValueError(
                    f"membership {u.loyalty_membership_id} appears twice in updates; "
                    "give one update per membership"
                )
            seen.add(u.loyalty_membership_id.lower())
        return self


class PointsUnchanged(BaseModel):
    """The balance already was the one asked for: nothing posted."""

    status: Literal["unchanged"]
    balance: int


class PointsRefused(BaseModel):
    """The policy refused the change (`denied`), or it is a proposal the person confirms."""

    status: Literal["denied", "proposed"]
    rule: str
    reason: str
    note: str | None = Field(default=None, exclude_if=lambda value: value is None)


class PointsChange(BaseModel):
    membership_id: str
    outcome: WriteOutcome[PointsPosted] | PointsUnchanged | PointsRefused = Field(
        discriminator="status"
    )


class MembershipsUpdated(BaseModel):
    status: Literal["posted", "pending_approval"]
    memberships: WriteOutcome[MembershipsOut] | None = None
    points: list[PointsChange] = []


async def _current_total(env: ToolEnv, membership_id: str) -> int:
    """The balance the ledger holds, or will open with (the Mews points) if it has no account."""
    directory = env.runtime.directory
    total = directory.ledger_total(membership_id)
    if total is None:
        total = (await directory.lookup(membership_id)).mews_points or 0
    return total


async def _points_change(
    env: ToolEnv, update: MembershipChange, args: UpdateMembershipsInput
) -> tuple[PointsChange, Outcome | None]:
    """One item's new balance as a ledger adjustment under the item's own idempotency key
    (from its target, not the difference): a retried batch replays what each item posted, even
    after the balance moved since."""
    assert args.reason is not None
    assert update.points is not None
    guard, membership_id = env.runtime.guard, update.loyalty_membership_id
    item: dict[str, Any] = {
        "loyalty_membership_id": membership_id.lower(),
        "points": update.points,
        "reason": args.reason,
    }
    key = guard.item_key(UPDATE_LOYALTY_MEMBERSHIPS.name, item, env.principal, args.idempotency_key)
    replayed = await guard.replay(env.principal, ADJUST_POINTS.name, key)
    if replayed is not None:
        found = {"membership_id": membership_id, "outcome": replayed.to_dict()}
        return PointsChange.model_validate(found), replayed
    current = await _current_total(env, membership_id)
    delta = update.points - current
    if delta == 0:
        unchanged = {"status": "unchanged", "balance": current}
        found = {"membership_id": membership_id, "outcome": unchanged}
        return PointsChange.model_validate(found), None
    action = AdjustInput(
        membership_id=membership_id, points=delta, reason=args.reason, idempotency_key=key
    )
    outcome = await _submit(env, ADJUST_POINTS, action)
    done = {"membership_id": membership_id, "outcome": outcome.to_dict()}
    return PointsChange.model_validate(done), outcome


async def update_memberships(env: ToolEnv, args: UpdateMembershipsInput) -> Any:
    outcomes: list[Outcome] = []
    memberships: Outcome | None = None
    plain = [u for u in args.updates if u.changes_anything]
    if plain:
        updates = [MembershipUpdate.model_validate(u.model_dump(exclude={"points"})) for u in plain]
        key = None if args.idempotency_key is None else f"{args.idempotency_key}:memberships"[:200]
        memberships = await env.runtime.guard.submit(
            env.principal,
            UPDATE_LOYALTY_MEMBERSHIPS.name,
            UpdateMembershipsArgs(updates=updates).model_dump(mode="json"),
            key,
        )
        outcomes.append(memberships)
    changes: list[PointsChange] = []
    for update in args.updates:
        if update.points is None:
            continue
        change, adjusted = await _points_change(env, update, args)
        changes.append(change)
        if adjusted is not None:
            outcomes.append(adjusted)
    denied = next((o for o in outcomes if isinstance(o, Denied)), None)
    if denied is not None:
        done = {
            "memberships": None if memberships is None else memberships.to_dict(),
            "points": [c.model_dump() for c in changes],
        }
        return denied_result(denied, done)
    pending = any(isinstance(o, PendingApproval) for o in outcomes)
    return MembershipsUpdated(
        status="pending_approval" if pending else "posted",
        memberships=None
        if memberships is None
        else WriteOutcome[MembershipsOut].model_validate(memberships.to_dict()),
        points=changes,
    )


class RenewMembershipArgs(_Args):
    loyalty_membership_id: MewsId
    months: Annotated[int | None, Field(ge=1, le=120)] = Field(
        default=None,
        description="extend by this many calendar months from the current expiry "
        "(from today when it has passed)",
    )
    until: date | None = Field(default=None, description="the new expiration date")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.months is None) == (self.until is None):
            raise ValueError("give exactly one of months or until")
        return self


async def renew_membership(env: ToolEnv, args: RenewMembershipArgs) -> Any:
    found = await env.runtime.mews.loyalty_memberships.get_all(
        loyalty_membership_ids=[args.loyalty_membership_id]
    ).to_list()
    if not found:
        raise ToolRefusal(
            f"no membership {args.loyalty_membership_id} in Mews", field="loyalty_membership_id"
        )
    expires = found[0].expiration_date
    previous = None if expires is None else expires.date()
    today = env.runtime.clock.now().date()
    if args.until is not None:
        new = args.until
    elif previous is None:
        raise ToolRefusal(
            "the membership never expires; give until to set an expiration date", field="months"
        )
    else:
        new = add_months(max(previous, today), args.months or 0)
    if new <= today or (previous is not None and new <= previous):
        raise ToolRefusal(
            f"until must be after today ({today}) and after the current expiry ({previous}); "
            "a renewal only extends",
            field="until",
        )
    change = MembershipUpdate(loyalty_membership_id=args.loyalty_membership_id, expiration_date=new)
    return await _submit(env, UPDATE_LOYALTY_MEMBERSHIPS, UpdateMembershipsArgs(updates=[change]))


# ---------------------------------------------------------------------------- definitions
def _read_tool(
    name: str, title: str, description: str, args: Any, result: Any, handler: Any
) -> ToolDef:
    return ToolDef(
        name,
        title,
        description,
        args,
        result,
        toolset="admin",
        needs=("read",),
        handler=handler,
        open_world=True,
    )


ADMIN_TOOLS: tuple[ToolDef, ...] = (
    _read_tool(
        "list_loyalty_programs",
        "List loyalty programs",
        "Loyalty programs in Mews (active; include_deleted for all), optionally by code.",
        ListProgramsArgs,
        ProgramsOut,
        list_programs,
    ),
    write_tool(ADD_LOYALTY_PROGRAMS, "admin"),
    write_tool(UPDATE_LOYALTY_PROGRAMS, "admin"),
    write_tool(DELETE_LOYALTY_PROGRAMS, "admin"),
    _read_tool(
        "list_loyalty_tiers",
        "List loyalty tiers",
        "Tiers of the given programs.",
        ListTiersArgs,
        TiersOut,
        list_tiers,
    ),
    write_tool(ADD_LOYALTY_TIERS, "admin"),
    write_tool(UPDATE_LOYALTY_TIERS, "admin"),
    write_tool(DELETE_LOYALTY_TIERS, "admin"),
    _read_tool(
        "list_loyalty_memberships",
        "List loyalty memberships",
        "Memberships by customer, membership, program or membership number (Mews Points as "
        "pushed from the ledger).",
        ListMembershipsArgs,
        MembershipsOut,
        list_memberships,
    ),
    write_tool(ADD_LOYALTY_MEMBERSHIPS, "admin"),
    ToolDef(  # the write plus a points value, as a ledger adjustment (`adjust_points`)
        UPDATE_LOYALTY_MEMBERSHIPS.name,
        UPDATE_LOYALTY_MEMBERSHIPS.title,
        UPDATE_LOYALTY_MEMBERSHIPS.description,
        UpdateMembershipsInput,
        MembershipsUpdated,
        toolset="admin",
        needs=UPDATE_LOYALTY_MEMBERSHIPS.needs,
        handler=update_memberships,
        read_only=False,
        destructive=UPDATE_LOYALTY_MEMBERSHIPS.destructive,
        open_world=UPDATE_LOYALTY_MEMBERSHIPS.open_world,
    ),
    ToolDef(
        "renew_loyalty_membership",
        "Renew a loyalty membership",
        "Extend a membership's expiration date by whole months from its current expiry (from "
        "today once it has passed), or to a given later date. Never shortens it.",
        RenewMembershipArgs,
        WriteOutcome[MembershipsOut],
        toolset="admin",
        needs=("write",),
        handler=renew_membership,
        read_only=False,
        idempotent=False,  # "by 12 months" twice is 24 months
        open_world=True,
    ),
    write_tool(DELETE_LOYALTY_MEMBERSHIPS, "admin"),
)
