"""A durable outbox of commands for Mews, written in the same transaction as the change behind it.

Why: Mews is not part of our database transaction. A ledger entry and "push the new balance to
Mews" must either both happen or neither, and the push must be retried until it succeeds, across
restarts. So the push is recorded here, atomically with the entry, and a dispatcher delivers it
afterwards (at least once).

Rules:
- `enqueue(..., coalesce_key=K)` keeps at most one *pending* command per key: a newer one replaces
  the payload of the pending one (for absolute values such as a membership's `Points`, only the
  latest matters).
- `claim()` never hands out a command whose key already has one in flight, so two dispatchers can
  never deliver an older balance after a newer one. A claim is a lease: if the dispatcher dies,
  the lease runs out and the command is claimed again.
- A failed delivery is retried with exponential backoff; after `max_attempts` it is parked as
  `dead` (visible from the command line), never silently dropped.

One claim per write: a caller that delivers right after its write opens `delivery_scope()`;
a write transaction that enqueued a command then claims the due commands (its own and any
backlog, up to `CLAIM_BATCH`) as its last step (`claim_after_enqueue`, called by the guard's
transaction), so the delivery that follows needs no claim transaction of its own. The results
are recorded together (`settle`, one transaction). Outside a scope, `claim()` works as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.store import Component, Store

__all__ = [
    "CLAIM_BATCH",
    "OUTBOX",
    "Delivered",
    "OutboxCommand",
    "OutboxStats",
    "Undelivered",
    "claim",
    "claim_after_enqueue",
    "complete",
    "deliver_after_commit",
    "delivery_scope",
    "enqueue",
    "fail",
    "forget_enqueued",
    "list_commands",
    "outbox_table",
    "requeue_dead",
    "retry_after_failure",
    "settle",
    "stats",
]

_metadata = sa.MetaData()

outbox_table = sa.Table(
    "outbox",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("coalesce_key", sa.String(200), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | in_flight | done | dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("lease_until", sa.DateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_key", "coalesce_key", "status"),
)


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[outbox_table])


OUTBOX = Component("outbox", [_create_v1])

_LOCK = "outbox"

CLAIM_BATCH = 100
"""Commands one claim leases: a write's own commands and a backlog's first batch."""

_ENQUEUED = "loyalty.outbox.enqueued"
"""`Connection.info` flag: this transaction enqueued a command."""


@dataclass(frozen=True)
class _Scope:
    kinds: tuple[str, ...]
    claimed: list[OutboxCommand]


_DELIVERY: ContextVar[_Scope | None] = ContextVar("outbox_delivery", default=None)


@contextmanager
def delivery_scope(kinds: Sequence[str]) -> Iterator[list[OutboxCommand]]:
    """Collects the commands of these `kinds` that writes inside the scope claimed for delivery
    (they are leased to this caller, which must deliver and `settle` them). Worker threads
    started with the context copied (`asyncio.to_thread`) add to the same list."""
    scope = _Scope(tuple(kinds), [])
    token = _DELIVERY.set(scope)
    try:
        yield scope.claimed
    finally:
        _DELIVERY.reset(token)


def claim_after_enqueue(
    store: Store, conn: Connection, *, now: datetime, lease: timedelta = timedelta(minutes=2)
) -> list[OutboxCommand]:
    """The last step of a write transaction (before its audit append): when it enqueued a
    command inside a `delivery_scope`, lease the due commands (up to `CLAIM_BATCH`) for that
    scope; hand them over with `deliver_after_commit` once the transaction committed. The
    outbox lock is taken last (claims and settlements hold no other lock: no deadlock)."""
    scope = _DELIVERY.get()
    if not conn.info.pop(_ENQUEUED, False) or scope is None:
        return []
    store.lock(conn, _LOCK)
    return _claim(conn, _naive(now), CLAIM_BATCH, lease, scope.kinds)


def deliver_after_commit(commands: list[OutboxCommand]) -> None:
    """Give commands leased by a committed transaction to the caller's delivery scope."""
    scope = _DELIVERY.get()
    if scope is not None:
        scope.claimed.extend(commands)


