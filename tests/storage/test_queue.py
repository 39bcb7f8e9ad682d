"""`WorkQueue`: the lease, backoff and dead-letter rules the outbox and the webhook inbox share,
on a table of its own (SQLite, and PostgreSQL when one is reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from storage.queue import WorkQueue, work_item_columns
from storage.store import Component, Store

NOW = datetime(2026, 3, 16, 9, 30)
BACKOFF = {"base_delay": timedelta(seconds=10), "max_delay": timedelta(seconds=25)}

_metadata = sa.MetaData()
items = sa.Table(
    "queue_test_items",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("topic", sa.String(16), nullable=False),
    *work_item_columns(),
)
QUEUE = WorkQueue(items, "queue-test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Store(url)
    db.migrate([Component("queue_test", [lambda conn: _metadata.create_all(conn)])])
    with db.write() as conn:
        for topic in ("a", "b", "a"):
            conn.execute(
                items.insert().values(
                    topic=topic,
                    status="pending",
                    next_attempt_at=NOW,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    yield db
    db.dispose()


def _statuses(store: Store) -> dict[int, str]:
    with store.read() as conn:
        return {row.id: row.status for row in QUEUE.listed(conn, ("pending", "in_flight"), 10)}


def test_a_claim_leases_due_items_oldest_first_and_a_lapsed_lease_is_due_again(
    store: Store,
) -> None:
    with store.write(QUEUE.lock) as conn:
        first = QUEUE.claim(conn, NOW, limit=2, lease=timedelta(minutes=1))
        assert [row.id for row in first] == [1, 2]
        assert (
            QUEUE.claim(
                conn, NOW, limit=5, lease=timedelta(minutes=1), where=[items.c.topic == "b"]
            )
            == []
        )
        assert [row.id for row in QUEUE.claim(conn, NOW, limit=5, lease=timedelta(minutes=1))] == [
            3
        ]
        later = NOW + timedelta(minutes=2)
        assert [
            row.id for row in QUEUE.claim(conn, later, limit=1, lease=timedelta(minutes=1))
        ] == [1]
        QUEUE.release_lapsed(conn, later)
    assert _statuses(store) == {1: "in_flight", 2: "pending", 3: "pending"}


def test_failures_back_off_exponentially_up_to_a_cap_then_dead_letter(store: Store) -> None:
    with store.write(QUEUE.lock) as conn:
        QUEUE.claim(conn, NOW, limit=1, lease=timedelta(minutes=1))
        statuses = [
            QUEUE.fail(conn, 1, "Mews 503", NOW, max_attempts=4, **BACKOFF) for _ in range(4)
        ]
        row = conn.execute(sa.select(items).where(items.c.id == 2)).one()
        assert row.attempts == 0
        QUEUE.fail(conn, 2, "timeout", NOW, max_attempts=4, **BACKOFF)
        QUEUE.fail(conn, 2, "again", NOW, max_attempts=4, **BACKOFF)
        QUEUE.fail(conn, 2, "and again", NOW, max_attempts=4, **BACKOFF)
        second = conn.execute(sa.select(items).where(items.c.id == 2)).one()
        first = conn.execute(sa.select(items).where(items.c.id == 1)).one()
    assert statuses == ["pending", "pending", "pending", "dead"]
    assert (first.attempts, first.lease_until, first.last_error) == (4, None, "Mews 503")
    # 10 s, 20 s, then capped at 25 s
    assert second.next_attempt_at == NOW + timedelta(seconds=25)
    assert second.status == "pending"


def test_done_parked_and_requeued_items(store: Store) -> None:
    with store.write(QUEUE.lock) as conn:
        QUEUE.claim(conn, NOW, limit=3, lease=timedelta(minutes=1))
        QUEUE.fail(conn, 1, "bad", NOW, max_attempts=5, **BACKOFF)
        QUEUE.complete(conn, {1: "ok", 2: None}, NOW)
        QUEUE.park(conn, {3: "denied"}, NOW)
        assert QUEUE.counts(conn) == {"done": 2, "dead": 1}
        done = conn.execute(sa.select(items).where(items.c.id == 1)).one()
        assert (done.result, done.last_error) == ("ok", "bad")
        QUEUE.complete(conn, {1: "ok"}, NOW, clear_error=True)
        assert conn.execute(sa.select(items.c.last_error).where(items.c.id == 1)).scalar() is None
        assert QUEUE.requeue(conn, NOW) == 1
        assert QUEUE.requeue(conn, NOW, statuses=("done",), ids=[2]) == 1
        assert QUEUE.counts(conn) == {"done": 1, "pending": 2}
