"""`orderItems/getAll` (guest spend) and `orders/add` (post a charge or a redeemed reward).

Seeded items are derived from their reservation (`tools.sandbox.derive`); items posted with
`orders/add` are stored. Candidates are found through the most selective filter given (ids,
service orders, bills, accounts, then the narrowest time interval), then every filter applies.
`orders/add` creates a product service order (its id is the `OrderId`) holding the items;
prices come from the product unless `UnitAmount` is given; unknown tax codes are taxed at 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from tools.sandbox.context import Ctx
from tools.sandbox.derive import (
    find_bill,
    find_item,
    item_bill_id,
    item_id,
    item_service_order_id,
    visible_items,
)
from tools.sandbox.errors import JSON, bad_request, invalid
from tools.sandbox.ids import Kind, new_id, parse_derived
from tools.sandbox.ops._common import amount_json, any_filter, in_filter, in_interval, page, ts
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import Item, ProductServiceOrder, Reservation, State
from tools.sandbox.validation import Interval, Obj

__all__ = ["ACCOUNTING_STATES", "CURRENCIES", "ORDER_ITEM_TYPES", "reservations_in_window"]

ACCOUNTING_STATES = ("Open", "Closed", "Inactive", "Canceled")
CURRENCIES = ("GBP", "EUR", "USD")
ORDER_ITEM_TYPES = (
    "CancellationFee",
    "NightRebate",
    "ProductOrderRebate",
    "AdditionalExpenseRebate",
    "Deposit",
    "ExchangeRateDifference",
    "CustomItem",
    "ServiceCharge",
    "CityTax",
    "CityTaxDiscount",
    "SpaceOrder",
    "ProductOrder",
    "Surcharge",
    "TaxCorrection",
    "ResourceUpgradeFee",
    "InvoiceFee",
    "MulticurrencyFee",
    "AllowanceDiscount",
    "AllowanceBreakage",
    "AllowanceContraBreakage",
)
_TIME_KEYS = ("CreatedUtc", "UpdatedUtc", "ConsumedUtc", "CanceledUtc", "ClosedUtc")
_PROFILE = "3cd637ef-4728-47f9-8fb1-afb900c9cdcf"


def reservations_in_window(state: State, intervals: Iterable[Interval | None]) -> list[Reservation]:
    """Reservations whose derived records can fall into every given interval."""
    given = [i for i in intervals if i is not None]
    if not given:
        return list(state.by_idx)
    start = max(i.start for i in given)
    end = min(i.end for i in given)
    return [r for r in state.by_idx if r.w0 <= end and r.w1 >= start]


def _candidates(ctx: Ctx, q: Obj, intervals: dict[str, Interval | None]) -> list[Item]:
    state, now = ctx.state, ctx.now
    ids = q.guids("OrderItemIds")
    if ids is not None:
        return [item for item in (find_item(state, i, now) for i in ids) if item is not None]
    orders, bills = q.guids("ServiceOrderIds"), q.guids("BillIds")
    accounts = q.guids("AccountIds", max_items=100)
    reservations: list[Reservation | None]
    if orders is not None:
        reservations = [_order_reservation(state, order) for order in orders]
    elif bills is not None:
        reservations = [_bill_reservation(state, bill) for bill in bills]
    elif accounts is not None:
        reservations = [state.by_idx[i] for a in accounts for i in state.res_by_account.get(a, ())]
    else:
        reservations = list(reservations_in_window(state, intervals.values()))
    unique = {r.idx: r for r in reservations if r is not None}
    derived = [item for r in unique.values() for item in visible_items(state, r, now)]
    return derived + [item for item in state.items if item.created <= now]


def _order_reservation(state: State, order_id: str) -> Reservation | None:
    found = state.reservations.get(order_id)
    if found is not None:
        return found
    parsed = parse_derived(state.key, order_id)
    if parsed and parsed[0] == Kind.PRODUCT_SERVICE_ORDER and parsed[1] // 2 < len(state.by_idx):
        return state.by_idx[parsed[1] // 2]
    return None


def _bill_reservation(state: State, bill: str) -> Reservation | None:
    parsed = parse_derived(state.key, bill)
    if parsed and parsed[0] == Kind.BILL and parsed[1] < len(state.by_idx):
        return state.by_idx[parsed[1]]
    return None


def render_item(ctx: Ctx, item: Item, currency: str | None) -> JSON:
    state = ctx.state
    data = None
    if item.product_id is not None:
        product_type = "Product" if item.type != "CityTax" else "CityTax"
        data = {
            "Discriminator": "Product",
            "Rebate": None,
            "Product": {
                "ProductId": item.product_id,
                "AgeCategoryId": None,
                "ProductType": product_type,
            },
        }
    return {
        "Id": item_id(state, item),
        "EnterpriseId": item.enterprise_id,
        "AccountId": item.account_id,
        "AccountType": "Customer",
        "ServiceId": item.service_id,
        "ServiceOrderId": item_service_order_id(state, item),
        "Notes": item.notes,
        "BillId": item_bill_id(state, item),
        "AccountingCategoryId": item.accounting_category_id or None,
        "BillingName": item.name,
        "ExternalIdentifier": item.external_identifier,
        "UnitCount": item.unit_count,
        "UnitAmount": amount_json(
            item.unit_price, 1, item.gross, item.tax_code, item.currency, currency
        ),
        "Amount": amount_json(
            item.unit_price, item.unit_count, item.gross, item.tax_code, item.currency, currency
        ),
        "OriginalAmount": amount_json(
            item.unit_price, item.unit_count, item.gross, item.tax_code, item.currency, None
        ),
        "RevenueType": item.revenue_type,
        "CreatorProfileId": _PROFILE,
        "UpdaterProfileId": _PROFILE,
        "CreatedUtc": ts(item.created),
        "UpdatedUtc": ts(item.updated),
        "ConsumedUtc": ts(item.consumed),
        "CanceledUtc": ts(item.canceled),
        "ClosedUtc": ts(item.closed),
        "StartUtc": ts(item.consumed),
        "ClaimedUtc": None,
        "AccountingState": item.state,
        "Type": item.type,
        "Options": {"CanceledWithReservation": item.state == "Canceled" and item.resv >= 0},
        "Data": data,
        "TaxExemptionReason": None,
        "TaxExemptionLegalReference": None,
    }


@dataclass(frozen=True)
class _Filters:
    services: set[str] | None
    accounts: set[str] | None
    orders: set[str] | None
    bills: set[str] | None
    accounting_states: set[str] | None
    types: set[str] | None
    intervals: dict[str, Interval | None]

    @classmethod
    def read(cls, q: Obj, intervals: dict[str, Interval | None]) -> _Filters:
        def as_set(values: list[str] | None) -> set[str] | None:
            return None if values is None else set(values)

        return cls(
            as_set(q.guids("ServiceIds")),
            as_set(q.guids("AccountIds", max_items=100)),
            as_set(q.guids("ServiceOrderIds")),
            as_set(q.guids("BillIds")),
            as_set(q.enums("AccountingStates", ACCOUNTING_STATES)),
            as_set(q.enums("Types", ORDER_ITEM_TYPES)),
            intervals,
        )

    def match(self, state: State, item: Item) -> bool:
        times = self.intervals
        return (
            in_filter(self.services, item.service_id)
            and in_filter(self.accounts, item.account_id)
            and in_filter(self.accounting_states, item.state)
            and in_filter(self.types, item.type)
            and in_interval(times["CreatedUtc"], item.created)
            and in_interval(times["UpdatedUtc"], item.updated)
            and in_interval(times["ConsumedUtc"], item.consumed)
            and in_interval(times["CanceledUtc"], item.canceled)
            and in_interval(times["ClosedUtc"], item.closed)
            and (self.orders is None or item_service_order_id(state, item) in self.orders)
            and (self.bills is None or item_bill_id(state, item) in self.bills)
        )


@operation("orderItems/getAll", page_key="OrderItems")
def get_all(ctx: Ctx, q: Obj) -> JSON:
    any_filter(
        q,
        ("OrderItemIds", "ServiceOrderIds", "ServiceIds", "BillIds", "AccountIds", *_TIME_KEYS),
        "orderItems/getAll",
    )
    enterprises = ctx.enterprises(q)
    intervals = {key: q.interval(key) for key in _TIME_KEYS}
    currency = q.enum("Currency", CURRENCIES)
    filters = _Filters.read(q, intervals)
    rows = [
        item
        for item in _candidates(ctx, q, intervals)
        if item.enterprise_id in enterprises and filters.match(ctx.state, item)
    ]

    items, cursor = page(
        q,
        rows,
        lambda cursor: find_item(ctx.state, cursor, ctx.now),
        ident=lambda i: item_id(ctx.state, i),
    )
    return {"OrderItems": [render_item(ctx, i, currency) for i in items], "Cursor": cursor}


class _Price(NamedTuple):
    """An item's price fields, named as on `Item`."""

    unit_price: int
    gross: bool
    tax_code: str
    currency: str


