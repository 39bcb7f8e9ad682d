from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.loyalty.builders import member, membership, stay
from tools.loyalty import (
    MembershipFacts,
    ProgramConfig,
    check_eligibility,
    list_rewards,
    recommend_rewards,
)
from tools.loyalty.facts import Spend, StayFacts
from tools.loyalty.ledger_model import BalanceSummary, ExpiringPoints

ON = date(2026, 5, 1)
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def with_points(available: int) -> BalanceSummary:
    nothing = ExpiringPoints(30, 0, ())
    return BalanceSummary(
        membership_id="m",
        as_of=NOW,
        total=available,
        available=available,
        pending=0,
        pending_release=(),
        expired_awaiting_sweep=0,
        owed=0,
        expiring_30_days=nothing,
        expiring_90_days=ExpiringPoints(90, 0, ()),
    )


def gold(points: int = 10_000, state: str = "Enrolled", tier: str | None = "G1") -> MembershipFacts:
    return membership(tier_code=tier, state=state, balance=with_points(points))


def test_the_catalogue_lists_in_file_order_and_filters_by_tier(pc01: ProgramConfig) -> None:
    assert [r.id for r in list_rewards(pc01)] == [
        "late-checkout",
        "room-upgrade",
        "spa-credit",
        "welcome-drink",
        "breakfast",
        "parking",
    ]
    bronze = [r.id for r in list_rewards(pc01, tier_code="B1")]
    assert "late-checkout" not in bronze
    assert "room-upgrade" not in bronze
    assert [r.id for r in list_rewards(pc01, category="spa_credit")] == ["spa-credit"]


def test_an_enrolled_member_with_points_may_redeem(pc01: ProgramConfig) -> None:
    verdict = check_eligibility(pc01, "room-upgrade", membership=gold(), on=ON, redeemed_that_day=0)
    assert verdict.eligible
    assert verdict.failed == ()
    assert verdict.reasoning == "Room upgrade to the next category: eligible"


def test_every_failed_check_is_reported_with_its_reason(pc01: ProgramConfig) -> None:
    verdict = check_eligibility(
        pc01,
        "room-upgrade",
        membership=membership(tier_code="B1", state="Pending", balance=with_points(10)),
        on=date(2026, 12, 25),
        redeemed_that_day=3,
    )
    assert not verdict.eligible
    assert [(c.name, c.detail) for c in verdict.failed] == [
        ("membership_state", "membership is Pending, must be Enrolled"),
        ("tier", "tier Bronze, needs Gold, Platinum"),
        ("blackout", "2026-12-25 is a blackout date"),
        ("inventory", "0 of 3 left on 2026-12-25"),
        ("points", "10 points available, 900 needed"),  # 45 GBP at 0.05 GBP a point
    ]


@pytest.mark.parametrize(("redeemed", "eligible"), [(2, True), (3, False), (4, False)])
def test_daily_inventory_at_under_and_over_the_limit(
    pc01: ProgramConfig, redeemed: int, eligible: bool
) -> None:
    verdict = check_eligibility(
        pc01, "room-upgrade", membership=gold(), on=ON, redeemed_that_day=redeemed
    )
    assert verdict.eligible is eligible


@pytest.mark.parametrize(("points", "eligible"), [(899, False), (900, True), (901, True)])
def test_available_points_at_under_and_over_the_price(
    pc01: ProgramConfig, points: int, eligible: bool
) -> None:
    verdict = check_eligibility(
        pc01, "room-upgrade", membership=gold(points), on=ON, redeemed_that_day=0
    )
    assert verdict.eligible is eligible


def test_a_dynamic_price_replaces_the_base_in_the_points_check(pc01: ProgramConfig) -> None:
    verdict = check_eligibility(
        pc01, "room-upgrade", membership=gold(5000), on=ON, redeemed_that_day=0, price_points=6000
    )
    assert [c.detail for c in verdict.failed] == ["5,000 points available, 6,000 needed"]


def test_a_membership_without_a_ledger_account_has_no_points(pc01: ProgramConfig) -> None:
    verdict = check_eligibility(
        pc01,
        "welcome-drink",
        membership=membership(tier_code="B1"),
        on=ON,
        redeemed_that_day=0,
    )
    assert [c.name for c in verdict.failed] == ["points"]


def test_unlimited_rewards_and_open_tiers_pass_those_checks(pc01: ProgramConfig) -> None:
    verdict = check_eligibility(
        pc01, "welcome-drink", membership=gold(tier=None), on=ON, redeemed_that_day=999
    )
    assert verdict.eligible
    assert {c.name: c.detail for c in verdict.checks}["inventory"] == "no daily limit"


def stays_spending(spend: Spend, count: int = 3) -> list[StayFacts]:
    return [stay(departure=NOW - timedelta(days=30 * (i + 1)), spend=spend) for i in range(count)]


def test_a_spa_spender_sees_spa_first(pc01: ProgramConfig) -> None:
    spend = Spend(accommodation=Decimal(300), spa=Decimal(120), food_and_beverage=Decimal(30))
    guest = member(*stays_spending(spend), memberships=(gold(),))
    advice = recommend_rewards(pc01, guest, on=ON)
    assert advice.recommended[0].reward_id == "spa-credit"
    assert advice.recommended[0].reason == "80% of spend beyond the room went to spa (£360.00)"
    assert advice.recommended[0].spend_share == Decimal("0.80")


def test_a_food_and_drink_spender_sees_dining_rewards_first(pc01: ProgramConfig) -> None:
    spend = Spend(accommodation=Decimal(300), food_and_beverage=Decimal(90), spa=Decimal(10))
    guest = member(*stays_spending(spend), memberships=(gold(),))
    advice = recommend_rewards(pc01, guest, on=ON)
    assert [r.reward_id for r in advice.recommended[:2]] == ["welcome-drink", "breakfast"]


def test_without_history_the_catalogue_order_decides(pc01: ProgramConfig) -> None:
    advice = recommend_rewards(pc01, member(memberships=(gold(),)), on=ON, limit=3)
    assert [r.reward_id for r in advice.recommended] == [
        "late-checkout",
        "room-upgrade",
        "spa-credit",
    ]
    assert [r.rank for r in advice.recommended] == [1, 2, 3]


def test_only_eligible_rewards_are_recommended_and_the_rest_say_why(pc01: ProgramConfig) -> None:
    poor = membership(tier_code="B1", balance=with_points(200))  # a welcome drink is 180
    advice = recommend_rewards(
        pc01, member(memberships=(poor,)), on=ON, redeemed_that_day={"welcome-drink": 0}
    )
    assert [r.reward_id for r in advice.recommended] == ["welcome-drink"]
    refused = {e.reward_id: [c.name for c in e.failed] for e in advice.not_eligible}
    assert refused["late-checkout"] == ["tier", "points"]
    assert refused["spa-credit"] == ["points"]


def test_a_non_member_gets_no_recommendation(pc01: ProgramConfig) -> None:
    advice = recommend_rewards(pc01, member(memberships=()), on=ON)
    assert advice.recommended == ()
    assert "not a member" in advice.reasoning
