"""Fakes for the Mews client tests: a scripted Mews behind `httpx.MockTransport`, fake time.

No test sleeps or touches the network: the client gets `FakeTime.clock`/`FakeTime.sleep`
(sleeping only advances the fake clock) and a fresh rate limiter of its own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tools.mews import MewsClient, MewsCredentials, SlidingWindowLimiter
from tools.mews.client import API_PREFIX
from tools.mews.retry import RetryPolicy

CLIENT_TOKEN = "E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D"
ACCESS_TOKEN = "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D"
CREDENTIALS = MewsCredentials(
    base_url="https://api.mews-demo.com",
    client_token=CLIENT_TOKEN,
    access_token=ACCESS_TOKEN,
    client_name="Loyalty Tests 1.0",
)

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
Json = dict[str, Any]
"""A JSON object as the tests build and read it (parsed wire data)."""

MEMBERSHIP: Json = {
    "Id": "m1",
    "ChainId": "c1",
    "AccountId": "a1",
    "LoyaltyProgramId": "p1",
    "State": "Enrolled",
    "IsPrimary": True,
}
"""The smallest loyalty membership Mews may answer with."""


class FakeTime:
    """A monotonic clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class TopOfRange(random.Random):
    """Full jitter that always picks the top of its range, so backoff delays are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


@dataclass
class Sent:
    path: str
    """The operation path, e.g. `loyaltyMemberships/getAll`."""
    body: Json


@dataclass
class FakeMews:
    """Answers requests from a script (a list consumed in order, then `default`)."""

    script: list[Answer] = field(default_factory=list)
    default: Answer | None = None
    sent: list[Sent] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.headers["Content-Type"] == "application/json"
        path = request.url.path.removeprefix(API_PREFIX)
        self.sent.append(Sent(path=path, body=json.loads(request.content)))
        answer = self.script.pop(0) if self.script else self.default
        if answer is None:
            raise AssertionError(f"unexpected request to {path}")
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    @property
    def paths(self) -> list[str]:
        return [sent.path for sent in self.sent]


def ok(body: Mapping[str, Any], request_id: str = "req-1") -> httpx.Response:
    return httpx.Response(200, json=body, headers={"Request-Id": request_id})


def error(status: int, message: str = "Boom", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"Message": message, "RequestId": "req-err"}, headers=headers
    )


def make_client(
    fake: FakeMews,
    time: FakeTime,
    *,
    credentials: MewsCredentials = CREDENTIALS,
    retry: RetryPolicy | None = None,
    limiter: SlidingWindowLimiter | None = None,
) -> MewsClient:
    return MewsClient(
        credentials,
        transport=httpx.MockTransport(fake),
        retry=retry,
        rate_limiter=limiter or SlidingWindowLimiter(),
        clock=time.clock,
        sleep=time.sleep,
        rng=TopOfRange(),
    )


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fake() -> FakeMews:
    return FakeMews()
