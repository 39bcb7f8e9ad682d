"""A client showing one hotel of a chain asks for its clock (request `_meta`
"loyalty/time_zone"): the sentences tell times there, the structured fields stay UTC; without it
they are on the policy's clock, and a name that is no IANA zone is refused, saying which key."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from tests.server.clients import Connect, body
from tools.sandbox import STORY
from tools.server import TIME_ZONE_META

pytestmark = pytest.mark.anyio

EMMA = {"customer_id": STORY.emma_novak}


async def _summary(connect: Connect, meta: dict[str, Any] | None) -> dict[str, Any]:
    async with connect("carol", ("member",)) as client:
        return body(await client.call_tool("get_member_summary", EMMA, meta=meta))  # type: ignore[arg-type]


async def test_the_summary_tells_times_on_the_clock_the_client_asks_for(connect: Connect) -> None:
    policy = await _summary(connect, None)
    new_york = await _summary(connect, {TIME_ZONE_META: "America/New_York"})
    assert policy["reasoning"].endswith("(times in Europe/Prague)")
    assert new_york["reasoning"].endswith("(times in America/New_York)")
    assert policy["reasoning"] != new_york["reasoning"].replace("America/New_York", "Europe/Prague")
    # the structured fields stay UTC whatever the clock (the balance's as_of is each read's own)
    assert [_without_balance(m) for m in policy["memberships"]] == [
        _without_balance(m) for m in new_york["memberships"]
    ]


def _without_balance(membership: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in membership.items() if key != "balance"}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", 42, "../etc/passwd"])
async def test_a_clock_that_is_no_time_zone_is_refused_by_name(
    connect: Connect, zone: object
) -> None:
    async with connect("carol", ("member",)) as client:
        with pytest.raises(MCPError, match=f"_meta {TIME_ZONE_META} must be an IANA time zone"):
            await client.call_tool("get_member_summary", EMMA, meta={TIME_ZONE_META: zone})  # type: ignore[dict-item]
