"""The enterprise (the property): what it sells, services, products and resource categories
(CONNECTOR-API.md §5.9-5.10); its configuration and the portfolio's enterprises (§5.1-5.2)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Required

from pydantic import Field

from tools.mews.models.common import (
    ActivityState,
    Address,
    Amount,
    EnterpriseScopedFilters,
    JsonObject,
    LocalizedText,
    MewsEntity,
    MewsResponse,
    OpenEnum,
    PagedResult,
    TimeInterval,
    UtcDateTime,
)

__all__ = [
    "ChargingMode",
    "Configuration",
    "Enterprise",
    "EnterpriseCurrency",
    "EnterpriseFilters",
    "EnterprisesResult",
    "PostingMode",
    "Pricing",
    "Product",
    "ProductClassifications",
    "ProductFilters",
    "ProductsResult",
    "ResourceCategoriesResult",
    "ResourceCategory",
    "ResourceCategoryFilters",
    "Service",
    "ServiceData",
    "ServiceFilters",
    "ServiceType",
    "ServicesResult",
]


# ------------------------------------------------------------------ what it sells


class ServiceType(StrEnum):
    BOOKABLE = "Bookable"
    ADDITIONAL = "Additional"


class ServiceData(MewsResponse):
    """`{"Discriminator": "Bookable" | "Additional", "Value": {...}}`; the value is kept raw."""

    discriminator: OpenEnum[ServiceType]
    value: JsonObject | None = None


class Service(MewsEntity):
    enterprise_id: str | None = None
    is_active: bool = True
    # The getAll example omits the documented `Names`/`Ordering` and sends the deprecated
    # `Name` (doc inconsistency §8.7), so all three are optional.
    names: LocalizedText = Field(default_factory=dict)
    name: str | None = None
    ordering: int | None = None
    options: dict[str, bool] = Field(default_factory=dict)
    data: ServiceData | None = None
    external_identifier: str | None = None


class ServicesResult(PagedResult[Service]):
    """Answer of `services/getAll`."""

    services: tuple[Service, ...]


class ServiceFilters(EnterpriseScopedFilters, total=False):
    """Filters of `services/getAll`."""

    service_ids: Sequence[str]
    service_type: ServiceType


class ChargingMode(StrEnum):
    ONCE = "Once"
    PER_TIME_UNIT = "PerTimeUnit"
    PER_PERSON_PER_TIME_UNIT = "PerPersonPerTimeUnit"
    PER_PERSON = "PerPerson"


class PostingMode(StrEnum):
    ONCE = "Once"
    PER_TIME_UNIT = "PerTimeUnit"


class ProductClassifications(MewsResponse):
    food: bool = False
    beverage: bool = False
    wellness: bool = False
    city_tax: bool = False
    fee: bool = False


class Product(MewsEntity):
    service_id: str
    category_id: str | None = None
    accounting_category_id: str | None = None
    is_active: bool = True
    names: LocalizedText = Field(default_factory=dict)
    external_names: LocalizedText = Field(default_factory=dict)
    short_names: LocalizedText = Field(default_factory=dict)
    descriptions: LocalizedText = Field(default_factory=dict)
    charging_mode: OpenEnum[ChargingMode] | None = None
    posting_mode: OpenEnum[PostingMode] | None = None
    options: dict[str, bool] = Field(default_factory=dict)
    promotions: dict[str, bool] = Field(default_factory=dict)
    classifications: ProductClassifications | None = None
    price: Amount | None = None
    image_ids: tuple[str, ...] = ()
    ordering: int | None = None
    external_identifier: str | None = None


class ProductsResult(PagedResult[Product]):
    """Answer of `products/getAll`; `items` are the `Products` (not `CustomerProducts`)."""

    products: tuple[Product, ...]
    customer_products: tuple[Product, ...] = ()


class ProductFilters(EnterpriseScopedFilters, total=False):
    """Filters of `products/getAll` (`ServiceIds` is required by Mews)."""

    service_ids: Required[Sequence[str]]
    product_ids: Sequence[str]
    include_default: bool


class ResourceCategory(MewsResponse):
    """A room type (or bed, dorm, parking spot, ...)."""

    id: str
    enterprise_id: str | None = None
    service_id: str
    is_active: bool = True
    type: str | None = None
    classification: str | None = None
    names: LocalizedText = Field(default_factory=dict)
    short_names: LocalizedText = Field(default_factory=dict)
    descriptions: LocalizedText = Field(default_factory=dict)
    ordering: int | None = None
    capacity: int | None = None
    extra_capacity: int | None = None
    external_identifier: str | None = None
    accounting_category_id: str | None = None


class ResourceCategoriesResult(PagedResult[ResourceCategory]):
    """Answer of `resourceCategories/getAll`."""

    resource_categories: tuple[ResourceCategory, ...]


class ResourceCategoryFilters(EnterpriseScopedFilters, total=False):
    """Filters of `resourceCategories/getAll` (`ServiceIds` is required by Mews)."""

    service_ids: Required[Sequence[str]]
    resource_category_ids: Sequence[str]
    activity_states: Sequence[ActivityState]


# ------------------------------------------------------------------ the enterprise, the portfolio


class Pricing(StrEnum):
    GROSS = "Gross"
    NET = "Net"


class EnterpriseCurrency(MewsResponse):
    currency: str
    is_default: bool = False
    is_enabled: bool = True


class Enterprise(MewsEntity):
    """A property. Loyalty lives at chain level: `chain_id` is what loyalty writes need."""

    chain_id: str | None = None
    chain_name: str | None = None
    name: str
    short_name: str | None = None
    external_identifier: str | None = None
    holding_key: str | None = None
    linked_utc: UtcDateTime | None = None
    time_zone_identifier: str | None = None
    legal_environment_code: str | None = None
    accommodation_environment_code: str | None = None
    accounting_environment_code: str | None = None
    tax_environment_code: str | None = None
    default_language_code: str | None = None
    accounting_editable_history_interval: str | None = None
    operational_editable_history_interval: str | None = None
    business_day_closing_offset: str | None = None
    website_url: str | None = None
    email: str | None = None
    phone: str | None = None
    logo_image_id: str | None = None
    cover_image_id: str | None = None
    pricing: OpenEnum[Pricing] | None = None
    tax_precision: int | None = None
    address_id: str | None = None
    address: Address | None = None
    group_names: tuple[str, ...] = ()
    currencies: tuple[EnterpriseCurrency, ...] = ()
    # True for the "dummy" enterprise `configuration/get` returns to a portfolio token.
    is_portfolio: bool = False


class Configuration(MewsResponse):
    """Answer of `configuration/get`."""

    now_utc: UtcDateTime
    enterprise: Enterprise
    # Only for service-scoped integrations.
    service: Service | None = None
    is_identity_document_number_required: bool = False


class EnterprisesResult(PagedResult[Enterprise]):
    """Answer of `enterprises/getAll`."""

    enterprises: tuple[Enterprise, ...]


class EnterpriseFilters(EnterpriseScopedFilters, total=False):
    """Filters of `enterprises/getAll` (portfolio discovery)."""

    external_identifiers: Sequence[str]
    linked_utc: TimeInterval
