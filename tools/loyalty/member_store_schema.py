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
  read or refresh.

Times are seconds since the epoch (UTC, floats): a segment over 100,000 members reads them
without parsing text. The ledger's figures are not copied here: they are read from the ledger
when facts are built, so our own writes show at once. A released migration is never edited.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.store import Component

__all__ = [
    "MEMBER_FACTS",
    "customers_table",
    "dirty_table",
    "marks_table",
    "member_facts_metadata",
    "memberships_table",
    "order_items_table",
    "product_orders_table",
    "stays_table",
]

member_facts_metadata = sa.MetaData()

_ID = 64

customers_table = sa.Table(
    "member_customers",
    member_facts_metadata,
    sa.Column("customer_id", sa.String(_ID), primary_key=True),
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
    sa.Column("membership_id", sa.String(_ID), primary_key=True),
    sa.Column("customer_id", sa.String(_ID), nullable=False),
    sa.Column("program_id", sa.String(_ID), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("tier_id", sa.String(_ID), nullable=True),
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
    sa.Column("reservation_id", sa.String(_ID), primary_key=True),
    sa.Column("customer_id", sa.String(_ID), nullable=False),
    sa.Column("service_id", sa.String(_ID), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("created", sa.Float, nullable=True),
    sa.Column("scheduled_start", sa.Float, nullable=True),
    sa.Column("scheduled_end", sa.Float, nullable=True),
    sa.Column("actual_start", sa.Float, nullable=True),
    sa.Column("actual_end", sa.Float, nullable=True),
    sa.Index("ix_member_stays_customer", "customer_id"),
)

product_orders_table = sa.Table(
    "member_product_orders",
    member_facts_metadata,
    sa.Column("order_id", sa.String(_ID), primary_key=True),
    sa.Column("reservation_id", sa.String(_ID), nullable=False),
    sa.Index("ix_member_product_orders_reservation", "reservation_id"),
)

order_items_table = sa.Table(
    "member_order_items",
    member_facts_metadata,
    sa.Column("item_id", sa.String(_ID), primary_key=True),
    sa.Column("service_order_id", sa.String(_ID), nullable=False),
    sa.Column("accounting_category_id", sa.String(_ID), nullable=True),
    sa.Column("value_micros", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("scale", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Index("ix_member_order_items_order", "service_order_id"),
)

marks_table = sa.Table(
    "member_facts_marks",
    member_facts_metadata,
    sa.Column("entity", sa.String(40), primary_key=True),
    sa.Column("high_water", sa.Float, nullable=False),
    sa.Column("refreshed_at", sa.Float, nullable=False),
)

dirty_table = sa.Table(
    "member_facts_dirty",
    member_facts_metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("entity_id", sa.String(_ID), primary_key=True),
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


MEMBER_FACTS = Component("member_facts", [_create_v1, _item_scale_v2])
