"""Slim rows for the loader's bulk scans: only the fields `MewsFactsLoader` reads.

A scan of a chain reads every membership, customer, reservation, product order and order item
of its members; the full models (`tools.mews.models`) parse every documented property, most of
which the facts never use (an order item has 28, eight of them datetimes; the loader reads 7).
These rows name the same entity arrays and fields (same snake_case names, so code reading a
full model reads these unchanged) and are decoded straight from the response bytes with
msgspec (`Query.decoded_as`; see `tools.mews.slim` for why msgspec), so a page costs a fraction
of the CPU and memory.

Every field here means what it means in the full model: datetimes are UTC instants (no offset
means UTC), amounts are exact Decimals, enum values are their strings (the full models' StrEnum
members compare equal to them), a membership's deprecated `Code` fills a missing
`MembershipNumber`, and `ExpirationDate` takes a date or an instant.
`tests/loyalty_mews/test_mews_rows.py` checks it on the documented examples.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import msgspec

from tools.mews.slim import SlimRow, SlimRows, utc_or_none

__all__ = [
    "AmountRow",
    "CustomerRow",
    "CustomerRows",
    "MembershipRow",
    "MembershipRows",
    "OrderItemOptionsRow",
    "OrderItemRow",
    "OrderItemRows",
    "ProductServiceOrderRow",
    "ProductServiceOrderRows",
    "ReservationRow",
    "ReservationRows",
]


class MembershipRow(SlimRow):
    """A loyalty membership as the facts use it."""

    id: str
    account_id: str
    loyalty_program_id: str
    state: str
    is_primary: bool
    membership_number: str | None = None
    code: str | None = None
    """Deprecated mirror of `MembershipNumber` (older answers); fills it when missing."""
    points: int | None = None
    expiration: str | None = msgspec.field(default=None, name="ExpirationDate")
    loyalty_tier_id: str | None = None

    def __post_init__(self) -> None:
        if self.membership_number is None and self.code:
            self.membership_number = self.code

    @property
    def expiration_date(self) -> datetime | None:
        """As `ExpirationDate` in the full model: a date-only value is midnight UTC."""
        if self.expiration is None:
            return None
        if len(self.expiration) == 10:
            day = date.fromisoformat(self.expiration)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return utc_or_none(datetime.fromisoformat(self.expiration))


class MembershipRows(SlimRows[MembershipRow]):
    loyalty_memberships: list[MembershipRow]


class CustomerRow(SlimRow):
    """A customer's name, whether an e-mail or phone is on file (never the address elsewhere)
    and the `Options` that hold marketing consent (`tools.loyalty.consent`)."""

    id: str
    last_name: str
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    options: tuple[str, ...] = ()


class CustomerRows(SlimRows[CustomerRow]):
    customers: list[CustomerRow]


class ReservationRow(SlimRow):
    """A reservation's guest, state, hotel (service), room and dates."""

    id: str
    service_id: str
    state: str
    account_id: str | None = None
    account_type: str | None = None
    created_utc: datetime | None = None
    assigned_resource_id: str | None = None
    scheduled_start_utc: datetime | None = None
    actual_start_utc: datetime | None = None
    scheduled_end_utc: datetime | None = None
    actual_end_utc: datetime | None = None

    def __post_init__(self) -> None:
        self.created_utc = utc_or_none(self.created_utc)
        self.scheduled_start_utc = utc_or_none(self.scheduled_start_utc)
        self.actual_start_utc = utc_or_none(self.actual_start_utc)
        self.scheduled_end_utc = utc_or_none(self.scheduled_end_utc)
        self.actual_end_utc = utc_or_none(self.actual_end_utc)


class ReservationRows(SlimRows[ReservationRow]):
    reservations: list[ReservationRow]


class ProductServiceOrderRow(SlimRow):
    """A spa or restaurant order: only which stay it belongs to."""

    id: str
    linked_reservation_id: str | None = None


class ProductServiceOrderRows(SlimRows[ProductServiceOrderRow]):
    product_service_orders: list[ProductServiceOrderRow]


class AmountRow(SlimRow, gc=False):
    """An amount without its tax breakdown."""

    currency: str
    net_value: Decimal | None = None
    gross_value: Decimal | None = None


class OrderItemOptionsRow(SlimRow, gc=False):
    canceled_with_reservation: bool = False


class OrderItemRow(SlimRow):
    """One line of spend: its order, accounting category, amount and whether it counts."""

    id: str
    amount: AmountRow
    service_order_id: str | None = None
    accounting_category_id: str | None = None
    canceled_utc: datetime | None = None
    accounting_state: str | None = None
    options: OrderItemOptionsRow | None = None

    def __post_init__(self) -> None:
        if self.canceled_utc is not None:
            self.canceled_utc = utc_or_none(self.canceled_utc)


class OrderItemRows(SlimRows[OrderItemRow]):
    order_items: list[OrderItemRow]
