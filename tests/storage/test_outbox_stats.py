"""`outbox.stats` counts commands by status (what `loyalty ledger sync` and operators read)."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import outbox
from storage.store import Store

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def test_stats_count_pending_in_flight_and_done_commands() -> None:
    store = Store("sqlite://")
    store.migrate([outbox.OUTBOX])
    with store.write() as conn:
        for n in range(3):
            outbox.enqueue(conn, "loyaltyMemberships/update", {"n": n}, now=NOW)
    first, second = outbox.claim(store, now=NOW, limit=2)
    outbox.complete(store, first.id, now=NOW)
    assert second.id != first.id
    assert outbox.stats(store) == outbox.OutboxStats(pending=1, in_flight=1, done=1, dead=0)
