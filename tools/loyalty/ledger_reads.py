"""Reading the ledger: balances, history, and the batched figures insights and rewards need.

Reads take any connection (`store.read()` or inside a write). Batched functions take up to any
number of membership ids and query them in chunks, never one query per member.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.clock import naive_utc, utc
from storage.store import chunks
from tools.loyalty import _ledger_sql as sql
from tools.loyalty._lots import OpenLot
from tools.loyalty._time import from_db, utc_date
from tools.loyalty.errors import UnknownAccountError
from tools.loyalty.ledger_model import (
    Account,
    Allocation,
    BalanceSummary,
    DatedPoints,
    ExpiringPoints,
    HistoryPage,
    LedgerEntry,
)
from tools.loyalty.ledger_schema import accounts_table, allocations_table, entries_table

__all__ = [
    "Expiring",
    "accrual_events",
    "allocations",
    "available_points",
    "balance",
    "balances",
    "get_account",
    "get_entry",
    "history",
    "last_redemptions",
    "memberships_with_expired_lots",
    "points_expiring",
    "redemptions_on",
    "reversed_under_key",
    "verify_account",
]

_CHUNK: Final = 500
_E = entries_table
_reversal = entries_table.alias("reversal")


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def get_account(
    conn: Connection, membership_id: str, *, for_update: bool = False
) -> Account | None:
    """The account, or None; `for_update` inside a write holding the ledger lock (a row lock
    on PostgreSQL too)."""
    return sql.load_account(conn, membership_id, for_update=for_update)


def get_entry(conn: Connection, membership_id: str, entry_id: int) -> LedgerEntry:
    """One entry of this membership (`UnknownEntryError` otherwise)."""
    return sql.entry_by_id(conn, membership_id, entry_id)


def allocations(conn: Connection, entry_id: int) -> tuple[Allocation, ...]:
    """The lots a debit took its points from."""
    return tuple(
        Allocation(entry_id, lot_id, points)
        for lot_id, points in sql.allocations_of_debit(conn, entry_id)
    )


def balance(conn: Connection, membership_id: str, *, now: datetime) -> BalanceSummary:
    summaries = balances(conn, [membership_id], now=now)
    if membership_id not in summaries:
        raise UnknownAccountError(membership_id)
    return summaries[membership_id]


def available_points(conn: Connection, membership_id: str, *, now: datetime) -> int:
    """The points of this membership that can be spent now (its open, released lots)."""
    lots = sql.open_lots(conn, [membership_id]).get(membership_id, [])
    return sum(lot.remaining for lot in lots if lot.is_available(now))


def balances(
    conn: Connection, membership_ids: Iterable[str], *, now: datetime
) -> dict[str, BalanceSummary]:
    """Balance summaries of the memberships that have an account (others are left out)."""
    result: dict[str, BalanceSummary] = {}
    a = accounts_table
    for chunk in chunks(_unique(membership_ids), _CHUNK):
        rows = conn.execute(
            sa.select(a.c.membership_id, a.c.balance).where(a.c.membership_id.in_(chunk))
        ).all()
        totals = {row.membership_id: int(row.balance) for row in rows}
        lots = sql.open_lots(conn, chunk)
        owed = sql.owed_by(conn, chunk)
        for membership_id, total in totals.items():
            result[membership_id] = _summary(
                membership_id,
                int(total),
                lots.get(membership_id, []),
                owed.get(membership_id, 0),
                now,
            )
    return result


def _summary(
    membership_id: str, total: int, lots: list[OpenLot], owed: int, now: datetime
) -> BalanceSummary:
    available = sum(lot.remaining for lot in lots if lot.is_available(now))
    pending_lots = [lot for lot in lots if lot.is_pending(now)]
    expired = sum(lot.remaining for lot in lots if lot.is_expired(now))
    return BalanceSummary(
        membership_id=membership_id,
        as_of=now,
        total=total,
        available=available,
        pending=sum(lot.remaining for lot in pending_lots),
        pending_release=_by_date((lot.available_at, lot.remaining) for lot in pending_lots),
        expired_awaiting_sweep=expired,
        owed=owed,
        expiring_30_days=_expiring(lots, now, 30),
        expiring_90_days=_expiring(lots, now, 90),
    )


def _expiring(lots: list[OpenLot], now: datetime, days: int) -> ExpiringPoints:
    horizon = now + timedelta(days=days)
    soon = [
        (lot.expires_at, lot.remaining)
        for lot in lots
        if lot.expires_at is not None and now < lot.expires_at <= horizon
    ]
    by_date = _by_date(soon)
    return ExpiringPoints(days, sum(item.points for item in by_date), by_date)


def _by_date(items: Iterable[tuple[datetime, int]]) -> tuple[DatedPoints, ...]:
    grouped: dict[date, int] = defaultdict(int)
    for at, points in items:
        grouped[utc_date(at)] += points
    return tuple(DatedPoints(day, points) for day, points in sorted(grouped.items()))


def history(
    conn: Connection, membership_id: str, *, limit: int = 50, before_sequence: int | None = None
) -> HistoryPage:
    """A page of entries, newest first; `balance_after` is the running balance."""
    if not 1 <= limit <= 500:
        raise ValueError("limit must be between 1 and 500")
    if sql.load_account(conn, membership_id) is None:
        raise UnknownAccountError(membership_id)
    rows = sql.entries_page(conn, membership_id, limit=limit + 1, before_sequence=before_sequence)
    page = rows[:limit]
    more = len(rows) > limit
    return HistoryPage(membership_id, tuple(page), page[-1].sequence if more else None)


def reversed_under_key(conn: Connection, idempotency_key: str) -> bool:
    """Whether the entry posted under `idempotency_key` has since been reversed."""
    entry = sql.entry_by_key(conn, idempotency_key)
    return entry is not None and entry.reversed_by_entry_id is not None


def redemptions_on(
    conn: Connection, reward_id: str, day: date, *, chain_id: str | None = None
) -> int:
    """Redemptions of a catalogue reward posted on a UTC day and not reversed (daily inventory).

    Redemptions count against a reward when their source is `Source("reward", reward_id)`.
    Callers that check inventory before redeeming should also hold
    `reward_inventory_lock_key(reward_id, day)`, or two members could take the last unit.
    """
    start = datetime(day.year, day.month, day.day)
    query = (
        sa.select(sa.func.count())
        .select_from(_E.outerjoin(_reversal, _reversal.c.reverses_entry_id == _E.c.id))
        .where(
            _E.c.kind == "redemption",
            _E.c.source_type == "reward",
            _E.c.source_id == reward_id,
            _E.c.created_at >= start,
            _E.c.created_at < start + timedelta(days=1),
            _reversal.c.id.is_(None),
        )
    )
    if chain_id is not None:
        a = accounts_table
        query = query.where(
            _E.c.membership_id.in_(sa.select(a.c.membership_id).where(a.c.chain_id == chain_id))
        )
    return int(conn.execute(query).scalar_one())


def last_redemptions(conn: Connection, membership_ids: Iterable[str]) -> dict[str, datetime]:
    """When each membership last redeemed (reversed redemptions do not count)."""
    result: dict[str, datetime] = {}
    for chunk in chunks(_unique(membership_ids), _CHUNK):
        rows = conn.execute(
            sa.select(_E.c.membership_id, sa.func.max(_E.c.created_at))
            .select_from(_E.outerjoin(_reversal, _reversal.c.reverses_entry_id == _E.c.id))
            .where(
                _E.c.membership_id.in_(chunk), _E.c.kind == "redemption", _reversal.c.id.is_(None)
            )
            .group_by(_E.c.membership_id)
        ).all()
        result.update({row[0]: from_db(row[1]) for row in rows})
    return result


def accrual_events(
    conn: Connection, membership_ids: Iterable[str], *, since: datetime
) -> dict[str, tuple[DatedPoints, ...]]:
    """Accruals not reversed, posted since `since`, by day: the points that qualify for tiers."""
    result: dict[str, tuple[DatedPoints, ...]] = {}
    for chunk in chunks(_unique(membership_ids), _CHUNK):
        rows = conn.execute(
            sa.select(_E.c.membership_id, _E.c.created_at, _E.c.points)
            .select_from(_E.outerjoin(_reversal, _reversal.c.reverses_entry_id == _E.c.id))
            .where(
                _E.c.membership_id.in_(chunk),
                _E.c.kind == "accrual",
                _E.c.created_at >= naive_utc(since),
                _reversal.c.id.is_(None),
            )
        ).all()
        grouped: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for row in rows:
            grouped[row.membership_id].append((from_db(row.created_at), int(row.points)))
        result.update({member: _by_date(items) for member, items in grouped.items()})
    return result


def memberships_with_expired_lots(
    conn: Connection, *, now: datetime, limit: int = 1000
) -> list[str]:
    """Memberships that `expire_due` has work for (for a batch sweep)."""
    rows = conn.execute(
        sa.select(_E.c.membership_id)
        .where(_E.c.remaining > 0, _E.c.expires_at.is_not(None), _E.c.expires_at <= naive_utc(now))
        .group_by(_E.c.membership_id)
        .order_by(_E.c.membership_id)
        .limit(limit)
    ).all()
    return [row[0] for row in rows]


@dataclass(frozen=True, slots=True)
class Expiring:
    """Points of one membership that expire within a window, and when the first of them do."""

    membership_id: str
    customer_id: str
    points: int
    first_expiry: datetime


def points_expiring(
    conn: Connection, *, program_code: str, after: datetime, until: datetime
) -> list[Expiring]:
    """Memberships of a program with points left in lots expiring in (after, until]."""
    a = accounts_table
    rows = conn.execute(
        sa.select(
            _E.c.membership_id,
            a.c.customer_id,
            sa.func.sum(_E.c.remaining).label("points"),
            sa.func.min(_E.c.expires_at).label("first_expiry"),
        )
        .join(a, a.c.membership_id == _E.c.membership_id)
        .where(
            a.c.program_code == program_code,
            _E.c.remaining > 0,
            _E.c.expires_at > naive_utc(after),
            _E.c.expires_at <= naive_utc(until),
        )
        .group_by(_E.c.membership_id, a.c.customer_id)
        .order_by(_E.c.membership_id)
    ).all()
    return [
        Expiring(row.membership_id, row.customer_id, int(row.points), utc(row.first_expiry))
        for row in rows
    ]


def verify_account(conn: Connection, membership_id: str) -> tuple[str, ...]:
    """Every broken ledger invariant of one account, in words (empty when all hold)."""
    account = sql.load_account(conn, membership_id)
    if account is None:
        return (f"no account for membership {membership_id}",)
    entries = list(
        reversed(sql.entries_page(conn, membership_id, limit=None, before_sequence=None))
    )
    taken_from, taken_by = _allocation_sums(conn, membership_id)
    problems = _check_running_balance(account, entries)
    lots_remaining = owed = 0
    for entry in entries:
        problems.extend(_check_entry(entry, taken_from, taken_by))
        lots_remaining += entry.remaining or 0
        owed += entry.shortfall or 0
    if lots_remaining - owed != account.balance:
        problems.append(
            f"lots hold {lots_remaining} and {owed} is owed, but the balance is {account.balance}"
        )
    return tuple(problems)


def _allocation_sums(conn: Connection, membership_id: str) -> tuple[dict[int, int], dict[int, int]]:
    """Points taken from each lot by debits still in force, and points each debit took."""
    al = allocations_table
    debit = entries_table.alias("debit")
    rows = conn.execute(
        sa.select(
            al.c.lot_entry_id, al.c.debit_entry_id, al.c.points, _reversal.c.id.label("undone")
        )
        .select_from(
            al.join(debit, debit.c.id == al.c.debit_entry_id).outerjoin(
                _reversal, _reversal.c.reverses_entry_id == debit.c.id
            )
        )
        .where(debit.c.membership_id == membership_id)
    ).all()
    taken_from: dict[int, int] = defaultdict(int)
    taken_by: dict[int, int] = defaultdict(int)
    for row in rows:
        taken_by[row.debit_entry_id] += row.points
        if row.undone is None:
            taken_from[row.lot_entry_id] += row.points
    return taken_from, taken_by


def _check_running_balance(account: Account, entries: Sequence[LedgerEntry]) -> list[str]:
    problems: list[str] = []
    running = 0
    for expected_sequence, entry in enumerate(entries, start=1):
        running += entry.points
        if entry.sequence != expected_sequence:
            problems.append(
                f"entry {entry.id} has sequence {entry.sequence}, not {expected_sequence}"
            )
        if entry.balance_after != running:
            problems.append(
                f"entry {entry.id} says balance {entry.balance_after}, sum is {running}"
            )
    if running != account.balance:
        problems.append(
            f"cached balance {account.balance} differs from the sum of entries {running}"
        )
    if account.version != len(entries):
        problems.append(f"account version {account.version} but {len(entries)} entries")
    return problems


def _check_entry(
    entry: LedgerEntry, taken_from: dict[int, int], taken_by: dict[int, int]
) -> list[str]:
    problems: list[str] = []
    if entry.remaining is not None:
        expected = entry.points - taken_from.get(entry.id, 0)
        if entry.remaining != expected:
            problems.append(
                f"lot {entry.id} has {entry.remaining} left, allocations say {expected}"
            )
        if not 0 <= entry.remaining <= entry.points:
            problems.append(f"lot {entry.id} has {entry.remaining} left of {entry.points}")
    if entry.shortfall is not None:
        if entry.shortfall < 0:
            problems.append(f"debit {entry.id} has a negative shortfall {entry.shortfall}")
        if entry.reversed_by_entry_id is None:
            covered = taken_by.get(entry.id, 0) + entry.shortfall
            if covered != -entry.points:
                problems.append(f"debit {entry.id} of {-entry.points} is covered by {covered}")
        elif entry.shortfall:
            problems.append(f"reversed debit {entry.id} still owes {entry.shortfall}")
    return problems
