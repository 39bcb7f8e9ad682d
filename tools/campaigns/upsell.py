"""Upsell for a stay: upgrades and experiences priced in cash, points, and points plus cash.

    price = price_upsell(program, cash=Decimal("45"), occupancy=Decimal("0.4"), available=2400)

- **Cash** is the Mews price: a product's gross (else net) price, times nights for per-night
  products; an upgrade to a higher resource category costs the Mews upgrade product (a product
  named like "upgrade") per night and per category step.
- **Points** are priced exactly as the catalogue prices a reward: the base is
  ⌈cash ÷ point_value⌉ (the program's one point value, `pricing.cash_points`), moved by the
  demand of the day inside the redemption band (`pricing.dynamic_points`). A reward worth the
  same cash therefore costs the same points on the same day in `recommend_rewards` and here.
- **The mix** pays at most half of the points (whole hundreds, no more than the member's
  available balance) and the rest in cash, each point counted at the value it has in the full
  points price: no point is worth more in a mix than in the full-points price.
- **Ranking**: the member's share of spend in the item's revenue category over their stays,
  plus one for each earlier accepted upsell of the same item (the recommendation log).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tools.loyalty.categories import RevenueCategory
from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import Spend
from tools.loyalty.pricing import cash_points, dynamic_points

__all__ = [
    "MIX_POINTS_STEP",
    "UpsellPrice",
    "price_upsell",
    "rank_score",
]

MIX_POINTS_STEP = 100
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class UpsellPrice:
    cash: Decimal
    base_points: int
    factor: Decimal
    points: int
    floor_points: int
    mix_points: int | None
    mix_cash: Decimal | None
    affordable_in_points: bool


def price_upsell(
    program: ProgramConfig, *, cash: Decimal, occupancy: Decimal, available: int
) -> UpsellPrice:
    """The cash, points and points-plus-cash prices of an item worth `cash`, on a day of this
    occupancy (0..1)."""
    base = cash_points(program, cash)
    points, factor = dynamic_points(program, base, occupancy)
    floor = program.dynamic_pricing.redemption_floor
    floor_points = int((base * floor).to_integral_value(rounding=ROUND_CEILING))
    mix_points = min(points // 2, max(available, 0))
    mix_points -= mix_points % MIX_POINTS_STEP
    mix: tuple[int | None, Decimal | None] = (None, None)
    if mix_points >= MIX_POINTS_STEP:
        rest = (cash - cash * mix_points / points).quantize(_CENT, rounding=ROUND_CEILING)
        mix = (mix_points, max(rest, _CENT))
    return UpsellPrice(
        cash=cash.quantize(_CENT, rounding=ROUND_FLOOR),
        base_points=base,
        factor=factor,
        points=points,
        floor_points=floor_points,
        mix_points=mix[0],
        mix_cash=mix[1],
        affordable_in_points=available >= points,
    )


def rank_score(category: RevenueCategory, spend: Iterable[Spend], accepted_before: int) -> Decimal:
    """Share of the member's spend in `category` (0..1) plus earlier acceptances of the item."""
    total = Spend()
    for item in spend:
        total = total + item
    share = total.get(category) / total.total if total.total else Decimal(0)
    return (share + accepted_before).quantize(Decimal("0.0001"))
