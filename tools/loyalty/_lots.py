"""Which lots a debit takes points from: pure planning, no database.

Order (FIFO by expiry): lots available now before pending ones; within each, the soonest expiry
first (never-expiring last), then the oldest lot. Expired lots are never taken: their points
belong to the next expiry sweep.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class OpenLot:
    id: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def is_available(self, now: datetime) -> bool:
        return self.available_at <= now and not self.is_expired(now)

    def is_pending(self, now: datetime) -> bool:
        return self.available_at > now and not self.is_expired(now)


@dataclass(frozen=True, slots=True)
class Take:
    """`points` taken from lot `lot_id` (for debit `debit_id` when settling debts)."""

    lot_id: int
    points: int
    debit_id: int = 0


@dataclass(frozen=True, slots=True)
class DebitPlan:
    takes: tuple[Take, ...]
    uncovered: int


def consumption_order(lots: Iterable[OpenLot], now: datetime) -> list[OpenLot]:
    """Usable (not expired) lots in the order debits consume them."""
    usable = [lot for lot in lots if lot.remaining > 0 and not lot.is_expired(now)]
    return sorted(
        usable,
        key=lambda lot: (
            0 if lot.is_available(now) else 1,
            lot.expires_at or _NEVER,
            lot.available_at,
            lot.id,
        ),
    )


def plan_debit(
    lots: Iterable[OpenLot], amount: int, now: datetime, *, include_pending: bool
) -> DebitPlan:
    """Take `amount` points from the lots in consumption order; report what no lot covers."""
    takes: list[Take] = []
    left = amount
    for lot in consumption_order(lots, now):
        if left == 0:
            break
        if not include_pending and not lot.is_available(now):
            break  # pending lots come after every available one: nothing more to take
        taken = min(lot.remaining, left)
        takes.append(Take(lot.id, taken))
        left -= taken
    return DebitPlan(tuple(takes), left)


def plan_settlement(
    debts: Sequence[tuple[int, int]], lots: Iterable[OpenLot], now: datetime
) -> list[Take]:
    """Cover outstanding shortfalls `(debit_id, owed)`, oldest debt first, from usable lots.

    Pending lots count too: a debt claims new points the moment they exist.
    """
    takes: list[Take] = []
    queue = [[lot.id, lot.remaining] for lot in consumption_order(lots, now)]
    position = 0
    for debit_id, owed in debts:
        while owed > 0 and position < len(queue):
            lot_id, remaining = queue[position]
            taken = min(owed, remaining)
            takes.append(Take(lot_id, taken, debit_id))
            owed -= taken
            queue[position][1] = remaining - taken
            if queue[position][1] == 0:
                position += 1
        if position >= len(queue):
            break
    return takes


def available_and_pending(lots: Iterable[OpenLot], now: datetime) -> tuple[int, int]:
    available = pending = 0
    for lot in lots:
        if lot.is_available(now):
            available += lot.remaining
        elif lot.is_pending(now):
            pending += lot.remaining
    return available, pending
