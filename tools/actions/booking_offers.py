"""Booking-time low-demand offers as a guarded write: `attach_booking_offer`.

    guard = Guard(store, policy, [..., attach_booking_offer_spec()])
    offers = attached_offers(store, reservation_ids)          # at checkout

The webhook worker plans an offer for a reservation booked on quiet nights
(`tools.loyalty.booking_offers`) and submits it as `automation` under
`booking-offer:{reservation id}`: the policy decides (kind `offer`; in `recommend` mode a
manager approves it first) and audits it, and the executor stores one `booking_offers` row with
the offer's inputs (nights, each night's forecast occupancy, mean, threshold, time zone, the
rule that applied, and the booked room type's own figures when that rule is on) and its
reasoning, in the decision's transaction. Nothing is sent to the guest. At checkout the
bonus it promised is posted as `award_booking_bonus` (`tools.actions.ledger_sync`). Like the
stay writes it needs no Mews client, so every guard registers it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Transactional
from policies.errors import InvalidRequestError
from storage.canonical import JSONObject
from storage.clock import naive_utc
from storage.store import Store, chunks
from tools.actions.tables import booking_offers_table
from tools.loyalty.booking_offers import PlannedOffer
from tools.loyalty.stays import GuardArgs

__all__ = [
    "ATTACH_BOOKING_OFFER",
    "AttachOfferArgs",
    "AttachedOffer",
    "attach_booking_offer_spec",
    "attached_offers",
    "offer_args",
]

ATTACH_BOOKING_OFFER: Final = "attach_booking_offer"


class AttachOfferArgs(GuardArgs):
    """An offer as the worker planned it: the stay, the multiplier, and why."""

    reservation_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    membership_id: str = Field(min_length=1, max_length=64)
    program_id: str = Field(min_length=1, max_length=64)
    program_code: str = Field(min_length=1, max_length=50)
    multiplier: str = Field(min_length=1, max_length=16)
    stay_from: str = Field(min_length=10, max_length=10, description="first night, ISO date")
    stay_to: str = Field(min_length=10, max_length=10, description="departure day, ISO date")
    nights: list[str] = Field(min_length=1, max_length=400)
    occupancy: list[str] = Field(min_length=1, max_length=400)
    mean_occupancy: str = Field(min_length=1, max_length=16)
    threshold: str = Field(min_length=1, max_length=16)
    time_zone: str = Field(min_length=1, max_length=64)
    reasoning: str = Field(min_length=1, max_length=2000)
    rule: Literal["dates", "room_type"] = "dates"
    room_type_id: str | None = Field(default=None, min_length=1, max_length=64)
    room_type: str | None = Field(default=None, min_length=1, max_length=200)
    room_type_occupancy: list[str] = Field(default_factory=list, max_length=400)
    room_type_mean_occupancy: str | None = Field(default=None, min_length=1, max_length=16)
    room_type_threshold: str | None = Field(default=None, min_length=1, max_length=16)

    @classmethod
    def parse(cls, args: JSONObject) -> AttachOfferArgs:
        parsed: AttachOfferArgs = super().parse(args)
        try:
            date.fromisoformat(parsed.stay_from)
            date.fromisoformat(parsed.stay_to)
            multiplier = Decimal(parsed.multiplier)
        except (ValueError, ArithmeticError) as exc:
            raise InvalidRequestError(f"not a date or decimal: {exc}") from None
        if not multiplier.is_finite() or multiplier <= 1:
            raise InvalidRequestError(f"multiplier: must be above 1, not {parsed.multiplier}")
        return parsed


def offer_args(plan: PlannedOffer) -> JSONObject:
    """The guard's arguments of a planned offer."""
    q = plan.quote
    last = q.nights[-1]
    return AttachOfferArgs(
        reservation_id=plan.reservation_id,
        customer_id=plan.stay.customer_id,
        membership_id=plan.membership.membership_id,
        program_id=plan.membership.program_id,
        program_code=plan.membership.program_code,
        multiplier=str(q.multiplier),
        stay_from=q.nights[0].isoformat(),
        stay_to=date.fromordinal(last.toordinal() + 1).isoformat(),
        nights=[n.isoformat() for n in q.nights],
        occupancy=[str(s) for s in q.occupancy],
        mean_occupancy=str(q.mean),
        threshold=str(q.threshold),
        time_zone=q.time_zone,
        reasoning=q.reasoning[:2000],
        rule=q.rule or "dates",
        room_type_id=None if q.room_type is None else q.room_type.category_id,
        room_type=None if q.room_type is None else q.room_type.name[:200],
        room_type_occupancy=[] if q.room_type is None else [str(s) for s in q.room_type.occupancy],
        room_type_mean_occupancy=None if q.room_type is None else str(q.room_type.mean),
        room_type_threshold=None if q.room_type_threshold is None else str(q.room_type_threshold),
    ).model_dump()


