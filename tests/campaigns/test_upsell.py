from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import pytest
import sqlalchemy as sa

from tests.server.clients import Connect, body
from tools.campaigns.tables import recommendation_log_table
from tools.campaigns.upsell import price_upsell
from tools.loyalty import ProgramConfig, default_program_path, load_program_file
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY


@pytest.fixture(scope="module")
def pc01() -> ProgramConfig:
    return load_program_file(default_program_path()).program("PC01")


NORMAL = Decimal("0.6")  # the occupancy at which the base price applies


def test_a_price_in_points_is_the_cash_at_the_point_value_within_the_band(
    pc01: ProgramConfig,
) -> None:
    price = price_upsell(pc01, cash=Decimal("30"), occupancy=NORMAL, available=0)
    assert (price.base_points, price.points) == (600, 600)  # 30 GBP / 0.05 GBP a point
    quiet = price_upsell(pc01, cash=Decimal("30"), occupancy=Decimal(0), available=0)
    full = price_upsell(pc01, cash=Decimal("30"), occupancy=Decimal(1), available=0)
    assert (quiet.points, quiet.floor_points, full.points) == (540, 540, 900)  # 0.9 .. 1.5
    assert price.mix_points is None  # no points, no mix
    assert not price.affordable_in_points


def test_the_mix_uses_at_most_half_in_points_within_the_balance_at_the_same_value(
    pc01: ProgramConfig,
) -> None:
    price = price_upsell(pc01, cash=Decimal("30"), occupancy=NORMAL, available=250)
    assert price.mix_points == 200
    assert price.mix_cash == Decimal("20.00")  # 30 - 200 * 0.05
    rich = price_upsell(pc01, cash=Decimal("135"), occupancy=NORMAL, available=10**6)
    assert rich.mix_points == 1300  # half of 2,700, in hundreds
    assert rich.mix_cash == Decimal("70.00")


def test_a_non_positive_cash_price_is_refused(pc01: ProgramConfig) -> None:
    with pytest.raises(ValueError, match="cash must be positive"):
        price_upsell(pc01, cash=Decimal(0), occupancy=NORMAL, available=0)


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
        assert upgrade["base_points"] == 2700  # 135 GBP at 0.05 GBP a point
        mix_share = Decimal(upgrade["mix_points"]) / upgrade["points"]
        assert Decimal(upgrade["mix_cash"]) == (135 * (1 - mix_share)).quantize(
            Decimal("0.01"), rounding=ROUND_CEILING
        )
        small = next(i for i in items if i["name"] == "Late checkout")
        accepted = body(
            await client.call_tool(
                "accept_upsell",
                {"reservation_id": stay, "item_id": small["item_id"], "payment": "mix"},
            )
        )
        assert accepted["status"] == "posted"
        assert accepted["result"]["points"] == small["mix_points"]
        assert accepted["result"]["cash_due"] == small["mix_cash"]
        assert accepted["result"]["available"] == 6240 - small["mix_points"]
        # 2,700 points of her own, above the 2,000-point issuance threshold: a member spending
        # their points needs a manager only above the separate redemption threshold (10,000).
        paid = body(
            await client.call_tool(
                "accept_upsell",
                {"reservation_id": stay, "item_id": upgrade["item_id"], "payment": "points"},
            )
        )
        assert paid["status"] == "posted", paid
        assert paid["result"]["points"] == upgrade["points"] > 2000
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
    assert sorted(converted) == sorted([small["item_id"], upgrade["item_id"]])


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


@pytest.mark.anyio
async def test_recommend_rewards_and_suggest_upsell_quote_the_same_points_for_the_same_item(
    connect: Connect,
) -> None:
    async with connect("carol", ("member", "campaigns")) as client:
        offer = body(
            await client.call_tool(
                "suggest_upsell", {"reservation_id": STORY.emma_novak_upcoming_stay}
            )
        )
        advice = body(
            await client.call_tool(
                "recommend_rewards",
                {"customer_id": offer["customer_id"], "on": offer["priced_on"], "limit": 10},
            )
        )
    upsell = {i["name"]: i["points"] for i in offer["items"]}
    quoted = {
        r["reward_id"]: r["price_points"] for r in [*advice["recommended"], *advice["not_eligible"]]
    }
    assert quoted["late-checkout"] == upsell["Late checkout"]
    assert quoted["spa-credit"] == upsell["Spa credit"]
