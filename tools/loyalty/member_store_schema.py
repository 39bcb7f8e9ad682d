"""Tables of the member read model (component `member_facts`, migrated by `Store.migrate`).

What Mews knows about the members of the chain, as last read (`tools.loyalty.member_store`):

- `member_customers`: one row per customer holding a membership: name, e-mail (for search),
  whether a phone is on file and the Mews `Options` (marketing consent is derived on reading,
  so a changed consent rule in the program file applies at once);
- `member_memberships`: their memberships (program, state, tier, Mews `Points` as last read);
- `member_stays`: their own reservations (not a company's), with the dates and state;
- `member_product_orders`: spa and restaurant orders, by the stay they are linked to;
- `member_order_items`: the items of those stays and orders that count as spend (the net value,
  else the gross, by accounting category), so one changed item is applied alone;
- `member_facts_marks`: per entity type, the Mews time up to which changes are applied (the
  high-water mark of the `UpdatedUtc` windows) and when that was;
- `member_facts_dirty`: customers and service orders webhooks announced, applied on the next
  read or refresh;
- `member_totals` and `member_stay_totals`: per member and per stay, what the segment rules
  ask (completed stays, nights, last departure, median gap, in house or booked ahead; per stay
  its departure, nights, spend by revenue category, the gap after the previous stay), derived
  from the rows above whenever a refresh changes a member (`tools.loyalty.member_totals`), so
  a segment is one SQL query over them and only its members are built as `MemberFacts`;
- `member_programs`: per member and program, the membership the segment rules judge (the
  primary one, else the first Mews listed), its tier, whether it counts (not Canceled or
  Declined), and the member's place in a scan's order, derived with the totals, so a segment
  counts and pages its members with SQL alone;
- `member_orphans`: accounts holding a membership whose customer Mews did not return (merged
  away, or not a customer), so an incremental refresh does not ask for them again until they
  show up in a customers window;
- `member_totals_basis`: the configuration the totals were derived with (revenue category of
  each accounting category, the default currency): when it changes they are derived anew.

Times are seconds since the epoch (UTC, floats): a segment over 100,000 members reads them
without parsing text. The ledger's figures are not copied here: they are read from the ledger
when facts are built, so our own writes show at once. A released migration is never edited.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.store import Component

__all__ = [
    "MEMBER_FACTS",
    "customers_table",
    "dirty_table",
    "marks_table",
    "member_facts_metadata",
    "member_totals_table",
    "memberships_table",
    "order_items_table",
    "orphans_table",
    "product_orders_table",
    "program_members_table",
    "stay_totals_table",
    "stays_table",
    "totals_basis_table",
]

member_facts_metadata = sa.MetaData()

customers_table = sa.Table(
    "member_customers",
    member_facts_metadata,
    columns.mews_id("customer_id", primary_key=True),
    sa.Column("first_name", sa.String(255), nullable=True),
    sa.Column("last_name", sa.String(255), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("phone_on_file", sa.Boolean, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Index("ix_member_customers_email", "email"),
    sa.Index("ix_member_customers_last_name", "last_name"),
)

memberships_table = sa.Table(
    "member_memberships",
    member_facts_metadata,
    columns.mews_id("membership_id", primary_key=True),
    columns.mews_id("customer_id", nullable=False),
    columns.mews_id("program_id", nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    columns.mews_id("tier_id", nullable=True),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    sa.Column("membership_number", sa.String(100), nullable=True),
    sa.Column("points", sa.BigInteger, nullable=True),
    sa.Column("expiration", sa.String(40), nullable=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Index("ix_member_memberships_customer", "customer_id"),
    sa.Index("ix_member_memberships_program", "program_id"),
)

stays_table = sa.Table(
    "member_stays",
    member_facts_metadata,
    columns.mews_id("reservation_id", primary_key=True),
    columns.mews_id("customer_id", nullable=False),
    columns.mews_id("service_id", nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    columns.unix_time("created", nullable=True),
    columns.unix_time("scheduled_start", nullable=True),
    columns.unix_time("scheduled_end", nullable=True),
    columns.unix_time("actual_start", nullable=True),
    columns.unix_time("actual_end", nullable=True),
    sa.Index("ix_member_stays_customer", "customer_id"),
)

product_orders_table = sa.Table(
    "member_product_orders",
    member_facts_metadata,
    columns.mews_id("order_id", primary_key=True),
    columns.mews_id("reservation_id", nullable=False),
    sa.Index("ix_member_product_orders_reservation", "reservation_id"),
)

order_items_table = sa.Table(
    "member_order_items",
    member_facts_metadata,
    columns.mews_id("item_id", primary_key=True),
    columns.mews_id("service_order_id", nullable=False),
    columns.mews_id("accounting_category_id", nullable=True),
    sa.Column("value_micros", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("scale", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Index("ix_member_order_items_order", "service_order_id"),
)

marks_table = sa.Table(
    "member_facts_marks",
    member_facts_metadata,
    sa.Column("entity", sa.String(40), primary_key=True),
    columns.unix_time("high_water", nullable=False),
    columns.unix_time("refreshed_at", nullable=False),
)

dirty_table = sa.Table(
    "member_facts_dirty",
    member_facts_metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    columns.mews_id("entity_id", primary_key=True),
)


member_totals_table = sa.Table(
    "member_totals",
    member_facts_metadata,
    columns.mews_id("customer_id", primary_key=True),
    sa.Column("completed_stays", sa.Integer, nullable=False),
    sa.Column("nights", sa.Integer, nullable=False),
    # UTC date of the last checked-out stay's departure, as days since 1970-01-01.
    sa.Column("last_departure_day", sa.Integer, nullable=True),
    # Twice the median gap between the member's stays (a median of whole days is a whole or
    # half day), None with fewer than two stays.
    sa.Column("median_gap_x2", sa.Integer, nullable=True),
    sa.Column("in_house", sa.Boolean, nullable=False),
    # The latest departure of a stay still to come (Confirmed, Optional, ...): upcoming while
    # after the moment asked about.
    columns.unix_time("booked_until", nullable=True),
)

stay_totals_table = sa.Table(
    "member_stay_totals",
    member_facts_metadata,
    columns.mews_id("reservation_id", primary_key=True),
    columns.mews_id("customer_id", nullable=False),
    sa.Column("checked_out", sa.Boolean, nullable=False),
    columns.unix_time("departure", nullable=False),
    sa.Column("departure_day", sa.Integer, nullable=False),
    sa.Column("nights", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("accommodation_micros", sa.BigInteger, nullable=False),
    sa.Column("food_and_beverage_micros", sa.BigInteger, nullable=False),
    sa.Column("spa_micros", sa.BigInteger, nullable=False),
    sa.Column("other_micros", sa.BigInteger, nullable=False),
    sa.Column("spend_micros", sa.BigInteger, nullable=False),
    # Days from the previous checked-out stay's departure to this one's arrival (0 when they
    # overlap), in arrival order; None for the first and for stays not checked out.
    sa.Column("gap_days", sa.Integer, nullable=True),
)

# What the segment rules read of a member's stays, found by the member: a segment sums them
# from the index alone (a covering index), never visiting the rows.
_stay_totals_by_customer = sa.Index(
    "ix_member_stay_totals_member",
    stay_totals_table.c.customer_id,
    stay_totals_table.c.checked_out,
    stay_totals_table.c.departure,
    stay_totals_table.c.departure_day,
    stay_totals_table.c.currency,
    stay_totals_table.c.nights,
    stay_totals_table.c.spend_micros,
    stay_totals_table.c.gap_days,
)

program_members_table = sa.Table(
    "member_programs",
    member_facts_metadata,
    columns.mews_id("customer_id", primary_key=True),
    columns.mews_id("program_id", primary_key=True),
    columns.mews_id("membership_id", nullable=False),
    columns.mews_id("tier_id", nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    # The member's first membership's position (`member_memberships.position`): a scan of the
    # model lists members in this order.
    sa.Column("scan_order", sa.BigInteger, nullable=False),
    # a segment walks a program's members in order from the index alone (tier included)
    sa.Index(
        "ix_member_programs_order", "program_id", "active", "scan_order", "customer_id", "tier_id"
    ),
)

orphans_table = sa.Table(
    "member_orphans",
    member_facts_metadata,
    columns.mews_id("customer_id", primary_key=True),
)

totals_basis_table = sa.Table(
    "member_totals_basis",
    member_facts_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("basis", sa.Text, nullable=False),
)


def _create_v1(conn: Connection) -> None:
    member_facts_metadata.create_all(conn)


def _item_scale_v2(conn: Connection) -> None:
    """Items keep their decimal places (`scale`), so spend reads as Mews wrote it ("322.5", not
    "322.50"), and the model is rebuilt by the next refresh (its marks are dropped). v1 creates
    the tables from the current metadata, so a database made since has the column already."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("member_order_items")}
    if "scale" not in columns:
        conn.execute(
            sa.text("ALTER TABLE member_order_items ADD COLUMN scale SMALLINT NOT NULL DEFAULT 0")
        )
    conn.execute(sa.delete(marks_table))


def _totals_v3(conn: Connection) -> None:
    """Per-member and per-stay totals for segment queries (empty: derived on the next read,
    as no basis is recorded), and the accounts whose customer Mews did not return (empty: the
    next refresh asks for them once)."""
    member_facts_metadata.create_all(
        conn,
        tables=[member_totals_table, stay_totals_table, totals_basis_table, orphans_table],
    )


def _programs_v4(conn: Connection) -> None:
    """Per member and program, the membership segments judge (empty: the totals are derived
    anew on the next read, as their recorded basis names an older version); the stay totals
    indexed for the segment sums (covering), in place of the index on the member alone."""
    member_facts_metadata.create_all(conn, tables=[program_members_table])
    conn.execute(sa.text("DROP INDEX IF EXISTS ix_member_stay_totals_customer"))
    _stay_totals_by_customer.create(conn, checkfirst=True)


MEMBER_FACTS = Component("member_facts", [_create_v1, _item_scale_v2, _totals_v3, _programs_v4])