@dataclass(frozen=True, slots=True)
class AttachedOffer:
    reservation_id: str
    membership_id: str
    multiplier: Decimal
    reasoning: str
    inputs: JSONObject


def attached_offers(store: Store, reservation_ids: Sequence[str]) -> dict[str, AttachedOffer]:
    """The offers attached to these reservations, by reservation id."""
    t = booking_offers_table
    found: dict[str, AttachedOffer] = {}
    with store.read() as conn:
        for chunk in chunks(list(dict.fromkeys(reservation_ids)), 500):
            for row in conn.execute(sa.select(t).where(t.c.reservation_id.in_(chunk))):
                found[row.reservation_id] = AttachedOffer(
                    reservation_id=row.reservation_id,
                    membership_id=row.membership_id,
                    multiplier=Decimal(row.multiplier),
                    reasoning=row.reasoning,
                    inputs=json.loads(row.inputs),
                )
    return found


async def _describe(args: JSONObject) -> Facts:
    a = AttachOfferArgs.parse(args)
    return Facts(
        customer_id=a.customer_id,
        membership_id=a.membership_id,
        program_id=a.program_id,
        note=f"attached a booking offer to reservation {a.reservation_id}: x{a.multiplier} "
        f"{a.program_code} points for a stay {a.stay_from} to {a.stay_to}; nothing was sent",
    )


def _attach(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
    a = AttachOfferArgs.parse(args)
    t = booking_offers_table
    inputs: JSONObject = {
        "nights": list(a.nights),
        "occupancy": list(a.occupancy),
        "mean_occupancy": a.mean_occupancy,
        "threshold": a.threshold,
        "time_zone": a.time_zone,
        "rule": a.rule,
    }
    if a.room_type_id is not None:
        inputs |= {
            "room_type_id": a.room_type_id,
            "room_type": a.room_type,
            "room_type_occupancy": list(a.room_type_occupancy),
            "room_type_mean_occupancy": a.room_type_mean_occupancy,
            "room_type_threshold": a.room_type_threshold,
        }
    exists = conn.execute(
        sa.select(t.c.reservation_id).where(t.c.reservation_id == a.reservation_id)
    ).first()
    if exists is None:
        conn.execute(
            t.insert().values(
                reservation_id=a.reservation_id,
                customer_id=a.customer_id,
                membership_id=a.membership_id,
                program_code=a.program_code,
                multiplier=a.multiplier,
                stay_from=date.fromisoformat(a.stay_from),
                stay_to=date.fromisoformat(a.stay_to),
                inputs=json.dumps(inputs, sort_keys=True),
                reasoning=a.reasoning,
                attached_by=ctx.actor,
                created_at=naive_utc(ctx.now),
            )
        )
    return {
        "reservation_id": a.reservation_id,
        "multiplier": a.multiplier,
        "inputs": inputs,
        "reasoning": a.reasoning,
    }


def attach_booking_offer_spec() -> ActionSpec:
    return ActionSpec(ATTACH_BOOKING_OFFER, "offer", Transactional(_attach), _describe)
