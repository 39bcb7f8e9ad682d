"""The audit chain: one append-only, hash-chained record per guarded call.

Each record's hash covers its content and the previous record's hash:
`hash = SHA-256(prev_hash "\\n" canonical(record))`, or HMAC-SHA-256 with the key from the
environment variable the policy names (`LOYALTY_AUDIT_KEY`). Without the key, someone who can
write the database could recompute the whole chain; with it, they cannot.

`seq` is not part of the hashed content: the position of a record is fixed by `prev_hash`, and
keeping `seq` out lets `verify` tell a reordered record (valid on its own, linked to another
position) from an edited one (its content no longer matches its hash).

A head row (last seq and hash) is updated in the same transaction as every append, so removing
records from the end is detected too. Appends lock the head row (the chain's lock), and as the
last step of their transaction (`append` is called just before commit), because that lock
serializes every guarded call of every process.

A guarded call that is refused before the policy decides (arguments that do not validate, a
member who is not eligible) is recorded too, with the decision `rejected` and the reason:
`call_scope()` counts the records a call appended, so the caller's edge (the MCP tool wrapper)
adds a `rejected` record only when nothing recorded the call yet (never two for one call).

With a key, the head also carries `mac`, an HMAC of its seq and hash: whoever deletes a tail and
moves the head back cannot sign the new head. Not covered: restoring an old head row saved
earlier (with its old signature) together with the truncation; `loyalty audit anchor` prints the
head for an external witness to keep, which catches that too. The key comes from
`policies.audit_keys` (an environment variable or a 0600 key file, never the database).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies.audit_keys import load_key
from policies.config import Policy
from policies.redaction import redact
from policies.schema import GENESIS_HASH, audit_head_table, audit_table
from storage.canonical import JSONValue, canonical_json
from storage.clock import naive_utc, utc
from storage.rows import from_row
from storage.store import Store

__all__ = [
    "Anchor",
    "AuditDraft",
    "AuditRecord",
    "CallScope",
    "ChainReport",
    "anchor",
    "append",
    "audit_key",
    "call_scope",
    "count_in_call_scope",
    "export",
    "head_mac",
    "records",
    "verify",
]

# Built once: every guarded call runs them.
# `FOR UPDATE`: the head row is the chain's lock on PostgreSQL (appends queue on it until
# commit); SQLite's write transaction already holds the whole database.
_HEAD = (
    sa.select(audit_head_table.c.seq, audit_head_table.c.hash)
    .where(audit_head_table.c.id == 1)
    .with_for_update()
)
_INSERT = audit_table.insert()
_MOVE_HEAD = audit_head_table.update().where(audit_head_table.c.id == 1)
_MOVE_HEAD_FROM = _MOVE_HEAD.where(
    audit_head_table.c.seq == sa.bindparam("was_seq"),
    audit_head_table.c.hash == sa.bindparam("was_hash"),
)
"""Move the head only if it is still where this process last left it (one statement instead
of reading it first); zero rows moved: another writer appended since, read it after all."""

_LAST_HEAD: weakref.WeakKeyDictionary[Store, tuple[int, str]] = weakref.WeakKeyDictionary()
"""The head each store's chain had after this process's last append: a guess, checked by
`_MOVE_HEAD_FROM` in the appending transaction (other processes append too)."""


@dataclass(frozen=True)
class AuditDraft:
    """A record before it joins the chain; `args` and `result` are redacted on append."""

    at: datetime
    principal: str
    role: str
    action: str
    args: JSONValue
    decision: str  # allow | needs_approval | deny | replayed | executed | failed | rejected | ...
    rule: str | None = None
    reason: str | None = None
    result: JSONValue = None
    approval_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditRecord(AuditDraft):
    """A draft as it joined the chain: redacted, numbered and hashed."""

    seq: int
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["at"] = utc(self.at).isoformat()
        return data


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records: int
    head_seq: int
    algorithm: str
    broken_seq: int | None = None
    problem: str | None = None  # edited | removed | reordered | truncated | appended
    detail: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.records} records ({self.algorithm})"
        return f"audit chain broken at seq {self.broken_seq}: {self.problem}: {self.detail}"


def audit_key(policy: Policy) -> bytes | None:
    """The HMAC key from the environment variable the policy names or the key file, if set
    (`policies.audit_keys`; the guard also creates the file on first start)."""
    return load_key(policy, create=False)


def head_mac(seq: int, digest: str, key: bytes | None) -> str | None:
    """The head's signature: HMAC-SHA-256 of its seq and hash (None without a key)."""
    if not key:
        return None
    return hmac.new(key, f"head\n{seq}\n{digest}".encode(), hashlib.sha256).hexdigest()


