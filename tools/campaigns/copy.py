"""Per-member campaign copy, written from the structured offer and checked before it is kept.

The copy prints only values of the member's offer (name, points, reward, validity), and every
piece passes `tools.loyalty.offer_copy.check_offer_copy`, the same guardrail as single offers:
copy that disagrees with its data (say, a guest name that itself looks like a date or holds a
number) is stored as `rejected` with the problems, never as copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tools.campaigns.model import CampaignChannel
from tools.loyalty.offer_copy import OfferDraft, check_offer_copy, long_date

__all__ = ["DraftedCopy", "draft_copy"]


@dataclass(frozen=True, slots=True)
class DraftedCopy:
    channel: CampaignChannel
    text: str | None
    problems: str | None


def _offer_line(points: int, reward_name: str | None) -> str:
    if reward_name:
        return f"{reward_name} is yours for {points:,} points"
    return f"{points:,} bonus points are yours on your next stay"


def draft_copy(
    *,
    member_name: str,
    points: int,
    reward_name: str | None,
    valid_from: date,
    valid_until: date,
    channel: CampaignChannel,
    brand: str,
    known_rewards: tuple[str, ...] = (),
) -> DraftedCopy:
    """The copy of one member's offer for one channel, or the guardrail's problems."""
    name = member_name.strip() or "member"
    first = name.split()[0]
    line = _offer_line(points, reward_name)
    start, until = long_date(valid_from), long_date(valid_until)
    if channel == "email":
        text = (
            f"Dear {name},\n\n{line}, from {start} until {until}.\n\n"
            f"We look forward to welcoming you back.\n{brand}"
        )
    elif channel == "sms":
        text = f"{brand}: Hi {first}, {line}, valid until {until}. Reply STOP to opt out."
    else:
        text = f"Hi {first}! {line}. Valid until {until}."
    draft = OfferDraft(
        member_name=name,
        points=points,
        valid_from=valid_from,
        valid_until=valid_until,
        reward_name=reward_name,
    )
    problems = check_offer_copy(text, draft, known_rewards=known_rewards)
    if problems:
        return DraftedCopy(channel, None, "; ".join(p.message for p in problems))
    return DraftedCopy(channel, text, None)
