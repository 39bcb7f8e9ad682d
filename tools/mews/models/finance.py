"""Guest spend: order items, bills, accounting categories (CONNECTOR-API.md §5.7-5.8)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from tools.mews.models.common import (
    ActivityState,
    Amount,
    EnterpriseScopedFilters,
    JsonObject,
    MewsEntity,
    MewsResponse,
    OpenEnum,
    PagedResult,
    TimeInterval,
    UtcDateTime,
)
from tools.mews.models.reservations import AccountType

__all__ = [
    "AccountingCategoriesResult",
    "AccountingCategory",
    "AccountingCategoryClassification",
    "AccountingCategoryFilters",
    "AccountingState",
    "Bill",
    "BillCorrectionState",
    "BillFilters",
    "BillState",
    "BillType",
    "BillsResult",
    "OrderItem",
    "OrderItemData",
    "OrderItemFilters",
    "OrderItemOptions",
    "OrderItemProductData",
    "OrderItemType",
    "OrderItemsResult",
    "RevenueType",
]


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