def _unit_amount(amount: Obj, enterprise_currencies: tuple[str, ...]) -> _Price:
    """The price given by Amount parameters."""
    currency = amount.req_enum("Currency", CURRENCIES)
    if currency not in enterprise_currencies:
        raise invalid(amount.at("Currency"), f"the enterprise does not accept {currency}.")
    gross_value, net_value = amount.number("GrossValue"), amount.number("NetValue")
    if (gross_value is None) == (net_value is None):
        raise bad_request(f"{amount.path} needs exactly one of GrossValue and NetValue.")
    codes = amount.strs("TaxCodes", max_items=10) or []
    value = gross_value if gross_value is not None else net_value
    assert value is not None
    return _Price(round(value * 100), gross_value is not None, codes[0] if codes else "", currency)


def _plan_items(ctx: Ctx, q: Obj, enterprise_id: str, service_id: str, base: Item) -> list[Item]:
    world = ctx.world
    enterprise = world.enterprises[enterprise_id]
    gross_pricing = enterprise.pricing == "Gross"
    items: list[Item] = []
    for order in q.objs("ProductOrders", min_items=0):
        product = world.products.get(order.req_guid("ProductId"))
        if product is None or product.service_id != service_id:
            raise invalid(order.at("ProductId"), "the product does not exist in this service.")
        count = order.int_("Count", minimum=1) or 1
        price = _Price(product.price, gross_pricing, product.tax_code, enterprise.currency)
        unit = order.obj("UnitAmount")
        if unit is not None:
            price = _unit_amount(unit, enterprise.currencies)
        items.append(
            replace(
                base,
                id=new_id(),
                type="ProductOrder",
                revenue_type="Product",
                name=product.name,
                product_id=product.id,
                accounting_category_id=product.accounting_category_id,
                unit_count=count,
                external_identifier=order.str_("ExternalIdentifier", max_len=255),
                **price._asdict(),
            )
        )
    for custom in q.objs("Items", min_items=0):
        name = custom.req_str("Name", max_len=255)
        units = custom.int_("UnitCount", required=True, minimum=1)
        assert units is not None
        price = _unit_amount(custom.req_obj("UnitAmount"), enterprise.currencies)
        category = custom.guid("AccountingCategoryId")
        if category is not None:
            found = world.accounting_categories.get(category)
            if found is None or found.enterprise_id != enterprise_id:
                raise invalid(
                    custom.at("AccountingCategoryId"), f"no accounting category {category}."
                )
        items.append(
            replace(
                base,
                id=new_id(),
                type="CustomItem",
                revenue_type="Additional",
                name=name,
                accounting_category_id=category or "",
                unit_count=units,
                external_identifier=custom.str_("ExternalIdentifier", max_len=255),
                **price._asdict(),
            )
        )
    if not items:
        raise bad_request("orders/add needs at least one item in ProductOrders or Items.")
    return items


