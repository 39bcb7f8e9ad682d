"""`reservations/getAll/2023-06-06` (CONNECTOR-API.md §5.6) and `productServiceOrders/getAll`
(§5.9)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.orders import (
    ProductServiceOrder,
    ProductServiceOrderFilters,
    ProductServiceOrdersResult,
    Reservation,
    ReservationFilters,
    ReservationsResult,
)
from tools.mews.operations import PagedOperation
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource

__all__ = ["ProductServiceOrdersResource", "ReservationsResource"]

_GET_ALL = PagedOperation(
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
        return Query(self._client, _GET_ALL, filters, page_size)


class ProductServiceOrdersResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[ProductServiceOrderFilters]
    ) -> Query[ProductServiceOrder]:
        """`productServiceOrders/getAll`: orders of additional services (spa, restaurant) of the
        given services (`service_ids` required), e.g. by guest (`account_ids`) or by the stay
        they belong to (`linked_reservation_ids`); 1000 ids per request."""
        return Query(self._client, _PRODUCT_SERVICE_ORDERS_GET_ALL, filters, page_size)
