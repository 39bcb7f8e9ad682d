"""The connected property and the portfolio (CONNECTOR-API.md §5.1-5.2)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from tools.mews.models.catalog import Service
from tools.mews.models.common import (
    Address,
    EnterpriseScopedFilters,
    MewsEntity,
    MewsResponse,
    OpenEnum,
    PagedResult,
    TimeInterval,
    UtcDateTime,
)

__all__ = [
    "Configuration",
    "Enterprise",
    "EnterpriseCurrency",
    "EnterpriseFilters",
    "EnterprisesResult",
    "Pricing",
]


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
