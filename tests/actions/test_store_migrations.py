"""Store migrations of issue 17: approval requests record their hotel (policies 3), offer
drafts their discounted points price (offers 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from policies import approvals
from policies.approvals import NewApproval
from policies.schema import POLICIES
from storage import outbox
from storage.store import Store
from tools.actions.tables import OFFERS

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def _new(key: str, hotel: str | None) -> NewApproval:
    return NewApproval(
        action="award_points",
        args_json="{}",
        requester="alice",
        requester_role="staff",
        rule="approvals.points_above",
        reason="above the threshold",
        note="2,500 points",
        points=2500,
        idempotency_key=key,
        created_at=NOW,
        expires_at=NOW + timedelta(hours=72),
        enterprise_id=hotel,
    )


def test_a_database_from_before_migration_3_gains_the_hotel_and_keeps_its_requests() -> None:
    store = Store("sqlite://")
    store.migrate([outbox.OUTBOX, POLICIES])
    with store.write() as conn:  # back to version 2: the column as it was not
        conn.execute(sa.text("ALTER TABLE policy_approvals DROP COLUMN enterprise_id"))
        conn.execute(
            sa.text("UPDATE schema_migrations SET version = 2 WHERE component = 'policies'")
        )
        conn.execute(
            sa.text(
                "INSERT INTO policy_approvals (id, action, args, args_hash, requester, "
                "requester_role, rule, reason, note, points, idempotency_key, status, "
                "created_at, expires_at) VALUES ('apr_old', 'award_points', '{}', 'h', 'alice', "
                "'staff', 'r', 'why', 'n', 1, 'k-old', 'pending', :now, :later)"
            ),
            {
                "now": NOW.replace(tzinfo=None),
                "later": (NOW + timedelta(days=3)).replace(tzinfo=None),
            },
        )
    assert store.migrate([outbox.OUTBOX, POLICIES])["policies"] == 3
    with store.write() as conn:
        old = approvals.get(conn, "apr_old")
        new = approvals.create(conn, _new("k-new", "hotel-2"))
    assert old.enterprise_id is None
    with store.read() as conn:
        assert approvals.get(conn, new.id).enterprise_id == "hotel-2"
    assert new.to_dict(NOW)["enterprise_id"] == "hotel-2"


def test_offer_drafts_from_before_migration_2_gain_the_discounted_price() -> None:
    store = Store("sqlite://")
    store.migrate([OFFERS])
    with store.write() as conn:  # back to version 1
        conn.execute(sa.text("ALTER TABLE offer_drafts DROP COLUMN price_points"))
        conn.execute(sa.text("UPDATE schema_migrations SET version = 1 WHERE component = 'offers'"))
    assert store.migrate([OFFERS])["offers"] == 2
    with store.read() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("offer_drafts")}
    assert "price_points" in columns
