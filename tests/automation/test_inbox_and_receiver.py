"""The inbox stores first, drops what is still pending, backs off, dead-letters; the receiver
answers 202/400/404/413 and never loses an accepted body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from storage.clock import FixedClock
from storage.store import Store
from tools.automation import INBOX, AutomationConfigError, UnknownInboxEventError, inbox
from tools.automation.inbox import MAX_BODY_BYTES
from tools.automation.receiver import create_receiver_app, webhook_secret

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ENTERPRISE = "851df8c8-90f2-4c4a-8e01-a4fc46b25178"
INTEGRATION = "c8bee838-7fb1-4f4e-8fac-ac87008b2f90"
SECRET = "inbox-secret-0123456789"
R1, R2 = "bfee2c44-1f84-4326-a862-5289598f6e2d", "7cccbdc6-73cf-4cd4-8056-6fd00f4d9699"


def body(*events: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "EnterpriseId": ENTERPRISE,
            "IntegrationId": INTEGRATION,
            "Events": [{"Discriminator": d, "Value": {"Id": i}} for d, i in events],
        }
    ).encode()


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store("sqlite://")
    s.migrate([INBOX])
    yield s
    s.dispose()


def test_an_event_still_pending_makes_a_repeat_a_duplicate_but_a_later_change_is_kept(
    store: Store,
) -> None:
    first = inbox.receive(store, body(("ServiceOrderUpdated", R1)), now=NOW)
    again = inbox.receive(store, body(("ServiceOrderUpdated", R1), ("CustomerAdded", R2)), now=NOW)
    assert (first.events_new, again.events_new, again.duplicates) == (1, 1, 1)

    [claimed, _] = inbox.claim(store, now=NOW)
    later = inbox.receive(store, body(("ServiceOrderUpdated", R1)), now=NOW)  # a newer change
    assert later.events_new == 1
    assert claimed.entity_id == R1


def test_failures_back_off_exponentially_then_the_event_is_dead(store: Store) -> None:
    inbox.receive(store, body(("ServiceOrderUpdated", R1)), now=NOW)
    [event] = inbox.claim(store, now=NOW)
    base = timedelta(seconds=30)

    assert inbox.fail(store, {event.id: "Mews 503"}, now=NOW, max_attempts=3) == {
        event.id: "pending"
    }
    assert inbox.claim(store, now=NOW + base - timedelta(seconds=1)) == []
    [again] = inbox.claim(store, now=NOW + base)
    assert inbox.fail(store, {again.id: "Mews 503"}, now=NOW + base, max_attempts=3) == {
        event.id: "pending"
    }
    assert inbox.claim(store, now=NOW + base + 2 * base - timedelta(seconds=1)) == []
    [third] = inbox.claim(store, now=NOW + 3 * base)
    assert inbox.fail(store, {third.id: "Mews 503"}, now=NOW + 3 * base, max_attempts=3) == {
        event.id: "dead"
    }

    [dead] = inbox.list_events(store, statuses=("dead",))
    assert (dead.attempts, dead.last_error) == (3, "Mews 503")
    assert inbox.retry(store, dead.id, now=NOW).status == "pending"
    with pytest.raises(UnknownInboxEventError, match="no webhook event 999"):
        inbox.retry(store, 999, now=NOW)


def test_a_lease_that_runs_out_makes_the_event_claimable_again(store: Store) -> None:
    inbox.receive(store, body(("ServiceOrderUpdated", R1)), now=NOW)
    assert len(inbox.claim(store, now=NOW, lease=timedelta(minutes=5))) == 1
    assert inbox.claim(store, now=NOW + timedelta(minutes=4)) == []
    assert len(inbox.claim(store, now=NOW + timedelta(minutes=6))) == 1


def test_parked_events_are_dead_at_once_and_can_all_be_requeued(store: Store) -> None:
    inbox.receive(store, body(("ServiceOrderUpdated", R1), ("ServiceOrderUpdated", R2)), now=NOW)
    events = inbox.claim(store, now=NOW)
    inbox.park(store, {e.id: "denied: caps" for e in events}, now=NOW)
    assert inbox.stats(store).dead == 2
    assert inbox.requeue_dead(store, now=NOW) == 2
    assert inbox.stats(store).pending == 2


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "JSON object"),
        (json.dumps({"EnterpriseId": ENTERPRISE, "IntegrationId": INTEGRATION}).encode(), "Events"),
        (
            json.dumps(
                {
                    "EnterpriseId": ENTERPRISE,
                    "IntegrationId": INTEGRATION,
                    "Events": [{"Value": {}}],
                }
            ).encode(),
            "Events[0].Discriminator",
        ),
        (
            json.dumps(
                {
                    "EnterpriseId": ENTERPRISE,
                    "IntegrationId": INTEGRATION,
                    "Events": [{"Discriminator": "CustomerAdded", "Value": {"Id": ""}}],
                }
            ).encode(),
            "Events[0].Value.Id",
        ),
    ],
)
def test_a_malformed_payload_is_kept_with_the_reason(
    store: Store, payload: bytes, error: str
) -> None:
    receipt = inbox.receive(store, payload, now=NOW)
    assert receipt.status == "malformed"
    assert receipt.error is not None
    assert error in receipt.error
    [kept] = inbox.list_messages(store, malformed_only=True)
    assert kept.body == payload.decode()
    assert inbox.stats(store).pending == 0


def test_the_documented_example_is_accepted_whole(store: Store) -> None:
    from pathlib import Path

    example = Path(__file__).parents[1] / "contract/mews_examples/events/generalWebhook.json"
    request = json.loads(example.read_text(encoding="utf-8"))["request"]
    receipt = inbox.receive(store, json.dumps(request).encode(), now=NOW)
    assert (receipt.status, receipt.events_new) == ("accepted", 6)


@pytest.mark.anyio
async def test_the_receiver_answers_202_400_404_and_413(store: Store) -> None:
    woken: list[bool] = []
    app = create_receiver_app(
        store, secret=SECRET, clock=FixedClock(NOW), on_stored=lambda: woken.append(True)
    )
    url = f"http://automation.test/webhooks/mews/{SECRET}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        ok = await client.post(url, content=body(("ServiceOrderUpdated", R1)))
        bad = await client.post(url, content=b"{}")
        wrong = await client.post(url[:-1] + "X", content=body(("ServiceOrderUpdated", R1)))
        huge = await client.post(url, content=b" " * (MAX_BODY_BYTES + 1))
        health = await client.get("http://automation.test/healthz")

    assert (ok.status_code, ok.json()["Accepted"], woken) == (202, 1, [True])
    assert bad.status_code == 400
    assert wrong.status_code == 404
    assert huge.status_code == 413
    assert "larger than" in huge.json()["Message"]
    assert health.json() == {"Status": "ok"}
    assert inbox.stats(store).messages == 3  # the wrong secret stored nothing


def test_the_secret_must_be_set_and_long_enough() -> None:
    with pytest.raises(AutomationConfigError, match="LOYALTY_WEBHOOK_SECRET"):
        webhook_secret({})
    with pytest.raises(AutomationConfigError, match="at least 16"):
        webhook_secret({"LOYALTY_WEBHOOK_SECRET": "short"})
    assert webhook_secret({"LOYALTY_WEBHOOK_SECRET": SECRET}) == SECRET
