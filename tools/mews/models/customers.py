"""Customers (CONNECTOR-API.md §5.3-5.5): profiles, search, add and update; and the notes on
their profiles (§5.12), where agent writes are recorded so the property sees them in Mews."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from tools.mews.models.common import (
    Address,
    AddressLines,
    ChainScopedFilters,
    JsonObject,
    MewsDate,
    MewsEntity,
    MewsRequest,
    MewsResponse,
    OpenEnum,
    PagedResult,
    ProfileData,
    TimeInterval,
    UpdateValue,
)
from tools.mews.models.orders import AccountType

__all__ = [
    "AccountNote",
    "AccountNoteClassification",
    "AccountNoteFilters",
    "AccountNoteParameters",
    "AccountNotesResult",
    "AddressParameters",
    "Customer",
    "CustomerAddParameters",
    "CustomerClassification",
    "CustomerExtent",
    "CustomerFilters",
    "CustomerOption",
    "CustomerSearchResult",
    "CustomerSearchResults",
    "CustomerUpdateParameters",
    "CustomersResult",
    "Sex",
    "Title",
]


# ------------------------------------------------------------------ customers


class Title(StrEnum):
    MISTER = "Mister"
    MISS = "Miss"
    MISSES = "Misses"


class Sex(StrEnum):
    MALE = "Male"
    FEMALE = "Female"


class CustomerClassification(StrEnum):
    PAYMASTER_ACCOUNT = "PaymasterAccount"
    BLACKLIST = "Blacklist"  # deprecated by Mews in favour of Blocklist
    MEDIA = "Media"
    LOYALTY_PROGRAM = "LoyaltyProgram"
    PREVIOUS_COMPLAINT = "PreviousComplaint"
    RETURNING = "Returning"
    STAFF = "Staff"
    FRIEND_OR_FAMILY = "FriendOrFamily"
    TOP_MANAGEMENT = "TopManagement"
    IMPORTANT = "Important"
    VERY_IMPORTANT = "VeryImportant"
    PROBLEMATIC = "Problematic"
    CASHLIST = "Cashlist"
    DISABLED_PERSON = "DisabledPerson"
    MILITARY = "Military"
    AIRLINE = "Airline"
    HEALTH_COMPLIANT = "HealthCompliant"
    IN_ROOM = "InRoom"
    WAITING_FOR_ROOM = "WaitingForRoom"
    STUDENT = "Student"
    BLOCKLIST = "Blocklist"


class CustomerOption(StrEnum):
    """Customer options; marketing consent lives here."""

    NONE = "None"
    SEND_MARKETING_EMAILS = "SendMarketingEmails"
    INVOICEABLE = "Invoiceable"
    BILL_ADDRESS_OBJECTION = "BillAddressObjection"
    SEND_MARKETING_POSTAL_MAIL = "SendMarketingPostalMail"
    SEND_PARTNER_MARKETING_EMAILS = "SendPartnerMarketingEmails"
    SEND_PARTNER_MARKETING_POSTAL_MAIL = "SendPartnerMarketingPostalMail"
    WITHDRAW_CARD_CONSENT = "WithdrawCardConsent"
    GUEST_PHOTO_CONSENT = "GuestPhotoConsent"
    ID_PHOTOS_CONSENT = "IdPhotosConsent"


class Customer(MewsEntity):
    last_name: str
    chain_id: str | None = None
    number: str | None = None
    title: OpenEnum[Title] | None = None
    sex: OpenEnum[Sex] | None = None
    first_name: str | None = None
    second_last_name: str | None = None
    nationality_code: str | None = None
    preferred_language_code: str | None = None
    language_code: str | None = None
    birth_date: MewsDate | None = None
    birth_country_code: str | None = None
    birth_country_subdivision_code: str | None = None
    birth_place: str | None = None
    occupation: str | None = None
    email: str | None = None
    has_ota_email: bool = False
    phone: str | None = None
    tax_identification_number: str | None = None
    loyalty_code: str | None = None
    accounting_code: str | None = None
    billing_code: str | None = None
    notes: str | None = None
    car_registration_number: str | None = None
    dietary_requirements: str | None = None
    address_id: str | None = None
    address: Address | None = None
    classifications: tuple[OpenEnum[CustomerClassification], ...] = ()
    options: tuple[OpenEnum[CustomerOption], ...] = ()
    italian_destination_code: str | None = None
    italian_fiscal_code: str | None = None
    italian_lottery_code: str | None = None
    company_id: str | None = None
    merge_target_id: str | None = None
    is_active: bool = True
    preferred_space_features: tuple[str, ...] = ()
    creator_profile_id: str | None = None
    updater_profile_id: str | None = None


class CustomersResult(PagedResult[Customer]):
    """Answer of `customers/getAll` (the deprecated `Documents` is ignored)."""

    customers: tuple[Customer, ...]


class CustomerSearchResult(MewsResponse):
    customer: Customer
    # A reservation of the old 2017-04-12 shape, which this client does not model.
    reservation: JsonObject | None = None


class CustomerSearchResults(MewsResponse):
    """Answer of `customers/search`."""

    customers: tuple[CustomerSearchResult, ...]


class CustomerExtent(MewsRequest):
    """What `customers/getAll` returns (the deprecated `Documents` is not offered)."""

    customers: bool = True
    addresses: bool = False


class CustomerFilters(ChainScopedFilters, total=False):
    """Filters of `customers/getAll`; `CompanyIds` takes at most one id per request."""

    extent: CustomerExtent
    customer_ids: Sequence[str]
    company_ids: Sequence[str]
    emails: Sequence[str]
    first_names: Sequence[str]
    last_names: Sequence[str]
    loyalty_codes: Sequence[str]
    created_utc: TimeInterval
    deleted_utc: TimeInterval


class AddressParameters(MewsRequest, AddressLines):
    """An address for `customers/add` and `customers/update`."""


class _CustomerFields(MewsRequest):
    """Fields shared by `customers/add` and `customers/update` (plain values, not wrappers)."""

    chain_id: str | None = None
    title: Title | None = None
    sex: Sex | None = None
    first_name: str | None = None
    second_last_name: str | None = None
    nationality_code: str | None = None
    preferred_language_code: str | None = None
    birth_date: MewsDate | None = None
    birth_place: str | None = None
    occupation: str | None = None
    email: str | None = None
    phone: str | None = None
    loyalty_code: str | None = None
    notes: str | None = None
    car_registration_number: str | None = None
    tax_identification_number: str | None = None
    address: AddressParameters | None = None
    classifications: tuple[CustomerClassification, ...] | None = None
    options: tuple[CustomerOption, ...] | None = None


class CustomerAddParameters(_CustomerFields):
    """The body of `customers/add`.

    With `overwrite_existing=False`, a customer whose email is already taken is an error (403);
    with True, that profile is updated instead.
    """

    last_name: str
    overwrite_existing: bool
    italian_destination_code: str | None = None
    italian_fiscal_code: str | None = None
    italian_lottery_code: str | None = None


class CustomerUpdateParameters(_CustomerFields):
    """The body of `customers/update`: fields left out (None) stay as they are.

    Unlike most updates, Mews takes plain values here (it cannot clear them); only the Italian
    codes are update values, so only they can be cleared.
    """

    customer_id: str
    last_name: str | None = None
    company_id: str | None = None
    italian_destination_code: UpdateValue[str] | None = None
    italian_fiscal_code: UpdateValue[str] | None = None
    italian_lottery_code: UpdateValue[str] | None = None


# ------------------------------------------------------------------ notes on profiles


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
