"""SQL shared by the ledger's writes and reads (rows in, value objects out)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.rows import by_name, from_row
from tools.loyalty._lots import OpenLot, Take
from tools.loyalty._time import from_db, optional_from_db
from tools.loyalty.errors import UnknownAccountError, UnknownEntryError
from tools.loyalty.ledger_model import Account, LedgerEntry, Source, SourceType
from tools.loyalty.ledger_schema import (
    accounts_table,
    allocations_table,
    entries_table,
    mews_points_table,
)

_A = accounts_table
_E = entries_table
_L = allocations_table
_M = mews_points_table
_reversal = entries_table.alias("reversal")


def row_to_account(row: Any) -> Account:
    return from_row(Account, row, created_at=from_db(row.created_at))


def load_account(
    conn: Connection, membership_id: str, *, for_update: bool = False
) -> Account | None:
    query = sa.select(_A).where(_A.c.membership_id == membership_id)
    if for_update:  # a row lock on PostgreSQL as well as the caller's advisory lock
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else row_to_account(row)


def _mews_record(column: sa.Column[Any]) -> sa.ScalarSelect[Any]:
    return sa.select(column).where(_M.c.membership_id == sa.bindparam("m")).scalar_subquery()


_MOVE = (
    _A.update()
    .where(_A.c.membership_id == sa.bindparam("m"))
    .values(
        balance=_A.c.balance + sa.bindparam("points", type_=sa.BigInteger),
        version=_A.c.version + 1,
        updated_at=sa.bindparam("at", type_=_A.c.updated_at.type),
    )
    .returning(
        *_A.c,
        _mews_record(_M.c.points).label("mews_points"),
        _mews_record(_M.c.version).label("mews_version"),
    )
)
"""`move_account` (built once: no statement to build and key for the cache per award)."""


def move_account(
    conn: Connection, membership_id: str, points: int, at: datetime
) -> tuple[Account, tuple[int, int] | None] | None:
    """Add `points` to the account's balance and step its version, in one statement that
    answers the account as it is now (it locks the row: PostgreSQL's row lock, SQLite's
    write transaction) with the `Points` and ledger version last recorded as held by Mews
    (`loyalty_mews_points`, None without a record); None when the membership has no account."""
    row = conn.execute(_MOVE, {"m": membership_id, "points": points, "at": at}).first()
    if row is None:
        return None
    if row.mews_points is None or row.mews_version is None:
        return row_to_account(row), None
    return row_to_account(row), (int(row.mews_points), int(row.mews_version))


def unmove_account(conn: Connection, moved: Account, points: int) -> None:
    """Undo `move_account` inside the same transaction (the entry was not written)."""
    conn.execute(
        _A.update()
        .where(_A.c.membership_id == moved.membership_id, _A.c.version == moved.version)
        .values(balance=_A.c.balance - points, version=_A.c.version - 1)
    )


def require_account(conn: Connection, membership_id: str, *, for_update: bool = False) -> Account:
    account = load_account(conn, membership_id, for_update=for_update)
    if account is None:
        raise UnknownAccountError(membership_id)
    return account


def _entry_query() -> sa.Select[Any]:
    return sa.select(_E, _reversal.c.id.label("reversed_by_entry_id")).select_from(
        _E.outerjoin(_reversal, _reversal.c.reverses_entry_id == _E.c.id)
    )


def row_to_entry(row: Any) -> LedgerEntry:
    return entry_from_columns(row._mapping)


def entry_from_columns(columns: Mapping[str, Any]) -> LedgerEntry:
    """An entry from its columns by name: a row read (`_entry_query`), or the values just
    inserted with the entry's `id` and `reversed_by_entry_id`."""
    return by_name(
        LedgerEntry,
        columns,
        source=Source(cast(SourceType, columns["source_type"]), columns["source_id"]),
        created_at=from_db(columns["created_at"]),
        pending_until=optional_from_db(columns["pending_until"]),
        expires_at=optional_from_db(columns["expires_at"]),
    )


def entry_by_key(conn: Connection, idempotency_key: str) -> LedgerEntry | None:
    row = conn.execute(_entry_query().where(_E.c.idempotency_key == idempotency_key)).first()
    return None if row is None else row_to_entry(row)


def entry_by_id(conn: Connection, membership_id: str, entry_id: int) -> LedgerEntry:
    row = conn.execute(
        _entry_query().where(_E.c.id == entry_id, _E.c.membership_id == membership_id)
    ).first()
    if row is None:
        raise UnknownEntryError(membership_id, entry_id)
    return row_to_entry(row)


