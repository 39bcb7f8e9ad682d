"""Mews loyalty administration as guarded actions: add, update and delete programs, tiers and
memberships (`External` executors: the decision commits first, then Mews is called).

Programs and tiers need the `administer_programs` permission (kind `admin`; their deletes are
kind `delete` and need it too). Memberships are loyalty writes (kind `write`, deletes `delete`).
Points never move here: `add_loyalty_memberships` takes no points (a new membership starts at
zero and points are awarded through the ledger) and a `Points` change asked through
`update_loyalty_memberships` becomes an `adjust_points` ledger adjustment (the server's tool
does that). A tier change
to a lower tier (Mews `Ordering`) is reported to the policy as a downgrade.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from policies import ActionSpec, ExecContext, External, Facts
from storage.canonical import JSONObject
from tools.actions.directory import MembershipDirectory
from tools.actions.errors import UnknownMembershipError
from tools.actions.models import MewsId
from tools.mews import MewsClient
from tools.mews.models import (
    LoyaltyMembership,
    LoyaltyMembershipParameters,
    LoyaltyMembershipState,
    LoyaltyMembershipUpdateParameters,
    LoyaltyProgram,
    LoyaltyProgramParameters,
    LoyaltyProgramSubscription,
    LoyaltyProgramType,
    LoyaltyProgramUpdateParameters,
    LoyaltyTier,
    LoyaltyTierParameters,
    LoyaltyTierUpdateParameters,
    UpdateValue,
)

__all__ = [
    "AddMembershipsArgs",
    "AddProgramsArgs",
    "AddTiersArgs",
    "DeleteMembershipsArgs",
    "DeleteProgramsArgs",
    "DeleteTiersArgs",
    "Deleted",
    "MembershipOut",
    "MembershipUpdate",
    "MembershipsOut",
    "ProgramOut",
    "ProgramsOut",
    "TierOut",
    "TiersOut",
    "UpdateMembershipsArgs",
    "UpdateProgramsArgs",
    "UpdateTiersArgs",
    "admin_actions",
]

_MAX_BATCH = 100
ProgramName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
TierName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
MembershipNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
ProgramType = Literal["Hotel", "ExternalPartner", "SoftBrand"]
Subscription = Literal["Free", "Paid"]
MembershipState = Literal["New", "Pending", "Enrolled", "Canceled", "Declined"]
Ordering = Annotated[int, Field(ge=0, le=1000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _changes(model: BaseModel, *ids: str) -> None:
    if all(getattr(model, name) is None for name in type(model).model_fields if name not in ids):
        raise ValueError("give at least one property to change")


# ---------------------------------------------------------------------- arguments
class NewProgram(_Model):
    name: ProgramName
    code: Code
    type: ProgramType = "Hotel"
    subscription: Subscription = "Free"


class AddProgramsArgs(_Model):
    programs: Annotated[list[NewProgram], Field(min_length=1, max_length=_MAX_BATCH)]


class ProgramChange(_Model):
    loyalty_program_id: MewsId
    name: ProgramName | None = None
    type: ProgramType | None = None
    subscription: Subscription | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        _changes(self, "loyalty_program_id")
        return self


class UpdateProgramsArgs(_Model):
    updates: Annotated[list[ProgramChange], Field(min_length=1, max_length=_MAX_BATCH)]


class DeleteProgramsArgs(_Model):
    loyalty_program_ids: Annotated[list[MewsId], Field(min_length=1, max_length=_MAX_BATCH)]


class NewTier(_Model):
    loyalty_program_id: MewsId
    name: TierName
    code: TierName
    ordering: Ordering


class AddTiersArgs(_Model):
    tiers: Annotated[list[NewTier], Field(min_length=1, max_length=_MAX_BATCH)]


class TierChange(_Model):
    loyalty_tier_id: MewsId
    name: TierName | None = None
    code: TierName | None = None
    ordering: Ordering | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        _changes(self, "loyalty_tier_id")
        return self


class UpdateTiersArgs(_Model):
    updates: Annotated[list[TierChange], Field(min_length=1, max_length=_MAX_BATCH)]


class DeleteTiersArgs(_Model):
    loyalty_tier_ids: Annotated[list[MewsId], Field(min_length=1, max_length=_MAX_BATCH)]


class NewMembership(_Model):
    account_id: MewsId = Field(description="the customer id")
    loyalty_program_id: MewsId
    is_primary: bool = True
    state: MembershipState | None = Field(default=None, description="Mews default: Enrolled")
    membership_number: MembershipNumber | None = None
    loyalty_tier_id: MewsId | None = None
    expiration_date: date | None = None


class AddMembershipsArgs(_Model):
    memberships: Annotated[list[NewMembership], Field(min_length=1, max_length=_MAX_BATCH)]


class MembershipUpdate(_Model):
    """Membership properties other than points (those go through the ledger)."""

    loyalty_membership_id: MewsId
    state: MembershipState | None = None
    is_primary: bool | None = None
    membership_number: MembershipNumber | None = None
    loyalty_tier_id: MewsId | None = None
    expiration_date: date | None = None

    @property
    def changes_anything(self) -> bool:
        """Whether a Mews membership property changes (a subclass's own fields, such as the
        server's `points`, are not Mews properties and do not count)."""
        return any(
            getattr(self, name) is not None
            for name in MembershipUpdate.model_fields
            if name != "loyalty_membership_id"
        )


class UpdateMembershipsArgs(_Model):
    updates: Annotated[list[MembershipUpdate], Field(min_length=1, max_length=_MAX_BATCH)]


class DeleteMembershipsArgs(_Model):
    loyalty_membership_ids: Annotated[list[MewsId], Field(min_length=1, max_length=_MAX_BATCH)]


# ---------------------------------------------------------------------- results
class ProgramOut(BaseModel):
    id: str
    name: str
    code: str
    type: str
    subscription: str

    @classmethod
    def of(cls, program: LoyaltyProgram) -> ProgramOut:
        return cls(
            id=program.id,
            name=program.name,
            code=program.code,
            type=str(program.type),
            subscription=str(program.subscription),
        )


class ProgramsOut(BaseModel):
    loyalty_programs: list[ProgramOut]


class TierOut(BaseModel):
    id: str
    loyalty_program_id: str
    name: str
    code: str
    ordering: int

    @classmethod
    def of(cls, tier: LoyaltyTier) -> TierOut:
        return cls(
            id=tier.id,
            loyalty_program_id=tier.loyalty_program_id,
            name=tier.name,
            code=tier.code,
            ordering=tier.ordering,
        )


class TiersOut(BaseModel):
    loyalty_tiers: list[TierOut]


class MembershipOut(BaseModel):
    id: str
    account_id: str
    loyalty_program_id: str
    state: str
    is_primary: bool
    membership_number: str | None
    points: int | None
    loyalty_tier_id: str | None
    expiration_date: datetime | None

    @classmethod
    def of(cls, membership: LoyaltyMembership) -> MembershipOut:
        return cls(
            id=membership.id,
            account_id=membership.account_id,
            loyalty_program_id=membership.loyalty_program_id,
            state=str(membership.state),
            is_primary=membership.is_primary,
            membership_number=membership.membership_number,
            points=membership.points,
            loyalty_tier_id=membership.loyalty_tier_id,
            expiration_date=membership.expiration_date,
        )


class MembershipsOut(BaseModel):
    loyalty_memberships: list[MembershipOut]


class Deleted(BaseModel):
    deleted: list[str]


def _instant(day: date | None) -> datetime | None:
    # Mews wants an aware UTC instant (`2029-12-24T00:00:00Z`); memberships are chain-level,
    # so there is no one hotel's time zone to take midnight in: midnight UTC of the day, which
    # reads back as the same calendar date.
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def _set(value: Any) -> Any:
    return None if value is None else UpdateValue(value=value)


def _membership_update(u: MembershipUpdate) -> LoyaltyMembershipUpdateParameters:
    return LoyaltyMembershipUpdateParameters(
        loyalty_membership_id=u.loyalty_membership_id,
        state=_set(None if u.state is None else LoyaltyMembershipState(u.state)),
        is_primary=_set(u.is_primary),
        membership_number=_set(u.membership_number),
        loyalty_tier_id=_set(u.loyalty_tier_id),
        expiration_date=_set(_instant(u.expiration_date)),
    )


# ---------------------------------------------------------------------- actions
def admin_actions(
    mews: MewsClient,
    directory: MembershipDirectory,
    chain_id: Callable[[], Awaitable[str]],
) -> tuple[ActionSpec, ...]:
    """`chain_id` names the chain of chain-scoped writes (portfolio tokens need it; Mews
    ignores it for a single-enterprise token)."""

    async def add_programs(args: JSONObject, _ctx: ExecContext) -> ProgramsOut:
        parsed = AddProgramsArgs.model_validate(args)
        added = await mews.loyalty_programs.add(
            [
                LoyaltyProgramParameters(
                    name=p.name,
                    code=p.code,
                    type=LoyaltyProgramType(p.type),
                    subscription=LoyaltyProgramSubscription(p.subscription),
                )
                for p in parsed.programs
            ],
            chain_id=await chain_id(),
        )
        directory.refresh()
        return ProgramsOut(loyalty_programs=[ProgramOut.of(p) for p in added])

    async def update_programs(args: JSONObject, _ctx: ExecContext) -> ProgramsOut:
        parsed = UpdateProgramsArgs.model_validate(args)
        updated = await mews.loyalty_programs.update(
            [
                LoyaltyProgramUpdateParameters(
                    loyalty_program_id=u.loyalty_program_id,
                    name=_set(u.name),
                    type=_set(None if u.type is None else LoyaltyProgramType(u.type)),
                    subscription=_set(
                        None
                        if u.subscription is None
                        else LoyaltyProgramSubscription(u.subscription)
                    ),
                )
                for u in parsed.updates
            ],
            chain_id=await chain_id(),
        )
        directory.refresh()
        return ProgramsOut(loyalty_programs=[ProgramOut.of(p) for p in updated])

    async def delete_programs(args: JSONObject, _ctx: ExecContext) -> Deleted:
        parsed = DeleteProgramsArgs.model_validate(args)
        await mews.loyalty_programs.delete(parsed.loyalty_program_ids)
        directory.refresh()
        return Deleted(deleted=list(parsed.loyalty_program_ids))

    async def add_tiers(args: JSONObject, _ctx: ExecContext) -> TiersOut:
        parsed = AddTiersArgs.model_validate(args)
        added = await mews.loyalty_tiers.add(
            [
                LoyaltyTierParameters(
                    loyalty_program_id=t.loyalty_program_id,
                    name=t.name,
                    code=t.code,
                    ordering=t.ordering,
                )
                for t in parsed.tiers
            ],
            chain_id=await chain_id(),
        )
        directory.refresh()
        return TiersOut(loyalty_tiers=[TierOut.of(t) for t in added])

    async def update_tiers(args: JSONObject, _ctx: ExecContext) -> TiersOut:
        parsed = UpdateTiersArgs.model_validate(args)
        updated = await mews.loyalty_tiers.update(
            [
                LoyaltyTierUpdateParameters(
                    loyalty_tier_id=u.loyalty_tier_id,
                    name=_set(u.name),
                    code=_set(u.code),
                    ordering=_set(u.ordering),
                )
                for u in parsed.updates
            ]
        )
        directory.refresh()
        return TiersOut(loyalty_tiers=[TierOut.of(t) for t in updated])

    async def delete_tiers(args: JSONObject, _ctx: ExecContext) -> Deleted:
        parsed = DeleteTiersArgs.model_validate(args)
        await mews.loyalty_tiers.delete(parsed.loyalty_tier_ids)
        directory.refresh()
        return Deleted(deleted=list(parsed.loyalty_tier_ids))

    async def add_memberships(args: JSONObject, _ctx: ExecContext) -> MembershipsOut:
        parsed = AddMembershipsArgs.model_validate(args)
        accounts = list(dict.fromkeys(m.account_id for m in parsed.memberships))
        customers = await mews.customers.get_all(customer_ids=accounts).to_list()
        default = await chain_id()
        chain_of_account = {c.id: c.chain_id or default for c in customers}
        groups: dict[str, list[NewMembership]] = {}
        for m in parsed.memberships:  # each customer's own chain (a portfolio may span several)
            groups.setdefault(chain_of_account.get(m.account_id, default), []).append(m)
        added: list[LoyaltyMembership] = []
        for chain, group in groups.items():
            added += await mews.loyalty_memberships.add(
                [
                    LoyaltyMembershipParameters(
                        account_id=m.account_id,
                        loyalty_program_id=m.loyalty_program_id,
                        is_primary=m.is_primary,
                        state=None if m.state is None else LoyaltyMembershipState(m.state),
                        membership_number=m.membership_number,
                        loyalty_tier_id=m.loyalty_tier_id,
                        expiration_date=_instant(m.expiration_date),
                    )
                    for m in group
                ],
                chain_id=chain,
            )
        return MembershipsOut(loyalty_memberships=[MembershipOut.of(m) for m in added])

    async def describe_add_memberships(args: JSONObject) -> Facts:
        parsed = AddMembershipsArgs.model_validate(args)
        single = parsed.memberships[0].account_id if len(parsed.memberships) == 1 else None
        return Facts(customer_id=single, note=f"enrol {len(parsed.memberships)} membership(s)")

    async def chain_of(membership_id: str) -> str:
        """The membership's own chain (a portfolio may span several; `ChainId` must match)."""
        try:
            return directory.remembered(membership_id).chain_id
        except UnknownMembershipError:
            return (await directory.lookup(membership_id)).chain_id

    async def by_chain(ids: list[str]) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for membership_id in ids:
            groups.setdefault(await chain_of(membership_id), []).append(membership_id)
        return groups

    async def update_memberships(args: JSONObject, _ctx: ExecContext) -> MembershipsOut:
        parsed = UpdateMembershipsArgs.model_validate(args)
        wanted = {u.loyalty_membership_id: u for u in parsed.updates}
        updated: list[LoyaltyMembership] = []
        for chain, ids in (await by_chain(list(wanted))).items():
            updated += await mews.loyalty_memberships.update(
                [_membership_update(wanted[i]) for i in ids], chain_id=chain
            )
        for membership_id in wanted:  # our own write: the cached read is stale now
            directory.forget(membership_id)
        return MembershipsOut(loyalty_memberships=[MembershipOut.of(m) for m in updated])

    async def describe_update_memberships(args: JSONObject) -> Facts:
        parsed = UpdateMembershipsArgs.model_validate(args)
        downgrade, steps_up = False, 0
        customers: set[str] = set()
        for update in parsed.updates:
            ref = await directory.lookup(update.loyalty_membership_id)
            customers.add(ref.customer_id)
            if update.loyalty_tier_id and update.loyalty_tier_id != ref.tier_id:
                tiers = await directory.tiers(ref.program_id)
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
            note=f"update {len(parsed.updates)} membership(s)"
            + (" including a tier downgrade" if downgrade else ""),
        )

    async def delete_memberships(args: JSONObject, _ctx: ExecContext) -> Deleted:
        parsed = DeleteMembershipsArgs.model_validate(args)
        for chain, ids in (await by_chain(list(parsed.loyalty_membership_ids))).items():
            await mews.loyalty_memberships.delete(ids, chain_id=chain)
        for membership_id in parsed.loyalty_membership_ids:
            directory.forget(membership_id)
        return Deleted(deleted=list(parsed.loyalty_membership_ids))

    def note(text: str, model: type[BaseModel], field: str, **facts: Any) -> Any:
        async def describe(args: JSONObject) -> Facts:
            count = len(getattr(model.model_validate(args), field))
            return Facts(note=f"{text} ({count})", **facts)

        return describe

    admin: dict[str, Any] = {"requires": ("administer_programs",)}
    return (
        ActionSpec(
            "add_loyalty_programs",
            "admin",
            External(add_programs),
            note("add loyalty programs", AddProgramsArgs, "programs"),
        ),
        ActionSpec(
            "update_loyalty_programs",
            "admin",
            External(update_programs),
            note("update loyalty programs", UpdateProgramsArgs, "updates"),
        ),
        ActionSpec(
            "delete_loyalty_programs",
            "delete",
            External(delete_programs),
            note("delete loyalty programs", DeleteProgramsArgs, "loyalty_program_ids", **admin),
        ),
        ActionSpec(
            "add_loyalty_tiers",
            "admin",
            External(add_tiers),
            note("add loyalty tiers", AddTiersArgs, "tiers"),
        ),
        ActionSpec(
            "update_loyalty_tiers",
            "admin",
            External(update_tiers),
            note("update loyalty tiers", UpdateTiersArgs, "updates"),
        ),
        ActionSpec(
            "delete_loyalty_tiers",
            "delete",
            External(delete_tiers),
            note("delete loyalty tiers", DeleteTiersArgs, "loyalty_tier_ids", **admin),
        ),
        ActionSpec(
            "add_loyalty_memberships",
            "write",
            External(add_memberships),
            describe_add_memberships,
        ),
        ActionSpec(
            "update_loyalty_memberships",
            "write",
            External(update_memberships),
            describe_update_memberships,
        ),
        ActionSpec(
            "delete_loyalty_memberships",
            "delete",
            External(delete_memberships),
            note("delete loyalty memberships", DeleteMembershipsArgs, "loyalty_membership_ids"),
        ),
    )
