"""`reservations/getAll/2023-06-06` and the reservation shapes other operations embed."""

from __future__ import annotations

import json

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, bad_request
from tools.sandbox.ids import fixed_id
from tools.sandbox.ops._common import in_filter, in_interval, page, ts
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import Reservation
from tools.sandbox.validation import Interval, Obj

__all__ = ["SERVICE_ORDER_STATES", "group_id", "render_reservation", "render_reservation_2017"]

SERVICE_ORDER_STATES = (
    "Inquired",
    "Confirmed",
    "Started",
    "Processed",
    "Canceled",
    "Optional",
    "Requested",
)
_STAFF_PROFILE = "3cd637ef-4728-47f9-8fb1-afb900c9cdcf"


def group_id(r: Reservation) -> str:
    extra = r.extra or {}
    return str(extra.get("GroupId") or fixed_id(f"group/{r.id}"))


def _extra(r: Reservation, key: str) -> str | None:
    value = (r.extra or {}).get(key)
    return None if value is None else str(value)


def render_reservation(ctx: Ctx, r: Reservation) -> JSON:
    adult, child = ctx.world.age_categories[r.enterprise_id]
    checked_in = r.state in ("Started", "Processed")
    group = group_id(r)
    counts = [{"AgeCategoryId": adult, "Count": r.adults}]
    if r.children:
        counts.append({"AgeCategoryId": child, "Count": r.children})
    return {
        "Id": r.id,
        "ServiceId": r.service_id,
        "AccountId": r.account_id,
        "AccountType": "Customer",
        "CreatorProfileId": _STAFF_PROFILE,
        "UpdaterProfileId": _STAFF_PROFILE,
        "BookerId": _extra(r, "BookerId") or r.account_id,
        "Number": r.number,
        "State": r.state,
        "Origin": r.origin,
        "CommanderOrigin": None,
        "OriginDetails": None,
        "CreatedUtc": ts(r.created),
        "UpdatedUtc": ts(r.updated),
        "CancelledUtc": ts(r.cancelled),
        "VoucherId": None,
        "BusinessSegmentId": None,
        "Options": {
            "OwnerCheckedIn": checked_in,
            "AllCompanionsCheckedIn": checked_in,
            "AnyCompanionCheckedIn": checked_in,
            "ConnectorCheckIn": False,
        },
        "RateId": r.rate_id,
        "CreditCardId": None,
        "GroupId": group,
        "RequestedResourceCategoryId": r.category_id,
        "AssignedResourceId": r.resource_id,
        "AvailabilityBlockId": _extra(r, "AvailabilityBlockId"),
        "PartnerCompanyId": _extra(r, "PartnerCompanyId"),
        "TravelAgencyId": _extra(r, "TravelAgencyId"),
        "AssignedResourceLocked": False,
        "ChannelNumber": _extra(r, "ChannelNumber"),
        "ChannelManagerNumber": _extra(r, "ChannelManagerNumber"),
        "CancellationReason": r.cancellation_reason,
        "ReleasedUtc": None,
        "StartUtc": ts(r.start),
        "EndUtc": ts(r.end),
        "ScheduledStartUtc": ts(r.start),
        "ActualStartUtc": ts(r.actual_start),
        "ScheduledEndUtc": ts(r.end),
        "ActualEndUtc": ts(r.actual_end),
        "Purpose": r.purpose,
        "QrCodeData": json.dumps(
            {"Reservations": [{"Id": r.id, "GroupId": group, "CustomerId": r.account_id}]},
            separators=(",", ":"),
        ),
        "PersonCounts": counts,
    }


