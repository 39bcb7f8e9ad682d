"""Tables of the policy layer (component `policies`, migrated by `Store.migrate`).

Times are naive UTC (`DateTime`), as in the outbox: both databases compare them the same way.
A released migration is never edited; schema changes append one to `POLICIES`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.outbox import OUTBOX
from storage.store import Component, Store, default_database_url

__all__ = [
    "GENESIS_HASH",
    "POLICIES",
    "approvals_table",
    "audit_head_table",
    "audit_table",
    "idempotency_table",
    "metadata",
    "open_store",
    "state_table",
    "usage_daily_table",
    "usage_table",
]

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first audit record."""

metadata = sa.MetaData()

_action = columns.Kind(lambda: sa.String(64))
"""The name of a guarded write (`policies.specs.ActionSpec.name`)."""

# Operating mode and circuit breaker: one row per name, JSON value.
state_table = sa.Table(
    "policy_state",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    columns.updated_at(),
    columns.principal("updated_by", nullable=False),
)

# Every posted points movement, for the windowed sums of the caps.
usage_table = sa.Table(
    "policy_usage",
    metadata,
    columns.row_id(),
    columns.utc_datetime("at", nullable=False),
    _action("action", nullable=False),
    columns.principal("principal", nullable=False),
    columns.mews_id("membership_id", nullable=True),
    columns.mews_id("program_id", nullable=True),
    sa.Column("goodwill", sa.Boolean, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    columns.record_id("approval_id", nullable=True),
    columns.idempotency_key("idempotency_key", nullable=False),
    sa.Index("ix_policy_usage_member", "membership_id", "at"),
    sa.Index("ix_policy_usage_principal", "principal", "at"),
    sa.Index("ix_policy_usage_program", "program_id", "goodwill", "at"),
    sa.Index("ix_policy_usage_at", "at"),
)

# Running daily totals of issued points per scope (`member`, `principal`, `goodwill` of a
# program, `all`), kept with the log above in the same transaction: a cap check reads a few rows
# by primary key however many points moved that day. `day` is the local date in the policy's zone.
usage_daily_table = sa.Table(
    "policy_usage_daily",
    metadata,
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("issued", sa.BigInteger, nullable=False),
)

# One row per idempotency key: the request it belongs to and, once known, its outcome.
idempotency_table = sa.Table(
    "policy_idempotency",
    metadata,
    columns.idempotency_key("key", primary_key=True),
    columns.sha256_hex("request_hash", nullable=False),
    _action("action", nullable=False),
    columns.principal("principal", nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # executing | done
    sa.Column("outcome", sa.Text, nullable=True),
    columns.created_at(),
    columns.updated_at(),
)

approvals_table = sa.Table(
    "policy_approvals",
    metadata,
    columns.record_id("id", primary_key=True),
    _action("action", nullable=False),
    sa.Column("args", sa.Text, nullable=False),  # canonical JSON, exactly what will execute
    columns.sha256_hex("args_hash", nullable=False),
    columns.principal("requester", nullable=False),
    sa.Column("requester_role", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    columns.idempotency_key("idempotency_key", nullable=False),
    # pending -> executing -> executed | failed; pending -> rejected | expired
    sa.Column("status", sa.String(16), nullable=False),
    columns.created_at(),
    columns.utc_datetime("expires_at", nullable=False),
    columns.principal("decided_by", nullable=True),
    columns.utc_datetime("decided_at", nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    # the hotel (Mews enterprise) the request concerns, where its task goes (version 3)
    columns.mews_id("enterprise_id", nullable=True),
    sa.Index("ix_policy_approvals_status", "status", "expires_at"),
)

audit_table = sa.Table(
    "policy_audit",
    metadata,
    # Assigned from the head row, not by the database: a gap means a removed record.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    columns.utc_datetime("at", nullable=False),
    columns.principal("principal", nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("args", sa.Text, nullable=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(100), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    columns.record_id("approval_id", nullable=True),
    columns.idempotency_key("idempotency_key", nullable=True),
    columns.sha256_hex("prev_hash", nullable=False),
    columns.sha256_hex("hash", nullable=False),
    sa.Index("ix_policy_audit_denials", "principal", "decision", "at"),
)

# The last seq and hash, updated with every append: a removed tail no longer matches it.
audit_head_table = sa.Table(
    "policy_audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    columns.sha256_hex("hash", nullable=False),
    sa.Column("algorithm", sa.String(16), nullable=True),
    # HMAC of (seq, hash) with the audit key: a head moved back over a removed tail no longer
    # carries a valid one (version 2)
    columns.sha256_hex("mac", nullable=True),
)


def _create_v1(conn: Connection) -> None:
    # The tables of version 1 by name: a table added later gets its own migration.
    tables = [
        state_table,
        usage_table,
        usage_daily_table,
        idempotency_table,
        approvals_table,
        audit_table,
        audit_head_table,
    ]
    metadata.create_all(conn, tables=tables)
    conn.execute(audit_head_table.insert().values(id=1, seq=0, hash=GENESIS_HASH, algorithm=None))
    # The breaker row exists from the start, so a trip is a conditional update (never two
    # racing inserts); the mode has no row until a manager sets one (the file's mode applies).
    conn.execute(
        state_table.insert().values(
            name="breaker",
            value='{"tripped":false}',
            updated_at=datetime(1970, 1, 1),
            updated_by="system",
        )
    )


def _head_mac_v2(conn: Connection) -> None:
    # Version 1 created the head table from the same definition, which now has the column.
    columns = {column["name"] for column in sa.inspect(conn).get_columns("policy_audit_head")}
    if "mac" not in columns:
        conn.execute(sa.text("ALTER TABLE policy_audit_head ADD COLUMN mac VARCHAR(64)"))


def _approval_hotel_v3(conn: Connection) -> None:
    # Requests queued before version 3 concern no hotel: announced at the first, as they were.
    columns = {column["name"] for column in sa.inspect(conn).get_columns("policy_approvals")}
    if "enterprise_id" not in columns:
        conn.execute(sa.text("ALTER TABLE policy_approvals ADD COLUMN enterprise_id VARCHAR(64)"))


POLICIES = Component("policies", [_create_v1, _head_mac_v2, _approval_hotel_v3])


def open_store(url: str | None = None) -> Store:
    """The database at `url` (default: `LOYALTY_DATABASE_URL` or the user data file), migrated
    for the policy layer and its outbox."""
    store = Store(url or default_database_url())
    try:
        store.migrate([OUTBOX, POLICIES])
    except BaseException:
        store.dispose()
        raise
    return store
