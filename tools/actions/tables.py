"""Tables of the writes' own rows, each its own component (migrated by
`storage.store.Store.migrate`):

- `offer_drafts` (component `offers`): the offers `draft_offer` stored (`tools.actions.offers`);
- `message_drafts` (component `messages`): the messages drafted for staff to send, expiry
  reminders and tier-change messages (`tools.actions.messages`);
- `booking_offers` (component `booking_offers`): the low-demand offers attached to
  reservations at booking (`tools.actions.booking_offers`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.store import Component

__all__ = [
    "BOOKING_OFFERS",
    "MESSAGES",
    "OFFERS",
    "booking_offers_table",
    "messages_table",
    "offers_table",
]

_metadata = sa.MetaData()

offers_table = sa.Table(
    "offer_drafts",
    _metadata,
    columns.record_id("id", primary_key=True),
    columns.mews_id("customer_id", nullable=False, index=True),
    columns.mews_id("membership_id", nullable=True),
    sa.Column("reward_id", sa.String(64), nullable=True),
    sa.Column("bonus_points", sa.Integer, nullable=True),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    columns.principal("drafted_by", nullable=False),
    columns.created_at(),
    # the reward's points price in this offer when discounted (a win-back offer; version 2)
    sa.Column("price_points", sa.Integer, nullable=True),
)

messages_table = sa.Table(
    "message_drafts",
    _metadata,
    columns.record_id("id", primary_key=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    columns.mews_id("customer_id", nullable=False, index=True),
    columns.mews_id("membership_id", nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    columns.principal("drafted_by", nullable=False),
    columns.created_at(),
)

booking_offers_table = sa.Table(
    "booking_offers",
    _metadata,
    columns.mews_id("reservation_id", primary_key=True),
    columns.mews_id("customer_id", nullable=False, index=True),
    columns.mews_id("membership_id", nullable=False),
    columns.program_code("program_code", nullable=False),
    sa.Column("multiplier", sa.String(16), nullable=False),
    sa.Column("stay_from", sa.Date, nullable=False),
    sa.Column("stay_to", sa.Date, nullable=False),
    sa.Column("inputs", sa.Text, nullable=False),
    sa.Column("reasoning", sa.Text, nullable=False),
    sa.Column("attached_by", sa.String(200), nullable=False),
    columns.created_at(),
)


def _created(table: sa.Table) -> Callable[[Connection], None]:
    """Version 1 of a component: its table as defined here."""

    def create_v1(conn: Connection) -> None:
        _metadata.create_all(conn, tables=[table])

    return create_v1


def _price_points_v2(conn: Connection) -> None:
    # Version 1 created the table from the same definition, which now has the column.
    columns = {column["name"] for column in sa.inspect(conn).get_columns("offer_drafts")}
    if "price_points" not in columns:
        conn.execute(sa.text("ALTER TABLE offer_drafts ADD COLUMN price_points INTEGER"))


OFFERS = Component("offers", [_created(offers_table), _price_points_v2])
MESSAGES = Component("messages", [_created(messages_table)])
BOOKING_OFFERS = Component("booking_offers", [_created(booking_offers_table)])
