"""`orders/add` (CONNECTOR-API.md §5.9): a redeemed reward or an upsell on the guest's bill."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import Field, PlainSerializer, StringConstraints, model_validator

from tools.mews.models.common import MewsRequest, MewsResponse, UtcDateTime

__all__ = [
    "AmountParameters",
    "OrderAddResult",
    "OrderItemParameters",
    "OrderOptions",
    "OrderParameters",
    "ProductOrderParameters",
]

# Mews reads amounts as JSON numbers; pydantic would send a Decimal as a string.
Money = Annotated[
    Decimal, Field(ge=0), PlainSerializer(lambda v: float(v), return_type=float, when_used="json")
]
ExternalIdentifier = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class AmountParameters(MewsRequest):
    """Amount parameters: a gross or a net price, exactly one (tax codes optional)."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    gross_value: Money | None = None
    net_value: Money | None = None
    tax_codes: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        if (self.gross_value is None) == (self.net_value is None):
            raise ValueError("give exactly one of GrossValue and NetValue")
        return self


class OrderOptions(MewsRequest):
    disable_item_grouping: bool | None = None


class ProductOrderParameters(MewsRequest):
    product_id: str
    count: Annotated[int, Field(ge=1)] = 1
    unit_amount: AmountParameters | None = None
    """Without it, the product's own price."""
    external_identifier: ExternalIdentifier | None = None


class OrderItemParameters(MewsRequest):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    unit_count: Annotated[int, Field(ge=1)] = 1
    unit_amount: AmountParameters
    accounting_category_id: str | None = None
    external_identifier: ExternalIdentifier | None = None


class OrderParameters(MewsRequest):
    """The body of `orders/add`: `EnterpriseId` is read with Portfolio Access Tokens only."""

    service_id: str
    account_id: str
    product_orders: tuple[ProductOrderParameters, ...] | None = None
    items: tuple[OrderItemParameters, ...] | None = None
    linked_reservation_id: str | None = None
    enterprise_id: str | None = None
    consumption_utc: UtcDateTime | None = None
    notes: str | None = None
    bill_id: str | None = None
    business_segment_id: str | None = None
    options: OrderOptions | None = None

    @model_validator(mode="after")
    def _something_ordered(self) -> Self:
        if not self.product_orders and not self.items:
            raise ValueError("orders/add needs at least one of ProductOrders and Items")
        return self

    @property
    def external_identifiers(self) -> tuple[str, ...]:
        ids = [p.external_identifier for p in self.product_orders or ()]
        ids += [i.external_identifier for i in self.items or ()]
        return tuple(i for i in ids if i)


class OrderAddResult(MewsResponse):
    """Answer of `orders/add`."""

    order_id: str
