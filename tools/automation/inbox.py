"""The durable inbox of Mews General Webhooks: store first, answer at once, process later.

    receipt = receive(store, body, now=now)         # the receiver, before it answers 202
    events = claim(store, now=now)                  # the worker: a leased batch of due events
    complete(store, {event.id: "accrued 120 points"}, now=now)
    fail(store, {event.id: "Mews timed out"}, now=now)   # backoff, then `dead`

Tables (component `webhook_inbox`; `automation_job_runs` belongs to the job scheduler):

- `webhook_messages`: every POST that reached us, raw body and digest included; a payload that is
  not a General Webhook is kept with `status = malformed` and the reason (the sender gets 400).
- `webhook_events`: one row per event to process, `pending -> in_flight -> done | dead`.

Duplicates. A General-Webhook event carries only `{Discriminator, Value: {Id}}` ("this entity
changed, go and read it"); Mews redelivers whole messages after errors and timeouts, and two
*different* changes of one reservation (check-in, then check-out) produce byte-identical
messages. So the event key is `EnterpriseId:Discriminator:Id`, and an event is a duplicate when
an event with the same key is still *pending*: the one read the worker will make sees the latest
state for both. Once the earlier one is taken or done, the same key is stored again, because it
may stand for a newer change; reacting twice is harmless since every reaction is idempotent
(stay accrual has one idempotency key per reservation). Dropping by body digest forever would
lose that check-out.

Failures: `fail()` backs off exponentially (`base_delay` × 2^(attempts-1), at most `max_delay`)
and parks the event as `dead` after `max_attempts`; `park()` makes it dead at once (retrying
cannot help: a policy denial); `retry()` and `requeue_dead()` put dead events back. A claim is
a lease: events of a worker that died become claimable again when it runs out. The events are a
`storage.queue.WorkQueue`, as the outbox's commands are.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.clock import naive_utc
from storage.queue import STATUSES, WorkQueue, work_item_columns
from storage.rows import from_row
from storage.store import Component, Store, chunks
from tools.automation.errors import UnknownInboxEventError

__all__ = [
    "EVENT_STATUSES",
    "INBOX",
    "MAX_BODY_BYTES",
    "InboxEvent",
    "InboxMessage",
    "InboxStats",
    "Receipt",
    "claim",
    "complete",
    "event_key",
    "fail",
    "get_event",
    "keep_malformed",
    "list_events",
    "list_messages",
    "park",
    "parse_webhook",
    "receive",
    "requeue_dead",
    "retry",
    "stats",
]

MAX_BODY_BYTES: Final = 5 * 1024 * 1024
"""Larger bodies are refused (and kept, truncated, as malformed)."""
_KEPT_BYTES: Final = 64 * 1024
_MAX_EVENTS: Final = 10_000
EVENT_STATUSES: Final = STATUSES
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

_metadata = sa.MetaData()

messages_table = sa.Table(
    "webhook_messages",
    _metadata,
    columns.row_id(),
    columns.utc_datetime("received_at", nullable=False),
    columns.sha256_hex("digest", nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # accepted | malformed
    sa.Column("error", sa.Text, nullable=True),
    columns.mews_id("enterprise_id", nullable=True),
    columns.mews_id("integration_id", nullable=True),
    sa.Column("events_total", sa.Integer, nullable=False),
    sa.Column("events_new", sa.Integer, nullable=False),
    sa.Index("ix_webhook_messages_status", "status", "id"),
)

events_table = sa.Table(
    "webhook_events",
    _metadata,
    columns.row_id(),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("webhook_messages.id"), nullable=False),
    sa.Column("event_key", sa.String(250), nullable=False),
    columns.mews_id("enterprise_id", nullable=False),
    sa.Column("discriminator", sa.String(64), nullable=False),
    sa.Column("entity_id", sa.String(100), nullable=False),
    *work_item_columns(),
    sa.Index("ix_webhook_events_due", "status", "next_attempt_at"),
    sa.Index("ix_webhook_events_key", "event_key", "status"),
)


job_runs_table = sa.Table(
    "automation_job_runs",
    _metadata,
    sa.Column("job", sa.String(32), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    columns.utc_datetime("started_at", nullable=False),
    columns.utc_datetime("finished_at", nullable=True),
    sa.Column("summary", sa.Text, nullable=True),
)
"""One row per scheduled job and day (`tools.automation.schedule`): the first process to insert
it runs the job; the others skip."""


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[messages_table, events_table, job_runs_table])


INBOX = Component("webhook_inbox", [_create_v1])

_QUEUE = WorkQueue(events_table, "webhook-inbox")


# ---------------------------------------------------------------------- values
@dataclass(frozen=True)
class WebhookEvent:
    discriminator: str
    entity_id: str


@dataclass(frozen=True)
class ParsedWebhook:
    enterprise_id: str
    integration_id: str
    events: tuple[WebhookEvent, ...]


@dataclass(frozen=True)
class Receipt:
    """What `receive` stored: the answer the receiver gives depends on `status`."""

    message_id: int
    status: Literal["accepted", "malformed"]
    events_total: int
    events_new: int
    error: str | None = None

    @property
    def duplicates(self) -> int:
        return self.events_total - self.events_new


@dataclass(frozen=True)
class InboxEvent:
    id: int
    message_id: int
    enterprise_id: str
    discriminator: str
    entity_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    result: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class InboxMessage:
    id: int
    received_at: datetime
    status: str
    error: str | None
    enterprise_id: str | None
    events_total: int
    events_new: int
    body: str


@dataclass(frozen=True)
class InboxStats:
    messages: int
    malformed: int
    pending: int
    in_flight: int
    done: int
    dead: int


class MalformedWebhookError(ValueError):
    """The body is not a General Webhook; the message says what is wrong."""


def event_key(enterprise_id: str, discriminator: str, entity_id: str) -> str:
    """The stable key of an event: which entity of which enterprise changed, and how."""
    return f"{enterprise_id}:{discriminator}:{entity_id}"


# ---------------------------------------------------------------------- parsing
def parse_webhook(body: bytes) -> ParsedWebhook:
    """Check a General-Webhook body (CONNECTOR-API.md §6.1); `MalformedWebhookError` if not one."""
    try:
        text = body.decode("utf-8")
        if _nesting(text) > _MAX_DEPTH:
            raise MalformedWebhookError(
                f"the body nests deeper than {_MAX_DEPTH} levels; a General Webhook has 3"
            )
        data: Any = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, MalformedWebhookError):
            raise
        raise MalformedWebhookError(f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MalformedWebhookError("the body must be a JSON object")
    enterprise_id = _guid(data, "EnterpriseId")
    integration_id = _guid(data, "IntegrationId")
    events = data.get("Events")
    if not isinstance(events, list):
        raise MalformedWebhookError("Events must be an array")
    if len(events) > _MAX_EVENTS:
        raise MalformedWebhookError(f"Events has {len(events)} items; at most {_MAX_EVENTS}")
    parsed: list[WebhookEvent] = []
    for index, item in enumerate(events):
        where = f"Events[{index}]"
        if not isinstance(item, dict):
            raise MalformedWebhookError(f"{where} must be an object")
        discriminator = item.get("Discriminator")
        if not isinstance(discriminator, str) or not 0 < len(discriminator) <= 64:
            raise MalformedWebhookError(f"{where}.Discriminator must be a non-empty string")
        value = item.get("Value")
        if not isinstance(value, dict):
            raise MalformedWebhookError(f"{where}.Value must be an object with an Id")
        entity_id = value.get("Id")
        if not isinstance(entity_id, str) or not _GUID.match(entity_id):
            raise MalformedWebhookError(f"{where}.Value.Id must be a GUID string")
        parsed.append(WebhookEvent(discriminator, entity_id))
    return ParsedWebhook(enterprise_id, integration_id, tuple(parsed))


_MAX_DEPTH = 16
"""Arrays and objects nested deeper are refused before parsing (a General Webhook nests 3)."""
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _nesting(text: str) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings not counted (the
    parser would exhaust the stack on a deep enough body: not JSON we could store)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _guid(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _GUID.match(value):
        raise MalformedWebhookError(f"{key} must be a GUID string, got {value!r:.60}")
    return value.lower()


# ---------------------------------------------------------------------- receiving
def receive(store: Store, body: bytes, *, now: datetime) -> Receipt:
    """Store one webhook POST durably (commits before returning) and queue its new events."""
    at = naive_utc(now)
    digest = hashlib.sha256(body).hexdigest()
    try:
        if len(body) > MAX_BODY_BYTES:
            raise MalformedWebhookError(
                f"the body has {len(body)} bytes; at most {MAX_BODY_BYTES} are accepted"
            )
        parsed = parse_webhook(body)
    except MalformedWebhookError as exc:
        return _keep_malformed(store, body[:_KEPT_BYTES], digest, str(exc), at)
    with store.write(_QUEUE.lock) as conn:
        message_id = _insert_message(conn, body, digest, at, parsed=parsed)
        new = _queue_events(conn, message_id, parsed, at)
        conn.execute(
            messages_table.update().where(messages_table.c.id == message_id).values(events_new=new)
        )
    return Receipt(message_id, "accepted", len(parsed.events), new)


def keep_malformed(store: Store, body: bytes, error: str, *, now: datetime) -> Receipt:
    """Keep a body that is not a webhook (its first 64 KiB) with the reason, for inspection."""
    return _keep_malformed(
        store, body[:_KEPT_BYTES], hashlib.sha256(body).hexdigest(), error, naive_utc(now)
    )


def _keep_malformed(store: Store, body: bytes, digest: str, error: str, at: datetime) -> Receipt:
    with store.write(_QUEUE.lock) as conn:
        message_id = _insert_message(conn, body, digest, at, error=error)
    return Receipt(message_id, "malformed", 0, 0, error)


def _insert_message(
    conn: Connection,
    body: bytes,
    digest: str,
    at: datetime,
    *,
    parsed: ParsedWebhook | None = None,
    error: str | None = None,
) -> int:
    result = conn.execute(
        messages_table.insert().values(
            received_at=at,
            digest=digest,
            body=body.decode("utf-8", errors="replace"),
            status="malformed" if parsed is None else "accepted",
            error=error,
            enterprise_id=None if parsed is None else parsed.enterprise_id,
            integration_id=None if parsed is None else parsed.integration_id,
            events_total=0 if parsed is None else len(parsed.events),
            events_new=0,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _queue_events(conn: Connection, message_id: int, parsed: ParsedWebhook, at: datetime) -> int:
    t = events_table
    keys = {event_key(parsed.enterprise_id, e.discriminator, e.entity_id): e for e in parsed.events}
    pending: set[str] = set()
    for chunk in chunks(list(keys), 500):
        pending.update(
            conn.execute(
                sa.select(t.c.event_key).where(t.c.event_key.in_(chunk), t.c.status == "pending")
            ).scalars()
        )
    rows = [
        {
            "message_id": message_id,
            "event_key": key,
            "enterprise_id": parsed.enterprise_id,
            "discriminator": event.discriminator,
            "entity_id": event.entity_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
            "updated_at": at,
        }
        for key, event in keys.items()
        if key not in pending
    ]
    if rows:
        conn.execute(t.insert(), rows)
    return len(rows)


# ---------------------------------------------------------------------- processing
def claim(
    store: Store, *, now: datetime, limit: int = 5000, lease: timedelta = timedelta(minutes=5)
) -> list[InboxEvent]:
    """Lease up to `limit` due events, oldest first."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    at = naive_utc(now)
    with store.write(_QUEUE.lock) as conn:
        # An event whose worker died is pending again, so that `receive` drops its duplicates.
        _QUEUE.release_lapsed(conn, at)
        rows = _QUEUE.claim(conn, at, limit=limit, lease=lease)
    return [_event(row) for row in rows]


