"""The client-side limiter: 200 requests per 30 s per access token, shared in the process."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.mews.conftest import FakeMews, FakeTime, error, make_client, ok
from tools.mews import MewsClient, MewsCredentials, SlidingWindowLimiter
from tools.mews.ratelimit import limiter_for

pytestmark = pytest.mark.anyio


def test_the_limiter_allows_200_in_30_seconds_and_makes_the_201st_wait() -> None:
    limiter = SlidingWindowLimiter()
    waits = [limiter.reserve(now=5.0 + i * 0.01) for i in range(200)]
    assert waits == [0.0] * 200
    assert limiter.reserve(now=6.0) == pytest.approx(35.0 - 6.0)


def test_the_window_slides_from_each_request_not_from_clock_buckets() -> None:
    limiter = SlidingWindowLimiter(limit=2, window=30.0)
    assert limiter.reserve(0.0) == 0.0
    assert limiter.reserve(20.0) == 0.0
    assert limiter.reserve(25.0) == 5.0  # the slot of t=0 frees at t=30
    assert limiter.reserve(31.0) == 19.0  # then the slot of t=20 at t=50
    assert limiter.reserve(80.0) == 0.0


def test_waiting_callers_queue_in_order() -> None:
    limiter = SlidingWindowLimiter(limit=1, window=10.0)
    assert [limiter.reserve(0.0) for _ in range(3)] == [0.0, 10.0, 20.0]


@given(
    limit=st.integers(min_value=1, max_value=5),
    # Quarter seconds add up exactly in binary floating point, so the check is exact.
    gaps=st.lists(st.integers(min_value=0, max_value=32).map(lambda q: q / 4), max_size=40),
)
def test_no_window_ever_holds_more_than_the_limit(limit: int, gaps: list[float]) -> None:
    limiter = SlidingWindowLimiter(limit=limit, window=10.0)
    arrivals = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    sends = [now + limiter.reserve(now) for now in arrivals]
    assert sends == sorted(sends)
    for i, sent in enumerate(sends):
        in_window = [other for other in sends if sent - 10.0 < other <= sent]
        assert len(in_window) <= limit
        if i < limit:
            assert sent == arrivals[i]  # nobody waits while the window has room


def test_clients_with_the_same_access_token_share_one_limiter() -> None:
    assert limiter_for("token-a") is limiter_for("token-a")
    assert limiter_for("token-a") is not limiter_for("token-b")
    one = MewsClient(MewsCredentials("https://a.example", "ct", "shared-at", "one"))
    two = MewsClient(MewsCredentials("https://b.example", "ct2", "shared-at", "two"))
    assert one.rate_limiter is two.rate_limiter is limiter_for("shared-at")


async def test_the_client_waits_for_the_limiter_before_sending(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({})
    limiter = SlidingWindowLimiter(limit=200, window=30.0)
    async with make_client(fake, fake_time, limiter=limiter) as mews:
        for _ in range(201):
            await mews.loyalty_tiers.delete(["t1"])
        assert mews.stats.throttle_wait_seconds == 30.0
    assert fake_time.sleeps == [30.0]
    assert len(fake.sent) == 201


async def test_retries_take_a_limiter_slot_too(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [error(500)]
    fake.default = ok({})
    limiter = SlidingWindowLimiter(limit=1, window=30.0)
    async with make_client(fake, fake_time, limiter=limiter) as mews:
        await mews.loyalty_tiers.delete(["t1"])
        # 0.5 s backoff, then the limiter holds the retry until the first slot frees at 30 s.
        assert mews.stats.retry_wait_seconds == 0.5
        assert mews.stats.throttle_wait_seconds == 29.5
    assert fake_time.sleeps == [0.5, 29.5]
