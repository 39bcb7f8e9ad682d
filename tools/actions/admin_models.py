"""Arguments and results of the Mews loyalty administration writes (`tools.actions.programs`,
`tools.actions.memberships`), and their translation to Mews parameters.

Points never appear here: `add_loyalty_memberships` takes no points (a new membership starts
at zero and points are awarded through the ledger) and a `Points` change asked through
`update_loyalty_memberships` becomes an `adjust_points` ledger adjustment (the server's tool
does that).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tools.actions.models import MewsId
from tools.mews.models import (
    LoyaltyMembershipState,
    LoyaltyMembershipUpdateParameters,
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
    "instant",
    "membership_update",
    "update_value",
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
Item = TypeVar("Item")
Batch = Annotated[list[Item], Field(min_length=1, max_length=_MAX_BATCH)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Change(_Model):
    """A change to one Mews item: its id (the first field) and at least one property to change."""

    @model_validator(mode="after")
    def _something(self) -> Self:
        _id, *properties = type(self).model_fields
        if all(getattr(self, name) is None for name in properties):
            raise ValueError("give at least one property to change")
        return self


# ---------------------------------------------------------------------- arguments
class NewProgram(_Model):
    name: ProgramName
    code: Code
    type: ProgramType = "Hotel"
    subscription: Subscription = "Free"


class AddProgramsArgs(_Model):
    programs: Batch[NewProgram]


class ProgramChange(_Change):
    loyalty_program_id: MewsId
    name: ProgramName | None = None
    type: ProgramType | None = None
    subscription: Subscription | None = None


class UpdateProgramsArgs(_Model):
    updates: Batch[ProgramChange]


class DeleteProgramsArgs(_Model):
    loyalty_program_ids: Batch[MewsId]


class NewTier(_Model):
    loyalty_program_id: MewsId
    name: TierName
    code: TierName
    ordering: Ordering


class AddTiersArgs(_Model):
    tiers: Batch[NewTier]


class TierChange(_Change):
    loyalty_tier_id: MewsId
    name: TierName | None = None
    code: TierName | None = None
    ordering: Ordering | None = None


class UpdateTiersArgs(_Model):
    updates: Batch[TierChange]


class DeleteTiersArgs(_Model):
    loyalty_tier_ids: Batch[MewsId]


class NewMembership(_Model):
    account_id: MewsId = Field(description="the customer id")
    loyalty_program_id: MewsId
    is_primary: bool = True
    state: MembershipState | None = Field(default=None, description="Mews default: Enrolled")
    membership_number: MembershipNumber | None = None
    loyalty_tier_id: MewsId | None = None
    expiration_date: date | None = None


class AddMembershipsArgs(_Model):
    memberships: Batch[NewMembership]


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
    updates: Batch[MembershipUpdate]


class DeleteMembershipsArgs(_Model):
    loyalty_membership_ids: Batch[MewsId]


# ---------------------------------------------------------------------- results
class _Out(BaseModel):
    """A Mews item as a write answers it: the item's properties of the same names (its enums
    as their text)."""

    @classmethod
    def of(cls, item: BaseModel) -> Self:
        return cls.model_validate({name: getattr(item, name) for name in cls.model_fields})


class ProgramOut(_Out):
    id: str
    name: str
    code: str
    type: str
    subscription: str


class ProgramsOut(BaseModel):
    loyalty_programs: list[ProgramOut]


class TierOut(_Out):
    id: str
    loyalty_program_id: str
    name: str
    code: str
    ordering: int


class TiersOut(BaseModel):
    loyalty_tiers: list[TierOut]


class MembershipOut(_Out):
    id: str
    account_id: str
    loyalty_program_id: str
    state: str
    is_primary: bool
    membership_number: str | None
    points: int | None
    loyalty_tier_id: str | None
    expiration_date: datetime | None


class MembershipsOut(BaseModel):
    loyalty_memberships: list[MembershipOut]


class Deleted(BaseModel):
    deleted: list[str]


def instant(day: date | None) -> datetime | None:
    # Mews wants an aware UTC instant (`2029-12-24T00:00:00Z`); memberships are chain-level,
    # so there is no one hotel's time zone to take midnight in: midnight UTC of the day, which
    # reads back as the same calendar date.
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def update_value(value: Any) -> Any:
    return None if value is None else UpdateValue(value=value)


def membership_update(u: MembershipUpdate) -> LoyaltyMembershipUpdateParameters:
    return LoyaltyMembershipUpdateParameters(
        loyalty_membership_id=u.loyalty_membership_id,
        state=update_value(None if u.state is None else LoyaltyMembershipState(u.state)),
        is_primary=update_value(u.is_primary),
        membership_number=update_value(u.membership_number),
        loyalty_tier_id=update_value(u.loyalty_tier_id),
        expiration_date=update_value(instant(u.expiration_date)),
    )
