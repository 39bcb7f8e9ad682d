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
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies.store import Component, Store

__all__ = [
    "OUTBOX",
    "OutboxCommand",
    "OutboxStats",
    "claim",
    "complete",
    "enqueue",
    "fail",
    "list_commands",
    "outbox_table",
    "requeue_dead",
    "retry_after_failure",
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
    at = _naive(now)
    t = outbox_table
    with store.write(_LOCK) as conn:
        # Leases that ran out belong to a dispatcher that died: make them claimable again.
        conn.execute(
            t.update()
            .where(t.c.status == "in_flight", t.c.lease_until < at)
            .values(status="pending", lease_until=None, updated_at=at)
        )
        busy_keys = sa.select(t.c.coalesce_key).where(
            t.c.status == "in_flight", t.c.coalesce_key.is_not(None)
        )
        query = (
            sa.select(t)
            .where(
                t.c.status == "pending",
                t.c.next_attempt_at <= at,
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
    t = outbox_table
    at = _naive(now)
    with store.write(_LOCK) as conn:
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