def _algorithm(key: bytes | None) -> str:
    return "hmac-sha256" if key else "sha256"


def _hashed_fields(row: Any) -> list[Any]:
    """The content a hash covers, in a fixed order, exactly as stored (text, not re-parsed)."""
    return [
        row.at.isoformat(timespec="microseconds"),
        row.principal,
        row.role,
        row.action,
        row.args,
        row.decision,
        row.rule,
        row.reason,
        row.result,
        row.approval_id,
        row.idempotency_key,
    ]


def _chain_hash(prev_hash: str, row: Any, key: bytes | None) -> str:
    message = f"{prev_hash}\n{canonical_json(_hashed_fields(row))}".encode()
    if key:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def _stored(draft: AuditDraft) -> AuditDraft:
    """The draft as its row stores it: naive UTC, the JSON redacted and canonical (text)."""
    return replace(
        draft,
        at=naive_utc(draft.at),
        args=canonical_json(redact(draft.args)),
        result=None if draft.result is None else canonical_json(redact(draft.result)),
    )


@dataclass
class CallScope:
    """The audit records appended during one guarded call (see `call_scope`)."""

    appended: int = 0


_CALL: ContextVar[CallScope | None] = ContextVar("audit_call_scope", default=None)


@contextmanager
def call_scope() -> Iterator[CallScope]:
    """Count the records the current call appends (worker threads share the context's scope)."""
    scope = CallScope()
    token = _CALL.set(scope)
    try:
        yield scope
    finally:
        _CALL.reset(token)


def append(conn: Connection, store: Store, drafts: Sequence[AuditDraft], key: bytes | None) -> int:
    """Chain the drafts after the head, inside the caller's transaction; returns the last seq.

    Call it last in the transaction: it locks the head row, held until commit.
    """
    if not drafts:
        raise ValueError("nothing to append")
    rows = [_stored(draft) for draft in drafts]
    guess = _LAST_HEAD.get(store)
    moved = None if guess is None else _chain(conn, rows, guess, key, checked=True)
    if moved is None:
        head = conn.execute(_HEAD).one()
        moved = _chain(conn, rows, (int(head.seq), str(head.hash)), key, checked=False)
    assert moved is not None  # an unchecked move always moves
    # Kept even if the transaction rolls back: the next append's check then fails, and reads.
    _LAST_HEAD[store] = moved
    count_in_call_scope(len(drafts))
    return moved[0]


