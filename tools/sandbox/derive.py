"""Order items, product service orders, bills and payments derived from seeded reservations.

A seeded reservation fully determines what was charged during the stay: a `SpaceOrder` item per
night (Accommodation), a `CityTax` item per night, and — by its `flags` — breakfast and parking
per night (products of the accommodation service, posted to the reservation), a room upgrade,
and restaurant and spa spend (items of product service orders linked to the reservation, in the
Restaurant and Spa services). Amounts are a pure function of the seed and the reservation index.

How a reservation's state shows:

- `Confirmed`: nights, city tax and packaged breakfast exist (booked), `Open`, no bill yet;
- `Optional` / `Inquired` / `Requested`: the same, `Inactive`;
- `Canceled`: nights and city tax, `Canceled` with the reservation (`CanceledUtc`);
- `Started` (checked in): everything posted so far (`CreatedUtc <= now`), `Open`, on an open bill;
- `Processed` (checked out): everything, `Closed` at check-out on a closed bill, plus a payment.

Only items whose `CreatedUtc` is not in the future (sandbox clock) are visible, so advancing the
clock during a stay makes the evening's dinner appear.
"""

from __future__ import annotations

from tools.sandbox.clock import DAY
from tools.sandbox.ids import Kind, derived_id, parse_derived
from tools.sandbox.state import (
    BREAKFAST,
    PARKING,
    RESTAURANT,
    SPA,
    UPGRADE,
    Bill,
    Item,
    Payment,
    ProductServiceOrder,
    Reservation,
    State,
)
from tools.sandbox.world import TAX_RATES

__all__ = [
    "ITEMS_PER_RESERVATION",
    "Dice",
    "amount_parts",
    "bill_id",
    "derived_bill",
    "derived_payment",
    "derived_product_orders",
    "find_bill",
    "find_item",
    "find_payment",
    "find_product_order",
    "item_bill_id",
    "item_id",
    "item_service_order_id",
    "plan_items",
    "product_order_id",
    "visible_items",
]

ITEMS_PER_RESERVATION = 128
_MASK64 = (1 << 64) - 1
_BILLED = ("Started", "Processed")


class Dice:
    """A tiny deterministic random source (splitmix64), cheaper than `random.Random` per stay."""

    def __init__(self, *seeds: int) -> None:
        value = 0x243F6A8885A308D3
        for seed in seeds:
            value = self._mix(value ^ (seed & _MASK64))
        self._state = value

    @staticmethod
    def _mix(value: int) -> int:
        value = (value + 0x9E3779B97F4A7C15) & _MASK64
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
        return value ^ (value >> 31)

    def unit(self) -> float:
        """A float in [0, 1)."""
        self._state = self._mix(self._state)
        return (self._state >> 11) / float(1 << 53)

    def chance(self, probability: float) -> bool:
        return self.unit() < probability

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self.unit() * (high - low + 1))


def amount_parts(unit_price: int, count: int, gross: bool, tax_code: str) -> tuple[int, int, int]:
    """`(net, tax, gross)` in minor units of `count` units priced `unit_price`."""
    rate = TAX_RATES.get(tax_code, 0.0)
    total = unit_price * count
    if gross:
        net = round(total / (1 + rate))
        return net, total - net, total
    tax = round(total * rate)
    return total, tax, total + tax


def _accounting_state(reservation: Reservation) -> str:
    return {
        "Processed": "Closed",
        "Started": "Open",
        "Confirmed": "Open",
        "Canceled": "Canceled",
    }.get(reservation.state, "Inactive")


