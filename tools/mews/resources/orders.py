"""Service orders and what they cost: `reservations/getAll/2023-06-06` (CONNECTOR-API.md
§5.6), `productServiceOrders/getAll` (§5.9), `orderItems/getAll`, `bills/getAll`,
`accountingCategories/getAll` (§5.7f) and `orders/add` (§5.9)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.orders import (
    AccountingCategoriesResult,
    AccountingCategory,
    AccountingCategoryFilters,
    Bill,
    BillFilters,
    BillsResult,
    OrderAddResult,
    OrderItem,
    OrderItemFilters,
    OrderItemsResult,
    OrderParameters,
    ProductServiceOrder,
    ProductServiceOrderFilters,
    ProductServiceOrdersResult,
    Reservation,
    ReservationFilters,
    ReservationsResult,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource

__all__ = [
    "AccountingCategoriesResource",
    "BillsResource",
    "OrderItemsResource",
    "OrdersResource",
    "ProductServiceOrdersResource",
    "ReservationsResource",
]

_RESERVATIONS_GET_ALL = PagedOperation(
    path="reservations/getAll/2023-06-06",
    result=ReservationsResult,
    filters=ReservationFilters,
    limits={
        "partner_company_ids": 100,
        "travel_agency_ids": 100,
        "channel_numbers": 100,
        "availability_block_ids": 100,
    },
    own_ids="ReservationIds",
)

_PRODUCT_SERVICE_ORDERS_GET_ALL = PagedOperation(
    path="productServiceOrders/getAll",
    result=ProductServiceOrdersResult,
    filters=ProductServiceOrderFilters,
    own_ids="ProductServiceOrderIds",
)


class ReservationsResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ReservationFilters]
    ) -> Query[Reservation]:
        """`reservations/getAll/2023-06-06`: reservations (the 2017 version is retired).

        The heaviest read in Mews and the usual source of 408s: prefer id filters or short
        intervals, and a smaller `page_size` if 408s persist.
        """
        return Query(self._client, _RESERVATIONS_GET_ALL, filters, page_size)


class ProductServiceOrdersResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ProductServiceOrderFilters]
    ) -> Query[ProductServiceOrder]:
        """`productServiceOrders/getAll`: orders of additional services (spa, restaurant) of the
        given services (`service_ids` required), e.g. by guest (`account_ids`) or by the stay
        they belong to (`linked_reservation_ids`); 1000 ids per request."""
        return Query(self._client, _PRODUCT_SERVICE_ORDERS_GET_ALL, filters, page_size)


_ORDER_ITEMS_GET_ALL = PagedOperation(
    path="orderItems/getAll",
    result=OrderItemsResult,
    filters=OrderItemFilters,
    limits={"account_ids": 100},
    own_ids="OrderItemIds",
)
_BILLS_GET_ALL = PagedOperation(
    path="bills/getAll", result=BillsResult, filters=BillFilters, own_ids="BillIds"
)
_ACCOUNTING_CATEGORIES_GET_ALL = PagedOperation(
    path="accountingCategories/getAll",
    result=AccountingCategoriesResult,
    filters=AccountingCategoryFilters,
)


class OrderItemsResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[OrderItemFilters]
    ) -> Query[OrderItem]:
        """`orderItems/getAll`: guest spend (give at least one id filter or interval).

        `account_ids` takes 100 ids per request; longer lists are fetched in batches of 100.
        """
        return Query(self._client, _ORDER_ITEMS_GET_ALL, filters, page_size)


class BillsResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[BillFilters]
    ) -> Query[Bill]:
        """`bills/getAll`: bills (their items come from `order_items.get_all(bill_ids=...)`)."""
        return Query(self._client, _BILLS_GET_ALL, filters, page_size)


class AccountingCategoriesResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[AccountingCategoryFilters]
    ) -> Query[AccountingCategory]:
        """`accountingCategories/getAll`: the categories spend is grouped by."""
        return Query(self._client, _ACCOUNTING_CATEGORIES_GET_ALL, filters, page_size)


# Not idempotent in Mews: a retried request posts a second order. Callers that must not
# double an order look for its items' `ExternalIdentifier` first (`orderItems/getAll`).
_ORDERS_ADD = Operation(path="orders/add", result=OrderAddResult, safety=RetrySafety.NOT_IDEMPOTENT)


class OrdersResource(Resource):
    async def add(self, order: OrderParameters) -> str:
        """`orders/add`: post products or custom items to a customer's account; the order id."""
        result = await self._client._call(_ORDERS_ADD, order.to_wire())
        return result.order_id
