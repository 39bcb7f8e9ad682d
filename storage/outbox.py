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

The commands are a `storage.queue.WorkQueue` (claim, lease, backoff, dead letters), as the
webhook inbox's events are.

One claim per write: a caller that delivers right after its write opens `delivery_scope()`;
a write transaction that enqueued a command then claims the due commands (its own and any
backlog, up to `CLAIM_BATCH`) as its last step (`claim_after_enqueue`, called by the guard's
transaction), so the delivery that follows needs no claim transaction of its own. The results
are recorded together (`settle`, one transaction). Outside a scope, `claim()` works as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.clock import naive_utc
from storage.queue import WorkQueue, work_item_columns
from storage.rows import from_row
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
    "rewrite_payload",
    "settle",
    "stats",
]

_metadata = sa.MetaData()

outbox_table = sa.Table(
    "outbox",
    _metadata,
    columns.row_id(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("coalesce_key", sa.String(200), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    *work_item_columns(),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_key", "coalesce_key", "status"),
)


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[outbox_table])


OUTBOX = Component("outbox", [_create_v1])

_QUEUE = WorkQueue(outbox_table, "outbox")

_t = outbox_table
_PENDING_OF_KEY = sa.and_(_t.c.coalesce_key == sa.bindparam("key"), _t.c.status == "pending")
_INSERT_UNLESS_PENDING = (
    _t.insert()
    .from_select(
        [
            "kind",
            "coalesce_key",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "updated_at",
        ],
        sa.select(
            sa.bindparam("kind", type_=sa.String),
            sa.bindparam("key", type_=sa.String),
            sa.bindparam("payload", type_=sa.Text),
            sa.literal("pending", sa.String),
            sa.literal(0, sa.Integer),
            *(sa.bindparam("at", type_=sa.DateTime) for _ in range(3)),
        ).where(~sa.exists().where(_PENDING_OF_KEY)),
    )
    .returning(_t.c.id)
)
_REPLACE_PENDING = (
    _t.update()
    .where(_PENDING_OF_KEY)
    .values(payload=sa.bindparam("payload"), updated_at=sa.bindparam("at"))
    .returning(_t.c.id)
)
"""A coalesced enqueue (built once): insert unless the key has a pending command, else
replace that one's payload. The caller holds the key's lock, so nothing comes in between."""

_BASE_DELAY: Final = timedelta(seconds=5)
_MAX_DELAY: Final = timedelta(hours=1)
"""How a failed delivery backs off: 5 s, 10 s, 20 s, ... at most an hour apart."""

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
    store.lock(conn, _QUEUE.lock)
    return _claim(conn, naive_utc(now), CLAIM_BATCH, lease, scope.kinds)


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
    """Failed attempts; a claim counts a lease that ran out as one (the deliverer may have
    died mid-delivery)."""
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    in_flight: int
    done: int
    dead: int


def _row_to_command(row: Any) -> OutboxCommand:
    """A command from its row, by column name (the JSON payload parsed)."""
    return from_row(OutboxCommand, row, payload=json.loads(row.payload))


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
    at = naive_utc(now)
    conn.info[_ENQUEUED] = True
    if coalesce_key is not None:
        # Usually nothing of this key waits: one statement inserts unless a pending one exists,
        # and only then a second gives the waiting ones the new payload. Two can wait: a lapsed
        # lease's command that then failed is pending again beside the one queued meanwhile.
        params = {"kind": kind, "key": coalesce_key, "payload": body, "at": at}
        new_id = conn.execute(_INSERT_UNLESS_PENDING, params).scalar()
        if new_id is not None:
            return int(new_id)
        return max(int(i) for i in conn.execute(_REPLACE_PENDING, params).scalars())
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
    with store.write(_QUEUE.lock) as conn:
        return _claim(conn, naive_utc(now), limit, lease, kinds)


def due_count(store: Store, *, now: datetime, kinds: Sequence[str]) -> int:
    """How many commands of `kinds` are due now: what a drain would push (the total its
    progress counts towards)."""
    with store.read() as conn:
        return _QUEUE.due_count(conn, naive_utc(now), [outbox_table.c.kind.in_(list(kinds))])


def _claim(
    conn: Connection,
    at: datetime,
    limit: int,
    lease: timedelta,
    kinds: Sequence[str] | None,
) -> list[OutboxCommand]:
    statement = _CLAIM_ANY if kinds is None else _CLAIM_KINDS
    params = {} if kinds is None else {"kinds": list(kinds)}
    rows = _QUEUE.claim(conn, at, limit=limit, lease=lease, statement=statement, params=params)
    return [_row_to_command(row) for row in rows]


# Never two commands of one key in flight: an older balance could land after a newer one.
_NOT_BUSY = sa.or_(
    _t.c.coalesce_key.is_(None),
    _t.c.coalesce_key.not_in(
        sa.select(_t.c.coalesce_key).where(
            _t.c.status == "in_flight",
            _t.c.lease_until >= sa.bindparam("at", type_=_t.c.lease_until.type),
            _t.c.coalesce_key.is_not(None),
        )
    ),
)
_CLAIM_ANY = _QUEUE.claim_statement([_NOT_BUSY])
_CLAIM_KINDS = _QUEUE.claim_statement(
    [_NOT_BUSY, _t.c.kind.in_(sa.bindparam("kinds", expanding=True))]
)
"""The claims (built once), of any kind or of the bound `kinds`."""


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
    store: Store,
    outcomes: Sequence[Delivered | Undelivered],
    *,
    now: datetime,
    also: Callable[[Connection], None] | None = None,
) -> dict[int, str]:
    """Record the outcome of each delivered or failed command, all in one transaction; returns
    the status each command now has (`done`, `pending` again, or `dead`).

    `also`: more the deliverer records with the outcomes, in the same transaction (it must
    take no lock of its own: the outbox lock is the only one a settlement holds)."""
    if not outcomes:
        return {}
    at = naive_utc(now)
    with store.write(_QUEUE.lock) as conn:
        if also is not None:
            also(conn)
        done = {o.command_id: _result_text(o.result) for o in outcomes if isinstance(o, Delivered)}
        _QUEUE.complete(conn, done, at)
        statuses = dict.fromkeys(done, "done")
        for o in outcomes:
            if isinstance(o, Undelivered):
                statuses[o.command_id] = _QUEUE.fail(
                    conn,
                    o.command_id,
                    o.error,
                    at,
                    max_attempts=o.max_attempts,
                    base_delay=_BASE_DELAY,
                    max_delay=_MAX_DELAY,
                )
    return statuses


