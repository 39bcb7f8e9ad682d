"""Service orders and what they cost (CONNECTOR-API.md §5.6-5.9).

Reservations, version 2023-06-06, and product service orders (spa and restaurant orders, linked
to a stay by `LinkedReservationId`) carry no amounts: money comes from `orderItems/getAll` with
`ServiceOrderIds` = reservation or order ids. Bills and accounting categories group that spend;
`orders/add` posts a redeemed reward or an upsell on the guest's bill.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Required, Self

from pydantic import Field, PlainSerializer, StringConstraints, model_validator

from tools.mews.models.common import (
    ActivityState,
    Amount,
    EnterpriseScopedFilters,
    JsonObject,
    MewsEntity,
    MewsFilters,
    MewsRequest,
    MewsResponse,
    OpenEnum,
    PagedResult,
    TimeInterval,
    UtcDateTime,
)

__all__ = [
    "AccountType",
    "AccountingCategoriesResult",
    "AccountingCategory",
    "AccountingCategoryClassification",
    "AccountingCategoryFilters",
    "AccountingState",
    "AmountParameters",
    "Bill",
    "BillCorrectionState",
    "BillFilters",
    "BillState",
    "BillType",
    "BillsResult",
    "OrderAddResult",
    "OrderItem",
    "OrderItemData",
    "OrderItemFilters",
    "OrderItemOptions",
    "OrderItemParameters",
    "OrderItemProductData",
    "OrderItemType",
    "OrderItemsResult",
    "OrderOptions",
    "OrderParameters",
    "PersonCount",
    "ProductOrderParameters",
    "ProductServiceOrder",
    "ProductServiceOrderFilters",
    "ProductServiceOrdersResult",
    "Reservation",
    "ReservationFilters",
    "ReservationOptions",
    "ReservationsResult",
    "RevenueType",
    "ServiceOrderOrigin",
    "ServiceOrderState",
]


# ------------------------------------------------------------------ service orders


class AccountType(StrEnum):
    CUSTOMER = "Customer"
    COMPANY = "Company"


class ServiceOrderState(StrEnum):
    INQUIRED = "Inquired"
    CONFIRMED = "Confirmed"
    STARTED = "Started"  # checked in
    PROCESSED = "Processed"  # checked out
    CANCELED = "Canceled"
    OPTIONAL = "Optional"
    REQUESTED = "Requested"


class ServiceOrderOrigin(StrEnum):
    DISTRIBUTOR = "Distributor"
    CHANNEL_MANAGER = "ChannelManager"
    COMMANDER = "Commander"
    IMPORT = "Import"
    CONNECTOR = "Connector"
    NAVIGATOR = "Navigator"


class ReservationOptions(MewsResponse):
    owner_checked_in: bool = False
    all_companions_checked_in: bool = False
    any_companion_checked_in: bool = False
    connector_check_in: bool = False


class PersonCount(MewsResponse):
    age_category_id: str
    count: int


class _ServiceOrder(MewsEntity):
    """What reservations and product service orders share: both are Mews service orders."""

    service_id: str
    account_id: str | None = None
    account_type: OpenEnum[AccountType] | None = None
    state: OpenEnum[ServiceOrderState] | None = None
    number: str | None = None
    creator_profile_id: str | None = None
    updater_profile_id: str | None = None
    booker_id: str | None = None
    origin: OpenEnum[ServiceOrderOrigin] | None = None
    commander_origin: str | None = None
    origin_details: str | None = None
    cancelled_utc: UtcDateTime | None = None
    voucher_id: str | None = None
    business_segment_id: str | None = None
    options: ReservationOptions | None = None


class Reservation(_ServiceOrder):
    state: OpenEnum[ServiceOrderState]  # always sent for reservations
    rate_id: str | None = None
    credit_card_id: str | None = None
    group_id: str | None = None
    requested_resource_category_id: str | None = None
    assigned_resource_id: str | None = None
    availability_block_id: str | None = None
    partner_company_id: str | None = None
    travel_agency_id: str | None = None
    assigned_resource_locked: bool | None = None
    channel_number: str | None = None
    channel_manager_number: str | None = None
    cancellation_reason: str | None = None
    released_utc: UtcDateTime | None = None
    scheduled_start_utc: UtcDateTime | None = None
    actual_start_utc: UtcDateTime | None = None
    scheduled_end_utc: UtcDateTime | None = None
    actual_end_utc: UtcDateTime | None = None
    purpose: str | None = None
    qr_code_data: str | None = None
    person_counts: tuple[PersonCount, ...] = ()


class ReservationsResult(PagedResult[Reservation]):
    """Answer of `reservations/getAll/2023-06-06`."""

    reservations: tuple[Reservation, ...]


class ReservationFilters(EnterpriseScopedFilters, total=False):
    """Filters of `reservations/getAll/2023-06-06`; each interval spans at most 3 months, and
    `ScheduledStartUtc`/`ActualStartUtc` (or the two end filters) are not to be combined."""

    reservation_ids: Sequence[str]
    service_ids: Sequence[str]
    reservation_group_ids: Sequence[str]
    account_ids: Sequence[str]
    partner_company_ids: Sequence[str]
    travel_agency_ids: Sequence[str]
    numbers: Sequence[str]
    channel_numbers: Sequence[str]
    assigned_resource_ids: Sequence[str]
    availability_block_ids: Sequence[str]
    states: Sequence[ServiceOrderState]
    created_utc: TimeInterval
    colliding_utc: TimeInterval
    scheduled_start_utc: TimeInterval
    actual_start_utc: TimeInterval
    scheduled_end_utc: TimeInterval
    actual_end_utc: TimeInterval


class ProductServiceOrder(_ServiceOrder):
    """A service order of an additional service (spa, restaurant): its order items carry this
    id as `ServiceOrderId`, not the reservation's."""

    linked_reservation_id: str | None = None


