"""Dynamic bonus valuation: a multiplier on a stay's points, proposed from open signals.

multiplier = 1
           + member_value_weight × member value (0..1: the checkout bonus passes the predicted
                                   12-month value of `future_value`, the MCP tool the RFM value)
           + low_demand_weight   × low demand  (0 at or above normal occupancy, rising to 1 at 0 %)
           + lapse_risk_weight   × 1 if the member is lapsing (win back), else 0
rounded half-up to 0.01 and then clamped to [bonus_min, bonus_max]. `base_points` are the
points the stay earned at the member's tier (tier multiplier included), so the variance,
(proposed − base) / base, measures the bonus against the member's own tier-adjusted rate: a
Gold member's ×1.5 is their normal rate, not a variance. It is what the policy's approval
threshold (20 % by default) judges. Nothing is written: applying a proposal is a ledger write
that the policy layer decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import Inputs

__all__ = ["BonusProposal", "low_demand", "propose_bonus", "to_fraction"]

_CENT = Decimal("0.01")


def to_fraction(value: Decimal | float, name: str) -> Decimal:
    """A fraction from 0 to 1 as an exact Decimal (floats via their shortest repr)."""
    fraction = value if isinstance(value, Decimal) else Decimal(str(value))
    if not Decimal(0) <= fraction <= Decimal(1):
        raise ValueError(f"{name} must be a fraction from 0 to 1, not {value}")
    return fraction


def low_demand(program: ProgramConfig, occupancy: Decimal) -> Decimal:
    """0 at or above normal occupancy, rising linearly to 1 at an empty hotel."""
    normal = program.dynamic_pricing.normal_occupancy
    return max(Decimal(0), (normal - occupancy) / normal)


@dataclass(frozen=True, slots=True)
class BonusProposal:
    base_points: int
    multiplier: Decimal
    unclamped_multiplier: Decimal
    clamped: bool
    proposed_points: int
    bonus_points: int
    variance: Decimal
    inputs: Inputs
    reasoning: str


def propose_bonus(
    program: ProgramConfig,
    *,
    base_points: int,
    member_value: Decimal,
    occupancy: Decimal | float,
    lapsing: bool,
    signals: Inputs | None = None,
    context: str = "",
) -> BonusProposal:
    """A bonus multiplier for a stay worth `base_points`, within the configured bounds.

    `signals` (added to the inputs) and `context` (before the formula in the reasoning) say
    where the member value and the occupancy came from."""
    if base_points < 0:
        raise ValueError("base_points must not be negative")
    value = to_fraction(member_value, "member_value")
    demand = to_fraction(occupancy, "occupancy")
    weights = program.valuation
    bounds = program.dynamic_pricing
    slack = low_demand(program, demand)
    raw = (
        1
        + weights.member_value_weight * value
        + weights.low_demand_weight * slack
        + (weights.lapse_risk_weight if lapsing else Decimal(0))
    ).quantize(_CENT, rounding=ROUND_HALF_UP)
    multiplier = min(max(raw, bounds.bonus_min), bounds.bonus_max)
    proposed = int((base_points * multiplier).to_integral_value(rounding=ROUND_FLOOR))
    variance = _variance(base_points, proposed)
    clamp_note = f", clamped to {multiplier}" if multiplier != raw else ""
    return BonusProposal(
        base_points=base_points,
        multiplier=multiplier,
        unclamped_multiplier=raw,
        clamped=multiplier != raw,
        proposed_points=proposed,
        bonus_points=proposed - base_points,
        variance=variance,
        inputs={
            "base_points": base_points,
            "member_value": value,
            "occupancy": demand,
            "normal_occupancy": bounds.normal_occupancy,
            "lapsing": lapsing,
            "bonus_min": bounds.bonus_min,
            "bonus_max": bounds.bonus_max,
            **(signals or {}),
        },
        reasoning=context
        + (
            f"1 + {weights.member_value_weight}×value {value} + {weights.low_demand_weight}×low "
            f"demand {slack.quantize(_CENT)} (occupancy {demand}) + lapse "
            f"{weights.lapse_risk_weight if lapsing else 0} = {raw}{clamp_note}: {base_points} → "
            f"{proposed} points ({variance:+.0%} on the tier-adjusted stay points)"
        ),
    )


def _variance(base: int, proposed: int) -> Decimal:
    if base == 0:
        return Decimal(0)
    return (Decimal(proposed - base) / base).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
