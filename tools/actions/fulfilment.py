"""Fulfilment in Mews: what the hotel needs to act on a redeemed reward or an accepted upsell.

A redemption or an upsell is fulfilled at the hotel of the guest's stay:

- its task (`tasks/add`) is linked to the reservation (`ServiceOrderId`), goes to that hotel
  (`EnterpriseId` picks the hotel's own access token) and names the guest, the reservation
  number and the room category, not a membership id;
- its order (`orders/add`, `LinkedReservationId`) puts the item on the stay: a zero-price
  product order for a reward, the cash part for a points-plus-cash upsell (zero when paid in
  points only).

`StayDesk.read`/`locate` run before the write's transaction (`prepare`, `describe`) and
remember the stay; the executor, which may not call Mews inside its transaction, takes it from
`remembered` and queues the task and the order in the outbox with the ledger entry. A crash
after the commit therefore never loses them, and a rollback never sends them. Each order line
carries `ExternalIdentifier` `loyalty-entry-<ledger entry id>`; the dispatcher looks for it in
Mews before posting (`order_already_posted`), so a crash between posting and recording the
delivery never doubles the order.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from storage.outbox import OutboxCommand, enqueue
from tools.loyalty.errors import RefusedRequestError
from tools.mews import MewsClient
from tools.mews.models import (
    AmountParameters,
    OrderItemParameters,
    OrderParameters,
    ProductOrderParameters,
    TimeInterval,
)

__all__ = [
    "ORDER_KIND",
    "Stay",
    "StayDesk",
    "StayProduct",
    "external_identifier",
    "order_already_posted",
    "queue_order",
    "send_order",
]

ORDER_KIND = "orders/add"
_LIVE_STATES = frozenset({"Confirmed", "Started", "Optional", "Inquired"})
_REMEMBERED = 1000  # stays kept for executors; older ones are read again by `describe`


@dataclass(frozen=True)
class StayProduct:
    id: str
    name: str
    service_id: str


@dataclass(frozen=True)
class Stay:
    """One reservation as the front desk knows it."""

    reservation_id: str
    number: str | None
    enterprise_id: str
    customer_id: str
    guest: str
    room: str | None
    """The room category booked (Mews has no room numbers in the Connector API's reads)."""
    arrival: date | None
    departure: date | None
    products: tuple[StayProduct, ...]
    """The active products of the hotel's services (what an order can post)."""
    item_service_id: str | None
    """The additional service a custom item is posted to (the first active one)."""

    def label(self) -> str:
        """`Emma Novak, reservation 2274 (Deluxe Double, 28 Dec-31 Dec 2026)`."""
        room = ", ".join(
            part
            for part in (
                self.room,
                f"{self.arrival:%d %b}-{self.departure:%d %b %Y}"
                if self.arrival and self.departure
                else None,
            )
            if part
        )
        number = f"reservation {self.number}" if self.number else "reservation"
        return f"{self.guest}, {number}" + (f" ({room})" if room else "")

    def product(self, *, id: str | None = None, name: str | None = None) -> StayProduct | None:
        for product in self.products:
            if (id is not None and product.id == id) or (
                name is not None and product.name.casefold() == name.casefold()
            ):
                return product
        return None


def _name(names: dict[str, str], fallback: str) -> str:
    return next(iter(names.values()), None) or fallback


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


class StayDesk:
    """Reads stays from Mews for the writes (before their transaction) and remembers them."""

    def __init__(self, mews: MewsClient) -> None:
        self._mews = mews
        self._stays: OrderedDict[str, Stay] = OrderedDict()

    def remembered(self, reservation_id: str) -> Stay | None:
        return self._stays.get(reservation_id)

    async def read(self, reservation_id: str, *, customer_id: str) -> Stay:
        """The reservation, refused (naming the field) if it is unknown, canceled or another
        guest's."""
        found = [r async for r in self._mews.reservations.get_all(reservation_ids=[reservation_id])]
        if not found:
            raise RefusedRequestError(
                f"reservation_id: no reservation {reservation_id!r} in Mews",
                field="reservation_id",
            )
        reservation = found[0]
        if reservation.account_id != customer_id:
            raise RefusedRequestError(
                f"reservation_id: reservation {reservation_id} is not this member's stay",
                field="reservation_id",
            )
        if str(reservation.state) not in _LIVE_STATES:
            raise RefusedRequestError(
                f"reservation_id: reservation {reservation_id} is {reservation.state}",
                field="reservation_id",
            )
        return await self._describe(reservation)

    async def locate(self, customer_id: str, on: date) -> Stay | None:
        """The member's live stay covering `on` (arrival to departure day), if any."""
        start = datetime.combine(on, time.min, tzinfo=UTC)
        window = TimeInterval(
            start_utc=start - timedelta(days=1), end_utc=start + timedelta(days=2)
        )
        candidates = [
            r
            async for r in self._mews.reservations.get_all(
                account_ids=[customer_id], colliding_utc=window
            )
            if str(r.state) in _LIVE_STATES
            and r.scheduled_start_utc is not None
            and r.scheduled_end_utc is not None
            and r.scheduled_start_utc.date() <= on <= r.scheduled_end_utc.date()
        ]
        if not candidates:
            return None
        return await self._describe(min(candidates, key=lambda r: r.scheduled_start_utc or start))

    async def _describe(self, reservation: Any) -> Stay:
        mews = self._mews
        services = [s async for s in mews.services.get_all()]
        enterprise = next(
            (s.enterprise_id for s in services if s.id == reservation.service_id), None
        )
        if enterprise is None:
            raise RefusedRequestError(
                f"reservation_id: the service of reservation {reservation.id} is not visible "
                "with this access token",
                field="reservation_id",
            )
        hotel = [s for s in services if s.enterprise_id == enterprise and s.is_active]
        additional = [
            s for s in hotel if s.data is not None and str(s.data.discriminator) == "Additional"
        ]
        products = [
            StayProduct(p.id, _name(p.names, p.id), p.service_id)
            async for p in mews.products.get_all(service_ids=[s.id for s in hotel])
            if p.is_active
        ]
        categories = {
            c.id: _name(c.names, c.id)
            async for c in mews.resource_categories.get_all(service_ids=[reservation.service_id])
        }
        customer_id = str(reservation.account_id)
        customers = [c async for c in mews.customers.get_all(customer_ids=[customer_id])]
        guest = (
            " ".join(p for p in (customers[0].first_name, customers[0].last_name) if p)
            if customers
            else f"customer {customer_id}"
        )
        stay = Stay(
            reservation_id=reservation.id,
            number=reservation.number,
            enterprise_id=enterprise,
            customer_id=customer_id,
            guest=guest,
            room=categories.get(reservation.requested_resource_category_id or ""),
            arrival=_day(reservation.scheduled_start_utc),
            departure=_day(reservation.scheduled_end_utc),
            products=tuple(products),
            item_service_id=additional[0].id if additional else None,
        )
        self._stays[stay.reservation_id] = stay
        self._stays.move_to_end(stay.reservation_id)
        while len(self._stays) > _REMEMBERED:
            self._stays.popitem(last=False)
        return stay


def external_identifier(entry_id: int) -> str:
    """The `ExternalIdentifier` of the order line a ledger entry paid for."""
    return f"loyalty-entry-{entry_id}"


def queue_order(
    conn: Connection,
    stay: Stay,
    *,
    entry_id: int,
    name: str,
    cash: Decimal,
    currency: str,
    product: StayProduct | None,
    notes: str,
    now: datetime,
) -> OrderParameters | None:
    """Queue `orders/add` for the stay in the write's own transaction: the product at `cash`
    (zero for a reward), else a custom item of that price; None when the hotel has no
    additional service to post to (the task still tells the desk what to charge)."""
    amount = AmountParameters(currency=currency, gross_value=cash.quantize(Decimal("0.01")))
    identifier = external_identifier(entry_id)
    product_orders: tuple[ProductOrderParameters, ...] | None = None
    items: tuple[OrderItemParameters, ...] | None = None
    if product is not None:
        service_id = product.service_id
        line = ProductOrderParameters(
            product_id=product.id, unit_amount=amount, external_identifier=identifier
        )
        product_orders = (line,)
    elif stay.item_service_id is not None:
        service_id = stay.item_service_id
        item = OrderItemParameters(
            name=name[:255], unit_amount=amount, external_identifier=identifier
        )
        items = (item,)
    else:
        return None
    order = OrderParameters(
        service_id=service_id,
        account_id=stay.customer_id,
        enterprise_id=stay.enterprise_id,
        linked_reservation_id=stay.reservation_id,
        product_orders=product_orders,
        items=items,
        notes=notes[:1000],
    )
    enqueue(conn, ORDER_KIND, order.to_wire(), now=now)
    return order


async def order_already_posted(
    mews: MewsClient, command: OutboxCommand, now: datetime
) -> str | None:
    """The order id of an earlier delivery of this command, found by its lines'
    `ExternalIdentifier` among the account's items created since it was queued (a crash
    between posting and recording the delivery), else None."""
    order = OrderParameters.model_validate(command.payload)
    wanted = set(order.external_identifiers)
    if not wanted:
        return None
    queued = command.created_at
    since = (queued if queued.tzinfo else queued.replace(tzinfo=UTC)) - timedelta(minutes=5)
    # Mews takes at most 3 months per interval; a command is a dead letter long before.
    since = max(since, now - timedelta(days=89))
    window = TimeInterval(start_utc=since, end_utc=now + timedelta(minutes=5))
    async for item in mews.order_items.get_all(
        account_ids=[order.account_id], service_ids=[order.service_id], created_utc=window
    ):
        if item.external_identifier in wanted and item.service_order_id:
            return item.service_order_id
    return None


async def send_order(mews: MewsClient, command: OutboxCommand, now: datetime) -> str:
    """Post one queued order unless an earlier attempt already did; the order id."""
    posted = await order_already_posted(mews, command, now)
    if posted is not None:
        return posted
    return await mews.orders.add(OrderParameters.model_validate(command.payload))
