"""Notes on customer profiles (CONNECTOR-API.md §5.12): agent writes are recorded here so the
property sees them in Mews."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from tools.mews.models.common import (
    ChainScopedFilters,
    MewsRequest,
    MewsResponse,
    OpenEnum,
    PagedResult,
    ProfileData,
)
from tools.mews.models.reservations import AccountType

__all__ = [
    "AccountNote",
    "AccountNoteClassification",
    "AccountNoteFilters",
    "AccountNoteParameters",
    "AccountNotesResult",
]


class AccountNoteClassification(StrEnum):
    GENERAL = "General"
    FOOD_AND_BEVERAGE = "FoodAndBeverage"
    FRONT_OFFICE = "FrontOffice"
    RESERVATIONS = "Reservations"
    HOUSEKEEPING = "Housekeeping"
    MAINTENANCE = "Maintenance"
    PREVIOUS_STAY = "PreviousStay"
    FAMILY_RELATIONS = "FamilyRelations"
    GIFTS = "Gifts"
    ACCOUNTING = "Accounting"
    COMPLAINTS = "Complaints"
    OTHER = "Other"


class AccountNote(MewsResponse):
    id: str
    account_id: str
    content: str
    account_type: OpenEnum[AccountType] | None = None
    classifications: tuple[OpenEnum[AccountNoteClassification], ...] = ()
    is_active: bool = True
    creator_profile: ProfileData | None = None
    updater_profile: ProfileData | None = None


class AccountNotesResult(PagedResult[AccountNote]):
    """Answer of `accountNotes/getAll` and `accountNotes/add`."""

    account_notes: tuple[AccountNote, ...]


class AccountNoteParameters(MewsRequest):
    """One note for `accountNotes/add`: up to 1000 characters and at most one classification."""

    account_id: str
    content: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    classifications: Annotated[tuple[AccountNoteClassification, ...], Field(max_length=1)] = ()


class AccountNoteFilters(ChainScopedFilters, total=False):
    """Filters of `accountNotes/getAll`."""

    account_note_ids: Sequence[str]
    account_ids: Sequence[str]
