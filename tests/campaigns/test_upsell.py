from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.campaigns.conftest import Connect, body
from tools.campaigns.tables import recommendation_log_table
from tools.campaigns.upsell import price_upsell
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

VALUE = Decimal("0.009")  # 18 GBP breakfast product / 2,000-point breakfast reward


def test_a_price_in_points_never_falls_below_the_redemption_floor() -> None:
    price = price_upsell(cash=Decimal("30"), point_value=VALUE, floor=Decimal("0.9"), available=0)
    assert price.points == 3334  # ceil(30 / 0.009)
    assert price.floor_points == 3001
    assert price.points >= price.floor_points
    assert price.mix_points is None  # no points, no mix
    assert not price.affordable_in_points


def test_the_mix_uses_at_most_half_in_points_within_the_balance_at_the_same_value() -> None:
    price = price_upsell(cash=Decimal("30"), point_value=VALUE, floor=Decimal("0.9"), available=900)
    assert price.mix_points == 900
    assert price.mix_cash == Decimal("21.90")  # 30 - 900 * 0.009
    rich = price_upsell(
        cash=Decimal("30"), point_value=VALUE, floor=Decimal("0.9"), available=10**6
    )
    assert rich.mix_points == 1600  # half of 3,334, in hundreds
    assert rich.mix_cash == Decimal("15.60")


def test_a_non_positive_cash_price_is_refused() -> None:
    with pytest.raises(ValueError, match="cash must be positive"):
        price_upsell(cash=Decimal(0), point_value=VALUE, floor=Decimal("0.9"), available=0)


@pytest.mark.anyio
async def test_an_upsell_is_suggested_ranked_accepted_and_logged(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    stay = STORY.emma_novak_upcoming_stay
    async with connect("carol", ("campaigns",)) as client:
        offer = body(await client.call_tool("suggest_upsell", {"reservation_id": stay}))
        items = offer["items"]
        assert offer["available_points"] == 6240
        assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
        for item in items:
            assert item["points"] >= item["floor_points"]
            if item["mix_points"] is not None:
                assert item["mix_points"] <= offer["available_points"]
        upgrade = next(i for i in items if i["kind"] == "upgrade")
        assert upgrade["name"] == "Upgrade to Junior Suite"  # Deluxe King -> one step, 3 nights
        assert upgrade["cash"] == "135.00"
        assert upgrade["mix_cash"] == "79.20"  # 6,200 of her 6,240 points in hundreds, at 0.009
        small = next(i for i in items if i["name"] == "Late checkout")
        accepted = body(
            await client.call_tool(
                "accept_upsell",
                {"reservation_id": stay, "item_id": small["item_id"], "payment": "mix"},
            )
        )
        assert accepted["status"] == "posted"
        assert accepted["result"]["points"] == 1600
        assert accepted["result"]["cash_due"] == "15.60"
        assert accepted["result"]["available"] == 6240 - 1600
        big = next(i for i in items if i["name"] == "Breakfast")
        pending = body(
            await client.call_tool(
                "accept_upsell",
                {"reservation_id": stay, "item_id": big["item_id"], "payment": "mix"},
            )
        )
        assert pending["status"] == "pending_approval"
        assert pending["rule"] == "approvals.points_above"
        refused = await client.call_tool(
            "accept_upsell", {"reservation_id": stay, "item_id": "nope", "payment": "points"}
        )
        assert refused.is_error
        assert body(refused)["field"] == "item_id"
    log = recommendation_log_table
    with runtime.store.read() as conn:
        converted = (
            conn.execute(
                sa.select(log.c.item_id).where(
                    log.c.source == "upsell", log.c.outcome == "converted"
                )
            )
            .scalars()
            .all()
        )
    assert converted == [small["item_id"]]


@pytest.mark.anyio
async def test_the_same_upsell_cannot_be_bought_twice_for_one_stay_with_two_keys(
    connect: Connect,
) -> None:
    stay = STORY.emma_novak_upcoming_stay
    async with connect("carol", ("campaigns",)) as client:
        offer = body(await client.call_tool("suggest_upsell", {"reservation_id": stay}))
        late = next(i for i in offer["items"] if i["name"] == "Late checkout")
        args = {"reservation_id": stay, "item_id": late["item_id"], "payment": "mix"}
        first = body(await client.call_tool("accept_upsell", {**args, "idempotency_key": "a"}))
        second = await client.call_tool("accept_upsell", {**args, "idempotency_key": "b"})

    assert first["status"] == "posted"
    assert second.is_error
    assert "was already bought for reservation" in body(second)["message"]


@pytest.mark.anyio
async def test_a_past_or_unknown_stay_gets_a_clear_error(connect: Connect) -> None:
    async with connect("carol", ("campaigns",)) as client:
        unknown = await client.call_tool(
            "suggest_upsell", {"reservation_id": "00000000-0000-0000-0000-000000000000"}
        )
    assert unknown.is_error
    assert body(unknown)["field"] == "reservation_id"
