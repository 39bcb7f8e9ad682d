"""Loyalty programs, tiers and memberships (CONNECTOR-API.md §4).

Decisions on the docs' inconsistencies (§8) are marked `Doc inconsistency` where they are made.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Required

from pydantic import StringConstraints, model_validator

from tools.mews.models.common import (
    ChainScopedFilters,
    ExpirationDate,
    MewsRequest,
    MewsResponse,
    NotClearable,
    OpenEnum,
    PagedResult,
    ProfileData,
    TimeInterval,
    UpdateValue,
)

__all__ = [
    "LoyaltyMembership",
    "LoyaltyMembershipFilters",
    "LoyaltyMembershipParameters",
    "LoyaltyMembershipState",
    "LoyaltyMembershipUpdateParameters",
    "LoyaltyMembershipsResult",
    "LoyaltyProgram",
    "LoyaltyProgramFilters",
    "LoyaltyProgramParameters",
    "LoyaltyProgramSubscription",
    "LoyaltyProgramType",
    "LoyaltyProgramUpdateParameters",
    "LoyaltyProgramsResult",
    "LoyaltyTier",
    "LoyaltyTierFilters",
    "LoyaltyTierParameters",
    "LoyaltyTierUpdateParameters",
    "LoyaltyTiersResult",
]

_ProgramName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_ProgramCode = Annotated[str, StringConstraints(min_length=1, max_length=50)]
_TierText = Annotated[str, StringConstraints(min_length=1, max_length=50)]
_MembershipNumber = Annotated[str, StringConstraints(max_length=255)]
_ProviderMembershipId = Annotated[str, StringConstraints(max_length=100)]


class LoyaltyProgramType(StrEnum):
    HOTEL = "Hotel"
    EXTERNAL_PARTNER = "ExternalPartner"
    SOFT_BRAND = "SoftBrand"
    UNKNOWN = "Unknown"


class LoyaltyProgramSubscription(StrEnum):
    FREE = "Free"
    PAID = "Paid"


class LoyaltyMembershipState(StrEnum):
    NEW = "New"
    PENDING = "Pending"
    ENROLLED = "Enrolled"
    CANCELED = "Canceled"
    DECLINED = "Declined"


# ------------------------------------------------------------------ programs


class LoyaltyProgram(MewsResponse):
    id: str
    chain_id: str
    name: str
    code: str
    type: OpenEnum[LoyaltyProgramType]
    subscription: OpenEnum[LoyaltyProgramSubscription]


class LoyaltyProgramsResult(PagedResult[LoyaltyProgram]):
    """Answer of `loyaltyPrograms/getAll`, `/add` and `/update` (the writes send no Cursor)."""

    loyalty_programs: tuple[LoyaltyProgram, ...]


class LoyaltyProgramParameters(MewsRequest):
    """One program for `loyaltyPrograms/add`."""

    name: _ProgramName
    code: _ProgramCode
    type: LoyaltyProgramType
    subscription: LoyaltyProgramSubscription


class LoyaltyProgramUpdateParameters(MewsRequest):
    """One program change for `loyaltyPrograms/update`; `Code` cannot be changed."""

    loyalty_program_id: str
    name: Annotated[UpdateValue[_ProgramName] | None, NotClearable] = None
    type: Annotated[UpdateValue[LoyaltyProgramType] | None, NotClearable] = None
    subscription: Annotated[UpdateValue[LoyaltyProgramSubscription] | None, NotClearable] = None


class LoyaltyProgramFilters(ChainScopedFilters, total=False):
    """Filters of `loyaltyPrograms/getAll`."""

    loyalty_program_ids: Sequence[str]
    codes: Sequence[str]
    created_utc: TimeInterval


# ------------------------------------------------------------------ tiers


class LoyaltyTier(MewsResponse):
    id: str
    loyalty_program_id: str
    name: str
    code: str
    ordering: int


class LoyaltyTiersResult(PagedResult[LoyaltyTier]):
    """Answer of `loyaltyTiers/getAll`, `/add` and `/update`."""

    loyalty_tiers: tuple[LoyaltyTier, ...]


class LoyaltyTierParameters(MewsRequest):
    """One tier for `loyaltyTiers/add`."""

    loyalty_program_id: str
    name: _TierText
    code: _TierText
    ordering: int


class LoyaltyTierUpdateParameters(MewsRequest):
    """One tier change for `loyaltyTiers/update` (all of a tier's properties are required, so
    none can be cleared)."""

    loyalty_tier_id: str
    name: Annotated[UpdateValue[_TierText] | None, NotClearable] = None
    code: Annotated[UpdateValue[_TierText] | None, NotClearable] = None
    ordering: Annotated[UpdateValue[int] | None, NotClearable] = None


class LoyaltyTierFilters(ChainScopedFilters, total=False):
    """Filters of `loyaltyTiers/getAll` (`LoyaltyProgramIds` is required by Mews)."""

    loyalty_program_ids: Required[Sequence[str]]
    loyalty_tier_ids: Sequence[str]


# ------------------------------------------------------------------ memberships


class LoyaltyMembership(MewsResponse):
    id: str
    chain_id: str
    account_id: str
    loyalty_program_id: str
    state: OpenEnum[LoyaltyMembershipState]
    is_primary: bool
    provider_membership_id: str | None = None
    membership_number: str | None = None
    points: int | None = None
    expiration_date: ExpirationDate | None = None
    url: str | None = None
    loyalty_tier_id: str | None = None
    # Doc inconsistency §8.3: documented as required but null in every current example.
    creator_profile: ProfileData | None = None
    updater_profile: ProfileData | None = None

    @model_validator(mode="before")
    @classmethod
    def _membership_number_from_code(cls, data: Any) -> Any:
        # Doc inconsistency: `Code` is deprecated (2025-08-05) and mirrors `MembershipNumber`.
        # Decision: expose only `membership_number`, filled from `Code` when an older answer
        # has no `MembershipNumber`.
        if isinstance(data, dict) and data.get("MembershipNumber") is None and data.get("Code"):
            return {**data, "MembershipNumber": data["Code"]}
        return data


class LoyaltyMembershipsResult(PagedResult[LoyaltyMembership]):
    """Answer of `loyaltyMemberships/getAll`, `/add` and `/update`.

    Doc inconsistency §8.2: the add/update answers list a `Cursor` although they are not
    paginated; the inherited optional `cursor` accepts it (and its absence).
    """

    loyalty_memberships: tuple[LoyaltyMembership, ...]


class LoyaltyMembershipParameters(MewsRequest):
    """One membership for `loyaltyMemberships/add`.

    `state` left out means Mews' default, `Enrolled`. `ProviderMembershipId` can only be set
    by an update. The deprecated `Code` is not offered: use `membership_number`.
    """

    account_id: str
    loyalty_program_id: str
    is_primary: bool
    state: LoyaltyMembershipState | None = None
    membership_number: _MembershipNumber | None = None
    # Doc inconsistency §8.4: Points is an integer here and in the entity.
    points: int | None = None
    expiration_date: ExpirationDate | None = None
    url: str | None = None
    loyalty_tier_id: str | None = None


class LoyaltyMembershipUpdateParameters(MewsRequest):
    """One membership change for `loyaltyMemberships/update`.

    Points are an absolute balance (there is no "add points" operation in Mews).
    """

    loyalty_membership_id: str
    loyalty_program_id: Annotated[UpdateValue[str] | None, NotClearable] = None
    state: Annotated[UpdateValue[LoyaltyMembershipState] | None, NotClearable] = None
    is_primary: Annotated[UpdateValue[bool] | None, NotClearable] = None
    membership_number: UpdateValue[_MembershipNumber] | None = None
    provider_membership_id: UpdateValue[_ProviderMembershipId] | None = None
    # Doc inconsistency §8.4: the update takes a "Number update value" while the entity holds
    # an integer. Decision: accept integers only (42.0 is accepted as 42, 42.5 is rejected), so
    # what we write can always be read back.
    points: UpdateValue[int] | None = None
    expiration_date: UpdateValue[ExpirationDate] | None = None
    url: UpdateValue[str] | None = None
    loyalty_tier_id: UpdateValue[str] | None = None


class LoyaltyMembershipFilters(ChainScopedFilters, total=False):
    """Filters of `loyaltyMemberships/getAll` (the deprecated `Codes` is not offered)."""

    loyalty_membership_ids: Sequence[str]
    account_ids: Sequence[str]
    loyalty_program_ids: Sequence[str]
    membership_numbers: Sequence[str]
    provider_membership_ids: Sequence[str]
    membership_states: Sequence[LoyaltyMembershipState]
    created_utc: TimeInterval
