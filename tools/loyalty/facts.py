"""Normalized facts the rules work on, independent of Mews models.

A loader (built on the Mews client, in batches) turns reservations, order items, accounting
categories, customers and memberships into these; tests build them by hand. They hold only what
the rules and staff need: no document numbers, no card data, no address, not even the e-mail
address itself (only whether one is on file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final, Protocol

from storage.clock import utc
from tools.loyalty.categories import REVENUE_CATEGORIES, RevenueCategory
from tools.loyalty.consent import NO_CONSENT, MarketingConsent
from tools.loyalty.ledger_model import BalanceSummary, DatedPoints

__all__ = [
    "CHECKED_OUT",
    "INACTIVE_MEMBERSHIP_STATES",
    "IN_HOUSE",
    "UPCOMING_STATES",
    "InputValue",
    "Inputs",
    "MemberFacts",
    "MemberSource",
    "MembershipFacts",
    "Spend",
    "StayFacts",
    "spend_by_currency",
]

InputValue = str | int | Decimal | bool | datetime | None
Inputs = Mapping[str, InputValue]
"""The figures a rule used, by name, so a model can explain a number it did not invent."""

CHECKED_OUT: Final = "Processed"
IN_HOUSE: Final = "Started"
UPCOMING_STATES: Final = frozenset({"Confirmed", "Optional", "Inquired", "Requested"})
"""Mews service-order states of a reservation that is still to come."""
INACTIVE_MEMBERSHIP_STATES: Final = frozenset({"Canceled", "Declined"})
"""Mews membership states whose members segments and tier evaluation leave out."""

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Spend:
    """Money spent, by revenue category, in one currency."""

    accommodation: Decimal = _ZERO
    food_and_beverage: Decimal = _ZERO
    spa: Decimal = _ZERO
    other: Decimal = _ZERO

    @classmethod
    def of(cls, amounts: Mapping[RevenueCategory, Decimal]) -> Spend:
        return cls(
            **{category: Decimal(amounts.get(category, _ZERO)) for category in REVENUE_CATEGORIES}
        )

    def get(self, category: RevenueCategory) -> Decimal:
        amount: Decimal = getattr(self, category)
        return amount

    @property
    def total(self) -> Decimal:
        return sum((self.get(category) for category in REVENUE_CATEGORIES), _ZERO)

    def __add__(self, other: Spend) -> Spend:
        return Spend(
            **{
                category: self.get(category) + other.get(category)
                for category in REVENUE_CATEGORIES
            }
        )

    def as_dict(self) -> dict[RevenueCategory, Decimal]:
        return {category: self.get(category) for category in REVENUE_CATEGORIES}


@dataclass(frozen=True, slots=True, kw_only=True)
class StayFacts:
    """One reservation of a customer, with what was spent on it."""

    reservation_id: str
    enterprise_id: str
    customer_id: str
    state: str
    """Mews service-order state: Confirmed, Started (in house), Processed (checked out), ..."""
    scheduled_start: datetime
    scheduled_end: datetime
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    nights: int
    spend: Spend = field(default_factory=Spend)
    currency: str
    canceled: bool = False

    @property
    def arrival(self) -> datetime:
        return utc(self.actual_start or self.scheduled_start)

    @property
    def departure(self) -> datetime:
        return utc(self.actual_end or self.scheduled_end)

    @property
    def checked_out(self) -> bool:
        return self.state == CHECKED_OUT and not self.canceled

    def is_upcoming(self, as_of: datetime) -> bool:
        """In house now, or booked and still to come."""
        if self.canceled:
            return False
        return self.state == IN_HOUSE or (
            self.state in UPCOMING_STATES and self.departure > utc(as_of)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MembershipFacts:
    """One loyalty membership of a customer, with its ledger figures."""

    membership_id: str
    program_id: str
    program_code: str
    state: str
    """Mews membership state: New, Pending, Enrolled, Canceled, Declined."""
    tier_code: str | None = None
    is_primary: bool = True
    membership_number: str | None = None
    mews_points: int | None = None
    expiration: datetime | None = None
    balance: BalanceSummary | None = None
    """None when the ledger has no account for the membership and Mews shows no points; for an
    unopened membership with Mews points, those points (see `ledger_opened`)."""
    ledger_opened: bool = True
    """False while the ledger has no account for the membership: `balance` (if any) is then its
    Mews `Points`, all available and none expiring, which the first write posts as the opening
    balance (`ensure_account`)."""
    last_redemption_at: datetime | None = None
    accruals: tuple[DatedPoints, ...] = ()
    """Accruals not reversed, by day (ledger `accrual_events`): points that qualify for tiers."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFacts:
    """A customer as the loyalty rules see them."""

    customer_id: str
    display_name: str
    email_present: bool = False
    consent: MarketingConsent = NO_CONSENT
    """Per marketing channel: allowed, or why not (Mews `Options`; `tools.loyalty.consent`)."""
    memberships: tuple[MembershipFacts, ...] = ()
    stays: tuple[StayFacts, ...] = ()
    as_of: datetime | None = None
    """The Mews time these facts are current to when they come from the member read model
    (`tools.loyalty.member_store`); None when they were read from Mews for this call. The
    ledger's figures are always current."""

    def membership(self, program_code: str) -> MembershipFacts | None:
        """The membership in a program (the primary one if there are several)."""
        matching = [m for m in self.memberships if m.program_code == program_code]
        matching.sort(key=lambda m: not m.is_primary)
        return matching[0] if matching else None

    def active_membership(self, program_code: str) -> MembershipFacts | None:
        """The membership in a program unless it is Canceled or Declined."""
        found = self.membership(program_code)
        return None if found is None or found.state in INACTIVE_MEMBERSHIP_STATES else found

    def completed_stays(self) -> tuple[StayFacts, ...]:
        """Checked-out stays, oldest departure first."""
        return tuple(sorted((s for s in self.stays if s.checked_out), key=lambda s: s.departure))

    @property
    def last_redemption_at(self) -> datetime | None:
        moments = [m.last_redemption_at for m in self.memberships if m.last_redemption_at]
        return max(moments) if moments else None


def spend_by_currency(stays: Iterable[StayFacts]) -> dict[str, Spend]:
    totals: dict[str, Spend] = {}
    for stay in stays:
        totals[stay.currency] = totals.get(stay.currency, Spend()) + stay.spend
    return totals


class MemberSource(Protocol):
    """Where readers get `MemberFacts`: Mews itself (`MewsFactsLoader`) or the member read model
    kept in the store (`MemberStore`), which answers the same."""

    async def members(
        self, customer_ids: Sequence[str], *, with_stays: bool = True, with_spend: bool = True
    ) -> dict[str, MemberFacts]: ...

    async def all_members(self, program_code: str | None = None) -> list[MemberFacts]: ...