def complete(store: Store, results: Mapping[int, str], *, now: datetime) -> None:
    """Mark events done, each with a one-line summary of what was done about it."""
    if not results:
        return
    summaries = {event_id: summary[:2000] for event_id, summary in results.items()}
    with store.write(_QUEUE.lock) as conn:
        _QUEUE.complete(conn, summaries, naive_utc(now), clear_error=True)


def fail(
    store: Store,
    errors: Mapping[int, str],
    *,
    now: datetime,
    max_attempts: int = 8,
    base_delay: timedelta = timedelta(seconds=30),
    max_delay: timedelta = timedelta(hours=1),
) -> dict[int, str]:
    """Record failed attempts: back off, or park as `dead`; returns each event's new status."""
    at = naive_utc(now)
    with store.write(_QUEUE.lock) as conn:
        return {
            event_id: _QUEUE.fail(
                conn,
                event_id,
                error,
                at,
                max_attempts=max_attempts,
                base_delay=base_delay,
                max_delay=max_delay,
            )
            for event_id, error in errors.items()
        }


def park(store: Store, reasons: Mapping[int, str], *, now: datetime) -> None:
    """Move events straight to `dead` (retrying cannot help; a person has to look)."""
    if not reasons:
        return
    with store.write(_QUEUE.lock) as conn:
        _QUEUE.park(conn, reasons, naive_utc(now))


