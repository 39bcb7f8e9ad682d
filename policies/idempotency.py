"""Idempotency keys: one key, one execution, ever, across processes and restarts.

Every write carries a key. A caller may give one; otherwise it is derived from the action, the
canonical arguments, the principal and the calendar day in the policy's time zone. Why the day:
an identical call repeated the same day is taken to be a retry (the model or a client sending
it again after a timeout) and must not post twice; the same award on another day is a new
decision. A caller who wants two identical writes the same day gives two keys. One exception:
once what a derived key executed has been undone (a redemption reversed, `ActionSpec.undone`),
the identical call is a new request and gets the next key of that day (`generation` 1, 2, ...):
redeeming again after a reversal redeems again, it does not answer with the reversed one.

The key's row stores a hash of the request (action, arguments, principal) and the outcome:

- same key, same request: the stored outcome (same posted result, same approval id);
- same key, another request: `IdempotencyConflictError`;
- key of a request still executing (an external call in flight, or interrupted by a crash):
  `RequestInProgressError` - never a second execution.

A batch tool keys each item on its own (`item_key`): from the item's canonical arguments (and
the caller's key for the batch, if any), so two items never share a key and a retried batch
replays item by item. An item whose write is computed from state (a target balance posted as
the difference to the current one) is looked up by its key alone (`stored`): the retry's
difference is another number, but it is the same request.

Denials are not stored: nothing happened, and the next attempt is judged afresh (after a mode
change, say). Repeated denials still count towards the circuit breaker.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies.errors import IdempotencyConflictError, RequestInProgressError
from policies.outcomes import Outcome, outcome_from_dict
from policies.schema import idempotency_table
from storage.canonical import JSONObject, canonical_json, sha256_hex
from storage.clock import naive_utc

__all__ = [
    "derive_key",
    "finish_outcome",
    "forget",
    "item_key",
    "keys_used",
    "lookup",
    "mark_executing",
    "recorded_outcome",
    "request_hash",
    "store_outcome",
    "stored",
]


_LOOKUP = sa.select(idempotency_table).where(idempotency_table.c.key == sa.bindparam("key"))
_INSERT = idempotency_table.insert()


def derive_key(
    action: str, canonical_args: str, principal: str, day: date, generation: int = 0
) -> str:
    """The key of a call that gave none: same action, arguments, caller and local day
    (`generation`: how many earlier identical requests that day were undone)."""
    parts: list[str | int] = [action, canonical_args, principal, day.isoformat()]
    if generation:
        parts.append(generation)
    return f"auto:{sha256_hex(canonical_json(parts))}"


def item_key(
    action: str, canonical_item: str, principal: str, day: date, batch_key: str | None = None
) -> str:
    """The key of one item of a batch: derived from the item like a call's (`derive_key`), or
    from the caller's key for the whole batch and the item."""
    if batch_key is None:
        return derive_key(action, canonical_item, principal, day)
    return f"item:{sha256_hex(canonical_json([batch_key, action, canonical_item]))}"


def request_hash(action: str, args: JSONObject, principal: str) -> str:
    return sha256_hex(canonical_json({"action": action, "args": args, "principal": principal}))


def lookup(conn: Connection, key: str, digest: str) -> Outcome | None:
    """The stored outcome of this key's request, or None if the key is new."""
    row = conn.execute(_LOOKUP, {"key": key}).first()
    if row is None:
        return None
    return recorded_outcome(key, digest, row.request_hash, row.status, row.outcome)


def recorded_outcome(
    key: str, digest: str, request_hash: str, status: str, outcome: str | None
) -> Outcome:
    """The outcome a key's record holds for a request with this `digest` (`lookup`, from a
    record read by another statement)."""
    if request_hash != digest:
        raise IdempotencyConflictError(key)
    if status != "done" or outcome is None:
        raise RequestInProgressError(key)
    return outcome_from_dict(json.loads(outcome))


def keys_used(conn: Connection, keys: list[str]) -> set[str]:
    """Which of `keys` have a request recorded (done, queued or executing), read without a
    replay: a job that must not ask twice can skip them quietly."""
    t = idempotency_table
    used: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        used.update(conn.execute(sa.select(t.c.key).where(t.c.key.in_(chunk))).scalars())
    return used


def stored(conn: Connection, key: str, *, action: str, principal: str) -> Outcome | None:
    """The outcome stored under `key` for this action and principal, whatever its arguments
    were; None if the key is new (`IdempotencyConflictError` if another action or principal
    used it, `RequestInProgressError` while it executes)."""
    row = conn.execute(_LOOKUP, {"key": key}).first()
    if row is None:
        return None
    if row.action != action or row.principal != principal:
        raise IdempotencyConflictError(key)
    if row.status != "done" or row.outcome is None:
        raise RequestInProgressError(key)
    return outcome_from_dict(json.loads(row.outcome))


def store_outcome(
    conn: Connection,
    key: str,
    digest: str,
    outcome: Outcome,
    *,
    action: str,
    principal: str,
    now: datetime,
) -> None:
    """Record the outcome of a new key (its lookup, in this transaction, found nothing)."""
    _insert(conn, key, digest, "done", canonical_json(outcome.to_dict()), action, principal, now)


def finish_outcome(conn: Connection, key: str, outcome: Outcome, *, now: datetime) -> None:
    """Record the outcome of a key marked `executing` (an external call that returned)."""
    t = idempotency_table
    body = canonical_json(outcome.to_dict())
    conn.execute(
        t.update()
        .where(t.c.key == key)
        .values(status="done", outcome=body, updated_at=naive_utc(now))
    )


def _insert(
    conn: Connection,
    key: str,
    digest: str,
    status: str,
    outcome: str | None,
    action: str,
    principal: str,
    now: datetime,
) -> None:
    at = naive_utc(now)
    conn.execute(
        _INSERT,
        {
            "key": key,
            "request_hash": digest,
            "action": action,
            "principal": principal,
            "status": status,
            "outcome": outcome,
            "created_at": at,
            "updated_at": at,
        },
    )


def mark_executing(
    conn: Connection, key: str, digest: str, *, action: str, principal: str, now: datetime
) -> None:
    """Claim the key for an external call about to start."""
    _insert(conn, key, digest, "executing", None, action, principal, now)


def forget(conn: Connection, key: str) -> None:
    """Free the key of an external call that failed cleanly (it may be tried again)."""
    conn.execute(idempotency_table.delete().where(idempotency_table.c.key == key))
