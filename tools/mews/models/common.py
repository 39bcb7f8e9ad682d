"""Building blocks shared by every Mews model: base classes, wire types, update values.

Wire conventions (CONNECTOR-API.md §3.5):
- Properties are PascalCase on the wire, snake_case in Python (an alias generator maps them).
- Datetimes are UTC and serialize as `YYYY-MM-DDThh:mm:ssZ` (no fractions; they are truncated).
- Responses are parsed leniently: unknown properties are ignored and unknown enum values are
  kept as plain strings (`OpenEnum`), because Mews regenerates its docs weekly and says enums
  may grow. Requests are strict: unknown properties and unknown enum values are rejected before
  anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
    with_config,
)
from pydantic.alias_generators import to_pascal
from typing_extensions import TypedDict

__all__ = [
    "ActivityState",
    "Address",
    "AddressLines",
    "Amount",
    "AmountBreakdown",
    "AmountBreakdownItem",
    "ChainScopedFilters",
    "EmptyResult",
    "EnterpriseProfile",
    "EnterpriseScopedFilters",
    "ExpirationDate",
    "JsonObject",
    "LocalizedText",
    "MewsDate",
    "MewsEntity",
    "MewsFilters",
    "MewsRequest",
    "MewsResponse",
    "NotClearable",
    "OpenEnum",
    "PagedResult",
    "ProfileData",
    "ProfileDataDiscriminator",
    "TaxValue",
    "TimeInterval",
    "UpdateValue",
    "UtcDateTime",
    "format_utc",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E", bound=StrEnum)

JsonObject = dict[str, JsonValue]
"""A JSON object kept as-is: the parts of Mews payloads this client does not model."""

LocalizedText = dict[str, str]
"""Language code → text, e.g. `{"en-US": "Breakfast"}`."""


class MewsResponse(BaseModel):
    """Base of every model parsed from a Mews response: frozen, lenient about new properties."""

    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, frozen=True, extra="ignore"
    )


class MewsRequest(BaseModel):
    """Base of every model sent to Mews: frozen, strict (a misspelt field is an error)."""

    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, frozen=True, extra="forbid"
    )

    def to_wire(self) -> JsonObject:
        """The JSON object Mews expects: PascalCase keys, unset (None) properties omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class PagedResult(MewsResponse, Generic[T_co]):
    """The answer of a paginated operation: its entities (`items`) and the `Cursor`.

    Each subclass declares the entity array first, named as Mews names it (`LoyaltyMemberships`,
    ...); that field is `items_key`. `Cursor` is optional: Mews leaves it out on writes that
    return the same entities, and the `tasks/getAll` example omits it (doc inconsistency §8.7).
    """

    items_key: ClassVar[str]
    """The field holding the entity array (`loyalty_memberships`): the subclass's first field."""

    cursor: str | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        declared = [name for name in cls.model_fields if name not in PagedResult.model_fields]
        if declared:  # not for `PagedResult[X]` itself
            cls.items_key = declared[0]

    @property
    def items(self) -> Sequence[T_co]:
        """The entities of this answer."""
        items: Sequence[T_co] = getattr(self, self.items_key)
        return items


class EmptyResult(MewsResponse):
    """The `{}` answer of operations that return nothing (deletes)."""


@with_config(
    ConfigDict(alias_generator=AliasGenerator(serialization_alias=to_pascal), extra="forbid")
)
class MewsFilters(TypedDict, total=False):
    """Base of the filter TypedDicts of getAll operations: snake_case keyword arguments in,
    PascalCase on the wire, unknown filters rejected. They take this config (pydantic looks for
    it along a TypedDict's bases), so each one only declares its filters."""


class EnterpriseScopedFilters(MewsFilters, total=False):
    """Filters every enterprise-level `getAll` takes: the enterprises (with a Portfolio Access
    Token) and the interval of the last update."""

    enterprise_ids: Sequence[str]
    updated_utc: TimeInterval


class ChainScopedFilters(MewsFilters, total=False):
    """Filters every chain-level `getAll` (loyalty, customers, notes) takes: the chains, active
    or deleted records, and the interval of the last update."""

    chain_ids: Sequence[str]
    activity_states: Sequence[ActivityState]
    updated_utc: TimeInterval


# ------------------------------------------------------------------ datetimes and dates


def format_utc(value: datetime) -> str:
    """`YYYY-MM-DDThh:mm:ssZ`, the canonical Mews form (fractions of a second are dropped)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware_utc(value: object) -> object:
    # A datetime object without a zone is ambiguous (local? UTC?): refuse it. A string without
    # an offset can only come from the wire, where Mews always means UTC.
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware (use datetime.now(UTC), not now())")
    return value


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_aware_utc),
    AfterValidator(_to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""An instant in UTC, `2023-03-22T12:12:00Z` on the wire."""


def _date_part(value: object) -> object:
    # Pure dates (`BirthDate`) are sometimes sent as midnight datetimes
    # (`accounts/update` answers "2000-01-01T00:00:00Z"); keep the calendar date.
    if isinstance(value, str) and len(value) > 10:
        return datetime.fromisoformat(value).date()
    if isinstance(value, datetime):
        return value.date()
    return value


