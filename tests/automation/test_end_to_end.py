"""Sandbox checkout → General Webhook → inbox → worker → guarded accrual → balance in Mews."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.automation.support import (
    EMMA_EARNS,
    EMMA_MEMBERSHIP,
    EMMA_STAY,
    EMMA_STAY_POINTS,
    SECRET,
    WEBHOOK_URL,
    rig,
)
from tools.automation import inbox
from tools.loyalty import _ledger_sql as ledger_sql
from tools.loyalty.accrual import accrual_idempotency_key

pytestmark = pytest.mark.anyio


async def test_a_checkout_accrues_points_once_and_mews_shows_the_new_balance(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP)
        r.check_out(EMMA_STAY)
        await r.deliver()

        assert r.sandbox.webhooks.totals.delivered >= 1
        assert r.ledger_balance(EMMA_MEMBERSHIP) == (before or 0) + EMMA_EARNS
        assert r.mews_points(EMMA_MEMBERSHIP) == (before or 0) + EMMA_EARNS
        events = inbox.list_events(r.runtime.store, statuses=("done",))
        results = [e.result for e in events if e.entity_id == EMMA_STAY]
        assert results
        assert all(f"posted: {EMMA_STAY_POINTS} points" in (x or "") for x in results)
        assert inbox.stats(r.runtime.store).dead == 0


async def test_the_same_webhook_delivered_twice_accrues_once(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        body = r.stay_updated(EMMA_STAY).encode()
        first = await r.post_json(WEBHOOK_URL, body)
        second = await r.post_json(WEBHOOK_URL, body)  # still pending: a duplicate
        assert (first.status_code, first.json()["Accepted"]) == (202, 1)
        assert (second.status_code, second.json()["Duplicates"]) == (202, 1)
        await r.service.worker.drain()
        third = await r.post_json(WEBHOOK_URL, body)  # after processing: stored, harmless
        assert third.json()["Accepted"] == 1
        await r.service.worker.drain()

        assert r.ledger_balance(EMMA_MEMBERSHIP) == before + EMMA_EARNS
        assert r.mews_points(EMMA_MEMBERSHIP) == before + EMMA_EARNS
        with r.runtime.store.read() as conn:
            entry = ledger_sql.entry_by_key(conn, accrual_idempotency_key(EMMA_STAY))
        assert entry is not None
        assert entry.points == EMMA_STAY_POINTS


async def test_a_receiver_that_is_down_for_a_while_still_ends_with_one_accrual(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        up = r.sandbox.webhooks.transport
        r.sandbox.webhooks.transport = httpx.MockTransport(lambda _: httpx.Response(503))
        r.check_out(EMMA_STAY)
        r.advance(121)
        report = await r.sandbox.webhooks.flush()
        assert (report.attempted, report.failed, report.pending) == (1, 1, 1)
        r.advance(30)  # before the backoff (60 s): nothing is sent
        assert (await r.sandbox.webhooks.flush()).attempted == 0
        r.advance(31)
        assert (await r.sandbox.webhooks.flush()).failed == 1  # still down; backs off 120 s

        r.sandbox.webhooks.transport = up
        r.advance(121)
        report = await r.sandbox.webhooks.flush()
        assert (report.delivered, report.pending) == (1, 0)
        await r.service.worker.drain()
        assert r.sandbox.webhooks.pending == []
        assert r.mews_points(EMMA_MEMBERSHIP) == before + EMMA_EARNS
        assert r.ledger_balance(EMMA_MEMBERSHIP) == before + EMMA_EARNS


async def test_a_cancel_after_accrual_reverses_the_points(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        await r.deliver()
        assert r.mews_points(EMMA_MEMBERSHIP) == before + EMMA_EARNS
        # The sandbox only cancels reservations that have not started; a PMS correction sets the
        # state of a checked-out stay to Canceled (what the reversal exists for).
        reservation = r.sandbox.state.reservations.get(EMMA_STAY)
        assert reservation is not None
        reservation.state = "Confirmed"
        r.sandbox.transition(EMMA_STAY, "Canceled")
        await r.deliver()

        assert r.ledger_balance(EMMA_MEMBERSHIP) == before
        assert r.mews_points(EMMA_MEMBERSHIP) == before
        done = inbox.list_events(r.runtime.store, statuses=("done",))
        assert any("reversal" in (e.result or "") for e in done)


async def test_a_malformed_payload_is_refused_with_400_and_kept_for_inspection(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        body = b'{"EnterpriseId": "not-a-guid", "Events": []}'
        response = await r.post_json(WEBHOOK_URL, body)
        assert response.status_code == 400
        assert "EnterpriseId must be a GUID" in response.json()["Message"]
        kept = inbox.list_messages(r.runtime.store, malformed_only=True)
        assert [(m.id, m.body) for m in kept] == [(response.json()["MessageId"], body.decode())]
        assert inbox.stats(r.runtime.store).malformed == 1


async def test_a_wrong_secret_is_a_404_and_stores_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        wrong = WEBHOOK_URL.replace(SECRET, "x" * len(SECRET))
        response = await r.post_json(wrong, b"{}")
        assert response.status_code == 404
        assert inbox.stats(r.runtime.store).messages == 0
