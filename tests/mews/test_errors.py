"""Every failure becomes a narrow, typed error that says what Mews said."""

from __future__ import annotations

import httpx
import pytest

from tests.mews.conftest import FakeMews, FakeTime, make_client, ok
from tools.mews import MewsAPIError, MewsBadRequest, MewsError, MewsServerError
from tools.mews.errors import (
    MewsConflict,
    MewsForbidden,
    MewsNotFound,
    MewsPayloadTooLarge,
    MewsRateLimited,
    MewsRequestTimeout,
    MewsResponseError,
    MewsTransportError,
    MewsUnauthorized,
)
from tools.mews.retry import RetryPolicy

pytestmark = pytest.mark.anyio

NO_RETRIES = RetryPolicy(max_attempts=1)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, MewsBadRequest),
        (401, MewsUnauthorized),
        (403, MewsForbidden),
        (404, MewsNotFound),
        (408, MewsRequestTimeout),
        (409, MewsConflict),
        (413, MewsPayloadTooLarge),
        (429, MewsRateLimited),
        (500, MewsServerError),
        (502, MewsServerError),
        (503, MewsServerError),
        (418, MewsAPIError),
    ],
)
async def test_each_error_status_maps_to_its_class_with_message_and_request_id(
    status: int, error_class: type[MewsAPIError], fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = httpx.Response(
        status,
        json={"Message": "Invalid LoyaltyProgramId", "RequestId": "body-id", "Details": "trace"},
        headers={"Request-Id": "header-id"},
    )
    async with make_client(fake, fake_time, retry=NO_RETRIES) as mews:
        with pytest.raises(error_class) as raised:
            await mews.loyalty_programs.delete(["p1"])
    error = raised.value
    assert type(error) is error_class
    assert (error.status, error.message, error.request_id, error.details) == (
        status,
        "Invalid LoyaltyProgramId",
        "body-id",
        "trace",
    )
    assert error.path == "loyaltyPrograms/delete"
    assert str(error) == (
        f"loyaltyPrograms/delete: Mews answered {status}: Invalid LoyaltyProgramId "
        "(request id body-id)"
    )


async def test_the_request_id_header_is_used_when_the_body_has_none(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = httpx.Response(
        403, json={"Message": "Has memberships"}, headers={"Request-Id": "h-1"}
    )
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsForbidden) as raised:
            await mews.loyalty_programs.delete(["p1"])
    assert (raised.value.message, raised.value.request_id) == ("Has memberships", "h-1")


async def test_a_non_json_error_body_becomes_the_message(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = httpx.Response(
        401, text="<html>Unauthorized</html>", headers={"Request-Id": "h-2"}
    )
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsUnauthorized) as raised:
            await mews.configuration.get()
    assert (raised.value.message, raised.value.request_id) == ("<html>Unauthorized</html>", "h-2")


async def test_an_empty_error_body_falls_back_to_the_reason_phrase(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = httpx.Response(404)
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsNotFound) as raised:
            await mews.configuration.get()
    assert (raised.value.message, raised.value.request_id) == ("Not Found", None)


async def test_a_200_that_does_not_match_the_model_names_the_field(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    membership = {
        "Id": "m",
        "ChainId": "c",
        "AccountId": "a",
        "LoyaltyProgramId": "p",
        "State": "New",
    }
    fake.default = ok({"LoyaltyMemberships": [membership], "Cursor": "m"}, request_id="r-9")
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsResponseError) as raised:
            await mews.loyalty_memberships.get_all().to_list()
    assert raised.value.field == "LoyaltyMemberships.0.IsPrimary"
    assert raised.value.request_id == "r-9"
    assert "LoyaltyMemberships.0.IsPrimary: Field required" in str(raised.value)


async def test_a_200_with_a_body_that_is_not_json_is_a_response_error(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = httpx.Response(200, text="oops")
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsResponseError, match="not JSON"):
            await mews.configuration.get()


async def test_a_connection_failure_is_a_transport_error_with_its_cause(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    cause = httpx.ConnectError("connection refused")
    fake.default = cause
    async with make_client(fake, fake_time, retry=NO_RETRIES) as mews:
        with pytest.raises(MewsTransportError) as raised:
            await mews.configuration.get()
    assert raised.value.cause is cause
    assert raised.value.__cause__ is cause
    assert "ConnectError: connection refused" in str(raised.value)


def test_every_client_error_shares_one_base_class() -> None:
    for error_class in (MewsAPIError, MewsTransportError, MewsResponseError):
        assert issubclass(error_class, MewsError)