class _Planner:
    def __init__(self, state: State, reservation: Reservation) -> None:
        self.state = state
        self.r = reservation
        world = state.world
        self.enterprise = world.enterprises[reservation.enterprise_id]
        self.gross = self.enterprise.pricing == "Gross"
        self.dice = Dice(state.key, reservation.idx)
        self.items: list[Item] = []
        self.accounting_state = _accounting_state(reservation)
        self.closed = reservation.actual_end if reservation.state == "Processed" else None
        self.canceled = reservation.cancelled if reservation.state == "Canceled" else None

    def add(
        self,
        role: str | None,
        *,
        created: int,
        consumed: int,
        count: int = 1,
        price: int | None = None,
        item_type: str = "ProductOrder",
        revenue: str = "Product",
        pso_slot: int = -1,
    ) -> None:
        world, r = self.state.world, self.r
        if role is None:  # the night itself
            category = world.resource_categories[r.category_id]
            service_id, product_id, name = r.service_id, None, category.name
            accounting = world.accounting(r.enterprise_id, "accommodation").id
            tax_code = "UK-S" if self.gross else "US-DC-H"
        else:
            product = world.product(r.enterprise_id, role)
            service_id, product_id, name = product.service_id, product.id, product.name
            accounting, tax_code = product.accounting_category_id, product.tax_code
            price = product.price if price is None else price
        assert price is not None
        updated = self.closed or self.canceled or created
        self.items.append(
            Item(
                id="",
                n=r.idx * ITEMS_PER_RESERVATION + len(self.items),
                enterprise_id=r.enterprise_id,
                account_id=r.account_id,
                service_id=service_id,
                service_order_id=r.id if pso_slot < 0 else None,
                resv=r.idx,
                pso_slot=pso_slot,
                accounting_category_id=accounting,
                type=item_type,
                revenue_type=revenue,
                name=name,
                product_id=product_id,
                unit_count=count,
                unit_price=price,
                gross=self.gross,
                tax_code=tax_code,
                currency=self.enterprise.currency,
                created=created,
                consumed=consumed,
                state=self.accounting_state,
                closed=self.closed,
                canceled=self.canceled,
                updated=max(updated, created),
                bill_id=None,
                bill_from_resv=self.r.state in _BILLED,
                notes=None,
                external_identifier=None,
                linked_reservation_id=None,
            )
        )

    def plan(self) -> list[Item]:
        r, dice = self.r, self.dice
        nights = max(1, round((r.end - r.start) / DAY))
        base = self.state.world.resource_categories[r.category_id].night_price
        booked = r.created
        for night in range(nights):
            at = r.start + night * DAY
            price = int(base * (0.9 + 0.35 * dice.unit())) // 100 * 100
            self.add(
                None,
                created=booked,
                consumed=at,
                price=price,
                item_type="SpaceOrder",
                revenue="Service",
            )
            self.add(
                "city_tax",
                created=booked,
                consumed=at,
                count=r.adults,
                item_type="CityTax",
                revenue="Additional",
            )
            if r.flags & BREAKFAST:  # kept (canceled) on canceled stays: item numbers never shift
                self.add("breakfast", created=booked, consumed=at + 17 * 3600, count=r.adults)
        if r.state in _BILLED:
            self._stay_extras(nights)
        return self.items

    def _stay_extras(self, nights: int) -> None:
        r, dice = self.r, self.dice
        arrival = r.actual_start or r.start
        if r.flags & UPGRADE:
            self.add("room_upgrade", created=arrival, consumed=arrival, count=nights)
        for night in range(nights):
            at = r.start + night * DAY
            if r.flags & PARKING:
                self.add("parking", created=at + 1800, consumed=at)
            if r.flags & RESTAURANT and (night < 3 or dice.chance(0.3)):
                if night == 0 and dice.chance(0.4):
                    self.add("welcome_drink", created=at + 3600, consumed=at + 3600, pso_slot=0)
                self.add(
                    "dinner",
                    created=at + 4 * 3600,
                    consumed=at + 4 * 3600,
                    count=r.adults,
                    pso_slot=0,
                )
                if dice.chance(0.5):
                    count = dice.between(1, 3)
                    self.add(
                        "cocktail",
                        created=at + 6 * 3600,
                        consumed=at + 6 * 3600,
                        count=count,
                        pso_slot=0,
                    )
            if r.flags & SPA and (night == 0 or dice.chance(0.35)):
                role = "massage" if night == 0 or dice.chance(0.6) else "day_spa"
                self.add(role, created=at + 2 * 3600, consumed=at + 2 * 3600, pso_slot=1)
                if dice.chance(0.2):
                    self.add(
                        "spa_credit", created=at + 3 * 3600, consumed=at + 3 * 3600, pso_slot=1
                    )


def plan_items(state: State, reservation: Reservation) -> list[Item]:
    """Every item the reservation will ever have, in a fixed order (index = derived number)."""
    return _Planner(state, reservation).plan()


def visible_items(state: State, reservation: Reservation, now: int) -> list[Item]:
    """Items posted by `now` (and, after check-out, not later than the check-out)."""
    until = now
    if reservation.state == "Processed" and reservation.actual_end is not None:
        until = min(now, max(reservation.actual_end, reservation.created))
    return [item for item in plan_items(state, reservation) if item.created <= until]


# ---------------------------------------------------------------------- ids
def item_id(state: State, item: Item) -> str:
    if not item.id:
        item.id = derived_id(state.key, Kind.ORDER_ITEM, item.n)
    return item.id


def product_order_id(state: State, resv_idx: int, slot: int) -> str:
    return derived_id(state.key, Kind.PRODUCT_SERVICE_ORDER, resv_idx * 2 + slot)


def bill_id(state: State, resv_idx: int) -> str:
    return derived_id(state.key, Kind.BILL, resv_idx)


def item_service_order_id(state: State, item: Item) -> str:
    if item.service_order_id is not None:
        return item.service_order_id
    return product_order_id(state, item.resv, item.pso_slot)