def forget_enqueued(conn: Connection) -> None:
    """Clear a flag left by a transaction that rolled back (the connection is pooled)."""
    conn.info.pop(_ENQUEUED, None)


@dataclass(frozen=True)
class OutboxCommand:
    """One command to deliver to Mews."""

    id: int
    kind: str
    coalesce_key: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    in_flight: int
    done: int
    dead: int


def _naive(at: datetime) -> datetime:
    """Store times as naive UTC (both databases compare them the same way)."""
    return at.replace(tzinfo=None) if at.tzinfo else at


def _row_to_command(row: Any) -> OutboxCommand:
    return OutboxCommand(
        id=row.id,
        kind=row.kind,
        coalesce_key=row.coalesce_key,
        payload=json.loads(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )


def enqueue(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    coalesce_key: str | None = None,
) -> int:
    """Record a command inside the caller's transaction; returns its id.

    With `coalesce_key`, a pending command with the same key gets the new payload instead of a
    second command being added. The caller must hold the lock that guards that key (the ledger
    holds the membership lock), so two writers cannot both insert.
    """
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    at = _naive(now)
    conn.info[_ENQUEUED] = True
    if coalesce_key is not None:
        t = outbox_table
        pending_id = conn.execute(
            sa.select(t.c.id).where(t.c.coalesce_key == coalesce_key, t.c.status == "pending")
        ).scalar()
        if pending_id is not None:
            conn.execute(t.update().where(t.c.id == pending_id).values(payload=body, updated_at=at))
            return int(pending_id)
    result = conn.execute(
        outbox_table.insert().values(
            kind=kind,
            coalesce_key=coalesce_key,
            payload=body,
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
            updated_at=at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def claim(
    store: Store,
    *,
    now: datetime,
    limit: int = 100,
    lease: timedelta = timedelta(minutes=2),
    kinds: Sequence[str] | None = None,
) -> list[OutboxCommand]:
    """Lease due commands to this dispatcher, at most one in flight per coalesce key."""
    with store.write(_LOCK) as conn:
        return _claim(conn, _naive(now), limit, lease, kinds)


def _claim(
    conn: Connection,
    at: datetime,
    limit: int,
    lease: timedelta,
    kinds: Sequence[str] | None,
) -> list[OutboxCommand]:
    t = outbox_table
    # A lease that ran out belongs to a dispatcher that died: its command is due again.
    expired = sa.and_(t.c.status == "in_flight", t.c.lease_until < at)
    due = sa.and_(t.c.status == "pending", t.c.next_attempt_at <= at)
    busy_keys = sa.select(t.c.coalesce_key).where(
        t.c.status == "in_flight", t.c.lease_until >= at, t.c.coalesce_key.is_not(None)
    )
    query = (
        sa.select(t)
        .where(
            sa.or_(due, expired),
            sa.or_(t.c.coalesce_key.is_(None), t.c.coalesce_key.not_in(busy_keys)),
        )
        .order_by(t.c.id)
        .limit(limit)
    )
    if kinds is not None:
        query = query.where(t.c.kind.in_(list(kinds)))
    rows = conn.execute(query).all()
    ids = [row.id for row in rows]
    if ids:
        conn.execute(
            t.update()
            .where(t.c.id.in_(ids))
            .values(status="in_flight", lease_until=at + lease, updated_at=at)
        )
    return [_row_to_command(row) for row in rows]


@dataclass(frozen=True)
class Delivered:
    """A command Mews took, with what it answered."""

    command_id: int
    result: Any = None


@dataclass(frozen=True)
class Undelivered:
    """A command whose delivery failed: retried later, or `dead` after `max_attempts`."""

    command_id: int
    error: str
    max_attempts: int = 12


def settle(
    store: Store, outcomes: Sequence[Delivered | Undelivered], *, now: datetime
) -> dict[int, str]:
    """Record the outcome of each delivered or failed command, all in one transaction; returns
    the status each command now has (`done`, `pending` again, or `dead`)."""
    if not outcomes:
        return {}
    statuses: dict[int, str] = {}
    at = _naive(now)
    t = outbox_table
    with store.write(_LOCK) as conn:
        done = [o for o in outcomes if isinstance(o, Delivered)]
        if done:
            conn.execute(
                t.update().where(t.c.id == sa.bindparam("command_id")),
                [
                    {
                        "command_id": o.command_id,
                        "status": "done",
                        "lease_until": None,
                        "result": None if o.result is None else json.dumps(o.result, default=str),
                        "updated_at": at,
                    }
                    for o in done
                ],
            )
            statuses.update({o.command_id: "done" for o in done})
        for o in outcomes:
            if isinstance(o, Undelivered):
                statuses[o.command_id] = _fail(conn, o.command_id, o.error, at, o.max_attempts)
    return statuses


def complete(store: Store, command_id: int, *, now: datetime, result: Any = None) -> None:
    """Mark a delivered command done (idempotent)."""
    t = outbox_table
    with store.write(_LOCK) as conn:
        conn.execute(
            t.update()
            .where(t.c.id == command_id)
            .values(
                status="done",
                lease_until=None,
                result=None if result is None else json.dumps(result, default=str),
                updated_at=_naive(now),
            )
        )


def retry_after_failure(
    attempts: int, max_attempts: int, base_delay: timedelta, max_delay: timedelta
) -> tuple[str, timedelta]:
    """After the `attempts`-th failure: `dead` once the budget is spent, else `pending` again
    after an exponential backoff capped at `max_delay` (shared with the webhook inbox)."""
    status = "dead" if attempts >= max_attempts else "pending"
    return status, min(max_delay, base_delay * (2 ** (attempts - 1)))


def fail(
    store: Store,
    command_id: int,
    error: str,
    *,
    now: datetime,
    max_attempts: int = 12,
    base_delay: timedelta = timedelta(seconds=5),
    max_delay: timedelta = timedelta(hours=1),
) -> str:
    """Record a failed delivery: back off exponentially or park it as `dead`; returns the status."""
    with store.write(_LOCK) as conn:
        return _fail(conn, command_id, error, _naive(now), max_attempts, base_delay, max_delay)


def _fail(
    conn: Connection,
    command_id: int,
    error: str,
    at: datetime,
    max_attempts: int,
    base_delay: timedelta = timedelta(seconds=5),
    max_delay: timedelta = timedelta(hours=1),
) -> str:
    t = outbox_table
    attempts = conn.execute(sa.select(t.c.attempts).where(t.c.id == command_id)).scalar_one()
    attempts += 1
    status, delay = retry_after_failure(attempts, max_attempts, base_delay, max_delay)
    conn.execute(
        t.update()
        .where(t.c.id == command_id)
        .values(
            status=status,
            attempts=attempts,
            lease_until=None,
            next_attempt_at=at + delay,
            last_error=error[:2000],
            updated_at=at,
        )
    )
    return status


def requeue_dead(store: Store, *, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Give parked commands another round of attempts (after the cause was fixed)."""
    t = outbox_table
    at = _naive(now)
    with store.write(_LOCK) as conn:
        query = t.update().where(t.c.status == "dead")
        if ids is not None:
            query = query.where(t.c.id.in_(list(ids)))
        result = conn.execute(query.values(status="pending", attempts=0, next_attempt_at=at))
    return int(result.rowcount)


def list_commands(
    store: Store, *, statuses: Sequence[str] = ("pending", "in_flight", "dead"), limit: int = 100
) -> list[OutboxCommand]:
    t = outbox_table
    with store.read() as conn:
        rows = conn.execute(
            sa.select(t).where(t.c.status.in_(list(statuses))).order_by(t.c.id).limit(limit)
        ).all()
    return [_row_to_command(row) for row in rows]


def stats(store: Store) -> OutboxStats:
    t = outbox_table
    with store.read() as conn:
        rows = conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
        counts: dict[str, int] = {str(status): int(count) for status, count in rows}
    return OutboxStats(
        pending=counts.get("pending", 0),
        in_flight=counts.get("in_flight", 0),
        done=counts.get("done", 0),
        dead=counts.get("dead", 0),
    )
