"""Fixtures for the sandbox tests: a small seeded chain on a frozen clock, and a caller.

Every test gets a fresh sandbox (seeding 120 customers takes milliseconds). `Api` calls
`Sandbox.handle` directly (no sockets), with the envelope of the first documented demo token
pair unless told otherwise.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tools.sandbox import DEMO_TOKENS, FrozenClock, Integration, Sandbox

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
PREFIX = "/api/connector/v1/"
UK_TOKEN = DEMO_TOKENS[0]
US_TOKEN = DEMO_TOKENS[4]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    def __init__(self, sandbox: Sandbox, integration: Integration = UK_TOKEN) -> None:
        self.sandbox = sandbox
        self.integration = integration

    def raw(
        self,
        path: str,
        body: bytes,
        *,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        sent = {"Content-Type": "application/json"} if headers is None else dict(headers)
        status, answer, content = asyncio.run(self.sandbox.handle(method, path, sent, body))
        return Reply(status, answer, content)

    def envelope(self, integration: Integration | None = None) -> dict[str, Any]:
        token = integration or self.integration
        return {
            "ClientToken": token.client_token,
            "AccessToken": token.access_token,
            "Client": "Sandbox tests 1.0",
        }

    def call(
        self,
        operation: str,
        *,
        as_: Integration | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Reply:
        body = {**self.envelope(as_), **fields}
        return self.raw(PREFIX + operation, json.dumps(body).encode(), headers=headers)

    def ok(self, operation: str, **fields: Any) -> Any:
        reply = self.call(operation, **fields)
        assert reply.status == 200, (reply.status, reply.body)
        return reply.json

    def fails(self, operation: str, status: int, **fields: Any) -> str:
        """Assert the error status and body shape; return the message."""
        reply = self.call(operation, **fields)
        assert reply.status == status, (reply.status, reply.body)
        body = reply.json
        assert set(body) == {"Message", "RequestId"}
        assert body["RequestId"] == reply.headers["Request-Id"]
        return str(body["Message"])

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Reply:
        data = b"" if body is None else json.dumps(body).encode()
        return self.raw("/_sandbox/" + path, data, method=method)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def sandbox(clock: FrozenClock) -> Sandbox:
    return Sandbox.seeded(seed=1, customers=120, now=NOW, clock=clock)


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox)


def later(clock: FrozenClock, **delta: float) -> None:
    clock.set(clock.now() + timedelta(**delta))


def interval(start: datetime, end: datetime) -> dict[str, str]:
    return {
        "StartUtc": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndUtc": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
