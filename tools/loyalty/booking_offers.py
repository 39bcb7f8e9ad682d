"""Booking-time low-demand bonus offers: "stay between ... and ... and earn x1.5".

    plans = await plan_booking_offers(loader, reservations)     # batched reads, no writes

A reservation booked (Mews `Confirmed`) for nights the hotel expects to be quiet gets an offer
attached when it is booked, and the bonus posts when the stay checks out (`tools.automation.
reactions`, `award_booking_bonus`). Quiet is the program file's `[programs.CODE.
low_demand_offer]`: the forecast occupancy of each booked night (`MewsFactsLoader.occupancy`:
the reservations on the books for that night, in the hotel's time zone) averaged over the
stay, below `occupancy_below`, for a stay arriving within `horizon_days`. The guest must hold
an active membership in a configured program that makes such offers (the primary one, as for
stay points). The offer keeps its inputs (nights, each night's occupancy, the mean, the
threshold, the time zone) and its reasoning in words.

What the guard is told and runs (`attach_booking_offer`, `award_booking_bonus`) is in
`tools.actions.booking_offers`.

A quiet room type is a second rule ("low-demand dates or room types"): with
`room_type_occupancy_below` set, a stay whose booked room type (`RequestedResourceCategoryId`)
is forecast below it over the booked nights gets the offer even when the hotel as a whole is
not quiet (`MewsFactsLoader.night_demand`, the same reads). The offer says which rule applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import UPCOMING_STATES, MembershipFacts, StayFacts
from tools.loyalty.mews_facts import MewsFactsLoader, NightDemand
from tools.loyalty.stays import (
    PlannedAccrual,
    PlannedBonus,
    Skipped,
    earning_membership,
    stay_nights,
)
from tools.loyalty.valuation import BonusProposal
from tools.mews.models import Reservation

__all__ = [
    "OfferQuote",
    "PlannedOffer",
    "RoomTypeDemand",
    "booking_bonus",
    "booking_offer_key",
    "plan_booking_offers",
    "quote_booking_offer",
]


def booking_offer_key(reservation_id: str) -> str:
    """The guard's idempotency key of a reservation's offer: one per reservation."""
    return f"booking-offer:{reservation_id}"


@dataclass(frozen=True, slots=True)
class RoomTypeDemand:
    """The booked room type's forecast occupancy, one share per booked night."""

    category_id: str
    name: str
    occupancy: tuple[Decimal, ...]

    @property
    def mean(self) -> Decimal:
        return _mean(self.occupancy)


@dataclass(frozen=True, slots=True)
class OfferQuote:
    """Whether a stay's booked nights are quiet enough for the offer, and why."""

    eligible: bool
    multiplier: Decimal
    nights: tuple[date, ...]
    occupancy: tuple[Decimal, ...]
    mean: Decimal
    threshold: Decimal
    time_zone: str
    reasoning: str
    rule: Literal["dates", "room_type"] | None = None
    """Which rule made the offer: quiet dates (`occupancy_below`) or a quiet room type."""
    room_type: RoomTypeDemand | None = None
    room_type_threshold: Decimal | None = None


def _mean(shares: Sequence[Decimal]) -> Decimal:
    mean = sum(shares, Decimal(0)) / len(shares) if shares else Decimal(0)
    return mean.quantize(Decimal("0.0001"))


def quote_booking_offer(
    program: ProgramConfig,
    *,
    arrival: datetime,
    nights: Sequence[date],
    occupancy: Sequence[Decimal],
    zone: tzinfo,
    now: datetime,
    room_type: RoomTypeDemand | None = None,
) -> OfferQuote:
    """The offer for a stay on these nights with this forecast occupancy (one share per night,
    the hotel's; `room_type`'s for the room type booked)."""
    rule = program.low_demand_offer
    shares = tuple(occupancy)
    mean = _mean(shares)
    threshold = Decimal(0) if rule is None else rule.occupancy_below
    multiplier = Decimal(1) if rule is None else rule.multiplier
    room_threshold = None if rule is None else rule.room_type_occupancy_below
    if room_threshold is None or room_type is None or not room_type.occupancy:
        room_type = None
    applied, reasoning = _judge(program, arrival, nights, shares, mean, zone, now, room_type)
    return OfferQuote(
        eligible=applied is not None,
        multiplier=multiplier,
        nights=tuple(nights),
        occupancy=shares,
        mean=mean,
        threshold=threshold,
        time_zone=str(zone),
        reasoning=reasoning,
        rule=applied,
        room_type=room_type,
        room_type_threshold=None if room_type is None else room_threshold,
    )


def _shown(nights: Sequence[date], shares: Sequence[Decimal]) -> str:
    shown = ", ".join(f"{n:%d %b} {s:.0%}" for n, s in zip(nights[:7], shares[:7], strict=True))
    return shown + (f" and {len(nights) - 7} more" if len(nights) > 7 else "")


