"""Guest-profile notes queued by agent writes reach Mews in batches; one bad note is isolated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import outbox
from storage.clock import FixedClock
from storage.store import Store
from tools.actions.notices import NoticeDispatcher
from tools.runtime import sandbox_client
from tools.sandbox import PORTFOLIO, STORY, Sandbox

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def queue_notes(store: Store, account_ids: list[str]) -> None:
    with store.write() as conn:
        for n, account_id in enumerate(account_ids):
            payload = {
                "AccountNotes": [{"AccountId": account_id, "Content": f"Assistant write #{n}"}],
                "ChainId": STORY.chain_id,
            }
            outbox.enqueue(conn, "accountNotes/add", payload, now=NOW)


@pytest.mark.anyio
async def test_notes_go_out_in_one_request_and_a_bad_one_does_not_hold_back_the_rest() -> None:
    sandbox = Sandbox.seeded(customers=50)
    store = Store("sqlite://")
    store.migrate([outbox.OUTBOX])
    guests = [STORY.emma_novak, STORY.zoe, STORY.jose]
    queue_notes(store, guests)
    async with sandbox_client(sandbox, PORTFOLIO) as mews:
        dispatcher = NoticeDispatcher(mews, store, clock=FixedClock(NOW))
        report = await dispatcher.drain()
        assert (report.delivered, report.failed) == (3, 0)
        assert mews.stats.requests["accountNotes/add"] == 1

        queue_notes(store, [STORY.emma_novak, "00000000-0000-0000-0000-000000000000"])
        mews.stats.reset()
        report = await dispatcher.drain()
        assert (report.delivered, report.failed) == (1, 1)
        assert mews.stats.requests["accountNotes/add"] == 3  # the batch, then each half
        notes = await mews.account_notes.get_all(account_ids=[STORY.emma_novak]).to_list()
    contents = sorted(note.content for note in notes if note.content.startswith("Assistant"))
    assert contents == ["Assistant write #0", "Assistant write #0"]
    assert outbox.stats(store).pending == 1  # the bad note waits for its retry, then dead-letters
