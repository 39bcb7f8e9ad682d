"""Constructors for the seeded records that follow a convention beyond their fields' defaults."""

from __future__ import annotations

from tools.sandbox.clock import DAY
from tools.sandbox.errors import JSON
from tools.sandbox.state import AccountNote, Reservation
from tools.sandbox.world import CHAIN_ID, World

__all__ = [
    "INTEGRATION_PROFILE",
    "checkin_at",
    "enterprise_profile",
    "make_note",
    "make_reservation",
]

INTEGRATION_PROFILE: JSON = {"Discriminator": "Integration", "EnterpriseProfile": None}
"""`CreatorProfile`/`UpdaterProfile` of anything made or changed through the API."""

STAFF_PROFILE_ID = "52d19c34-b0aa-4635-905d-1326fa8b8e13"


def enterprise_profile(profile_id: str = STAFF_PROFILE_ID) -> JSON:
    """A change made by staff in Mews Operations."""
    return {"Discriminator": "Enterprise", "EnterpriseProfile": {"ProfileId": profile_id}}


def make_note(
    note_id: str,
    account_id: str,
    content: str,
    classification: str,
    *,
    created: int,
    updated: int | None = None,
) -> AccountNote:
    profile = enterprise_profile()
    return AccountNote(
        id=note_id,
        chain_id=CHAIN_ID,
        account_id=account_id,
        account_type="Customer",
        content=content,
        classifications=(classification,),
        creator_profile=profile,
        updater_profile=profile,
        created=created,
        updated=created if updated is None else updated,
    )


def checkin_at(world: World, enterprise_id: str, day_start: int, hour: int) -> int:
    """UTC instant of local `hour` on the day starting (UTC midnight) at `day_start`."""
    return day_start + (hour - world.enterprises[enterprise_id].utc_offset_hours) * 3600


def make_reservation(
    world: World,
    reservation_id: str,
    *,
    enterprise_id: str,
    account_id: str,
    day: int,
    nights: int,
    state: str,
    created: int,
    now: int,
    category: str = "standard",
    flags: int = 0,
    adults: int = 1,
    children: int = 0,
    purpose: str = "Leisure",
    origin: str = "Distributor",
    room: int = 0,
    cancellation_reason: str | None = None,
    extra: JSON | None = None,
) -> Reservation:
    """A stay from local 15:00 on `day` (a UTC midnight) to 11:00 `nights` later.

    Actual times follow the state: checked-in stays started at the scheduled time, checked-out
    ones also ended then, canceled ones were canceled a few days after booking (or at `now`).
    """
    start = checkin_at(world, enterprise_id, day, 15)
    end = checkin_at(world, enterprise_id, day + nights * DAY, 11)
    resource_category = world.category(enterprise_id, category)
    actual_start = start if state in ("Started", "Processed") else None
    actual_end = end if state == "Processed" else None
    cancelled = min(created + 3 * DAY, start - DAY, now) if state == "Canceled" else None
    if cancelled is not None:
        cancelled = max(cancelled, created)
    updated = max(t for t in (created, actual_start, actual_end, cancelled) if t is not None)
    rooms = resource_category.rooms
    reservation = Reservation(
        id=reservation_id,
        idx=-1,
        enterprise_id=enterprise_id,
        service_id=resource_category.service_id,
        account_id=account_id,
        number="",
        state=state,
        origin=origin,
        purpose=purpose,
        created=created,
        updated=min(updated, max(now, created)),
        start=start,
        end=end,
        actual_start=actual_start,
        actual_end=actual_end,
        cancelled=cancelled,
        cancellation_reason=(cancellation_reason or "RequestedByGuest") if cancelled else None,
        category_id=resource_category.id,
        resource_id=rooms[room % len(rooms)]
        if state in ("Started", "Processed", "Confirmed")
        else None,
        rate_id=world.rates[enterprise_id][0],
        adults=adults,
        children=children,
        flags=flags,
        extra=extra,
    )
    reservation.refresh_window()
    return reservation
