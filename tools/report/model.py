"""The program health report as data: what `build_report` returns and every renderer reads.

Points are whole numbers; money is in the program currency, rounded to cents; rates are
fractions (0.25 = 25 %) or None when there is nothing to divide by.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Campaign",
    "CampaignFigures",
    "Liability",
    "MemberActivity",
    "MonthFigures",
    "ProgramReport",
    "RewardUse",
    "TierMix",
    "TierMovement",
    "Totals",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Liability(_Out):
    """Points members hold at the end of the period, and what they are worth."""

    outstanding_points: int
    """Sum of positive balances (pending points included: they become spendable)."""
    outstanding_value: Decimal
    """outstanding_points × point_value."""
    members_with_points: int
    owed_points: int
    """Points members owe (negative balances after corrections); not netted off the liability."""


class MonthFigures(_Out):
    month: str
    """YYYY-MM (UTC)."""
    issued: int
    redeemed: int
    expired: int
    adjusted_down: int


class Totals(_Out):
    issued: int
    issued_value: Decimal
    redeemed: int
    redeemed_value: Decimal
    expired: int
    adjusted_down: int
    redemption_rate: float | None
    """redeemed ÷ issued in the period."""
    breakage_rate: float | None
    """expired ÷ (redeemed + expired): of the points that left members' balances unspent or
    spent in the period, the share that expired unspent."""


class MemberActivity(_Out):
    members: int
    """Members with an active (not Canceled or Declined) membership in the program."""
    active: int
    """…with a checked-out stay in the activity window before the period end, or one upcoming."""
    lapsing: int
    """…whom the lapse rule (the `lapsing` segment) flags at the period end."""
    inactive: int
    activity_window_months: int


class TierMix(_Out):
    tier_code: str | None
    tier_name: str
    members: int
    share: float | None


class TierMovement(_Out):
    direction: Literal["upgrade", "downgrade", "assign"]
    from_tier: str | None
    to_tier: str
    members: int


class RewardUse(_Out):
    reward_id: str
    name: str
    redemptions: int
    points: int
    value: Decimal


class Campaign(_Out):
    """A campaign as the report lists it: its goal, when it was created, how many members it
    treated and held out, and the points its offer may cost. Both the campaign as loaded
    (`compute.CampaignRow`) and the report's figures (`CampaignFigures`) start with these."""

    campaign_id: str
    name: str
    goal: str
    created_at: datetime
    treated: int
    held_out: int
    liability_points: int


class CampaignFigures(Campaign):
    cost_value: Decimal
    """liability_points × point_value: the most the offer can cost if every treated member
    takes it."""
    measured: bool
    treated_rate: float | None
    holdout_rate: float | None
    lift: float | None
    """Treated rate minus holdout rate (proportion points), once outcomes are measured."""


class ProgramReport(_Out):
    program_code: str
    program_name: str
    currency: str
    point_value: Decimal
    period_from: date
    period_to: date
    as_of: datetime
    liability: Liability
    totals: Totals
    months: list[MonthFigures]
    members: MemberActivity
    tiers: list[TierMix]
    tier_movements_due: list[TierMovement]
    """Tier changes the evaluation proposes at the period end (not yet applied)."""
    top_rewards: list[RewardUse]
    campaigns: list[CampaignFigures]
    definitions: dict[str, str]
