"""The sandbox sends General Webhooks like Mews: delayed, batched, retried, then discarded."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tools.sandbox import DEMO_TOKENS, PORTFOLIO, STORY, FrozenClock, Sandbox
from tools.sandbox.clock import Duration
from tools.sandbox_credentials import sandbox_credentials

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
URL = "http://receiver.test/hook/secret"
UK, US = DEMO_TOKENS[0], DEMO_TOKENS[4]


class Receiver:
    """Records every POST; answers with the next status of `statuses` (then 202)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.bodies.append(json.loads(request.content))
            return httpx.Response(self.statuses.pop(0) if self.statuses else 202)

        return httpx.MockTransport(handle)

    def events(self) -> list[tuple[str, str]]:
        return [(e["Discriminator"], e["Value"]["Id"]) for b in self.bodies for e in b["Events"]]


def _sandbox(receiver: Receiver, **settings: float | int) -> Sandbox:
    sandbox = Sandbox.seeded(customers=40, now=NOW, clock=FrozenClock(NOW))
    sandbox.webhooks.transport = receiver.transport()
    if settings:
        sandbox.webhooks.configure(**settings)
    return sandbox


def _confirmed(sandbox: Sandbox, enterprise_id: str, count: int) -> list[str]:
    ids = [
        r.id
        for r in sandbox.state.by_idx
        if r.state == "Confirmed" and r.enterprise_id == enterprise_id
    ]
    assert len(ids) >= count
    return ids[:count]


async def test_events_are_sent_only_after_the_delay_in_the_documented_shape() -> None:
    receiver = Receiver()
    sandbox = _sandbox(receiver, delay_seconds=120)
    sandbox.webhooks.subscribe(URL)
    sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")

    sandbox.clock.advance(Duration(seconds=119))
    assert (await sandbox.webhooks.flush()).attempted == 0
    sandbox.clock.advance(Duration(seconds=1))
    report = await sandbox.webhooks.flush()

    assert (report.queued, report.delivered, report.pending) == (1, 1, 0)
    assert receiver.bodies == [
        {
            "EnterpriseId": UK.enterprise_id,
            "IntegrationId": UK.integration_id,
            "Events": [
                {
                    "Discriminator": "ServiceOrderUpdated",
                    "Value": {"Id": STORY.emma_novak_upcoming_stay},
                }
            ],
        }
    ]


async def test_events_are_batched_per_enterprise_up_to_the_batch_size() -> None:
    receiver = Receiver()
    sandbox = _sandbox(receiver, delay_seconds=0, batch_size=2)
    sandbox.webhooks.subscribe(URL)
    uk = _confirmed(sandbox, UK.enterprise_id, 3)
    us = _confirmed(sandbox, US.enterprise_id, 1)
    for reservation_id in (*uk, *us):
        sandbox.transition(reservation_id, "Started")

    await sandbox.webhooks.flush()

    shapes = [(b["EnterpriseId"], len(b["Events"])) for b in receiver.bodies]
    assert sorted(shapes) == sorted(
        [(UK.enterprise_id, 2), (UK.enterprise_id, 1), (US.enterprise_id, 1)]
    )
    assert {i for _, i in receiver.events()} == {*uk, *us}


async def test_a_new_customer_yields_customer_added_and_customer_updated() -> None:
    receiver = Receiver()
    sandbox = _sandbox(receiver, delay_seconds=0)
    sandbox.webhooks.subscribe(URL)
    body = {
        **sandbox_credentials(UK, "tests").envelope(),
        "LastName": "Webhook",
        "OverwriteExisting": False,
    }
    status, _, content = await sandbox.handle(
        "POST", "/api/connector/v1/customers/add", {"Content-Type": "application/json"},
        json.dumps(body).encode(),
    )  # fmt: skip
    assert status == 200, content
    customer_id = json.loads(content)["Id"]

    await sandbox.webhooks.flush()

    assert receiver.events() == [("CustomerAdded", customer_id), ("CustomerUpdated", customer_id)]


async def test_a_failing_receiver_is_retried_with_backoff_then_the_message_is_discarded() -> None:
    receiver = Receiver(500, 503, 500)
    sandbox = _sandbox(receiver, delay_seconds=0, max_attempts=3, retry_base_seconds=60)
    sandbox.webhooks.subscribe(URL)
    sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")

    assert (await sandbox.webhooks.flush()).failed == 1
    sandbox.clock.advance(Duration(seconds=59))
    assert (await sandbox.webhooks.flush()).attempted == 0  # backing off 60 s
    sandbox.clock.advance(Duration(seconds=1))
    assert (await sandbox.webhooks.flush()).failed == 1  # next wait: 120 s
    sandbox.clock.advance(Duration(seconds=120))
    report = await sandbox.webhooks.flush()

    assert (report.failed, report.discarded, report.pending) == (1, 1, 0)
    assert len(receiver.bodies) == 3
    status = sandbox.webhooks.to_json()
    assert status["Totals"]["Discarded"] == 1
    assert status["Recent"][0]["LastStatus"] == 500


