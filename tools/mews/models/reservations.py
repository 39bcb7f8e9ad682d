"""Reservations, version 2023-06-06 (CONNECTOR-API.md §5.6), and product service orders (§5.9:
spa and restaurant orders, linked to a stay by `LinkedReservationId`). They carry no amounts:
money comes from `orderItems/getAll` with `ServiceOrderIds` = reservation or order ids."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Required

from tools.mews.models.common import (
    EnterpriseScopedFilters,
    MewsEntity,
    MewsFilters,
    MewsResponse,
    OpenEnum,
    PagedResult,
    TimeInterval,
    UtcDateTime,
)

__all__ = [
    "AccountType",
    "PersonCount",
    "ProductServiceOrder",
    "ProductServiceOrderFilters",
    "ProductServiceOrdersResult",
    "Reservation",
    "ReservationFilters",
    "ReservationOptions",
    "ReservationsResult",
    "ServiceOrderOrigin",
    "ServiceOrderState",
]


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
