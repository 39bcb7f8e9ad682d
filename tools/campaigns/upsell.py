"""Upsell for a stay: upgrades and experiences priced in cash, points, and points plus cash.

    point_value = implied_point_value(program, prices)      # GBP per point, from the catalogue
    price = price_upsell(cash=Decimal("45"), point_value=point_value, floor=Decimal("0.9"),
                         available=2400)

- **Cash** is the Mews price: a product's gross (else net) price, times nights for per-night
  products; an upgrade to a higher resource category costs the Mews upgrade product (a product
  named like "upgrade") per night and per category step.
- **A point's value** is implied by the chain's own catalogue: the rewards fulfilled by a Mews
  product (`mews_product`) price that product in points; the value is the lowest of those
  cash/points ratios, so an upsell never buys more per point than a catalogue reward does.
- **Points** = ceil(cash / point value). The mix pays at most half of that in points (whole
  hundreds, no more than the member's available balance) and the rest in cash, each point
  counted at the same value: no point is worth more in a mix than in the full-points price,
  and the full price is never below the redemption floor of its base (no devaluing).
- **Ranking**: the member's share of spend in the item's revenue category over their stays,
  plus one for each earlier accepted upsell of the same item (the recommendation log).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tools.loyalty.categories import RevenueCategory
from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import Spend

__all__ = [
    "MIX_POINTS_STEP",
    "UpsellPrice",
    "implied_point_value",
    "price_upsell",
    "rank_score",
]

MIX_POINTS_STEP = 100
_CENT = Decimal("0.01")


class UpsellPricingError(ValueError):
    """The catalogue gives no way to value a point (no reward linked to a priced product)."""


@dataclass(frozen=True, slots=True)
class UpsellPrice:
    cash: Decimal
    points: int
    floor_points: int
    mix_points: int | None
    mix_cash: Decimal | None
    affordable_in_points: bool


def implied_point_value(program: ProgramConfig, product_prices: Mapping[str, Decimal]) -> Decimal:
    """Cash per point: the lowest price/base_points over rewards linked to a priced product
    (`product_prices` by product name and by id)."""
    ratios = []
    for reward in program.rewards.values():
        link = reward.mews_product
        if link is None:
            continue
        price = product_prices.get(link.id or "") or product_prices.get(link.name or "")
        if price:
            ratios.append(price / reward.base_points)
    if not ratios:
        raise UpsellPricingError(
            f"program {program.code}: no reward is linked to a priced Mews product "
            "(mews_product in the program file), so points cannot be valued"
        )
    return min(ratios)


def price_upsell(
    *, cash: Decimal, point_value: Decimal, floor: Decimal, available: int
) -> UpsellPrice:
    if cash <= 0:
        raise ValueError(f"cash must be positive, got {cash}")
    points = math.ceil(cash / point_value)
    floor_points = int((points * floor).to_integral_value(rounding=ROUND_CEILING))
    assert points >= floor_points  # floor <= 1: the full price is the base price
    mix_points = min(points // 2, max(available, 0))
    mix_points -= mix_points % MIX_POINTS_STEP
    mix: tuple[int | None, Decimal | None] = (None, None)
    if mix_points >= MIX_POINTS_STEP:
        rest = (cash - mix_points * point_value).quantize(_CENT, rounding=ROUND_CEILING)
        mix = (mix_points, max(rest, _CENT))
    return UpsellPrice(
        cash=cash.quantize(_CENT, rounding=ROUND_FLOOR),
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