class ProductServiceOrdersResult(PagedResult[ProductServiceOrder]):
    """Answer of `productServiceOrders/getAll`."""

    product_service_orders: tuple[ProductServiceOrder, ...]


class ProductServiceOrderFilters(MewsFilters, total=False):
    """Filters of `productServiceOrders/getAll` (`ServiceIds` is required by Mews; `UpdatedUtc`
    spans at most 3 months)."""

    service_ids: Required[Sequence[str]]
    product_service_order_ids: Sequence[str]
    account_ids: Sequence[str]
    linked_reservation_ids: Sequence[str]
    states: Sequence[ServiceOrderState]
    updated_utc: TimeInterval


# ------------------------------------------------------------------ order items and bills


class AccountingState(StrEnum):
    OPEN = "Open"
    CLOSED = "Closed"
    INACTIVE = "Inactive"
    CANCELED = "Canceled"


class RevenueType(StrEnum):
    SERVICE = "Service"
    PRODUCT = "Product"
    ADDITIONAL = "Additional"


class OrderItemType(StrEnum):
    CANCELLATION_FEE = "CancellationFee"
    NIGHT_REBATE = "NightRebate"
    PRODUCT_ORDER_REBATE = "ProductOrderRebate"
    ADDITIONAL_EXPENSE_REBATE = "AdditionalExpenseRebate"
    DEPOSIT = "Deposit"
    EXCHANGE_RATE_DIFFERENCE = "ExchangeRateDifference"
    CUSTOM_ITEM = "CustomItem"
    SERVICE_CHARGE = "ServiceCharge"
    CITY_TAX = "CityTax"
    CITY_TAX_DISCOUNT = "CityTaxDiscount"
    SPACE_ORDER = "SpaceOrder"
    PRODUCT_ORDER = "ProductOrder"
    SURCHARGE = "Surcharge"
    TAX_CORRECTION = "TaxCorrection"
    RESOURCE_UPGRADE_FEE = "ResourceUpgradeFee"
    INVOICE_FEE = "InvoiceFee"
    MULTICURRENCY_FEE = "MulticurrencyFee"
    ALLOWANCE_DISCOUNT = "AllowanceDiscount"
    ALLOWANCE_BREAKAGE = "AllowanceBreakage"
    ALLOWANCE_CONTRA_BREAKAGE = "AllowanceContraBreakage"


class OrderItemOptions(MewsResponse):
    canceled_with_reservation: bool = False


class OrderItemProductData(MewsResponse):
    product_id: str
    age_category_id: str | None = None
    product_type: str | None = None


class OrderItemData(MewsResponse):
    discriminator: str
    product: OrderItemProductData | None = None
    rebate: JsonObject | None = None


class OrderItem(MewsEntity):
    """One line of guest spend; a negative `amount` is a rebate."""

    enterprise_id: str | None = None
    account_id: str | None = None
    account_type: OpenEnum[AccountType] | None = None
    service_id: str | None = None
    service_order_id: str | None = None
    notes: str | None = None
    bill_id: str | None = None
    accounting_category_id: str | None = None
    billing_name: str | None = None
    external_identifier: str | None = None
    unit_count: Decimal | None = None
    unit_amount: Amount | None = None
    amount: Amount
    original_amount: Amount | None = None
    revenue_type: OpenEnum[RevenueType] | None = None
    creator_profile_id: str | None = None
    updater_profile_id: str | None = None
    consumed_utc: UtcDateTime | None = None
    canceled_utc: UtcDateTime | None = None
    closed_utc: UtcDateTime | None = None
    start_utc: UtcDateTime | None = None
    claimed_utc: UtcDateTime | None = None
    accounting_state: OpenEnum[AccountingState] | None = None
    type: OpenEnum[OrderItemType] | None = None
    options: OrderItemOptions | None = None
    data: OrderItemData | None = None


