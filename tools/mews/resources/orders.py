"""`orders/add` (CONNECTOR-API.md §5.9)."""

from __future__ import annotations

from tools.mews.models.orders import OrderAddResult, OrderParameters
from tools.mews.operations import Operation, RetrySafety
from tools.mews.resources._base import Resource

__all__ = ["OrdersResource"]

# Not idempotent in Mews: a retried request posts a second order. Callers that must not
# double an order look for its items' `ExternalIdentifier` first (`orderItems/getAll`).
_ADD = Operation(path="orders/add", result=OrderAddResult, safety=RetrySafety.NOT_IDEMPOTENT)


class OrdersResource(Resource):
    async def add(self, order: OrderParameters) -> str:
        """`orders/add`: post products or custom items to a customer's account; the order id."""
        result = await self._client._call(_ADD, order.to_wire())
        return result.order_id