def hold(store: Store, reasons: Mapping[int, str], *, now: datetime, delay: timedelta) -> None:
    """Hold events back (a tripped circuit breaker): retried after `delay`, and at once after
    `release_held`, never dead-lettered for it."""
    if not reasons:
        return
    with store.write(_QUEUE.lock) as conn:
        _QUEUE.hold(conn, reasons, naive_utc(now), delay)


def release_held(store: Store, *, now: datetime) -> int:
    """Every held event is due now (the breaker was reset); returns how many."""
    with store.write(_QUEUE.lock) as conn:
        return _QUEUE.release_held(conn, naive_utc(now))


def requeue_dead(store: Store, *, now: datetime) -> int:
    """Every dead event gets a fresh round of attempts, due now; returns how many."""
    with store.write(_QUEUE.lock) as conn:
        return _QUEUE.requeue(conn, naive_utc(now))


def retry(store: Store, event_id: int, *, now: datetime) -> InboxEvent:
    """Give a dead (or done) event a fresh round of attempts, due now."""
    t = events_table
    with store.write(_QUEUE.lock) as conn:
        if conn.execute(sa.select(t.c.id).where(t.c.id == event_id)).first() is None:
            raise UnknownInboxEventError(event_id)
        _QUEUE.requeue(conn, naive_utc(now), statuses=("dead", "done"), ids=[event_id])
        updated = conn.execute(sa.select(t).where(t.c.id == event_id)).one()
    return _event(updated)


