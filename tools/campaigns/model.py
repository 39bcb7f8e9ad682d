"""The campaign as data: what `create_campaign` is asked for and what it and the report return.

A campaign addresses a segment of one program (a `find_member_segment` kind, or explicit
customer ids, optionally narrowed to tiers) with a goal, one offer (a catalogue reward or bonus
points), a validity window and the channels to draft copy for (never sent by us); a randomised
holdout (a share, reproducible from a seed) gets no offer so that lift can be measured.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "CHANNELS",
    "GOALS",
    "SEGMENT_KINDS",
    "CampaignArgs",
    "CampaignChannel",
    "CampaignDraft",
    "CampaignGoal",
    "CampaignSummary",
    "LeftOut",
    "SegmentKind",
]

CampaignGoal = Literal["win_back", "tier_push", "redemption"]
GOALS: tuple[CampaignGoal, ...] = get_args(CampaignGoal)
CampaignChannel = Literal["email", "sms", "app"]
CHANNELS: tuple[CampaignChannel, ...] = get_args(CampaignChannel)
SegmentKind = Literal["lapsing", "near_next_tier", "high_spend_no_redemption"]
SEGMENT_KINDS: tuple[SegmentKind, ...] = get_args(SegmentKind)

MewsId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]
MAX_WINDOW_DAYS = 366


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignArgs(_Strict):
    """The arguments of the guarded `create_campaign` write (bound to a segment snapshot)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    goal: CampaignGoal
    snapshot_id: Annotated[str, StringConstraints(pattern=r"^seg_[0-9a-f]{16}$")]
    reward_id: Annotated[str | None, StringConstraints(min_length=1, max_length=64)] = None
    bonus_points: Annotated[int | None, Field(gt=0, le=100_000)] = None
    valid_from: date
    valid_until: date
    channels: Annotated[tuple[CampaignChannel, ...], Field(min_length=1, max_length=3)]
    holdout_share: Annotated[Decimal, Field(ge=Decimal("0.05"), le=Decimal("0.5"))]
    seed: Annotated[int, Field(ge=0, le=2**53)]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_offer_and_window(self.reward_id, self.bonus_points, self.valid_from, self.valid_until)
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel at most once")
        return self


def check_offer_and_window(
    reward_id: str | None, bonus_points: int | None, valid_from: date, valid_until: date
) -> None:
    """`ValueError` naming the field: exactly one offer, and a window of 1..366 days."""
    if (reward_id is None) == (bonus_points is None):
        raise ValueError("reward_id / bonus_points: give exactly one of them (the offer)")
    if valid_until < valid_from:
        raise ValueError("valid_until: must not be before valid_from")
    if (valid_until - valid_from).days + 1 > MAX_WINDOW_DAYS:
        raise ValueError(f"valid_until: the window may be at most {MAX_WINDOW_DAYS} days")


class CampaignDraft(BaseModel):
    """One treated member's copy for one channel; `copy` is None when the guardrail refused."""

    customer_id: str
    display_name: str
    channel: CampaignChannel
    status: Literal["drafted", "rejected"]
    text: str | None = None
    problems: str | None = None


class LeftOut(BaseModel):
    """Treated members drafted nothing on a channel for want of consent, by reason."""

    channel: CampaignChannel
    reason: str
    members: int


class CampaignSummary(BaseModel):
    campaign_id: str
    name: str
    goal: CampaignGoal
    program_code: str
    segment: str
    reward_id: str | None
    bonus_points: int | None
    points_per_member: int
    valid_from: date
    valid_until: date
    channels: list[CampaignChannel]
    holdout_share: Decimal
    seed: int
    treated: int
    held_out: int
    liability: int = Field(description="points committed if every treated member takes it up")
    created_by: str
    created_at: str
    drafts_rejected: int = 0
    left_out: list[LeftOut] = Field(
        default_factory=list,
        description="treated members with no draft on a channel: no marketing consent, by reason",
    )
    drafts: list[CampaignDraft] = Field(default_factory=list)
