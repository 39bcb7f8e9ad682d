"""Upsell suggestions for a stay: upgrades and experiences from Mews, priced in cash, points
and points plus cash (`tools.campaigns.upsell`), best fit first.

    offer = await suggest_upsell(reservation_id, loader=loader, mews=mews, programs=programs,
                                 store=store, now=now)

A suggestion writes nothing: what was suggested is what this function returns for the stay on
that day (and the read audit records each call); only an accepted upsell is recorded, by the
guarded `accept_upsell` write (`tools.actions.upsell`), in the recommendation log.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from storage.store import Store
from tools.campaigns.tables import recommendation_log_table
from tools.campaigns.upsell import price_upsell, rank_score
from tools.loyalty.categories import RevenueCategory
from tools.loyalty.config import ProgramConfig, ProgramFile
from tools.loyalty.errors import RefusedRequestError
from tools.loyalty.facts import MemberFacts, MembershipFacts, Spend
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.mews import MewsClient
from tools.mews.models import Product, Reservation

__all__ = ["UpsellItem", "UpsellSuggestions", "suggest_upsell"]

_UPCOMING = {"Confirmed", "Optional", "Inquired", "Requested", "Started"}
_PER_NIGHT = {"PerTimeUnit", "PerPersonPerTimeUnit"}
_INACTIVE = {"Canceled", "Declined"}
_ROOMS = {"Room", "Suite", "Apartment"}  # a room may be upgraded to a suite; a bed or a
# parking spot only to its own type


class UpsellItem(BaseModel):
    item_id: str
    kind: Literal["upgrade", "experience"]
    name: str
    cash: Decimal
    base_points: int = Field(description="⌈cash ÷ point_value⌉, as a catalogue reward's base")
    points: int = Field(description="the base moved by the day's demand, inside the band")
    floor_points: int
    mix_points: int | None
    mix_cash: Decimal | None
    affordable_in_points: bool
    score: Decimal
    reason: str


class UpsellSuggestions(BaseModel):
    reservation_id: str
    customer_id: str
    membership_id: str
    currency: str
    available_points: int
    point_value: Decimal = Field(description="cash per point: the program's point_value")
    priced_on: date = Field(description="the day whose demand moves the points prices")
    occupancy: Decimal = Field(description="occupancy of that day (0..1)")
    nights: int
    items: list[UpsellItem]


@dataclass(frozen=True, slots=True)
class _Candidate:
    item_id: str
    kind: Literal["upgrade", "experience"]
    name: str
    cash: Decimal
    revenue: RevenueCategory
    why: str


def _refused(message: str) -> RefusedRequestError:
    return RefusedRequestError(f"reservation_id: {message}", field="reservation_id")


def _same_kind(candidate: str | None, booked: str | None) -> bool:
    return candidate == booked or (candidate in _ROOMS and booked in _ROOMS)


def _name(names: dict[str, str], fallback: str | None) -> str:
    return next(iter(names.values()), None) or fallback or "(unnamed)"


def _category(product: Any) -> RevenueCategory:
    flags = product.classifications
    if flags is not None and (flags.food or flags.beverage):
        return "food_and_beverage"
    if flags is not None and flags.wellness:
        return "spa"
    return "accommodation"


async def _stay(loader: MewsFactsLoader, reservation_id: str, now: datetime) -> Reservation:
    found = await loader.reservations([reservation_id])
    if not found:
        raise _refused(f"no reservation {reservation_id!r} in Mews")
    stay = found[0]
    end = stay.actual_end_utc or stay.scheduled_end_utc
    start = stay.actual_start_utc or stay.scheduled_start_utc
    if str(stay.state) not in _UPCOMING or end is None or start is None or end <= now:
        raise _refused(f"the stay is {stay.state}, not upcoming or in house")
    if not stay.account_id:
        raise _refused("the reservation has no guest")
    return stay


async def _member(
    loader: MewsFactsLoader, programs: ProgramFile, customer_id: str
) -> tuple[MemberFacts, MembershipFacts]:
    members = await loader.members([customer_id], with_stays=True)
    member = members.get(customer_id)
    configured = programs.programs
    held = [] if member is None else [m for m in member.memberships if m.program_code in configured]
    membership = next(
        (m for m in sorted(held, key=lambda m: not m.is_primary) if m.state not in _INACTIVE), None
    )
    if member is None or membership is None:
        raise _refused("the guest has no active loyalty membership")
    return member, membership


async def _products(mews: MewsClient, stay: Reservation) -> list[Product]:
    """The active, priced products of the stay's hotel."""
    services = [s async for s in mews.services.get_all()]
    enterprise = next((s.enterprise_id for s in services if s.id == stay.service_id), None)
    service_ids = [s.id for s in services if s.enterprise_id == enterprise and s.is_active]
    return [
        p
        async for p in mews.products.get_all(service_ids=service_ids)
        if p.is_active and p.price is not None
    ]


def _prices(products: list[Product]) -> dict[str, Decimal]:
    """Each product's gross (else net) price, by id and by name."""
    prices: dict[str, Decimal] = {}
    for p in products:
        assert p.price is not None
        value = p.price.gross_value if p.price.gross_value is not None else p.price.net_value
        if value:
            prices[p.id] = prices[_name(p.names, None)] = Decimal(value)
    return prices


