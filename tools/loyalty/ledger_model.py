"""Values the ledger hands out: accounts, entries, balances, history pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, get_args

__all__ = [
    "ENTRY_KINDS",
    "SOURCE_TYPES",
    "Account",
    "Allocation",
    "BalanceSummary",
    "DatedPoints",
    "EntryKind",
    "ExpiringPoints",
    "HistoryPage",
    "LedgerEntry",
    "PostableKind",
    "Source",
    "SourceType",
]

EntryKind = Literal["opening_balance", "accrual", "redemption", "adjustment", "reversal", "expiry"]
ENTRY_KINDS: Final[tuple[EntryKind, ...]] = get_args(EntryKind)
PostableKind = Literal["accrual", "redemption", "adjustment"]
"""Kinds `post_entry` takes; the others have their own function (ensure_account, reverse_entry,
expire_due) because their points follow from ledger state, not from the caller."""

SourceType = Literal["reservation", "reward", "approval", "manual", "reconcile", "system", "mews"]
SOURCE_TYPES: Final[tuple[SourceType, ...]] = get_args(SourceType)
"""`mews`: a change of `Points` made in Mews outside this ledger, found before a push
(`tools.loyalty.compare`)."""


@dataclass(frozen=True, slots=True)
class Source:
    """What an entry comes from: a reservation, a reward (its catalogue id), an approval, ..."""

    type: SourceType
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """The ledger's row for one Mews loyalty membership; writes to it are serialized."""

    membership_id: str
    chain_id: str
    program_id: str
    program_code: str
    customer_id: str
    balance: int
    version: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One posted movement of points.

    Lots (opening balance, accrual, positive adjustment) carry `remaining` and `expires_at`;
    debits (redemption, negative adjustment, expiry, the reversal of a lot) carry `shortfall`, the
    part not covered by any lot (only ever non-zero when the call allowed a negative balance).
    """

    id: int
    membership_id: str
    sequence: int
    kind: EntryKind
    points: int
    balance_after: int
    reason: str
    actor: str
    source: Source
    idempotency_key: str
    created_at: datetime
    pending_until: datetime | None
    expires_at: datetime | None
    remaining: int | None
    shortfall: int | None
    reverses_entry_id: int | None
    reversed_by_entry_id: int | None

    @property
    def available_at(self) -> datetime:
        """When the points of a lot can be spent (at once unless a pending period applies)."""
        return self.pending_until or self.created_at

    @property
    def is_lot(self) -> bool:
        return self.remaining is not None


@dataclass(frozen=True, slots=True)
class Allocation:
    """Points a debit took from a lot (restored exactly if the debit is reversed)."""

    debit_entry_id: int
    lot_entry_id: int
    points: int


@dataclass(frozen=True, slots=True)
class DatedPoints:
    on: date
    points: int


@dataclass(frozen=True, slots=True)
class ExpiringPoints:
    within_days: int
    points: int
    by_date: tuple[DatedPoints, ...]


@dataclass(frozen=True, slots=True)
class BalanceSummary:
    """A membership's points at one instant.

    `total` is the sum of all entries (what Mews shows). It splits into `available` (spendable
    now), `pending` (stay points not yet released), `expired_awaiting_sweep` (past expiry, removed
    by the next `expire_due`), minus `owed` (debits no lot covered; only after an explicit
    allow-negative call).
    """

    membership_id: str
    as_of: datetime
    total: int
    available: int
    pending: int
    pending_release: tuple[DatedPoints, ...]
    expired_awaiting_sweep: int
    owed: int
    expiring_30_days: ExpiringPoints
    expiring_90_days: ExpiringPoints


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Entries newest first, each with the balance after it; page on with `before_sequence`."""

    membership_id: str
    entries: tuple[LedgerEntry, ...]
    next_before_sequence: int | None
