"""`orderItems/getAll`, `bills/getAll`, `accountingCategories/getAll` (CONNECTOR-API.md §5.7f)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.orders import (
    AccountingCategoriesResult,
    AccountingCategory,
    AccountingCategoryFilters,
    Bill,
    BillFilters,
    BillsResult,
    OrderItem,
    OrderItemFilters,
    OrderItemsResult,
)
from tools.mews.operations import PagedOperation
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource

__all__ = ["AccountingCategoriesResource", "BillsResource", "OrderItemsResource"]

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
