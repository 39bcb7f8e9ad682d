"""Approval requests delivered together reach Mews as one digest task per hotel; a single request
keeps its own task and fulfilment tasks are never merged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.runtime import sandbox_enterprise_clients
from policies import approvals
from policies.approvals import Approval, NewApproval
from policies.schema import POLICIES
from storage import outbox
from storage.clock import FixedClock
from storage.store import Store
from tools.actions.approval_digest import DESCRIPTION_LIMIT, DigestLine, digest_payload
from tools.actions.notices import NoticeDispatcher, NoticeReport, queue_task
from tools.runtime import sandbox_client
from tools.sandbox import PORTFOLIO, PORTFOLIO_HOTELS, STORY, Sandbox

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def _store() -> Store:
    store = Store("sqlite://")
    store.migrate([outbox.OUTBOX, POLICIES])
    return store


def _request(
    store: Store, n: int, *, hours: int = 72, points: int = 300, hotel: str | None = None
) -> Approval:
    with store.write() as conn:
        return approvals.create(
            conn,
            NewApproval(
                action="award_stay_bonus",
                args_json=f'{{"customer_id": "c{n}", "points": {points}}}',
                requester="automation",
                requester_role="agent",
                rule="approvals.variance_above",
                reason="a price +60% from base is beyond ±20%",
                note=f"{points} bonus points for a stay (reservation r{n})",
                points=points,
                idempotency_key=f"stay-bonus:r{n}",
                created_at=NOW,
                expires_at=NOW + timedelta(hours=hours),
                enterprise_id=hotel,
            ),
        )


async def _drain_through_each_hotel(sandbox: Sandbox, store: Store) -> NoticeReport:
    """Send the queued notices with a portfolio token, each hotel's through its own token."""
    async with sandbox_client(sandbox, PORTFOLIO, chain_ids=(STORY.chain_id,)) as mews:
        singles = sandbox_enterprise_clients(sandbox)
        dispatcher = NoticeDispatcher(
            mews, store, clock=FixedClock(NOW), enterprise_mews=singles, sentences=_names
        )
        return await dispatcher.drain()


async def _names(requests: Sequence[Approval]) -> list[str]:
    return [f"Stay bonus of {a.points} points to Guest {a.args['customer_id']}" for a in requests]


def test_a_digest_names_the_count_the_earliest_deadline_and_one_line_per_request() -> None:
    late, early = NOW + timedelta(hours=72), NOW + timedelta(hours=24)
    payload = digest_payload(
        [
            DigestLine("Stay bonus of 900 points to Emma Novak", "above 20 %", late),
            DigestLine("Award 2,500 points to Zoe Park", "above 2,000 points", early),
        ],
        ZoneInfo("Europe/Prague"),
    )
    assert payload["Name"] == "Loyalty approvals: 2 waiting"
    assert payload["DeadlineUtc"] == "2026-03-17T09:30:00Z"
    assert "the first lapses at 17 Mar 2026, 10:30 CET." in payload["Description"]  # hotel's clock
    lines = [line for line in payload["Description"].splitlines() if line.startswith("- ")]
    assert lines[0] == "- Award 2,500 points to Zoe Park. Why: above 2,000 points."
    assert lines[1].startswith("- Stay bonus of 900 points to Emma Novak")
    assert "loyalty approvals list" in payload["Description"]


def test_a_long_digest_stays_within_the_description_limit_and_says_how_many_more() -> None:
    lines = [
        DigestLine(f"Stay bonus of {n} points to Guest number {n}", "above 20 %", NOW)
        for n in range(400)
    ]
    payload = digest_payload(lines)
    description = payload["Description"]
    assert len(description) <= DESCRIPTION_LIMIT
    shown = sum(1 for line in description.splitlines() if line.startswith("- "))
    assert 10 < shown < 400
    assert f"...and {400 - shown} more." in description
    assert payload["Name"] == "Loyalty approvals: 400 waiting"


def test_a_digest_needs_a_request() -> None:
    with pytest.raises(ValueError, match="at least one request"):
        digest_payload([])