def item_bill_id(state: State, item: Item) -> str | None:
    if item.bill_from_resv:
        return bill_id(state, item.resv)
    return item.bill_id


# ---------------------------------------------------------------------- derived records
def derived_product_orders(state: State, r: Reservation, now: int) -> list[ProductServiceOrder]:
    """The restaurant (slot 0) and spa (slot 1) orders linked to a stay, once they exist."""
    if r.state not in _BILLED or not r.flags & (RESTAURANT | SPA):
        return []
    orders: list[ProductServiceOrder] = []
    items = visible_items(state, r, now)
    for slot, role in ((0, "restaurant"), (1, "spa")):
        mine = [item for item in items if item.pso_slot == slot]
        if not mine:
            continue
        created = min(item.created for item in mine)
        updated = (
            r.actual_end
            if r.state == "Processed" and r.actual_end
            else max(i.created for i in mine)
        )
        orders.append(
            ProductServiceOrder(
                id=product_order_id(state, r.idx, slot),
                n=r.idx * 2 + slot,
                enterprise_id=r.enterprise_id,
                service_id=state.world.service(r.enterprise_id, role).id,
                account_id=r.account_id,
                number=f"{r.number}-{slot + 1}",
                state=r.state,
                origin="Commander",
                linked_reservation_id=r.id,
                business_segment_id=None,
                created=created,
                updated=updated,
                cancelled=None,
            )
        )
    return orders


def derived_bill(state: State, r: Reservation) -> Bill | None:
    if r.state not in _BILLED:
        return None
    opened = r.actual_start or r.start
    closed = r.actual_end if r.state == "Processed" else None
    return Bill(
        id=bill_id(state, r.idx),
        n=r.idx,
        enterprise_id=r.enterprise_id,
        account_id=r.account_id,
        account_type="Customer",
        name=f"Reservation {r.number}",
        number=str(100000 + r.idx) if closed else None,
        state="Closed" if closed else "Open",
        type="Receipt",
        created=opened,
        issued=closed,
        paid=closed,
        due=None,
        updated=closed or opened,
        notes=None,
        associated_account_ids=(r.account_id,),
    )


def derived_payment(state: State, r: Reservation, now: int) -> Payment | None:
    if r.state != "Processed" or r.actual_end is None:
        return None
    total = 0
    for item in visible_items(state, r, now):
        total += amount_parts(item.unit_price, item.unit_count, item.gross, item.tax_code)[2]
    dice = Dice(state.key, r.idx, 7)
    kind = "CreditCardPayment" if dice.chance(0.8) else "CashPayment"
    enterprise = state.world.enterprises[r.enterprise_id]
    return Payment(
        id=derived_id(state.key, Kind.PAYMENT, r.idx),
        n=r.idx,
        enterprise_id=r.enterprise_id,
        account_id=r.account_id,
        bill_id=bill_id(state, r.idx),
        reservation_id=r.id,
        accounting_category_id=state.world.accounting(r.enterprise_id, "payments").id,
        amount=-total,
        currency=enterprise.currency,
        type=kind,
        state="Charged",
        accounting_state="Closed",
        created=r.actual_end,
        charged=r.actual_end,
        closed=r.actual_end,
        updated=r.actual_end,
    )


# ---------------------------------------------------------------------- lookups by id
def _derived(state: State, text: str, kind: int) -> int | None:
    parsed = parse_derived(state.key, text)
    if parsed is None or parsed[0] != kind:
        return None
    return parsed[1]


def find_item(state: State, text: str, now: int) -> Item | None:
    explicit = state.items.get(text)
    if explicit is not None:
        return explicit
    n = _derived(state, text, Kind.ORDER_ITEM)
    if n is None or n // ITEMS_PER_RESERVATION >= len(state.by_idx):
        return None
    for item in visible_items(state, state.by_idx[n // ITEMS_PER_RESERVATION], now):
        if item.n == n:
            return item
    return None


def find_product_order(state: State, text: str, now: int) -> ProductServiceOrder | None:
    explicit = state.product_orders.get(text)
    if explicit is not None:
        return explicit
    n = _derived(state, text, Kind.PRODUCT_SERVICE_ORDER)
    if n is None or n // 2 >= len(state.by_idx):
        return None
    for order in derived_product_orders(state, state.by_idx[n // 2], now):
        if order.n == n:
            return order
    return None


def find_bill(state: State, text: str) -> Bill | None:
    explicit = state.bills.get(text)
    if explicit is not None:
        return explicit
    n = _derived(state, text, Kind.BILL)
    if n is None or n >= len(state.by_idx):
        return None
    return derived_bill(state, state.by_idx[n])


def find_payment(state: State, text: str, now: int) -> Payment | None:
    n = _derived(state, text, Kind.PAYMENT)
    if n is None or n >= len(state.by_idx):
        return None
    return derived_payment(state, state.by_idx[n], now)
