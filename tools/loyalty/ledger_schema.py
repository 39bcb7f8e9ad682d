"""Tables of the points ledger (component `ledger`, migrated by `storage.store.Store.migrate`).

- `loyalty_accounts`: one row per Mews membership; its cached `balance` always equals the sum of
  its entries, and `version` counts them (the next entry's `sequence`).
- `loyalty_entries`: append-only movements. Lots keep `remaining`/`expires_at` up to date; debits
  keep `shortfall`. `(membership_id, sequence)` and `reverses_entry_id` are unique, so a lost
  update or a second reversal fails in the database even if a caller forgot the lock.
- `loyalty_allocations`: which lot each debit took points from, so a reversal restores exactly.
- `loyalty_mews_points` (v2): what Mews holds as far as this ledger knows, per membership: the
  `Points` it showed when the account was opened, then the last value Mews accepted from a push,
  with the ledger `version` that value stood for. Only the account's opening and the outbox
  settlement write it (never the ledger's own writes): compare-before-push reads it
  (`tools.loyalty.compare`).

Times are naive UTC. A released migration is never edited: changes append a new one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.store import Component

__all__ = [
    "LEDGER",
    "accounts_table",
    "allocations_table",
    "entries_table",
    "ledger_metadata",
    "mews_points_table",
]

ledger_metadata = sa.MetaData()

accounts_table = sa.Table(
    "loyalty_accounts",
    ledger_metadata,
    columns.mews_id("membership_id", primary_key=True),
    columns.mews_id("chain_id", nullable=False),
    columns.mews_id("program_id", nullable=False),
    columns.program_code("program_code", nullable=False),
    columns.mews_id("customer_id", nullable=False),
    sa.Column("balance", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    columns.created_at(),
    columns.updated_at(),
    sa.Index("ix_loyalty_accounts_customer", "customer_id"),
)

entries_table = sa.Table(
    "loyalty_entries",
    ledger_metadata,
    columns.row_id(),
    columns.mews_id(
        "membership_id",
        sa.ForeignKey("loyalty_accounts.membership_id"),
        nullable=False,
    ),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("balance_after", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("source_type", sa.String(20), nullable=False),
    sa.Column("source_id", sa.String(200), nullable=True),
    columns.idempotency_key("idempotency_key", nullable=False, unique=True),
    columns.created_at(),
    columns.utc_datetime("pending_until", nullable=True),
    columns.utc_datetime("expires_at", nullable=True),
    sa.Column("remaining", sa.BigInteger, nullable=True),
    sa.Column("shortfall", sa.BigInteger, nullable=True),
    sa.Column(
        "reverses_entry_id",
        sa.Integer,
        sa.ForeignKey("loyalty_entries.id"),
        nullable=True,
        unique=True,
    ),
    sa.UniqueConstraint("membership_id", "sequence", name="uq_loyalty_entries_sequence"),
    sa.CheckConstraint("remaining IS NULL OR remaining >= 0", name="ck_loyalty_lot_remaining"),
    sa.CheckConstraint("shortfall IS NULL OR shortfall >= 0", name="ck_loyalty_shortfall"),
    sa.CheckConstraint("points <> 0", name="ck_loyalty_points_nonzero"),
    sa.Index("ix_loyalty_entries_open_lots", "membership_id", "remaining"),
    sa.Index("ix_loyalty_entries_source", "kind", "source_type", "source_id", "created_at"),
)

allocations_table = sa.Table(
    "loyalty_allocations",
    ledger_metadata,
    columns.row_id(),
    sa.Column("debit_entry_id", sa.Integer, sa.ForeignKey("loyalty_entries.id"), nullable=False),
    sa.Column("lot_entry_id", sa.Integer, sa.ForeignKey("loyalty_entries.id"), nullable=False),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.CheckConstraint("points > 0", name="ck_loyalty_allocation_positive"),
    sa.Index("ix_loyalty_allocations_debit", "debit_entry_id"),
    sa.Index("ix_loyalty_allocations_lot", "lot_entry_id"),
)

mews_points_table = sa.Table(
    "loyalty_mews_points",
    ledger_metadata,
    columns.mews_id(
        "membership_id",
        sa.ForeignKey("loyalty_accounts.membership_id"),
        primary_key=True,
    ),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    columns.updated_at(),
)


def _create_v1(conn: Connection) -> None:
    ledger_metadata.create_all(
        conn, tables=[accounts_table, entries_table, allocations_table], checkfirst=False
    )


def _create_v2(conn: Connection) -> None:
    # Accounts opened before v2 get their row at their next push (compared from then on).
    ledger_metadata.create_all(conn, tables=[mews_points_table], checkfirst=False)


LEDGER = Component("ledger", [_create_v1, _create_v2])