async def test_many_requests_become_one_task_and_a_fulfilment_task_keeps_its_own() -> None:
    sandbox = Sandbox.seeded(customers=20)
    store = _store()
    for n in range(5):
        _request(store, n, hours=72 - n)
    with store.write() as conn:
        queue_task(conn, name="Fulfil: late checkout", description="Room 12", deadline=NOW, now=NOW)
    async with sandbox_client(sandbox) as mews:
        dispatcher = NoticeDispatcher(mews, store, clock=FixedClock(NOW), sentences=_names)
        report = await dispatcher.drain()
        assert (report.delivered, report.failed) == (6, 0)
        assert mews.stats.requests["tasks/add"] == 2
    (digest,) = [t for t in sandbox.state.tasks if t.name.startswith("Loyalty approvals")]
    assert digest.name == "Loyalty approvals: 5 waiting"
    assert digest.deadline == int((NOW + timedelta(hours=68)).timestamp())  # the earliest
    assert "Stay bonus of 300 points to Guest c4" in (digest.description or "")
    assert "apr_" not in (digest.description or "")  # names, not ids
    assert [t.name for t in sandbox.state.tasks if t.name.startswith("Fulfil")] == [
        "Fulfil: late checkout"
    ]


async def test_a_single_request_keeps_its_own_task_and_a_decided_one_is_not_announced() -> None:
    sandbox = Sandbox.seeded(customers=20)
    store = _store()
    waiting = _request(store, 1)
    decided = _request(store, 2)
    with store.write() as conn:
        assert approvals.claim(conn, decided.id, "rejected", by="maria", now=NOW)
    async with sandbox_client(sandbox) as mews:
        dispatcher = NoticeDispatcher(mews, store, clock=FixedClock(NOW), sentences=_names)
        report = await dispatcher.drain()
    assert (report.delivered, report.failed) == (2, 0)
    (task,) = [t for t in sandbox.state.tasks if t.name.startswith("Loyalty approval")]
    assert task.name == "Loyalty approval: award_stay_bonus"
    assert waiting.id in (task.description or "")


async def test_without_words_for_the_requests_the_digest_uses_their_notes() -> None:
    sandbox = Sandbox.seeded(customers=20)
    store = _store()
    _request(store, 1)
    _request(store, 2, points=450)

    async def broken(_: Sequence[Approval]) -> list[str]:
        raise RuntimeError("Mews is down")

    async with sandbox_client(sandbox) as mews:
        dispatcher = NoticeDispatcher(mews, store, clock=FixedClock(NOW), sentences=broken)
        await dispatcher.drain()
    (digest,) = [t for t in sandbox.state.tasks if t.name.startswith("Loyalty approvals")]
    assert "450 bonus points for a stay (reservation r2)" in (digest.description or "")


async def test_with_a_portfolio_token_each_hotel_gets_one_digest_through_its_own_token() -> None:
    sandbox = Sandbox.seeded(customers=20)
    store = _store()
    hotels = [STORY.enterprise_uk, STORY.enterprise_us] * 2
    requests = [_request(store, n) for n in range(len(hotels))]
    with store.write() as conn:  # each request about one hotel's stay, announced there
        conn.execute(outbox.outbox_table.delete())
        for approval, hotel in zip(requests, hotels, strict=True):
            payload = {**approvals.task_payload(approval), "EnterpriseId": hotel}
            outbox.enqueue(conn, "tasks/add", payload, now=NOW)
    report = await _drain_through_each_hotel(sandbox, store)
    assert (report.delivered, report.failed) == (4, 0)
    digests = sorted(
        (t.enterprise_id, t.name) for t in sandbox.state.tasks if t.name.startswith("Loyalty")
    )
    assert digests == sorted(
        [
            (STORY.enterprise_uk, "Loyalty approvals: 2 waiting"),
            (STORY.enterprise_us, "Loyalty approvals: 2 waiting"),
        ]
    )


async def test_requests_recording_their_hotel_are_announced_at_that_hotel_one_digest_each() -> None:
    sandbox = Sandbox.seeded(customers=20)
    store = _store()
    hotels = [STORY.enterprise_uk, STORY.enterprise_us, STORY.enterprise_us, None]
    requests = [_request(store, n, hotel=hotel) for n, hotel in enumerate(hotels)]
    assert [r.enterprise_id for r in requests] == hotels  # recorded with the request
    assert approvals.task_payload(requests[1])["EnterpriseId"] == STORY.enterprise_us
    assert "EnterpriseId" not in approvals.task_payload(requests[3])  # the chain: first hotel
    report = await _drain_through_each_hotel(sandbox, store)
    assert (report.delivered, report.failed) == (4, 0)
    first_hotel = PORTFOLIO_HOTELS[0].enterprise_id  # where a request with no hotel goes
    tasks = sorted(
        (t.enterprise_id, t.name) for t in sandbox.state.tasks if t.name.startswith("Loyalty")
    )
    assert tasks == sorted(
        [
            (STORY.enterprise_uk, "Loyalty approval: award_stay_bonus"),
            (STORY.enterprise_us, "Loyalty approvals: 2 waiting"),
            (first_hotel, "Loyalty approval: award_stay_bonus"),
        ]
    )