class OrderItemsResult(PagedResult[OrderItem]):
    """Answer of `orderItems/getAll`."""

    order_items: tuple[OrderItem, ...]


class OrderItemFilters(EnterpriseScopedFilters, total=False):
    """Filters of `orderItems/getAll`; Mews wants at least one of the ids or intervals, and
    takes at most 100 `AccountIds` per request."""

    order_item_ids: Sequence[str]
    account_ids: Sequence[str]
    service_order_ids: Sequence[str]
    service_ids: Sequence[str]
    bill_ids: Sequence[str]
    created_utc: TimeInterval
    consumed_utc: TimeInterval
    canceled_utc: TimeInterval
    closed_utc: TimeInterval
    currency: str
    accounting_states: Sequence[AccountingState]
    types: Sequence[OrderItemType]


class BillState(StrEnum):
    OPEN = "Open"
    CLOSED = "Closed"


class BillType(StrEnum):
    RECEIPT = "Receipt"
    INVOICE = "Invoice"


class BillCorrectionState(StrEnum):
    BILL = "Bill"
    CORRECTIVE_BILL = "CorrectiveBill"


class Bill(MewsEntity):
    """A bill; its items are not on it (use `orderItems/getAll` with `BillIds`)."""

    name: str | None = None
    enterprise_id: str | None = None
    account_id: str | None = None
    account_type: OpenEnum[AccountType] | None = None
    associated_account_ids: tuple[str, ...] = ()
    counter_id: str | None = None
    state: OpenEnum[BillState]
    type: OpenEnum[BillType] | None = None
    number: str | None = None
    variable_symbol: str | None = None
    issued_utc: UtcDateTime | None = None
    taxed_utc: UtcDateTime | None = None
    paid_utc: UtcDateTime | None = None
    due_utc: UtcDateTime | None = None
    last_reminder_date_utc: UtcDateTime | None = None
    purchase_order_number: str | None = None
    notes: str | None = None
    options: dict[str, bool] = Field(default_factory=dict)
    owner_data: JsonObject | None = None
    associated_account_data: tuple[JsonObject, ...] = ()
    enterprise_data: JsonObject | None = None
    correction_state: OpenEnum[BillCorrectionState] | None = None
    correction_type: str | None = None
    corrected_bill_id: str | None = None


class BillsResult(PagedResult[Bill]):
    """Answer of `bills/getAll`."""

    bills: tuple[Bill, ...]


class BillFilters(EnterpriseScopedFilters, total=False):
    """Filters of `bills/getAll` (the deprecated `Extent` and `ClosedUtc` are not offered)."""

    bill_ids: Sequence[str]
    customer_ids: Sequence[str]
    state: BillState
    type: BillType
    correction_state: BillCorrectionState
    created_utc: TimeInterval
    issued_utc: TimeInterval
    paid_utc: TimeInterval
    due_utc: TimeInterval


class AccountingCategoryClassification(StrEnum):
    ACCOMMODATION = "Accommodation"
    FOOD_AND_BEVERAGE = "FoodAndBeverage"
    TAXES = "Taxes"
    PAYMENTS = "Payments"
    EXTERNAL_REVENUE = "ExternalRevenue"
    SUNDRY_INCOME = "SundryIncome"
    WELLNESS = "Wellness"
    SPORT = "Sport"
    TECHNOLOGY = "Technology"
    FACILITIES = "Facilities"
    EVENTS = "Events"
    TOURISM = "Tourism"


class AccountingCategory(MewsEntity):
    enterprise_id: str | None = None
    is_active: bool = True
    name: str
    code: str | None = None
    external_code: str | None = None
    ledger_account_code: str | None = None
    posting_account_code: str | None = None
    cost_center_code: str | None = None
    classification: OpenEnum[AccountingCategoryClassification] | None = None


class AccountingCategoriesResult(PagedResult[AccountingCategory]):
    """Answer of `accountingCategories/getAll`."""

    accounting_categories: tuple[AccountingCategory, ...]


class AccountingCategoryFilters(EnterpriseScopedFilters, total=False):
    """Filters of `accountingCategories/getAll`."""

    accounting_category_ids: Sequence[str]
    activity_states: Sequence[ActivityState]


# ------------------------------------------------------------------ orders/add


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