def _judge(
    program: ProgramConfig,
    arrival: datetime,
    nights: Sequence[date],
    shares: Sequence[Decimal],
    mean: Decimal,
    zone: tzinfo,
    now: datetime,
    room_type: RoomTypeDemand | None,
) -> tuple[Literal["dates", "room_type"] | None, str]:
    rule = program.low_demand_offer
    if rule is None:
        return None, f"{program.code} makes no booking offers"
    if not nights or arrival <= now:
        return None, "the stay has begun: offers are made at booking"
    if arrival - now > timedelta(days=rule.horizon_days):
        return None, (
            f"arrives more than {rule.horizon_days} days ahead (low_demand_offer.horizon_days)"
        )
    first, last = nights[0], nights[-1] + timedelta(days=1)
    offer = (
        f"stay between {first:%d %b %Y} and {last:%d %b %Y} and earn "
        f"x{rule.multiplier.normalize():f} points"
    )
    forecast = (
        f"forecast occupancy of the booked nights ({_shown(nights, shares)}, {zone}): "
        f"mean {mean:.0%}"
    )
    threshold = rule.occupancy_below
    if mean < threshold:
        return (
            "dates",
            f"{offer}: {forecast}, below {threshold:.0%} (low_demand_offer.occupancy_below)",
        )
    busy = f"{forecast}, not below {threshold:.0%} (low_demand_offer.occupancy_below)"
    if room_type is None or rule.room_type_occupancy_below is None:
        return None, busy
    room_threshold = rule.room_type_occupancy_below
    room = (
        f"forecast occupancy of the booked room type, {room_type.name}, on those nights "
        f"({_shown(nights, room_type.occupancy)}): mean {room_type.mean:.0%}"
    )
    if room_type.mean < room_threshold:
        return "room_type", (
            f"{offer}: {room}, below {room_threshold:.0%} "
            f"(low_demand_offer.room_type_occupancy_below); the hotel's {busy}"
        )
    return None, (
        f"{busy}; {room}, not below {room_threshold:.0%} "
        "(low_demand_offer.room_type_occupancy_below)"
    )


@dataclass(frozen=True, slots=True)
class PlannedOffer:
    """An offer to attach to a booked reservation."""

    stay: StayFacts
    membership: MembershipFacts
    quote: OfferQuote

    @property
    def reservation_id(self) -> str:
        return self.stay.reservation_id


async def plan_booking_offers(
    loader: MewsFactsLoader, reservations: Sequence[Reservation]
) -> list[PlannedOffer | Skipped]:
    """An offer or the reason for none, per booked reservation (in the order given).

    Batched reads: the stays (no order items: nothing is spent yet), the guests' memberships,
    each hotel's time zone once, and the occupancy once per (night, hotel)."""
    booked = [r for r in reservations if str(r.state) in UPCOMING_STATES]
    if not booked:
        return []
    stays = {s.reservation_id: s for s in await loader.stays(booked, with_spend=False)}
    customers = sorted({s.customer_id for s in stays.values()})
    members = await loader.members(customers, with_stays=False, with_spend=False)
    now = loader.clock.now()
    forecast: dict[tuple[date, str], NightDemand] = {}
    plans: list[PlannedOffer | Skipped] = []
    for reservation in booked:
        stay = stays.get(reservation.id)
        if stay is None:
            plans.append(Skipped(reservation.id, "no offer: no customer reservation in Mews"))
            continue
        membership = earning_membership(loader.programs, members.get(stay.customer_id))
        if membership is None:
            why = f"no offer: guest {stay.customer_id} has no active membership in a program"
            plans.append(Skipped(stay.reservation_id, why))
            continue
        program = loader.programs.program(membership.program_code)
        if program.low_demand_offer is None:
            plans.append(Skipped(stay.reservation_id, f"no offer: {program.code} makes none"))
            continue
        zone, nights, demand = await stay_nights(loader, stay, loader.night_demand, forecast)
        quote = quote_booking_offer(
            program,
            arrival=stay.arrival,
            nights=nights,
            occupancy=[d.hotel for d in demand],
            zone=zone,
            now=now,
            room_type=await _room_type(loader, program, reservation, demand),
        )
        if not quote.eligible:
            plans.append(Skipped(stay.reservation_id, f"no offer: {quote.reasoning}"))
            continue
        plans.append(PlannedOffer(stay, membership, quote))
    return plans


async def _room_type(
    loader: MewsFactsLoader,
    program: ProgramConfig,
    reservation: Reservation,
    demand: Sequence[NightDemand],
) -> RoomTypeDemand | None:
    """The booked room type's demand on the stay's nights, when the program has the rule."""
    category = reservation.requested_resource_category_id
    rule = program.low_demand_offer
    if not category or rule is None or rule.room_type_occupancy_below is None:
        return None
    name = (await loader.room_types()).get(category, category)
    shares = tuple(d.by_room_type.get(category, Decimal(0)) for d in demand)
    return RoomTypeDemand(category, name, shares)


def booking_bonus(
    accrual: PlannedAccrual, multiplier: Decimal, reasoning: str
) -> PlannedBonus | Skipped:
    """What an attached offer gives a checked-out stay: its tier-adjusted points x(multiplier -
    1) on top, as an `award_booking_bonus` plan."""
    base = accrual.quote.points
    bonus = int((Decimal(base) * (multiplier - 1)).to_integral_value(rounding=ROUND_FLOOR))
    if bonus <= 0:
        return Skipped(accrual.reservation_id, f"no booking bonus: x{multiplier} of {base} points")
    proposal = BonusProposal(
        base_points=base,
        multiplier=multiplier,
        unclamped_multiplier=multiplier,
        clamped=False,
        proposed_points=base + bonus,
        bonus_points=bonus,
        variance=(Decimal(bonus) / Decimal(base)).quantize(Decimal("0.0001")),
        inputs={"offer_multiplier": multiplier, "stay_points": base},
        reasoning=f"the offer made at booking: {reasoning}",
    )
    return PlannedBonus(accrual, proposal, offer=True)
