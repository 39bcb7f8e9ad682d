"""Tables of campaigns (component `campaigns`, migrated by `storage.store.Store.migrate`).

- `campaign_segments`: a segment snapshot (the members a campaign is about to address), written
  by `create_campaign` before it submits the guarded write, so the write and its approval are
  bound to one fixed member list (by id) instead of whatever the segment holds later;
- `campaigns`: one row per created campaign;
- `campaign_members`: each member's group (treated or holdout) and measured outcome;
- `campaign_drafts`: the per-member, per-channel copy of treated members (drafted, never sent);
- `recommendation_log`: every recommendation made (campaign offers, upsell suggestions) and its
  outcome once known, so that later ranking can use what actually worked.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.store import Component

__all__ = [
    "CAMPAIGNS",
    "campaign_drafts_table",
    "campaign_members_table",
    "campaign_segments_table",
    "campaigns_table",
    "recommendation_log_table",
]

_metadata = sa.MetaData()


def _campaign_member() -> list[sa.Column[str]]:
    """Which campaign member a row is about: the campaign and the customer (fresh columns)."""
    return [
        columns.record_id("campaign_id", primary_key=True),
        columns.mews_id("customer_id", primary_key=True),
    ]


campaign_segments_table = sa.Table(
    "campaign_segments",
    _metadata,
    columns.record_id("id", primary_key=True),
    columns.program_code("program_code", nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("members", sa.JSON, nullable=False),  # [[customer_id, membership_id, name], ...]
    columns.created_at(),
)

campaigns_table = sa.Table(
    "campaigns",
    _metadata,
    columns.record_id("id", primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("goal", sa.String(20), nullable=False),
    columns.program_code("program_code", nullable=False),
    sa.Column("segment", sa.Text, nullable=False),
    sa.Column("reward_id", sa.String(64), nullable=True),
    sa.Column("bonus_points", sa.Integer, nullable=True),
    sa.Column("points_per_member", sa.Integer, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("holdout_share", sa.String(10), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("treated", sa.Integer, nullable=False),
    sa.Column("held_out", sa.Integer, nullable=False),
    sa.Column("liability", sa.BigInteger, nullable=False),
    columns.principal("created_by", nullable=False),
    columns.principal("approved_by", nullable=True),
    columns.created_at(),
    columns.utc_datetime("measured_at", nullable=True),
)

campaign_members_table = sa.Table(
    "campaign_members",
    _metadata,
    *_campaign_member(),
    columns.mews_id("membership_id", nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("holdout", sa.Boolean, nullable=False),
    sa.Column("redeemed", sa.Boolean, nullable=True),  # outcomes: None until measured
    sa.Column("stayed", sa.Boolean, nullable=True),
    sa.Column("points_earned", sa.BigInteger, nullable=True),
)

campaign_drafts_table = sa.Table(
    "campaign_drafts",
    _metadata,
    *_campaign_member(),
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),  # drafted | rejected
    sa.Column("copy", sa.Text, nullable=True),  # None when the guardrail rejected it
    sa.Column("problems", sa.Text, nullable=True),
)

recommendation_log_table = sa.Table(
    "recommendation_log",
    _metadata,
    columns.row_id(),
    sa.Column("source", sa.String(10), nullable=False),  # campaign | upsell
    sa.Column("source_id", sa.String(64), nullable=False, index=True),
    columns.mews_id("customer_id", nullable=False, index=True),
    columns.mews_id("membership_id", nullable=True),
    sa.Column("item_kind", sa.String(20), nullable=False),  # reward | bonus | product | ...
    sa.Column("item_id", sa.String(64), nullable=False),
    sa.Column("context", sa.String(40), nullable=False),  # campaign goal, or "upsell"
    columns.utc_datetime("recommended_at", nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # pending | converted | not_converted
    columns.utc_datetime("outcome_at", nullable=True),
    sa.UniqueConstraint("source", "source_id", "customer_id", "item_id"),
)


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn)


CAMPAIGNS = Component("campaigns", [_create_v1])