def entries_page(
    conn: Connection, membership_id: str, *, limit: int | None, before_sequence: int | None
) -> list[LedgerEntry]:
    """Entries newest first (all of them with `limit=None`)."""
    query = _entry_query().where(_E.c.membership_id == membership_id)
    if before_sequence is not None:
        query = query.where(_E.c.sequence < before_sequence)
    query = query.order_by(_E.c.sequence.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    return [row_to_entry(row) for row in rows]


def row_to_lot(row: Any) -> OpenLot:
    created = from_db(row.created_at)
    return OpenLot(
        id=int(row.id),
        remaining=int(row.remaining),
        available_at=optional_from_db(row.pending_until) or created,
        expires_at=optional_from_db(row.expires_at),
    )


def open_lots(conn: Connection, membership_ids: Sequence[str]) -> dict[str, list[OpenLot]]:
    """Lots with points left, by membership."""
    rows = conn.execute(
        sa.select(
            _E.c.id,
            _E.c.membership_id,
            _E.c.remaining,
            _E.c.created_at,
            _E.c.pending_until,
            _E.c.expires_at,
        ).where(_E.c.membership_id.in_(list(membership_ids)), _E.c.remaining > 0)
    ).all()
    lots: dict[str, list[OpenLot]] = {}
    for row in rows:
        lots.setdefault(row.membership_id, []).append(row_to_lot(row))
    return lots


_LOT_COLUMNS = (
    _E.c.id,
    _E.c.sequence,
    _E.c.remaining,
    _E.c.shortfall,
    _E.c.created_at,
    _E.c.pending_until,
    _E.c.expires_at,
)
_MINE = (
    _E.c.membership_id == sa.bindparam("m"),
    sa.or_(_E.c.remaining > 0, _E.c.shortfall > 0),
)
_LOTS_AND_DEBTS = sa.select(*_LOT_COLUMNS).where(*_MINE)
_UNTIL = sa.bindparam("until", type_=_E.c.expires_at.type)
_EXTENDING_LOTS_AND_DEBTS = (
    _E.update()
    .where(*_MINE)
    .values(
        expires_at=sa.case(
            (
                sa.and_(
                    _E.c.remaining > 0,
                    _E.c.expires_at.is_not(None),
                    _E.c.expires_at > sa.bindparam("now", type_=_E.c.expires_at.type),
                    _E.c.expires_at < _UNTIL,
                ),
                _UNTIL,
            ),
            else_=_E.c.expires_at,
        )
    )
    .returning(*_LOT_COLUMNS)
)


def lots_and_debts(
    conn: Connection,
    membership_id: str,
    *,
    extend_to: tuple[datetime, datetime] | None = None,
) -> tuple[list[OpenLot], list[tuple[int, int]]]:
    """`open_lots` and `outstanding_debts` of one membership in one statement.

    `extend_to=(now, until)`: the same statement first moves to `until` the expiry of every
    lot with points left that would expire after `now` but sooner than `until` (activity
    resets the clock; expired lots stay expired), answering the lots as they are then."""
    if extend_to is None:
        rows = conn.execute(_LOTS_AND_DEBTS, {"m": membership_id}).all()
    else:
        now, until = extend_to
        params = {"m": membership_id, "now": now, "until": until}
        rows = conn.execute(_EXTENDING_LOTS_AND_DEBTS, params).all()
    lots = [row_to_lot(row) for row in rows if row.remaining is not None and row.remaining > 0]
    debts = sorted(
        (int(row.sequence), int(row.id), int(row.shortfall))
        for row in rows
        if row.shortfall is not None and row.shortfall > 0
    )
    return lots, [(debit_id, owed) for _, debit_id, owed in debts]


def outstanding_debts(conn: Connection, membership_id: str) -> list[tuple[int, int]]:
    """`(debit_id, owed)` of debits not fully covered, oldest first."""
    rows = conn.execute(
        sa.select(_E.c.id, _E.c.shortfall)
        .where(_E.c.membership_id == membership_id, _E.c.shortfall > 0)
        .order_by(_E.c.sequence)
    ).all()
    return [(int(row.id), int(row.shortfall)) for row in rows]


def owed_by(conn: Connection, membership_ids: Sequence[str]) -> dict[str, int]:
    rows = conn.execute(
        sa.select(_E.c.membership_id, sa.func.sum(_E.c.shortfall))
        .where(_E.c.membership_id.in_(list(membership_ids)), _E.c.shortfall > 0)
        .group_by(_E.c.membership_id)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def apply_takes(conn: Connection, debit_id: int | None, takes: Iterable[Take]) -> None:
    """Record allocations and lower the lots' remaining (and the debts' shortfall when settling)."""
    for take in takes:
        debtor = debit_id if debit_id is not None else take.debit_id
        conn.execute(
            _L.insert().values(debit_entry_id=debtor, lot_entry_id=take.lot_id, points=take.points)
        )
        conn.execute(
            _E.update().where(_E.c.id == take.lot_id).values(remaining=_E.c.remaining - take.points)
        )
        if debit_id is None:
            conn.execute(
                _E.update().where(_E.c.id == debtor).values(shortfall=_E.c.shortfall - take.points)
            )


def allocations_of_debit(conn: Connection, debit_id: int) -> list[tuple[int, int]]:
    """`(lot_id, points)` a debit took, in the order it took them."""
    rows = conn.execute(
        sa.select(_L.c.lot_entry_id, _L.c.points)
        .where(_L.c.debit_entry_id == debit_id)
        .order_by(_L.c.id)
    ).all()
    return [(int(row.lot_entry_id), int(row.points)) for row in rows]


def expired_from_lot(conn: Connection, lot_id: int) -> int:
    """Points of a lot that expiry entries removed (never restored: expiry is not reversible)."""
    total = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(_L.c.points), 0))
        .select_from(_L.join(_E, _E.c.id == _L.c.debit_entry_id))
        .where(_L.c.lot_entry_id == lot_id, _E.c.kind == "expiry")
    ).scalar_one()
    return int(total)


def expiry_count(conn: Connection, lot_id: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(_L.join(_E, _E.c.id == _L.c.debit_entry_id))
            .where(_L.c.lot_entry_id == lot_id, _E.c.kind == "expiry")
        ).scalar_one()
    )
