"""Argument and result models of the write actions (the MCP tools publish them as schemas).

Arguments are frozen, `extra="forbid"` and constrained, so a bad request names its field before
anything is decided or written. Approvals store the arguments as JSON and execute them again
through the same models.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

__all__ = [
    "MAX_POINTS",
    "AdjustInput",
    "AdjustPointsArgs",
    "AwardInput",
    "AwardPointsArgs",
    "DraftInput",
    "DraftOfferArgs",
    "IdempotencyKey",
    "MewsId",
    "OfferDraft",
    "PointsPosted",
    "Reason",
    "RedeemInput",
    "RedeemRewardArgs",
    "RedemptionPosted",
    "ReverseInput",
    "ReversePointsArgs",
]

MAX_POINTS = 1_000_000
"""Far above any cap: the policy's caps decide; this only keeps numbers sane."""

MewsId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]
"""A Mews id (a GUID); the pattern keeps the schema short, Mews checks the rest."""
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=500),
    Field(description="no personal data"),
]
RewardId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
IdempotencyKey = Annotated[str | None, StringConstraints(min_length=1, max_length=200)]
"""Optional on every write: the same key never posts twice (else derived from the exact
arguments, the caller and the day)."""


class _Args(BaseModel):
    """Arguments of a write. Points are strict integers: "100", 100.0 and true are refused,
    so that one intent has one canonical form (and one derived idempotency key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AwardPointsArgs(_Args):
    membership_id: MewsId
    points: Annotated[StrictInt, Field(gt=0, le=MAX_POINTS)]
    reason: Reason
    goodwill: bool = False  # a gesture: the goodwill budget, no tier credit


class AdjustPointsArgs(_Args):
    membership_id: MewsId
    points: Annotated[
        StrictInt,
        Field(ge=-MAX_POINTS, le=MAX_POINTS, description="signed correction, not zero"),
    ]
    reason: Reason

    @model_validator(mode="after")
    def _not_zero(self) -> Self:
        if self.points == 0:
            raise ValueError("points must not be zero")
        return self


class RedeemRewardArgs(_Args):
    membership_id: MewsId
    reward_id: RewardId
    on: date = Field(description="the day the reward is used")
    price_points: Annotated[StrictInt, Field(gt=0, le=MAX_POINTS)]
    reservation_id: MewsId | None = Field(
        default=None, description="the stay it is fulfilled on (None: the member is not staying)"
    )


class ReversePointsArgs(_Args):
    membership_id: MewsId
    entry_id: Annotated[StrictInt, Field(gt=0, description="from get_points_history")]
    reason: Reason


# ---------------------------------------------------------------------- what callers send
class AwardInput(AwardPointsArgs):
    idempotency_key: IdempotencyKey = None


class AdjustInput(AdjustPointsArgs):
    idempotency_key: IdempotencyKey = None


class ReverseInput(ReversePointsArgs):
    idempotency_key: IdempotencyKey = None


class RedeemInput(_Args):  # no docstring: it would be the schema's description
    # A redemption as a caller asks for it: the write prices it (`price_points`).
    membership_id: MewsId
    reward_id: RewardId
    on: date | None = Field(default=None, description="default today")
    idempotency_key: IdempotencyKey = None


Channel = Literal["email", "sms", "phone", "in_person", "letter"]


class _OfferFields(_Args):
    customer_id: MewsId
    membership_id: MewsId | None = None
    reward_id: RewardId | None = Field(default=None, description="offer a catalogue reward")
    bonus_points: Annotated[StrictInt | None, Field(gt=0, le=MAX_POINTS)] = Field(
        default=None, description="or offer bonus points"
    )
    valid_from: date
    valid_until: date
    channel: Channel
    rationale: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=1000)
    ]

    @model_validator(mode="after")
    def _one_offer(self) -> Self:
        if (self.reward_id is None) == (self.bonus_points is None):
            raise ValueError("give exactly one of reward_id and bonus_points")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until must not be before valid_from")
        return self


class DraftOfferArgs(_OfferFields):
    """What `draft_offer` stores. `price_points`, the reward's points price in this offer
    (below its catalogue price, within the program's redemption band: `describe_draft` checks),
    is set by the win-back job; the assistant's tool offers rewards at their catalogue price."""

    price_points: Annotated[StrictInt | None, Field(gt=0, le=MAX_POINTS)] = None

    @model_validator(mode="after")
    def _priced_reward(self) -> Self:
        if self.price_points is not None and self.reward_id is None:
            raise ValueError("price_points: a points price needs the reward_id it prices")
        return self


class DraftInput(_OfferFields):
    idempotency_key: IdempotencyKey = None


# ---------------------------------------------------------------------- results


class PointsPosted(BaseModel):
    """A posted ledger entry and the membership's balance after it."""

    membership_id: str
    entry_id: int
    kind: str
    points: int
    balance: int = Field(description="total points after the entry (what Mews shows)")
    available: int = Field(description="points spendable now")


class RedemptionPosted(PointsPosted):
    reward_id: str
    reward_name: str
    on: date
    fulfilment: str = Field(description="what the property was asked to do (a Mews task)")


class OfferDraft(BaseModel):
    offer_id: str
    customer_id: str
    membership_id: str | None
    reward_id: str | None
    bonus_points: int | None
    valid_from: date
    valid_until: date
    channel: str
    rationale: str
    drafted_by: str
    created_at: str
    status: Literal["draft"] = "draft"
    price_points: int | None = None
    """The reward's points price in this offer when it is discounted (None: the day's price)."""
