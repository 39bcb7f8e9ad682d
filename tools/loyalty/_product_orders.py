"""`productServiceOrders/getAll` by `LinkedReservationIds` or `AccountIds`: the spa and
restaurant orders a guest made during a stay, whose order items carry the product order's id,
not the reservation's.

The typed client has no resource for this operation yet, so the loader declares it here with
the client's own paging (`Query`, 1000 ids per request). Move it into `tools/mews` when the
client grows a `product_service_orders` group.
"""

from __future__ import annotations

from collections.abc import Sequence

from typing_extensions import TypedDict

from tools.mews import MewsClient
from tools.mews.models import MewsResponse, PagedResult, filters_config
from tools.mews.operations import PagedOperation
from tools.mews.paging import MAX_PAGE_SIZE, Query

__all__ = ["ProductServiceOrder", "linked_product_orders"]


class ProductServiceOrder(MewsResponse):
    id: str
    service_id: str | None = None
    account_id: str | None = None
    linked_reservation_id: str | None = None
    state: str | None = None


class _Result(PagedResult[ProductServiceOrder]):
    product_service_orders: tuple[ProductServiceOrder, ...]

    @property
    def items(self) -> tuple[ProductServiceOrder, ...]:
        return self.product_service_orders


@filters_config
class _Filters(TypedDict, total=False):
    service_ids: Sequence[str]
    account_ids: Sequence[str]
    linked_reservation_ids: Sequence[str]


_GET_ALL = PagedOperation(path="productServiceOrders/getAll", result=_Result, filters=_Filters)


def linked_product_orders(
    mews: MewsClient,
    service_ids: Sequence[str],
    *,
    reservation_ids: Sequence[str],
    account_ids: Sequence[str] | None = None,
) -> Query[ProductServiceOrder]:
    """Product service orders of these services, linked to these reservations, or (when
    `account_ids` is given) all of these guests' orders: fewer ids when the reservations are
    every stay of those guests. Batched by 1000 ids either way."""
    filters: dict[str, list[str]] = {"service_ids": list(service_ids)}
    if account_ids is not None:
        filters["account_ids"] = list(account_ids)
    else:
        filters["linked_reservation_ids"] = list(reservation_ids)
    return Query(mews, _GET_ALL, filters, MAX_PAGE_SIZE)