async def test_a_subscription_with_a_token_hears_only_its_enterprise() -> None:
    receiver = Receiver()
    sandbox = _sandbox(receiver, delay_seconds=0)
    sandbox.webhooks.subscribe(URL, access_token=US.access_token)
    sandbox.transition(_confirmed(sandbox, UK.enterprise_id, 1)[0], "Started")
    us = _confirmed(sandbox, US.enterprise_id, 1)[0]
    sandbox.transition(us, "Started")

    await sandbox.webhooks.flush()

    assert [(b["IntegrationId"], b["Events"][0]["Value"]["Id"]) for b in receiver.bodies] == [
        (US.integration_id, us)
    ]
    with pytest.raises(ValueError, match="AccessToken"):
        sandbox.webhooks.subscribe(URL, access_token="nope")
    with pytest.raises(ValueError, match="http"):
        sandbox.webhooks.subscribe("ftp://receiver.test/")


async def test_history_is_not_replayed_and_a_reset_starts_a_new_log() -> None:
    receiver = Receiver()
    sandbox = _sandbox(receiver, delay_seconds=0)
    sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")  # before anyone listens
    sandbox.webhooks.subscribe(URL, access_token=PORTFOLIO.access_token)
    assert (await sandbox.webhooks.flush()).queued == 0

    sandbox.reset()
    sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")
    await sandbox.webhooks.flush()

    assert receiver.events() == [("ServiceOrderUpdated", STORY.emma_novak_upcoming_stay)]


async def test_the_admin_endpoints_subscribe_flush_and_report() -> None:
    receiver = Receiver()
    sandbox = _sandbox(receiver)

    async def admin(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = b"" if body is None else json.dumps(body).encode()
        status, _, content = await sandbox.handle(method, path, {}, data)
        return status, json.loads(content)

    status, body = await admin("POST", "/_sandbox/webhooks", {"Url": "not a url"})
    assert status == 400
    assert "http://" in body["Message"]
    status, body = await admin("POST", "/_sandbox/webhooks", {"Url": URL, "DelaySeconds": 300})
    assert status == 200
    assert body["Settings"]["DelaySeconds"] == 300
    [subscription] = body["Subscriptions"]
    sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")

    status, body = await admin("POST", "/_sandbox/webhooks/flush", {})  # Force by default
    assert status == 200
    assert body["Flush"]["Delivered"] == 1
    status, body = await admin("POST", "/_sandbox/webhooks", {"Remove": subscription["Id"]})
    assert body["Subscriptions"] == []
    status, body = await admin("POST", "/_sandbox/webhooks", {"Remove": subscription["Id"]})
    assert status == 400
    status, body = await admin("GET", "/_sandbox/webhooks")
    assert body["Totals"]["EventsSent"] == 1
    status, _ = await admin("GET", "/_sandbox/webhooks/nope")
    assert status == 404


async def test_the_served_sandbox_delivers_in_the_background_of_its_lifespan() -> None:
    receiver = Receiver()
    sandbox = Sandbox.seeded(customers=40, now=NOW, clock=FrozenClock(NOW))

    async def fake_sleep(_seconds: float) -> None:
        await asyncio.Event().wait()  # the poll interval never passes; stop() cancels it

    sandbox.webhooks = type(sandbox.webhooks)(sandbox, sleep=fake_sleep)
    sandbox.webhooks.transport = receiver.transport()
    sandbox.webhooks.configure(delay_seconds=0)
    sandbox.webhooks.subscribe(URL)
    sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")

    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []
    started = False

    async def receive() -> dict[str, Any]:
        nonlocal started
        if started:
            await _drain(sandbox)
        started = True
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await sandbox.asgi_app({"type": "lifespan"}, receive, send)

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert receiver.events() == [("ServiceOrderUpdated", STORY.emma_novak_upcoming_stay)]
    assert sandbox.webhooks.to_json()["Running"] is False


async def _drain(sandbox: Sandbox) -> None:
    """Let the background loop run one round (it flushes, then sleeps)."""
    for _ in range(20):
        await asyncio.sleep(0)
        if sandbox.webhooks.totals.delivered:
            return
