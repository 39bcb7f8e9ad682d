"""The rewards catalogue: listing, eligibility, and recommendations from a member's history.

Eligibility runs every check and reports each one, so a refusal says all that is missing:
membership state (Enrolled), tier, blackout date, daily inventory, available points.

Recommendations keep only eligible rewards and rank them by how much of the member's spend
beyond the room (food and beverage, spa, other; checked-out stays in the program currency) went
to the reward's category: a spa spender sees spa first. Room perks (late checkout, upgrade) speak
to the room itself, which every guest pays for, so they carry no spend share and follow the
rewards the member's extra spend points to; ties keep the catalogue order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from tools.loyalty.categories import RevenueCategory, RewardCategory
from tools.loyalty.config import ProgramConfig, RewardConfig
from tools.loyalty.display import money, points
from tools.loyalty.facts import Inputs, MemberFacts, MembershipFacts, Spend

__all__ = [
    "ELIGIBLE_MEMBERSHIP_STATE",
    "Eligibility",
    "EligibilityCheck",
    "Recommendation",
    "Recommendations",
    "check_eligibility",
    "list_rewards",
    "recommend_rewards",
]

ELIGIBLE_MEMBERSHIP_STATE = "Enrolled"
CheckName = Literal["membership_state", "tier", "blackout", "inventory", "points"]
_EXTRA_SPEND: tuple[RevenueCategory, ...] = ("food_and_beverage", "spa", "other")


def list_rewards(
    program: ProgramConfig,
    *,
    tier_code: str | None = None,
    category: RewardCategory | None = None,
) -> tuple[RewardConfig, ...]:
    """The catalogue in file order; with `tier_code`, only what that tier may redeem."""
    return tuple(
        reward
        for reward in program.rewards.values()
        if (category is None or reward.category == category)
        and (tier_code is None or _tier_allowed(reward, tier_code))
    )


def _tier_allowed(reward: RewardConfig, tier_code: str | None) -> bool:
    return not reward.eligible_tiers or tier_code in reward.eligible_tiers


@dataclass(frozen=True, slots=True)
class EligibilityCheck:
    name: CheckName
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    reward_id: str
    eligible: bool
    price_points: int
    checks: tuple[EligibilityCheck, ...]
    reasoning: str

    @property
    def failed(self) -> tuple[EligibilityCheck, ...]:
        return tuple(check for check in self.checks if not check.passed)


def check_eligibility(
    program: ProgramConfig,
    reward_id: str,
    *,
    membership: MembershipFacts,
    on: date,
    redeemed_that_day: int,
    price_points: int | None = None,
) -> Eligibility:
    """Whether this membership may redeem the reward on `on` at `price_points` (default: base).

    `redeemed_that_day` comes from the ledger (`redemptions_on`); available points from the
    membership's balance summary (none without a ledger account).
    """
    reward = program.reward(reward_id)
    price = reward.base_points if price_points is None else price_points
    available = membership.balance.available if membership.balance else 0
    checks = (
        _state_check(membership),
        _tier_check(program, reward, membership.tier_code),
        _blackout_check(reward, on),
        _inventory_check(reward, redeemed_that_day, on),
        EligibilityCheck(
            "points",
            available >= price,
            f"{points(available)} points available, {points(price)} needed",
        ),
    )
    failed = [check.detail for check in checks if not check.passed]
    return Eligibility(
        reward_id=reward.id,
        eligible=not failed,
        price_points=price,
        checks=checks,
        reasoning=(
            f"{reward.name}: eligible" if not failed else f"{reward.name}: " + "; ".join(failed)
        ),
    )


def _state_check(membership: MembershipFacts) -> EligibilityCheck:
    ok = membership.state == ELIGIBLE_MEMBERSHIP_STATE
    return EligibilityCheck(
        "membership_state",
        ok,
        f"membership is {membership.state}"
        + ("" if ok else f", must be {ELIGIBLE_MEMBERSHIP_STATE}"),
    )


def _tier_check(
    program: ProgramConfig, reward: RewardConfig, tier_code: str | None
) -> EligibilityCheck:
    if not reward.eligible_tiers:
        return EligibilityCheck("tier", True, "open to every tier")
    ok = _tier_allowed(reward, tier_code)
    return EligibilityCheck(
        "tier",
        ok,
        f"tier {program.tier_name(tier_code)}"
        + ("" if ok else f", needs {', '.join(map(program.tier_name, reward.eligible_tiers))}"),
    )


def _blackout_check(reward: RewardConfig, on: date) -> EligibilityCheck:
    blocked = on in reward.blackout_dates
    return EligibilityCheck(
        "blackout",
        not blocked,
        f"{on} is a blackout date" if blocked else f"{on} is not blacked out",
    )


def _inventory_check(reward: RewardConfig, redeemed: int, on: date) -> EligibilityCheck:
    if reward.daily_inventory is None:
        return EligibilityCheck("inventory", True, "no daily limit")
    left = max(0, reward.daily_inventory - redeemed)
    return EligibilityCheck(
        "inventory",
        left > 0,
        f"{left} of {reward.daily_inventory} left on {on}",
    )


# ---------------------------------------------------------------------- recommendations
@dataclass(frozen=True, slots=True)
class Recommendation:
    rank: int
    reward_id: str
    reward_name: str
    category: RewardCategory
    price_points: int
    spend_share: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class Recommendations:
    customer_id: str
    program_code: str
    on: date
    recommended: tuple[Recommendation, ...]
    not_eligible: tuple[Eligibility, ...]
    inputs: Inputs
    reasoning: str


def recommend_rewards(
    program: ProgramConfig,
    member: MemberFacts,
    *,
    on: date,
    redeemed_that_day: Mapping[str, int] | None = None,
    prices: Mapping[str, int] | None = None,
    limit: int = 5,
) -> Recommendations:
    """Eligible rewards, best fit first, each with its reason; the others with what failed."""
    membership = member.membership(program.code)
    redeemed = redeemed_that_day or {}
    extra = _extra_spend(program, member)
    extra_total = sum((extra.get(category) for category in _EXTRA_SPEND), Decimal(0))
    eligible: list[tuple[Decimal, int, RewardConfig, int]] = []
    refused: list[Eligibility] = []
    for order, reward in enumerate(program.rewards.values()):
        if membership is None:
            break
        verdict = check_eligibility(
            program,
            reward.id,
            membership=membership,
            on=on,
            redeemed_that_day=redeemed.get(reward.id, 0),
            price_points=(prices or {}).get(reward.id),
        )
        if verdict.eligible:
            eligible.append(
                (_share(reward, extra, extra_total), order, reward, verdict.price_points)
            )
        else:
            refused.append(verdict)
    eligible.sort(key=lambda item: (-item[0], item[1]))
    recommended = tuple(
        Recommendation(
            rank=position,
            reward_id=reward.id,
            reward_name=reward.name,
            category=reward.category,
            price_points=price,
            spend_share=share,
            reason=_reason(reward, share, extra, program.currency),
        )
        for position, (share, _, reward, price) in enumerate(eligible[:limit], start=1)
    )
    return Recommendations(
        customer_id=member.customer_id,
        program_code=program.code,
        on=on,
        recommended=recommended,
        not_eligible=tuple(refused),
        inputs={
            "available_points": membership.balance.available
            if membership and membership.balance
            else 0,
            "extra_spend_total": extra_total,
            **{f"spend_{category}": extra.get(category) for category in _EXTRA_SPEND},
        },
        reasoning=_overall_reason(member, membership, recommended, refused, program),
    )


def _extra_spend(program: ProgramConfig, member: MemberFacts) -> Spend:
    total = Spend()
    for stay in member.completed_stays():
        if stay.currency == program.currency:
            total = total + stay.spend
    return total


def _share(reward: RewardConfig, extra: Spend, extra_total: Decimal) -> Decimal:
    category = reward.spend_affinity
    if category == "accommodation" or extra_total <= 0:
        return Decimal(0)
    return (max(extra.get(category), Decimal(0)) / extra_total).quantize(Decimal("0.01"))


def _reason(reward: RewardConfig, share: Decimal, extra: Spend, currency: str) -> str:
    category = reward.spend_affinity
    if category == "accommodation":
        return "a room perk: it suits every stay"
    if share == 0:
        return f"no {category.replace('_', ' ')} spend on record yet"
    return (
        f"{share:.0%} of spend beyond the room went to {category.replace('_', ' ')} "
        f"({money(extra.get(category), currency)})"
    )


def _overall_reason(
    member: MemberFacts,
    membership: MembershipFacts | None,
    recommended: tuple[Recommendation, ...],
    refused: list[Eligibility],
    program: ProgramConfig,
) -> str:
    if membership is None:
        return f"{member.display_name} is not a member of {program.name}"
    if not recommended:
        return f"no reward is redeemable now ({len(refused)} checked, see not_eligible)"
    top = recommended[0]
    return f"{len(recommended)} eligible rewards; first {top.reward_name}: {top.reason}"