def render_reservation_2017(ctx: Ctx, r: Reservation) -> JSON:
    """The older reservation shape (version 2017-04-12) used by `customers/search`."""
    del ctx
    return {
        "Id": r.id,
        "ServiceId": r.service_id,
        "GroupId": group_id(r),
        "Number": r.number,
        "ChannelNumber": _extra(r, "ChannelNumber"),
        "ChannelManagerNumber": None,
        "ChannelManagerGroupNumber": None,
        "ChannelManager": None,
        "State": r.state,
        "Origin": r.origin,
        "OriginDetails": None,
        "Purpose": r.purpose,
        "CreatedUtc": ts(r.created),
        "UpdatedUtc": ts(r.updated),
        "CancelledUtc": ts(r.cancelled),
        "StartUtc": ts(r.start),
        "EndUtc": ts(r.end),
        "ReleasedUtc": None,
        "RequestedCategoryId": r.category_id,
        "AssignedSpaceId": r.resource_id,
        "AssignedSpaceLocked": False,
        "BusinessSegmentId": None,
        "CompanyId": _extra(r, "PartnerCompanyId"),
        "TravelAgencyId": _extra(r, "TravelAgencyId"),
        "AvailabilityBlockId": _extra(r, "AvailabilityBlockId"),
        "RateId": r.rate_id,
        "VoucherId": None,
        "CreditCardId": None,
        "CancellationReason": r.cancellation_reason,
        "CustomerId": r.account_id,
        "OwnerId": r.account_id,
        "CompanionIds": [r.account_id],
        "ChannelManagerId": None,
        "AdultCount": r.adults,
        "ChildCount": r.children,
    }


def _exclusive(q: Obj, first: str, second: str) -> None:
    if q.has(first) and q.has(second):
        raise bad_request(f"{first} and {second} cannot be used together.")


def _times_match(r: Reservation, filters: dict[str, Interval | None]) -> bool:
    return (
        in_interval(filters["CreatedUtc"], r.created)
        and in_interval(filters["UpdatedUtc"], r.updated)
        and in_interval(filters["ScheduledStartUtc"], r.start)
        and in_interval(filters["ScheduledEndUtc"], r.end)
        and in_interval(filters["ActualStartUtc"], r.actual_start)
        and in_interval(filters["ActualEndUtc"], r.actual_end)
    )


@operation("reservations/getAll/2023-06-06", page_key="Reservations")
def get_all(ctx: Ctx, q: Obj) -> JSON:
    _exclusive(q, "ScheduledStartUtc", "ActualStartUtc")
    _exclusive(q, "ActualEndUtc", "ScheduledEndUtc")
    enterprises = ctx.enterprises(q)
    ids, services = q.guids("ReservationIds"), q.guids("ServiceIds")
    groups, accounts = q.guids("ReservationGroupIds"), q.guids("AccountIds")
    partners = q.guids("PartnerCompanyIds", max_items=100)
    agencies = q.guids("TravelAgencyIds", max_items=100)
    numbers, channels = q.strs("Numbers"), q.strs("ChannelNumbers", max_items=100)
    resources = q.guids("AssignedResourceIds")
    blocks = q.guids("AvailabilityBlockIds", max_items=100)
    keys = (
        "CreatedUtc",
        "UpdatedUtc",
        "ScheduledStartUtc",
        "ScheduledEndUtc",
        "ActualStartUtc",
        "ActualEndUtc",
    )
    times = {key: q.interval(key) for key in keys}
    colliding = q.interval("CollidingUtc")
    states = q.enums("States", SERVICE_ORDER_STATES)
    state = ctx.state
    if ids is not None:
        candidates = [r for r in (state.reservations.get(i) for i in ids) if r is not None]
    elif accounts is not None:
        candidates = [state.by_idx[i] for a in accounts for i in state.res_by_account.get(a, ())]
    else:
        candidates = state.by_idx
    rows = [
        r
        for r in candidates
        if r.enterprise_id in enterprises
        and in_filter(services, r.service_id)
        and in_filter(accounts, r.account_id)
        and in_filter(states, r.state)
        and in_filter(numbers, r.number)
        and in_filter(resources, r.resource_id)
        and in_filter(partners, _extra(r, "PartnerCompanyId"))
        and in_filter(agencies, _extra(r, "TravelAgencyId"))
        and in_filter(channels, _extra(r, "ChannelNumber"))
        and in_filter(blocks, _extra(r, "AvailabilityBlockId"))
        and (colliding is None or colliding.overlaps(r.start, r.end))
        and _times_match(r, times)
        and (groups is None or group_id(r) in groups)
    ]
    items, cursor = page(q, rows, state.reservations.get)
    return {"Reservations": [render_reservation(ctx, r) for r in items], "Cursor": cursor}
