"""`services/getAll`, `products/getAll`, `productServiceOrders/getAll`, `resourceCategories/getAll`.

The rewards catalogue comes from here: products (breakfast, late checkout, room upgrade,
parking, welcome drink, dinner, cocktail, massage, spa credit, day spa) and resource categories
(standard, deluxe, suite) per enterprise. `CustomerProducts` lists the products a guest can
order (all but city tax).
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.derive import derived_product_orders, find_product_order
from tools.sandbox.errors import JSON
from tools.sandbox.ops._common import (
    amount_json,
    in_filter,
    in_interval,
    page,
    rendered_page,
    ts,
    world_rows,
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.ops.order_items import reservations_in_window
from tools.sandbox.ops.reservations import SERVICE_ORDER_STATES
from tools.sandbox.state import RESTAURANT, SPA, ProductServiceOrder
from tools.sandbox.validation import Obj
from tools.sandbox.world import ENTERPRISE_UK, Product, ResourceCategory, Service

__all__: list[str] = []

_PROMOTIONS = {
    "BeforeCheckIn": False,
    "AfterCheckIn": False,
    "DuringStay": True,
    "BeforeCheckOut": False,
    "AfterCheckOut": False,
    "DuringCheckOut": False,
}
_PROFILE = "3cd637ef-4728-47f9-8fb1-afb900c9cdcf"


def _language(enterprise_id: str) -> str:
    return "en-GB" if enterprise_id == ENTERPRISE_UK else "en-US"


def _render_service(service: Service) -> JSON:
    if service.kind == "Bookable":
        data: JSON = {
            "Discriminator": "Bookable",
            "Value": {
                "StartOffset": "P0M0DT15H0M0S",
                "EndOffset": "P0M0DT11H0M0S",
                "OccupancyStartOffset": "P0M0DT15H0M0S",
                "OccupancyEndOffset": "P0M0DT11H0M0S",
                "TimeUnitPeriod": "Day",
            },
        }
    else:
        data = {"Discriminator": "Additional", "Value": {"Promotions": dict(_PROMOTIONS)}}
    return {
        "Id": service.id,
        "EnterpriseId": service.enterprise_id,
        "CreatedUtc": ts(service.created),
        "UpdatedUtc": ts(service.updated),
        "IsActive": True,
        "Name": service.name,
        "Names": {_language(service.enterprise_id): service.name},
        "Options": {"BillAsPackage": False},
        "Ordering": service.ordering,
        "Data": data,
        "ExternalIdentifier": service.external_identifier,
    }


@operation("services/getAll", page_key="Services")
def services_get_all(ctx: Ctx, q: Obj) -> JSON:
    enterprises = ctx.enterprises(q)
    ids = q.guids("ServiceIds")
    kind = q.enum("ServiceType", ("Bookable", "Additional"))
    updated = q.interval("UpdatedUtc")
    services = ctx.world.services
    rows = [
        s
        for s in services.values()
        if s.enterprise_id in enterprises
        and in_filter(ids, s.id)
        and kind in (None, s.kind)
        and in_interval(updated, s.updated)
    ]

    return rendered_page(q, rows, services.get, "Services", _render_service)


def _render_product(ctx: Ctx, p: Product) -> JSON:
    enterprise = ctx.world.enterprises[p.enterprise_id]
    language = _language(p.enterprise_id)
    price = amount_json(
        p.price, 1, enterprise.pricing == "Gross", p.tax_code, enterprise.currency, None
    )
    return {
        "Id": p.id,
        "ServiceId": p.service_id,
        "CreatedUtc": ts(p.created),
        "UpdatedUtc": ts(p.updated),
        "CategoryId": None,
        "AccountingCategoryId": p.accounting_category_id,
        "IsActive": True,
        "Names": {language: p.name},
        "ExternalNames": {language: p.name},
        "ShortNames": {language: p.short_name},
        "Descriptions": {language: p.description},
        "ChargingMode": p.charging_mode,
        "PostingMode": p.posting_mode,
        "Options": {"BillAsPackage": False, "ExcludePriceFromOffer": False},
        "Promotions": dict(_PROMOTIONS),
        "Classifications": {
            name: name in p.classifications
            for name in ("Food", "Beverage", "Wellness", "CityTax", "Fee")
        },
        "Price": price,
        "ImageIds": [],
        "Ordering": p.ordering,
        "ExternalIdentifier": p.external_identifier,
        "TaxExemptionReason": None,
        "TaxExemptionLegalReference": None,
        "ConsumptionMoment": None,
    }


@operation("products/getAll", page_key="Products")
def products_get_all(ctx: Ctx, q: Obj) -> JSON:
    services = set(q.req_guids("ServiceIds"))
    products = ctx.world.products
    rows = [p for p in world_rows(ctx, q, products, "ProductIds") if p.service_id in services]
    q.bool_("IncludeDefault")
    items, cursor = page(q, rows, products.get)
    rendered = [_render_product(ctx, p) for p in items]
    customer = [
        body for p, body in zip(items, rendered, strict=True) if "CityTax" not in p.classifications
    ]
    return {"Products": rendered, "CustomerProducts": customer, "Cursor": cursor}


def _render_order(order: ProductServiceOrder) -> JSON:
    started = order.state in ("Started", "Processed")
    return {
        "Id": order.id,
        "ServiceId": order.service_id,
        "AccountId": order.account_id,
        "AccountType": "Customer",
        "CreatorProfileId": _PROFILE,
        "UpdaterProfileId": _PROFILE,
        "BookerId": order.account_id,
        "Number": order.number,
        "State": order.state,
        "Origin": order.origin,
        "CommanderOrigin": None,
        "OriginDetails": None,
        "CreatedUtc": ts(order.created),
        "UpdatedUtc": ts(order.updated),
        "CancelledUtc": ts(order.cancelled),
        "VoucherId": None,
        "BusinessSegmentId": order.business_segment_id,
        "LinkedReservationId": order.linked_reservation_id,
        "Options": {
            "OwnerCheckedIn": started,
            "AllCompanionsCheckedIn": started,
            "AnyCompanionCheckedIn": started,
            "ConnectorCheckIn": False,
        },
    }


@operation("productServiceOrders/getAll", page_key="ProductServiceOrders")
def product_orders_get_all(ctx: Ctx, q: Obj) -> JSON:
    services = set(q.req_guids("ServiceIds"))
    enterprises = ctx.enterprises(q)
    ids, accounts = q.guids("ProductServiceOrderIds"), q.guids("AccountIds")
    linked = q.guids("LinkedReservationIds")
    states = q.enums("States", SERVICE_ORDER_STATES)
    updated = q.interval("UpdatedUtc")
    state, now = ctx.state, ctx.now
    if ids is not None:
        candidates = [o for o in (find_product_order(state, i, now) for i in ids) if o is not None]
    else:
        if linked is not None:
            reservations = [r for r in (state.reservations.get(i) for i in linked) if r is not None]
        elif accounts is not None:
            reservations = [
                state.by_idx[i] for a in accounts for i in state.res_by_account.get(a, ())
            ]
        else:
            reservations = reservations_in_window(state, [updated])
        reservations = [r for r in reservations if r.flags & (RESTAURANT | SPA)]
        derived = [o for r in reservations for o in derived_product_orders(state, r, now)]
        candidates = derived + list(state.product_orders)
    rows = [
        o
        for o in candidates
        if o.service_id in services
        and o.enterprise_id in enterprises
        and in_filter(accounts, o.account_id)
        and in_filter(linked, o.linked_reservation_id)
        and in_filter(states, o.state)
        and in_interval(updated, o.updated)
    ]

    return rendered_page(
        q,
        rows,
        lambda cursor: find_product_order(state, cursor, now),
        "ProductServiceOrders",
        _render_order,
    )


def _render_category(c: ResourceCategory) -> JSON:
    language = _language(c.enterprise_id)
    return {
        "Id": c.id,
        "EnterpriseId": c.enterprise_id,
        "ServiceId": c.service_id,
        "IsActive": True,
        "Type": c.type,
        "Classification": None,
        "Names": {language: c.name},
        "ShortNames": {language: c.short_name},
        "Descriptions": {language: c.description},
        "Ordering": c.ordering,
        "Capacity": c.capacity,
        "ExtraCapacity": 1,
        "ExternalIdentifier": f"RC-{c.short_name}",
        "AccountingCategoryId": None,
    }


@operation("resourceCategories/getAll", page_key="ResourceCategories")
def resource_categories_get_all(ctx: Ctx, q: Obj) -> JSON:
    services = set(q.req_guids("ServiceIds"))
    categories = ctx.world.resource_categories
    rows = world_rows(ctx, q, categories, "ResourceCategoryIds", states=True)
    rows = [c for c in rows if c.service_id in services]
    return rendered_page(q, rows, categories.get, "ResourceCategories", _render_category)
