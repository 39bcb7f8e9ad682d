"""Constructors with sensible defaults for the records the seed and the operations create."""

from __future__ import annotations

from tools.sandbox.clock import DAY
from tools.sandbox.errors import JSON
from tools.sandbox.state import AccountNote, Customer, LoyaltyMembership, Reservation
from tools.sandbox.world import CHAIN_ID, World

__all__ = [
    "INTEGRATION_PROFILE",
    "checkin_at",
    "enterprise_profile",
    "make_customer",
    "make_membership",
    "make_note",
    "make_reservation",
]

INTEGRATION_PROFILE: JSON = {"Discriminator": "Integration", "EnterpriseProfile": None}
"""`CreatorProfile`/`UpdaterProfile` of anything made or changed through the API."""

STAFF_PROFILE_ID = "52d19c34-b0aa-4635-905d-1326fa8b8e13"


def enterprise_profile(profile_id: str = STAFF_PROFILE_ID) -> JSON:
    """A change made by staff in Mews Operations."""
    return {"Discriminator": "Enterprise", "EnterpriseProfile": {"ProfileId": profile_id}}


def make_customer(
    customer_id: str,
    last_name: str,
    *,
    number: str,
    created: int,
    updated: int | None = None,
    first_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    title: str | None = None,
    sex: str | None = None,
    nationality: str | None = None,
    language: str | None = None,
    birth_date: str | None = None,
    loyalty_code: str | None = None,
    notes: str | None = None,
    classifications: tuple[str, ...] = (),
    options: tuple[str, ...] = (),
    company_id: str | None = None,
    address: JSON | None = None,
    extra: JSON | None = None,
) -> Customer:
    return Customer(
        id=customer_id,
        number=number,
        last_name=last_name,
        first_name=first_name,
        email=email,
        phone=phone,
        title=title,
        sex=sex,
        nationality=nationality,
        language=language,
        birth_date=birth_date,
        loyalty_code=loyalty_code,
        notes=notes,
        classifications=classifications,
        options=options,
        company_id=company_id,
        address=address,
        created=created,
        updated=created if updated is None else updated,
        extra=extra,
    )


def make_membership(
    membership_id: str,
    account_id: str,
    program_id: str,
    *,
    created: int,
    updated: int | None = None,
    state: str = "Enrolled",
    is_primary: bool = True,
    points: int | None = None,
    membership_number: str | None = None,
    provider_membership_id: str | None = None,
    expiration_date: str | None = None,
    url: str | None = None,
    tier_id: str | None = None,
    creator_profile: JSON | None = None,
    updater_profile: JSON | None = None,
) -> LoyaltyMembership:
    return LoyaltyMembership(
        id=membership_id,
        chain_id=CHAIN_ID,
        account_id=account_id,
        program_id=program_id,
        state=state,
        is_primary=is_primary,
        points=points,
        membership_number=membership_number,
        provider_membership_id=provider_membership_id,
        expiration_date=expiration_date,
        url=url,
        tier_id=tier_id,
        creator_profile=creator_profile,
        updater_profile=updater_profile,
        created=created,
        updated=created if updated is None else updated,
    )


def make_note(
    note_id: str,
    account_id: str,
    content: str,
    classification: str,
    *,
    created: int,
    updated: int | None = None,
    creator: JSON | None = None,
) -> AccountNote:
    profile = creator or enterprise_profile()
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