# ---------------------------------------------------------------------- reading
def get_event(store: Store, event_id: int) -> InboxEvent:
    with store.read() as conn:
        row = conn.execute(
            sa.select(events_table).where(events_table.c.id == event_id)
        ).one_or_none()
    if row is None:
        raise UnknownInboxEventError(event_id)
    return _event(row)


def list_events(
    store: Store, *, statuses: Sequence[str] = ("pending", "in_flight", "dead"), limit: int = 100
) -> list[InboxEvent]:
    unknown = set(statuses) - set(EVENT_STATUSES)
    if unknown:
        raise ValueError(f"unknown event status {sorted(unknown)}; use {', '.join(EVENT_STATUSES)}")
    with store.read() as conn:
        rows = _QUEUE.listed(conn, statuses, limit)
    return [_event(row) for row in rows]


def list_messages(
    store: Store, *, malformed_only: bool = False, limit: int = 100
) -> list[InboxMessage]:
    t = messages_table
    query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if malformed_only:
        query = query.where(t.c.status == "malformed")
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [from_row(InboxMessage, row) for row in rows]


def stats(store: Store) -> InboxStats:
    m = messages_table
    with store.read() as conn:
        counts = _QUEUE.counts(conn)
        messages = {
            str(row[0]): int(row[1])
            for row in conn.execute(sa.select(m.c.status, sa.func.count()).group_by(m.c.status))
        }
    return InboxStats(
        messages=sum(messages.values()),
        malformed=messages.get("malformed", 0),
        **{status: counts.get(status, 0) for status in EVENT_STATUSES},
    )


def _event(row: Any) -> InboxEvent:
    return from_row(InboxEvent, row)
