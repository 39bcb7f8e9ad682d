"""What is retried, how long the client waits, and when it gives up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.mews.conftest import MEMBERSHIP, FakeMews, FakeTime, Json, error, make_client, ok
from tools.mews import MewsAPIError, MewsServerError
from tools.mews.errors import MewsRateLimited, MewsRequestTimeout, MewsTransportError
from tools.mews.models import (
    AccountNoteParameters,
    LoyaltyMembershipParameters,
    LoyaltyMembershipUpdateParameters,
    UpdateValue,
)
from tools.mews.retry import RetryPolicy, parse_retry_after

pytestmark = pytest.mark.anyio

CONFIG: Json = {"NowUtc": "2026-01-01T00:00:00Z", "Enterprise": {"Id": "e1", "Name": "Hotel"}}
NEW_MEMBERSHIP = LoyaltyMembershipParameters(
    account_id="a1", loyalty_program_id="p1", is_primary=True
)
POINTS_UPDATE = LoyaltyMembershipUpdateParameters(
    loyalty_membership_id="m1", points=UpdateValue(value=120)
)


async def test_reads_retry_on_500_and_then_succeed(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [error(500), error(503)]
    fake.default = ok(CONFIG)
    async with make_client(fake, fake_time) as mews:
        config = await mews.configuration.get()
        assert mews.stats.retries == 2
    assert config.enterprise.id == "e1"
    assert fake.paths == ["configuration/get"] * 3


@pytest.mark.parametrize(
    "failure",
    [
        error(408),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=["408", "read-timeout", "dropped-answer"],
)
async def test_reads_retry_on_timeouts_and_lost_answers(
    failure: httpx.Response | Exception, fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [failure]
    fake.default = ok(CONFIG)
    async with make_client(fake, fake_time) as mews:
        await mews.configuration.get()
    assert len(fake.sent) == 2


async def test_a_429_with_retry_after_seconds_waits_exactly_that_long(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [error(429, **{"Retry-After": "7"})]
    fake.default = ok(CONFIG)
    async with make_client(fake, fake_time) as mews:
        await mews.configuration.get()
        assert mews.stats.rate_limited == 1
    assert fake_time.sleeps == [7.0]


async def test_a_429_with_an_http_date_waits_until_that_date(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    headers = {
        "Retry-After": format_datetime(now + timedelta(seconds=12), usegmt=True),
        "Date": format_datetime(now, usegmt=True),
    }
    fake.script = [error(429, **headers)]
    fake.default = ok(CONFIG)
    async with make_client(fake, fake_time) as mews:
        await mews.configuration.get()
    assert fake_time.sleeps == [12.0]


async def test_a_429_without_retry_after_backs_off_exponentially(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [error(429)] * 4
    fake.default = ok(CONFIG)
    async with make_client(fake, fake_time, retry=RetryPolicy(max_attempts=5)) as mews:
        await mews.configuration.get()
    # Full jitter at the top of its range (TopOfRange): base 0.5 s doubling per retry.
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0]


async def test_backoff_is_capped_at_max_delay(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [error(502)] * 4
    fake.default = ok(CONFIG)
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=3.0)
    async with make_client(fake, fake_time, retry=policy) as mews:
        await mews.configuration.get()
    assert fake_time.sleeps == [1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("failure", "raised_as"),
    [
        (error(500), MewsServerError),
        (error(408), MewsRequestTimeout),
        (httpx.ReadTimeout("read timed out"), MewsTransportError),
    ],
    ids=["500", "408", "read-timeout"],
)
async def test_adds_are_not_retried_when_they_may_have_been_applied(
    failure: httpx.Response | Exception,
    raised_as: type[Exception],
    fake: FakeMews,
    fake_time: FakeTime,
) -> None:
    fake.script = [failure]
    fake.default = ok({"LoyaltyMemberships": [MEMBERSHIP]})
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(raised_as):
            await mews.loyalty_memberships.add([NEW_MEMBERSHIP])
        assert mews.stats.retries == 0
    assert len(fake.sent) == 1


@pytest.mark.parametrize(
    "failure",
    [
        error(429, **{"Retry-After": "1"}),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
    ],
    ids=["429", "connect-error", "connect-timeout"],
)
async def test_adds_are_retried_when_mews_surely_did_not_apply_them(
    failure: httpx.Response | Exception, fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [failure]
    fake.default = ok({"AccountNotes": [{"Id": "n1", "AccountId": "a1", "Content": "Hi"}]})
    async with make_client(fake, fake_time) as mews:
        notes = await mews.account_notes.add([AccountNoteParameters(account_id="a1", content="Hi")])
    assert [n.id for n in notes] == ["n1"]
    assert fake.paths == ["accountNotes/add", "accountNotes/add"]
    assert fake.sent[0].body == fake.sent[1].body


async def test_updates_and_deletes_are_retried_on_500(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [error(500), ok({"LoyaltyMemberships": [MEMBERSHIP]}), error(500), ok({})]
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_memberships.update([POINTS_UPDATE])
        await mews.loyalty_memberships.delete(["m1"])
    assert fake.paths == [
        "loyaltyMemberships/update",
        "loyaltyMemberships/update",
        "loyaltyMemberships/delete",
        "loyaltyMemberships/delete",
    ]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413])
async def test_client_errors_are_never_retried(
    status: int, fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = error(status)
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsAPIError, match=f"Mews answered {status}"):
            await mews.configuration.get()
    assert len(fake.sent) == 1


async def test_the_attempt_budget_gives_up_with_the_last_error(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [error(500, "first"), error(502, "second")]
    fake.default = error(503, "last")
    async with make_client(fake, fake_time, retry=RetryPolicy(max_attempts=3)) as mews:
        with pytest.raises(MewsServerError) as raised:
            await mews.configuration.get()
    assert (raised.value.status, raised.value.message) == (503, "last")
    assert len(fake.sent) == 3


async def test_the_wait_budget_gives_up_rather_than_wait_too_long(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [error(429, **{"Retry-After": "20"})]
    fake.default = error(429, "still limited", **{"Retry-After": "25"})
    policy = RetryPolicy(max_attempts=10, max_total_wait=30.0)
    async with make_client(fake, fake_time, retry=policy) as mews:
        with pytest.raises(MewsRateLimited) as raised:
            await mews.configuration.get()
    assert (raised.value.message, raised.value.retry_after) == ("still limited", 25.0)
    assert fake_time.sleeps == [20.0]
    assert len(fake.sent) == 2


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("3", None, 3.0),
        ("0.5", None, 0.5),
        ("Sun, 01 Mar 2026 12:00:30 GMT", "Sun, 01 Mar 2026 12:00:00 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:59:00 GMT", "Sun, 01 Mar 2026 12:00:00 GMT", 0.0),
        ("-1", None, None),
        ("soon", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_http_date(
    value: str | None, date: str | None, expected: float | None
) -> None:
    assert parse_retry_after(value, date) == expected


def test_a_retry_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)
