"""Hostile inputs at the edges: webhook bodies and web sign-in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from storage.clock import FixedClock
from storage.store import Store
from tests.automation.test_inbox_and_receiver import ENTERPRISE, INTEGRATION, NOW, SECRET
from tools.automation import INBOX, inbox
from tools.automation.receiver import create_receiver_app
from web.security import SignInThrottle


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store("sqlite://")
    store.migrate([INBOX])
    yield store
    store.dispose()


def webhook(value: object) -> bytes:
    events = [{"Discriminator": "ServiceOrderUpdated", "Value": value}]
    data = {"EnterpriseId": ENTERPRISE, "IntegrationId": INTEGRATION, "Events": events}
    return json.dumps(data).encode()


@pytest.mark.anyio
async def test_a_deeply_nested_webhook_body_is_400_and_kept_as_malformed(store: Store) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    app = create_receiver_app(store, secret=SECRET, clock=FixedClock(NOW))
    url = f"http://automation.test/webhooks/mews/{SECRET}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        answer = await client.post(url, content=nested)

    assert answer.status_code == 400  # not 503: Mews would redeliver it forever
    [kept] = inbox.list_messages(store, malformed_only=True)
    assert kept.error is not None
    assert "nests deeper than 16 levels" in kept.error


def test_brackets_inside_strings_do_not_count_as_nesting(store: Store) -> None:
    receipt = inbox.receive(store, webhook({"Id": ENTERPRISE, "Note": "[[[[" * 10}), now=NOW)
    assert receipt.status == "accepted"


@pytest.mark.parametrize("entity", ["not-a-guid", "../../etc", "1" * 36])
def test_a_value_id_that_is_not_a_guid_is_malformed(store: Store, entity: str) -> None:
    receipt = inbox.receive(store, webhook({"Id": entity}), now=NOW)
    assert receipt.status == "malformed"
    assert receipt.error == "Events[0].Value.Id must be a GUID string"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_sign_ins_for_a_name_cost_progressively_longer_waits_never_a_lockout() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    waits = []
    for _ in range(10):
        throttle.failed("alice", "10.0.0.9")
        waits.append(throttle.retry_after("alice", "10.0.0.1"))  # alice at her own desk

    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30]  # a stranger costs her 30 s at most
    clock.now += 30
    assert throttle.retry_after("alice", "10.0.0.1") == 0


def test_password_spraying_across_names_from_one_address_is_slowed_down() -> None:
    throttle = SignInThrottle(clock=Clock())
    for n in range(8):
        throttle.failed(f"user{n}", "10.0.0.66")

    assert throttle.retry_after("user99", "10.0.0.66") == 4  # a fresh name: the address waits
    assert throttle.retry_after("user99", "10.0.0.7") == 0  # other machines are not punished


def test_spraying_from_many_addresses_meets_the_global_delay() -> None:
    throttle = SignInThrottle(clock=Clock())
    for n in range(60):
        throttle.failed(f"user{n}", f"10.0.1.{n}")

    assert throttle.retry_after("anyone", "10.0.2.1") > 0