@operation("orders/add", writes=True)
def orders_add(ctx: Ctx, q: Obj) -> JSON:
    enterprise_id = ctx.write_enterprise(q)
    service = ctx.world.services.get(q.req_guid("ServiceId"))
    if service is None or service.enterprise_id != enterprise_id:
        raise invalid("ServiceId", "the service does not exist in this enterprise.")
    account = ctx.state.customers.get(q.req_guid("AccountId"))
    if account is None or not account.active:
        raise invalid("AccountId", "the customer does not exist.")
    bill_id = q.guid("BillId")
    if bill_id is not None:
        bill = find_bill(ctx.state, bill_id)
        if bill is None or bill.enterprise_id != enterprise_id or bill.state != "Open":
            raise invalid("BillId", "the bill does not exist or is not open.")
    linked = q.guid("LinkedReservationId")
    if linked is not None:
        reservation = ctx.state.reservations.get(linked)
        if reservation is None or reservation.enterprise_id != enterprise_id:
            raise invalid("LinkedReservationId", f"reservation {linked} does not exist.")
    q.guid("BusinessSegmentId")  # not modelled: any GUID is accepted
    consumed = q.utc("ConsumptionUtc") or ctx.now
    order_id = new_id()
    base = Item(
        id="",
        n=-1,
        enterprise_id=enterprise_id,
        account_id=account.id,
        service_id=service.id,
        service_order_id=order_id,
        resv=-1,
        pso_slot=-1,
        accounting_category_id="",
        type="",
        revenue_type="",
        name="",
        product_id=None,
        unit_count=0,
        unit_price=0,
        gross=True,
        tax_code="",
        currency="",
        created=ctx.now,
        consumed=consumed,
        state="Open",
        closed=None,
        canceled=None,
        updated=ctx.now,
        bill_id=bill_id,
        bill_from_resv=False,
        notes=q.str_("Notes", max_len=1000),
        external_identifier=None,
        linked_reservation_id=linked,
    )
    items = _plan_items(ctx, q, enterprise_id, service.id, base)
    number = ctx.state.next_number("order_number", 500000)
    order = ProductServiceOrder(
        order_id,
        -1,
        enterprise_id,
        service.id,
        account.id,
        str(number),
        "Processed",
        "Connector",
        linked,
        q.guid("BusinessSegmentId"),
        ctx.now,
        ctx.now,
        None,
    )
    ctx.state.product_orders.add(order.id, order)
    ctx.state.touch(ctx.state.product_orders, order.id)
    for item in items:
        ctx.state.items.add(item.id, item)
        ctx.state.touch(ctx.state.items, item.id)
    return {"OrderId": order_id}