def rewrite_payload(
    conn: Connection, coalesce_key: str, payload: Mapping[str, Any], *, command_ids: Sequence[int]
) -> None:
    """Give the pending command of `coalesce_key` and the given ones (leased to the caller) a
    new payload, inside the caller's transaction (which holds the lock guarding the key): a
    deliverer that changed what it delivers keeps every queued copy current."""
    t = outbox_table
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    pending = sa.and_(t.c.coalesce_key == coalesce_key, t.c.status == "pending")
    conn.execute(
        t.update().where(sa.or_(t.c.id.in_(list(command_ids)), pending)).values(payload=body)
    )


def complete(store: Store, command_id: int, *, now: datetime, result: Any = None) -> None:
    """Mark a delivered command done (idempotent)."""
    with store.write(_QUEUE.lock) as conn:
        _QUEUE.complete(conn, {command_id: _result_text(result)}, naive_utc(now))


def fail(
    store: Store,
    command_id: int,
    error: str,
    *,
    now: datetime,
    max_attempts: int = 12,
    base_delay: timedelta = _BASE_DELAY,
    max_delay: timedelta = _MAX_DELAY,
) -> str:
    """Record a failed delivery: back off exponentially or park it as `dead`; returns the status."""
    with store.write(_QUEUE.lock) as conn:
        return _QUEUE.fail(
            conn,
            command_id,
            error,
            naive_utc(now),
            max_attempts=max_attempts,
            base_delay=base_delay,
            max_delay=max_delay,
        )


def requeue_dead(store: Store, *, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Give parked commands another round of attempts (after the cause was fixed)."""
    with store.write(_QUEUE.lock) as conn:
        return _QUEUE.requeue(conn, naive_utc(now), ids=ids)


def _result_text(result: Any) -> str | None:
    return None if result is None else json.dumps(result, default=str)


def list_commands(
    store: Store, *, statuses: Sequence[str] = ("pending", "in_flight", "dead"), limit: int = 100
) -> list[OutboxCommand]:
    with store.read() as conn:
        rows = _QUEUE.listed(conn, statuses, limit)
    return [_row_to_command(row) for row in rows]


def stats(store: Store) -> OutboxStats:
    with store.read() as conn:
        counts = _QUEUE.counts(conn)
    return OutboxStats(
        pending=counts.get("pending", 0),
        in_flight=counts.get("in_flight", 0),
        done=counts.get("done", 0),
        dead=counts.get("dead", 0),
    )
