"""Helpers the seed modules share: a deterministic builder of guests, stays and memberships."""

from __future__ import annotations

import random
import uuid

from tools.sandbox.clock import DAY, format_ts
from tools.sandbox.factory import checkin_at, make_reservation
from tools.sandbox.seed_docs import DOCS
from tools.sandbox.state import Customer, LoyaltyMembership, Reservation, State
from tools.sandbox.world import CHAIN_ID

__all__ = ["TIER_IDS", "Builder", "seed_key"]

TIER_IDS = {
    "B": DOCS.TIER_BRONZE,
    "S": DOCS.TIER_SILVER,
    "G": DOCS.TIER_GOLD,
    "P": DOCS.TIER_PLATINUM,
}


def seed_key(seed: int) -> int:
    """The key of the seed's derived ids (`tools.sandbox.ids.derived_id`)."""
    return random.Random(f"sandbox-key-{seed}").getrandbits(62) | 1


class Builder:
    """Adds records to a `State` in a fixed order, drawing from one seeded random source."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.world = state.world
        self.rng = random.Random(state.params.seed)
        self.now = state.params.now
        self.today = self.now - self.now % DAY
        self.customer_number = 200000
        self.membership_number = 1000000

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def number(self) -> str:
        self.customer_number += 1
        return str(self.customer_number)

    def person(
        self,
        customer_id: str,
        first: str,
        last: str,
        email: str | None,
        *,
        days_ago: int,
        **kw: object,
    ) -> Customer:
        """A customer profile created `days_ago` days before now."""
        created = self.now - days_ago * DAY
        customer = Customer(
            id=customer_id,
            number=self.number(),
            last_name=last,
            first_name=first,
            email=email,
            created=created,
            updated=created,
            **kw,  # type: ignore[arg-type]
        )
        self.state.customers.add(customer.id, customer)
        return customer

    def stay(
        self,
        account_id: str,
        enterprise_id: str,
        day_offset: int,
        nights: int,
        *,
        flags: int = 0,
        reservation_id: str | None = None,
        lead_days: int = 21,
        purpose: str = "Leisure",
        category: str = "standard",
        adults: int = 1,
        canceled: bool = False,
    ) -> Reservation:
        """A stay starting `day_offset` days from today; its state follows from the dates."""
        day = self.today + day_offset * DAY
        created = min(day - lead_days * DAY, self.now - 3600)
        start = checkin_at(self.world, enterprise_id, day, 15)
        end = checkin_at(self.world, enterprise_id, day + nights * DAY, 11)
        state = (
            "Canceled"
            if canceled
            else "Processed"
            if end <= self.now
            else "Started"
            if start <= self.now
            else "Confirmed"
        )
        reservation = make_reservation(
            self.world,
            reservation_id or self.uid(),
            enterprise_id=enterprise_id,
            account_id=account_id,
            day=day,
            nights=nights,
            state=state,
            created=created,
            now=self.now,
            category=category,
            flags=flags,
            adults=adults,
            purpose=purpose,
            room=self.rng.randrange(64),
        )
        self.state.reservations.add(reservation.id, reservation)
        return reservation

    def member(
        self,
        membership_id: str,
        customer_id: str,
        tier: str | None,
        points: int,
        *,
        created: int,
        state: str = "Enrolled",
        program: str = DOCS.PROGRAM_PC01,
        primary: bool = True,
        expiry_days: int | None = 365,
    ) -> None:
        """A membership; its number, provider id and last update are drawn from the seed."""
        self.membership_number += 1
        prefix = "PC" if program == DOCS.PROGRAM_PC01 else "GEC"
        provider = f"PRV-{self.rng.getrandbits(32):08X}"
        expiry = None if expiry_days is None else format_ts(self.today + expiry_days * DAY)
        updated = min(self.now, max(created, self.now - self.rng.randrange(1, 90) * DAY))
        membership = LoyaltyMembership(
            id=membership_id,
            chain_id=CHAIN_ID,
            account_id=customer_id,
            program_id=program,
            state=state,
            is_primary=primary,
            points=points,
            membership_number=f"{prefix}-{self.membership_number}",
            provider_membership_id=provider,
            expiration_date=expiry,
            url=f"https://rewards.example.com/member/{provider}",
            tier_id=TIER_IDS[tier] if tier else None,
            created=created,
            updated=updated,
        )
        self.state.memberships.add(membership_id, membership)
