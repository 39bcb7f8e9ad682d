"""Fulfilment in Mews: a redemption or an upsell reaches the hotel of the stay as a task linked
to the reservation naming the guest, and as an order on the stay (`orders/add`), posted once
even when a delivery is retried after a crash."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from storage import outbox
from storage.outbox import Delivered, outbox_table
from tests.actions.conftest import execute
from tools.actions import ACCEPT_UPSELL, REDEEM_REWARD
from tools.actions.fulfilment import ORDER_KIND, external_identifier
from tools.actions.models import RedeemInput
from tools.actions.upsell import AcceptUpsellInput, offered
from tools.mews import MewsClient
from tools.runtime import LoyaltyRuntime, sandbox_client
from tools.sandbox import PORTFOLIO, PORTFOLIO_HOTELS, STORY, Sandbox

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership
STAY = STORY.emma_novak_upcoming_stay  # 25 days from now, 3 nights, Deluxe, UK hotel


def queued(runtime: LoyaltyRuntime, kind: str) -> list[dict[str, Any]]:
    with runtime.store.read() as conn:
        rows = conn.execute(
            sa.select(outbox_table.c.payload).where(outbox_table.c.kind == kind)
        ).all()
    return [json.loads(row.payload) for row in rows]


async def items_on_the_stay(mews: MewsClient, service_id: str) -> list[Any]:
    """The order items of the product orders linked to the stay (how Mews shows them)."""
    orders = await mews.product_service_orders.get_all(
        service_ids=[service_id], linked_reservation_ids=[STAY]
    ).to_list()
    if not orders:
        return []
    return await mews.order_items.get_all(service_order_ids=[o.id for o in orders]).to_list()


async def redeem_on_the_stay(runtime: LoyaltyRuntime) -> Any:
    on = runtime.clock.now().date() + timedelta(days=26)
    assert REDEEM_REWARD.prepare is not None
    args = await REDEEM_REWARD.prepare(
        runtime.writes, RedeemInput(membership_id=EMMA, reward_id="late-checkout", on=on)
    )
    assert args.reservation_id == STAY
    await REDEEM_REWARD.describe(runtime.writes, args)
    return await execute(runtime, REDEEM_REWARD, args)


async def test_a_redemption_on_a_stay_queues_a_linked_task_and_a_zero_price_order(
    runtime: LoyaltyRuntime,
) -> None:
    posted = await redeem_on_the_stay(runtime)
    (task,) = queued(runtime, "tasks/add")
    assert task["ServiceOrderId"] == STAY
    assert task["EnterpriseId"] == STORY.enterprise_uk
    assert "Emma Novak" in task["Name"]
    assert "Emma Novak" in task["Description"]
    assert EMMA not in task["Description"]  # the guest, not a membership id
    assert "Deluxe" in task["Description"]
    assert task["Description"] == posted.fulfilment
    (order,) = queued(runtime, ORDER_KIND)
    assert order["LinkedReservationId"] == STAY
    assert order["AccountId"] == STORY.emma_novak
    (line,) = order["ProductOrders"]
    assert line["UnitAmount"]["GrossValue"] == 0
    assert line["ExternalIdentifier"] == external_identifier(posted.entry_id)

    report = await runtime.notices.drain()
    assert (report.delivered, report.failed) == (2, 0)
    (item,) = await items_on_the_stay(runtime.mews, order["ServiceId"])
    assert item.external_identifier == external_identifier(posted.entry_id)
    assert item.amount.gross_value == 0
    assert item.data is not None
    assert item.data.product is not None
    assert item.data.product.product_id == line["ProductId"]
    tasks = await runtime.mews.tasks.get_all(service_order_ids=[STAY]).to_list()
    assert [t.name for t in tasks] == [task["Name"]]


async def test_a_redemption_without_a_stay_that_day_still_tells_the_hotel(
    runtime: LoyaltyRuntime,
) -> None:
    on = runtime.clock.now().date() + timedelta(days=3)
    assert REDEEM_REWARD.prepare is not None
    args = await REDEEM_REWARD.prepare(
        runtime.writes, RedeemInput(membership_id=EMMA, reward_id="late-checkout", on=on)
    )
    assert args.reservation_id is None
    await REDEEM_REWARD.describe(runtime.writes, args)
    posted = await execute(runtime, REDEEM_REWARD, args)
    assert "no stay that day" in posted.fulfilment
    assert queued(runtime, ORDER_KIND) == []
    (task,) = queued(runtime, "tasks/add")
    assert "ServiceOrderId" not in task


async def test_an_order_posted_before_a_crash_is_not_posted_again(
    runtime: LoyaltyRuntime,
) -> None:
    await redeem_on_the_stay(runtime)
    commands = [
        c for c in outbox.claim(runtime.store, now=runtime.clock.now()) if c.kind == ORDER_KIND
    ]
    # Delivered, then the process dies before the outcome is recorded: the lease runs out
    # and the next drain delivers the same command again.
    (first,) = await runtime.notices.deliver(commands)
    (second,) = await runtime.notices.deliver(commands)
    assert isinstance(first, Delivered)
    assert isinstance(second, Delivered)
    assert first.result == second.result  # the same Mews order
    (order,) = queued(runtime, ORDER_KIND)
    assert len(await items_on_the_stay(runtime.mews, order["ServiceId"])) == 1
    assert runtime.mews.stats.requests["orders/add"] == 1


async def test_a_points_plus_cash_upsell_puts_the_cash_part_on_the_stay(
    runtime: LoyaltyRuntime,
) -> None:
    offer = await offered(runtime.writes, STAY)
    late = next(i for i in offer.items if i.name == "Late checkout")
    assert late.mix_cash is not None
    assert late.mix_cash > 0
    assert ACCEPT_UPSELL.prepare is not None
    args = await ACCEPT_UPSELL.prepare(
        runtime.writes, AcceptUpsellInput(reservation_id=STAY, item_id=late.item_id, payment="mix")
    )
    await ACCEPT_UPSELL.describe(runtime.writes, args)
    accepted = await execute(runtime, ACCEPT_UPSELL, args)
    assert "Emma Novak" in accepted.property_task
    (order,) = queued(runtime, ORDER_KIND)
    (line,) = order["ProductOrders"]
    assert line["ProductId"] == late.item_id
    assert line["UnitAmount"] == {"Currency": "GBP", "GrossValue": float(late.mix_cash)}
    assert order["LinkedReservationId"] == STAY
    await runtime.notices.drain()
    (item,) = await items_on_the_stay(runtime.mews, order["ServiceId"])
    assert item.amount.gross_value == late.mix_cash


async def test_with_a_portfolio_token_tasks_and_orders_go_out_with_the_hotels_own_token(
    tmp_path: Path,
) -> None:
    """Mews refuses `tasks/add` to a portfolio token: the hotel's own token sends it, and the
    order goes to that hotel too."""
    sandbox = Sandbox.seeded()
    async with (
        sandbox_client(sandbox, PORTFOLIO, chain_ids=(STORY.chain_id,)) as portfolio,
        sandbox_client(sandbox, PORTFOLIO_HOTELS[0]) as uk,
        sandbox_client(sandbox, PORTFOLIO_HOTELS[1]) as other,
    ):
        assert uk.credentials.access_token != portfolio.credentials.access_token
        singles = {STORY.enterprise_uk: uk, PORTFOLIO_HOTELS[1].enterprise_id: other}
        async with await LoyaltyRuntime.open(
            database_url=f"sqlite:///{tmp_path / 'loyalty.db'}",
            mews=portfolio,
            enterprise_mews=singles,
        ) as runtime:
            await redeem_on_the_stay(runtime)
            report = await runtime.notices.drain()
            assert (report.delivered, report.failed) == (2, 0)
            assert portfolio.stats.requests["tasks/add"] == 0
            assert portfolio.stats.requests["orders/add"] == 0
            assert (uk.stats.requests["tasks/add"], uk.stats.requests["orders/add"]) == (1, 1)
            (order,) = queued(runtime, ORDER_KIND)
            assert len(await items_on_the_stay(uk, order["ServiceId"])) == 1
