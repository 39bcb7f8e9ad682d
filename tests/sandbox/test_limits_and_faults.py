"""The 200-per-30-seconds rate limit and the fault switches."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import NOW, PREFIX, US_TOKEN, Api, later
from tools.sandbox import FrozenClock, RateLimiter, Sandbox


def burst(api: Api, count: int) -> list[int]:
    return [api.call("configuration/get").status for _ in range(count)]


def test_the_201st_request_in_30_seconds_answers_429_with_retry_after(api: Api) -> None:
    assert set(burst(api, 200)) == {200}
    reply = api.call("configuration/get")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "30"
    assert set(reply.json) == {"Message", "RequestId"}


def test_the_limit_is_per_access_token(api: Api) -> None:
    burst(api, 200)
    assert api.call("configuration/get").status == 429
    assert api.call("configuration/get", as_=US_TOKEN).status == 200


def test_the_window_slides_with_the_clock(api: Api, clock: FrozenClock) -> None:
    burst(api, 100)
    later(clock, seconds=20)
    burst(api, 100)
    refused = api.call("configuration/get")
    assert (refused.status, refused.headers["Retry-After"]) == (429, "10")
    later(clock, seconds=10)  # the first 100 left the window
    assert set(burst(api, 100)) == {200}
    assert api.call("configuration/get").status == 429


def test_refused_requests_do_not_count_and_the_limiter_can_be_disabled(api: Api) -> None:
    burst(api, 200)
    for _ in range(5):
        assert api.call("configuration/get").status == 429
    api.sandbox.rate_limiter.enabled = False
    assert set(burst(api, 50)) == {200}


def test_rate_limiter_retry_after_is_at_least_one_second() -> None:
    limiter = RateLimiter(limit=2, window_seconds=30)
    assert limiter.check("t", 100.0) is None
    assert limiter.check("t", 129.5) is None
    assert limiter.check("t", 129.9) == 1
    assert limiter.check("t", 130.0) is None


@pytest.mark.parametrize("status", [408, 409, 413, 500, 502, 503, 504])
def test_a_queued_fault_answers_that_status_for_the_next_requests_only(
    api: Api, status: int
) -> None:
    api.sandbox.faults.fail_next(status, 2)
    for _ in range(2):
        reply = api.call("configuration/get")
        assert reply.status == status
        assert set(reply.json) == {"Message", "RequestId"}
        assert "Retry-After" not in reply.headers
    assert api.call("configuration/get").status == 200


def test_a_429_fault_has_retry_after_unless_told_to_omit_it(api: Api) -> None:
    api.sandbox.faults.fail_next(429, retry_after=7)
    api.sandbox.faults.fail_next(429, retry_after=None)
    first, second = api.call("configuration/get"), api.call("configuration/get")
    assert (first.status, first.headers["Retry-After"]) == (429, "7")
    assert second.status == 429
    assert "Retry-After" not in second.headers


def test_a_fault_for_one_path_leaves_other_paths_alone(api: Api) -> None:
    api.sandbox.faults.fail_next(500, path=PREFIX + "loyaltyPrograms/getAll")
    assert api.call("configuration/get").status == 200
    assert api.call("loyaltyPrograms/getAll", Limitation={"Count": 1}).status == 500
    assert api.call("loyaltyPrograms/getAll", Limitation={"Count": 1}).status == 200


def test_unknown_fault_statuses_and_counts_are_refused(api: Api) -> None:
    with pytest.raises(ValueError, match="fault status must be one of"):
        api.sandbox.faults.fail_next(418)
    with pytest.raises(ValueError, match="at least 1"):
        api.sandbox.faults.fail_next(500, 0)
    reply = api.admin("POST", "faults", {"Status": 418})
    assert reply.status == 400


def test_latency_delays_answers_through_the_injected_sleep() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    sandbox = Sandbox.seeded(seed=1, customers=30, now=NOW, sleep=sleep)
    api = Api(sandbox)
    assert api.admin("POST", "faults", {"LatencySeconds": 1.5}).status == 200
    assert api.call("configuration/get").status == 200
    assert slept == [1.5]
    api.admin("POST", "faults", {"Clear": True})
    api.call("configuration/get")
    assert slept == [1.5]


def test_the_admin_endpoint_drives_faults_and_the_rate_limit(api: Api, clock: FrozenClock) -> None:
    reply = api.admin(
        "POST", "faults", {"Status": 429, "Count": 1, "RetryAfter": None, "RateLimit": False}
    )
    assert reply.json["RateLimitEnabled"] is False
    assert reply.json["Faults"][0]["RetryAfter"] is None
    limited = api.call("configuration/get")
    assert limited.status == 429
    assert "Retry-After" not in limited.headers
    assert set(burst(api, 250)) == {200}
    api.admin("POST", "faults", {"Clear": True})
    later(clock, seconds=31)
    assert set(burst(api, 200)) == {200}
    assert api.call("configuration/get").status == 429