MewsDate = Annotated[date, BeforeValidator(_date_part)]
"""A calendar date, `1983-12-31` on the wire."""


def _expiration(value: object) -> object:
    # Doc inconsistency §8.5: ExpirationDate is documented as a UTC ISO 8601 instant, but
    # examples mix "2029-11-04T13:00:00Z" and "2024-12-31". Decision: accept both (and `date`
    # objects) and normalise to an instant; a date-only value means midnight UTC of that day.
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


ExpirationDate = Annotated[UtcDateTime, BeforeValidator(_expiration)]
"""A membership expiration: full instant or date-only in, `...T00:00:00Z`-style instant out."""


# ------------------------------------------------------------------ enums

OpenEnum = Annotated[E | str, Field(union_mode="left_to_right")]
"""A response enum that keeps values it does not know as plain strings (enums may grow).

Known values become the StrEnum member; since StrEnum members are strings, comparisons such as
`membership.state == LoyaltyMembershipState.ENROLLED` work either way.
"""


class ActivityState(StrEnum):
    ACTIVE = "Active"
    DELETED = "Deleted"


# ------------------------------------------------------------------ update values


class UpdateValue(BaseModel, Generic[T]):
    """One property of an update: `UpdateValue(value=x)` sets it, `UpdateValue(value=None)`
    clears it. To leave a property unchanged, do not pass it (fields default to None, which is
    omitted on the wire, exactly as Mews treats an absent or null property).

    Serializes as `{"Value": x}` or `{"Value": null}`; the null is kept even when the request is
    dumped with `exclude_none`, because it is what "clear" means to Mews.
    """

    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, frozen=True, extra="forbid"
    )

    value: T | None

    @classmethod
    def to(cls, value: T) -> Self:
        """Set the property to `value`."""
        return cls(value=value)

    @classmethod
    def cleared(cls) -> Self:
        """Clear the property (only for properties Mews allows to be empty)."""
        return cls(value=None)

    @property
    def is_clear(self) -> bool:
        return self.value is None

    @model_serializer(mode="wrap")
    def _always_with_value(self, handler: SerializerFunctionWrapHandler) -> JsonObject:
        dumped: JsonObject = handler(self)
        return {"Value": dumped.get("Value")}


def _reject_clear(update: UpdateValue[T] | None) -> UpdateValue[T] | None:
    if update is not None and update.value is None:
        raise ValueError("this property cannot be cleared; pass a value or leave it out")
    return update


NotClearable = AfterValidator(_reject_clear)
"""Marks an update field whose target is not nullable (program `Name`, membership `State`,
`IsPrimary`, ...): `UpdateValue(value=None)` is rejected when the model is built."""


# ------------------------------------------------------------------ shared value objects


class MewsEntity(MewsResponse):
    """A record Mews keeps: its id, and when it was created and last updated."""

    id: str
    created_utc: UtcDateTime | None = None
    updated_utc: UtcDateTime | None = None


class TimeInterval(MewsRequest):
    """`{"StartUtc", "EndUtc"}`; as a filter, equal ends match that instant exactly, otherwise
    `StartUtc <= value < EndUtc` (the newer `_objects.md` rule, doc inconsistency §8.9)."""

    start_utc: UtcDateTime
    end_utc: UtcDateTime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_utc < self.start_utc:
            raise ValueError("EndUtc must not be before StartUtc")
        return self


class ProfileDataDiscriminator(StrEnum):
    PERSONAL = "Personal"
    ENTERPRISE = "Enterprise"
    PLATFORM = "Platform"
    STATIC = "Static"
    INTEGRATION = "Integration"


class EnterpriseProfile(MewsResponse):
    profile_id: str


class ProfileData(MewsResponse):
    """Who created or last updated a record."""

    discriminator: OpenEnum[ProfileDataDiscriminator]
    enterprise_profile: EnterpriseProfile | None = None


class TaxValue(MewsResponse):
    code: str | None = None
    # Product prices list tax codes without values ({"Code": "FR-T"}).
    value: Decimal | None = None


class AmountBreakdownItem(MewsResponse):
    tax_rate_code: str | None = None
    net_value: Decimal
    tax_value: Decimal


class AmountBreakdown(MewsResponse):
    items: tuple[AmountBreakdownItem, ...] = ()


class Amount(MewsResponse):
    """Money as Mews reports it; values are Decimals (never floats) so sums stay exact."""

    currency: str
    # Product prices carry only one of the two values, hence optional.
    net_value: Decimal | None = None
    gross_value: Decimal | None = None
    tax_values: tuple[TaxValue, ...] = ()
    breakdown: AmountBreakdown | None = None


class AddressLines(BaseModel):
    """The postal lines of an address: what Mews answers (`Address`) and what it takes
    (`AddressParameters`) share them."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    country_subdivision_code: str | None = None


class Address(MewsResponse, AddressLines):
    id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