def _chain(
    conn: Connection,
    rows: Sequence[AuditDraft],
    head: tuple[int, str],
    key: bytes | None,
    *,
    checked: bool,
) -> tuple[int, str] | None:
    """Chain the rows after `head` and move it; the new head. `checked`: only if the head is
    still there (None, nothing written, when it is not). The head moves first: its row is
    the chain's lock."""
    seq, prev = head
    values = []
    for row in rows:
        seq += 1
        digest = _chain_hash(prev, row, key)
        values.append({**row.__dict__, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    new_head = {"seq": seq, "hash": prev, "algorithm": _algorithm(key)}
    new_head["mac"] = head_mac(seq, prev, key)
    if checked:
        was = {"was_seq": head[0], "was_hash": head[1]}
        if conn.execute(_MOVE_HEAD_FROM, {**new_head, **was}).rowcount != 1:
            return None
    else:
        conn.execute(_MOVE_HEAD, new_head)
    conn.execute(_INSERT, values)
    return seq, prev


def count_in_call_scope(records: int) -> None:
    """Count records for the current call (a read record queued for a batched append counts
    when it is queued: the call is recorded, whenever the batch joins the chain)."""
    scope = _CALL.get()
    if scope is not None:
        scope.appended += records


def _record(row: Any) -> AuditRecord:
    """A record from its row, by column name: the JSON columns parsed, the time made aware."""
    return from_row(
        AuditRecord,
        row,
        at=utc(row.at),
        args=json.loads(row.args),
        result=None if row.result is None else json.loads(row.result),
    )


def records(store: Store, *, after_seq: int = 0, limit: int | None = None) -> list[AuditRecord]:
    """Records in chain order (for display and tests)."""
    query = sa.select(audit_table).where(audit_table.c.seq > after_seq).order_by(audit_table.c.seq)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as conn:
        return [_record(row) for row in conn.execute(query)]


def _rows(conn: Connection) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=1000).execute(
        sa.select(audit_table).order_by(audit_table.c.seq)
    )
    yield from result


def verify(store: Store, key: bytes | None) -> ChainReport:
    """Walk the chain; report the first broken seq and why."""
    algorithm = _algorithm(key)
    with store.read() as conn:
        head = conn.execute(sa.select(audit_head_table).where(audit_head_table.c.id == 1)).one()
        count, prev_seq, prev_hash = 0, 0, GENESIS_HASH
        for row in _rows(conn):
            problem = _check_row(conn, row, prev_seq, prev_hash, key)
            if problem is not None:
                seq, kind, detail = problem
                if kind == "edited" and head.algorithm not in (None, algorithm):
                    detail += f" (the chain was written with {head.algorithm}: is the key set?)"
                return ChainReport(False, count, head.seq, algorithm, seq, kind, detail)
            count, prev_seq, prev_hash = count + 1, row.seq, row.hash
        problem = _check_head(head, prev_seq, prev_hash) or _check_signature(head, key)
    if problem is not None:
        return ChainReport(False, count, head.seq, algorithm, *problem)
    return ChainReport(True, count, head.seq, algorithm)


def _check_row(
    conn: Connection, row: Any, prev_seq: int, prev_hash: str, key: bytes | None
) -> tuple[int, str, str] | None:
    expected = prev_seq + 1
    if row.seq != expected:
        return expected, "removed", f"seq {expected} is missing (next record is seq {row.seq})"
    if _chain_hash(row.prev_hash, row, key) != row.hash:
        return row.seq, "edited", "the record's content does not match its hash"
    if row.prev_hash != prev_hash:
        later = conn.execute(
            sa.select(audit_table.c.seq).where(
                audit_table.c.hash == row.prev_hash, audit_table.c.seq > row.seq
            )
        ).scalar()
        if later is not None:
            return row.seq, "reordered", f"it follows seq {later}, which comes after it"
        return row.seq, "removed", f"the record it follows is gone (seq {prev_seq} is not it)"
    return None


def _check_head(head: Any, last_seq: int, last_hash: str) -> tuple[int, str, str] | None:
    if head.seq > last_seq:
        return (
            last_seq + 1,
            "truncated",
            f"the head says {head.seq} records, the chain ends at seq {last_seq}",
        )
    if head.seq < last_seq:
        return head.seq + 1, "appended", f"records after seq {head.seq} bypassed the head"
    if head.hash != last_hash:
        return last_seq, "edited", "the last record does not match the head's hash"
    return None


def _check_signature(head: Any, key: bytes | None) -> tuple[int, str, str] | None:
    if not key or head.algorithm != "hmac-sha256" or head.seq == 0:
        return None
    if head.mac is None or not hmac.compare_digest(
        head.mac, head_mac(head.seq, head.hash, key) or ""
    ):
        return (
            head.seq,
            "truncated",
            "the head's signature does not match: records were removed from the end and the "
            "head moved back, or the head was rewritten",
        )
    return None


@dataclass(frozen=True)
class Anchor:
    """The chain's head, for an external witness: `loyalty audit anchor`."""

    seq: int
    hash: str
    algorithm: str


def anchor(store: Store) -> Anchor:
    with store.read() as conn:
        head = conn.execute(sa.select(audit_head_table).where(audit_head_table.c.id == 1)).one()
    return Anchor(int(head.seq), str(head.hash), str(head.algorithm or "sha256"))


def export(store: Store, out: IO[str]) -> int:
    """Write every record as one JSON line, in chain order; returns how many."""
    count = 0
    with store.read() as conn:
        for row in _rows(conn):
            out.write(json.dumps(_record(row).to_dict(), ensure_ascii=False, sort_keys=True))
            out.write("\n")
            count += 1
    return count
