"""Stay accrual: the points a checked-out stay earns.

Rounding: the exact product Σ(spend × rate per category) + nights × points per night is
multiplied by the tier multiplier and rounded **down once**, at the end, to whole points. Rounding
once avoids losing a fraction per category; rounding down never awards a point nobody earned.
A category whose net spend is negative (rebates larger than charges) counts as zero.

Once per reservation, whatever happens: the idempotency key is derived from the reservation id
alone, so a second run (a retry, a webhook and a batch job racing) returns the first entry, and
a run that computes other points (the tier changed meanwhile) gets `IdempotencyConflictError`
instead of a second accrual. The reversal of a canceled stay's accrual has its own derived key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from tools.loyalty.categories import REVENUE_CATEGORIES, RevenueCategory
from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import money, plural
from tools.loyalty.facts import CHECKED_OUT, Inputs, StayFacts
from tools.loyalty.ledger_model import Source

__all__ = [
    "AccrualQuote",
    "accrual_idempotency_key",
    "accrual_reversal_key",
    "quote_stay_accrual",
]

_ZERO = Decimal(0)


def accrual_idempotency_key(reservation_id: str) -> str:
    """The one key under which a reservation's stay points are ever posted."""
    return f"accrual:reservation:{reservation_id}"


def accrual_reversal_key(reservation_id: str) -> str:
    """The one key under which a canceled reservation's stay points are taken back."""
    return f"reversal:reservation:{reservation_id}"


@dataclass(frozen=True, slots=True)
class AccrualQuote:
    """What a stay earns, and why; post it with `ledger.post_entry(kind="accrual", ...)`."""

    reservation_id: str
    eligible: bool
    points: int
    base_points: Decimal
    multiplier: Decimal
    tier_code: str | None
    category_points: dict[RevenueCategory, Decimal]
    night_points: Decimal
    pending_until: datetime | None
    idempotency_key: str
    source: Source
    inputs: Inputs
    reasoning: str


def quote_stay_accrual(
    program: ProgramConfig, stay: StayFacts, *, tier_code: str | None
) -> AccrualQuote:
    """The points a stay earns in a program for a member of `tier_code` (None: no tier)."""
    refusal = _ineligibility(program, stay)
    multiplier = program.multiplier(tier_code)
    rates = program.earning.per_currency_unit
    category_points = {
        category: max(stay.spend.get(category), _ZERO) * rates.of(category)
        for category in REVENUE_CATEGORIES
    }
    night_points = Decimal(max(stay.nights, 0)) * program.earning.points_per_night
    base = sum(category_points.values(), _ZERO) + night_points
    points = 0 if refusal else int((base * multiplier).to_integral_value(rounding=ROUND_FLOOR))
    inputs: Inputs = {
        "reservation_id": stay.reservation_id,
        "state": stay.state,
        "nights": stay.nights,
        "currency": stay.currency,
        **{f"spend_{category}": stay.spend.get(category) for category in REVENUE_CATEGORIES},
        "tier_code": tier_code,
        "tier_multiplier": multiplier,
        "points_per_night": program.earning.points_per_night,
    }
    return AccrualQuote(
        reservation_id=stay.reservation_id,
        eligible=refusal is None,
        points=points,
        base_points=base,
        multiplier=multiplier,
        tier_code=tier_code,
        category_points=category_points,
        night_points=night_points,
        pending_until=_pending_until(program, stay),
        idempotency_key=accrual_idempotency_key(stay.reservation_id),
        source=Source("reservation", stay.reservation_id),
        inputs=inputs,
        reasoning=refusal or _explain(stay, base, multiplier, points, program.currency),
    )


def _ineligibility(program: ProgramConfig, stay: StayFacts) -> str | None:
    if stay.canceled:
        return f"reservation {stay.reservation_id} was canceled: canceled stays earn nothing"
    if stay.state != CHECKED_OUT:
        return (
            f"reservation {stay.reservation_id} is {stay.state}: points accrue after checkout "
            f"({CHECKED_OUT})"
        )
    if stay.currency != program.currency:
        return (
            f"spend is in {stay.currency} but {program.name} earns on {program.currency}: "
            "load the order items converted to the program currency"
        )
    return None


def _pending_until(program: ProgramConfig, stay: StayFacts) -> datetime | None:
    if program.pending_days == 0:
        return None
    return stay.departure + timedelta(days=program.pending_days)


def _explain(
    stay: StayFacts, base: Decimal, multiplier: Decimal, points: int, currency: str
) -> str:
    spent = f"{plural(stay.nights, 'night')} and {money(stay.spend.total, currency)}"
    if points == 0:
        return f"{spent} of spend earn no points"
    return (
        f"{spent} of spend give "
        f"{base.normalize():f} base points × tier multiplier {multiplier.normalize():f} "
        f"= {points} points (rounded down)"
    )
