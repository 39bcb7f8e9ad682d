"""Dynamic redemption prices: a reward's price in points on a date, from demand.

At normal occupancy the base price applies. Below it the factor falls linearly to the floor at an
empty hotel; above it, it rises linearly to the ceiling at a full one. The price is the base times
the factor, rounded half-up to whole points, then held inside [⌈base × floor⌉, ⌊base × ceiling⌋],
so rounding can never take it past a bound: no devaluing the currency, no gouging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import Inputs
from tools.loyalty.valuation import to_fraction

__all__ = ["RedemptionQuote", "cash_points", "demand_factor", "dynamic_points", "redemption_price"]


def demand_factor(program: ProgramConfig, occupancy: Decimal) -> Decimal:
    bounds = program.dynamic_pricing
    normal = bounds.normal_occupancy
    if occupancy >= normal:
        return 1 + (occupancy - normal) / (1 - normal) * (bounds.redemption_ceiling - 1)
    return 1 - (normal - occupancy) / normal * (1 - bounds.redemption_floor)


def cash_points(program: ProgramConfig, cash: Decimal) -> int:
    """The base points price of `cash` in the program currency: ⌈cash ÷ point_value⌉, the
    same rule that prices a catalogue reward from its `value`."""
    if cash <= 0:
        raise ValueError(f"cash must be positive, got {cash}")
    return int((cash / program.point_value).to_integral_value(rounding=ROUND_CEILING))


def dynamic_points(program: ProgramConfig, base: int, occupancy: Decimal) -> tuple[int, Decimal]:
    """A base points price moved by demand, held inside the band; (price, factor)."""
    bounds = program.dynamic_pricing
    factor = demand_factor(program, occupancy).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    floor_points = int((base * bounds.redemption_floor).to_integral_value(rounding=ROUND_CEILING))
    ceiling_points = int((base * bounds.redemption_ceiling).to_integral_value(rounding=ROUND_FLOOR))
    raw = int((base * factor).to_integral_value(rounding=ROUND_HALF_UP))
    return min(max(raw, floor_points), ceiling_points), factor


@dataclass(frozen=True, slots=True)
class RedemptionQuote:
    reward_id: str
    reward_name: str
    on: date
    base_points: int
    price_points: int
    factor: Decimal
    floor_points: int
    ceiling_points: int
    variance: Decimal
    inputs: Inputs
    reasoning: str


def redemption_price(
    program: ProgramConfig, reward_id: str, *, on: date, occupancy: Decimal | float
) -> RedemptionQuote:
    """The points a reward costs on `on` at this occupancy (0..1) of the stay dates."""
    reward = program.reward(reward_id)
    demand = to_fraction(occupancy, "occupancy")
    bounds = program.dynamic_pricing
    base = reward.base_points
    price, factor = dynamic_points(program, base, demand)
    floor_points = int((base * bounds.redemption_floor).to_integral_value(rounding=ROUND_CEILING))
    ceiling_points = int((base * bounds.redemption_ceiling).to_integral_value(rounding=ROUND_FLOOR))
    variance = (Decimal(price - base) / base).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return RedemptionQuote(
        reward_id=reward.id,
        reward_name=reward.name,
        on=on,
        base_points=base,
        price_points=price,
        factor=factor,
        floor_points=floor_points,
        ceiling_points=ceiling_points,
        variance=variance,
        inputs={
            "occupancy": demand,
            "normal_occupancy": bounds.normal_occupancy,
            "redemption_floor": bounds.redemption_floor,
            "redemption_ceiling": bounds.redemption_ceiling,
            "base_points": base,
        },
        reasoning=(
            f"occupancy {demand:.0%} vs normal {bounds.normal_occupancy:.0%}: factor {factor} "
            f"within [{bounds.redemption_floor}, {bounds.redemption_ceiling}] → {price} points "
            f"for {reward.name} (base {base}, {variance:+.0%})"
        ),
    )