async def _upgrades(
    mews: MewsClient,
    stay: Reservation,
    upgrade: Product | None,
    prices: dict[str, Decimal],
    nights: int,
) -> list[_Candidate]:
    """Each higher category of the booked one's kind, at the Mews upgrade price per step."""
    categories = [
        c
        async for c in mews.resource_categories.get_all(service_ids=[stay.service_id])
        if c.is_active
    ]
    booked = next((c for c in categories if c.id == stay.requested_resource_category_id), None)
    if upgrade is None or booked is None or booked.ordering is None:
        return []
    rank = booked.ordering
    higher = sorted(
        (c for c in categories if (c.ordering or 0) > rank and _same_kind(c.type, booked.type)),
        key=lambda c: c.ordering or 0,
    )
    return [
        _Candidate(
            room.id,
            "upgrade",
            f"Upgrade to {_name(room.names, None)}",
            prices[upgrade.id] * nights * step,
            "accommodation",
            f"{step} category step(s) x {nights} night(s) at the Mews upgrade price",
        )
        for step, room in enumerate(higher, start=1)
    ]


def _experiences(
    products: list[Product], upgrade: Product | None, prices: dict[str, Decimal], nights: int
) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for p in products:
        label = _name(p.names, None)
        if p.id not in prices or p.id == getattr(upgrade, "id", None):
            continue
        if p.classifications is not None and p.classifications.city_tax:
            continue
        per_night = str(p.charging_mode) in _PER_NIGHT
        cash = prices[p.id] * (nights if per_night else 1)
        why = f"Mews price{' per night' if per_night else ''}"
        candidates.append(_Candidate(p.id, "experience", label, cash, _category(p), why))
    return candidates


def _accepted_before(conn: Connection, customer_id: str) -> dict[str, int]:
    log = recommendation_log_table
    rows = conn.execute(
        sa.select(log.c.item_id, sa.func.count())
        .where(
            log.c.customer_id == customer_id, log.c.source == "upsell", log.c.outcome == "converted"
        )
        .group_by(log.c.item_id)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def _item(
    program: ProgramConfig,
    c: _Candidate,
    *,
    occupancy: Decimal,
    available: int,
    spend: list[Spend],
    accepted: dict[str, int],
) -> UpsellItem:
    price = price_upsell(program, cash=c.cash, occupancy=occupancy, available=available)
    score = rank_score(c.revenue, spend, accepted.get(c.item_id, 0))
    return UpsellItem(
        **asdict(price),  # the prices, by name (an item shows no factor: the reason tells it)
        item_id=c.item_id,
        kind=c.kind,
        name=c.name,
        score=score,
        reason=f"{c.why}; {price.base_points} points at {program.point_value} "
        f"{program.currency} a point × demand factor {price.factor}; history score "
        f"{score} ({c.revenue} share of spend, plus earlier acceptances)",
    )


async def suggest_upsell(
    reservation_id: str,
    *,
    loader: MewsFactsLoader,
    mews: MewsClient,
    programs: ProgramFile,
    store: Store,
    now: datetime,
) -> UpsellSuggestions:
    """What the stay's guest could add, priced for the first day the stay can use it."""
    stay = await _stay(loader, reservation_id, now)
    assert stay.account_id is not None  # checked by _stay
    member, membership = await _member(loader, programs, stay.account_id)
    program = programs.programs[membership.program_code]
    # A membership the ledger has not opened yet starts from its Mews points.
    available = (
        membership.balance.available
        if membership.balance is not None
        else max(membership.mews_points or 0, 0)
    )
    start = stay.actual_start_utc or stay.scheduled_start_utc
    end = stay.actual_end_utc or stay.scheduled_end_utc
    assert start is not None  # checked by _stay
    assert end is not None
    nights = max(1, (end.date() - start.date()).days)
    products = await _products(mews, stay)
    prices = _prices(products)
    currency = next((p.price.currency for p in products if p.price is not None), program.currency)
    # Priced on the first day the stay can use an item, with the occupancy `recommend_rewards`
    # reads for that day: one item, one price, on one day.
    priced_on = max(now.date(), start.date())
    occupancy = await loader.occupancy(priced_on)
    with store.read() as conn:
        accepted = _accepted_before(conn, member.customer_id)
    upgrade = next((p for p in products if "upgrade" in _name(p.names, "").lower()), None)
    candidates = [
        *await _upgrades(mews, stay, upgrade, prices, nights),
        *_experiences(products, upgrade, prices, nights),
    ]
    spend = [s.spend for s in member.stays]
    items = [
        _item(program, c, occupancy=occupancy, available=available, spend=spend, accepted=accepted)
        for c in candidates
    ]
    items.sort(key=lambda i: (-i.score, i.cash, i.item_id))
    return UpsellSuggestions(
        reservation_id=reservation_id,
        customer_id=member.customer_id,
        membership_id=membership.membership_id,
        currency=currency,
        available_points=available,
        point_value=program.point_value,
        priced_on=priced_on,
        occupancy=occupancy,
        nights=nights,
        items=items,
    )
