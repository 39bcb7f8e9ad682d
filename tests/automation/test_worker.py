"""The worker reads changed entities in batches of 1000 ids, never one per event, and records
what each reaction did; failures back off and end in the dead letters."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from policies import ApprovalDesk
from storage.clock import FixedClock
from storage.store import Store
from tests.automation.support import EMMA_STAY, Rig, add_customer, rig
from tools.automation import (
    INBOX,
    GiveUp,
    Reacted,
    ReactionResult,
    WebhookWorker,
    inbox,
)
from tools.mews import MewsClient, MewsCredentials, SlidingWindowLimiter
from tools.mews.models import Customer, Reservation
from tools.mews.retry import RetryPolicy
from tools.sandbox import DEMO_TOKENS, FrozenClock, Sandbox

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
UK = DEMO_TOKENS[0]


@dataclass
class Recorder:
    """Reactions that record what they were handed and answer as told."""

    answer: ReactionResult = field(default_factory=lambda: Reacted("ok"))
    raise_error: Exception | None = None
    batches: list[list[str]] = field(default_factory=list)
    customers: list[list[str]] = field(default_factory=list)
    merged: list[list[str]] = field(default_factory=list)

    async def reservations_changed(
        self, reservations: Sequence[Reservation]
    ) -> Mapping[str, ReactionResult]:
        self.batches.append([r.id for r in reservations])
        if self.raise_error is not None:
            raise self.raise_error
        return {r.id: self.answer for r in reservations}

    async def customers_added(self, customers: Sequence[Customer]) -> Mapping[str, ReactionResult]:
        self.customers.append([c.id for c in customers])
        return {}

    async def customers_merged(self, customers: Sequence[Customer]) -> Mapping[str, ReactionResult]:
        self.merged.append([c.id for c in customers])
        return {}


@asynccontextmanager
async def setup(
    recorder: Recorder, customers: int = 40
) -> AsyncIterator[tuple[Sandbox, Store, WebhookWorker, MewsClient]]:
    sandbox = Sandbox.seeded(customers=customers, now=NOW, clock=FrozenClock(NOW))
    sandbox.rate_limiter.enabled = False
    store = Store("sqlite://")
    store.migrate([INBOX])
    credentials = MewsCredentials("http://sandbox.test", UK.client_token, UK.access_token, "tests")
    async with MewsClient(
        credentials,
        transport=sandbox.httpx_transport(),
        retry=RetryPolicy(max_attempts=1),
        rate_limiter=SlidingWindowLimiter(limit=10_000, window=30.0),
    ) as mews:
        worker = WebhookWorker(store, mews, recorder, clock=FixedClock(NOW), max_attempts=2)
        yield sandbox, store, worker, mews
    store.dispose()


def webhook(*events: tuple[str, str], enterprise: str = UK.enterprise_id) -> bytes:
    return json.dumps(
        {
            "EnterpriseId": enterprise,
            "IntegrationId": UK.integration_id,
            "Events": [{"Discriminator": d, "Value": {"Id": i}} for d, i in events],
        }
    ).encode()


async def test_2500_changed_reservations_cost_three_reads_and_one_reaction_call() -> None:
    recorder = Recorder()
    async with setup(recorder, customers=3000) as (sandbox, store, worker, mews):
        ids = [r.id for r in sandbox.state.by_idx if r.enterprise_id == UK.enterprise_id][:2500]
        assert len(ids) == 2500
        for start in range(0, 2500, 250):  # ten webhook messages
            chunk = ids[start : start + 250]
            inbox.receive(store, webhook(*(("ServiceOrderUpdated", i) for i in chunk)), now=NOW)

        report = await worker.drain()

        assert mews.stats.requests == {"reservations/getAll/2023-06-06": 3}
        assert [len(batch) for batch in recorder.batches] == [2500]
        assert (report.claimed, report.done, report.reservations) == (2500, 2500, 2500)


async def test_events_without_a_reaction_and_invisible_ids_are_done_with_a_reason() -> None:
    recorder = Recorder()
    async with setup(recorder) as (_, store, worker, mews):
        missing = "00000000-0000-4000-8000-000000000001"
        inbox.receive(
            store,
            webhook(
                ("PaymentUpdated", missing),
                ("ServiceOrderUpdated", missing),
                ("MessageAdded", missing),
            ),
            now=NOW,
        )
        await worker.drain()
        results = sorted(e.result or "" for e in inbox.list_events(store, statuses=("done",)))

    assert results == [
        "no reaction to MessageAdded",
        "no reaction to PaymentUpdated",
        f"reservation {missing} is not visible to this connection",
    ]
    assert mews.stats.requests == {"reservations/getAll/2023-06-06": 1}


async def test_a_failing_reaction_is_retried_then_dead_lettered() -> None:
    recorder = Recorder(raise_error=RuntimeError("ledger is locked"))
    async with setup(recorder) as (_, store, worker, _mews):
        inbox.receive(store, webhook(("ServiceOrderUpdated", EMMA_STAY)), now=NOW)
        first = await worker.run_once()
        assert (first.retried, first.dead) == (1, 0)
        assert (await worker.run_once()).claimed == 0  # backing off
        worker.clock = FixedClock(datetime(2026, 11, 22, 13, 0, tzinfo=UTC))
        second = await worker.run_once()
        [dead] = inbox.list_events(store, statuses=("dead",))

    assert (second.retried, second.dead) == (0, 1)
    assert dead.last_error == "reaction failed: RuntimeError: ledger is locked"


async def test_a_mews_outage_retries_and_a_policy_denial_is_dead_lettered_at_once() -> None:
    recorder = Recorder(answer=GiveUp("denied: caps.per_principal_per_day"))
    async with setup(recorder) as (sandbox, store, worker, _mews):
        inbox.receive(store, webhook(("ServiceOrderUpdated", EMMA_STAY)), now=NOW)
        sandbox.faults.fail_next(503, 1)
        outage = await worker.run_once()
        assert outage.retried == 1
        worker.clock = FixedClock(datetime(2026, 11, 22, 13, 0, tzinfo=UTC))
        denied = await worker.run_once()

    assert (denied.dead, denied.summaries) == (1, {1: "denied: caps.per_principal_per_day"})
    assert recorder.batches == [[EMMA_STAY]]


async def test_customer_added_and_updated_for_one_customer_is_fetched_once(tmp_path: Path) -> None:
    recorder = Recorder()
    async with setup(recorder) as (sandbox, store, worker, mews):
        customer = sandbox.state.by_idx[0].account_id
        inbox.receive(
            store, webhook(("CustomerAdded", customer), ("CustomerUpdated", customer)), now=NOW
        )
        await worker.drain()
    assert recorder.customers == [[customer]]
    assert mews.stats.requests == {"customers/getAll": 1}


async def test_a_new_customer_is_proposed_for_enrolment_when_configured(tmp_path: Path) -> None:
    async with rig(tmp_path, mode="recommend") as r:
        await _add_newcomer_enrolling_in_pc01(r)
        await r.deliver()
        [approval] = ApprovalDesk(r.runtime.guard).approvals()
        done = {
            e.discriminator: e.result
            for e in inbox.list_events(r.runtime.store, statuses=("done",))
        }

    assert approval.action == "add_loyalty_memberships"
    assert approval.requester == "automation"
    assert done["CustomerAdded"] == f"enrolment in PC01 proposed: approval {approval.id}"
    [membership] = approval.args["memberships"]
    assert str(membership["membership_number"]).startswith("PC01-")
    bronze = [t for t in r.sandbox.state.tiers if t.code == "B1"]
    assert membership["loyalty_tier_id"] in {t.id for t in bronze}  # the base tier, by rank
    assert done["CustomerUpdated"] == "no reaction to CustomerUpdated"


async def test_an_auto_enrolled_customer_gets_a_number_and_the_base_tier_in_mews(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, mode="automate") as r:
        customer = await _add_newcomer_enrolling_in_pc01(r)
        await r.deliver()
        done = {
            e.discriminator: e.result
            for e in inbox.list_events(r.runtime.store, statuses=("done",))
        }
        [membership] = [m for m in r.sandbox.state.memberships if m.account_id == customer["Id"]]
        tiers = {t.id: t.code for t in r.sandbox.state.tiers}

    assert done["CustomerAdded"] == "enrolled in PC01"
    assert membership.membership_number == f"PC01-{customer['Number']}"
    assert tiers[membership.tier_id or ""] == "B1"


async def _add_newcomer_enrolling_in_pc01(r: Rig) -> dict[str, Any]:
    """Reactions that enrol new customers in PC01, then a guest added in the sandbox (its
    CustomerAdded webhook is queued); the added customer as Mews returned it."""
    from tools.automation.reactions import LoyaltyReactions

    r.service.worker.reactions = LoyaltyReactions(
        guard=r.runtime.guard, loader=r.runtime.loader, enrol_program="PC01"
    )
    return await add_customer(r, "Newcomer")
