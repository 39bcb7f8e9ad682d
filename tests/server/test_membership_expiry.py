"""Membership expiration dates through the MCP tools: written on enrolment, changed by an update,
extended by a renewal, read back from Mews."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from tests.server.clients import Connect, body
from tools.loyalty._time import add_months
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

EMMA_MEMBERSHIP = STORY.emma_novak_membership


async def _expiry(runtime: LoyaltyRuntime, membership_id: str) -> datetime | None:
    (found,) = await runtime.mews.loyalty_memberships.get_all(
        loyalty_membership_ids=[membership_id]
    ).to_list()
    return found.expiration_date


def _today(runtime: LoyaltyRuntime) -> date:
    return runtime.clock.now().date()


async def _call(connect: Connect, principal: str, tool: str, arguments: dict[str, Any]) -> Any:
    """One tool call as `principal`, its body."""
    async with connect(principal) as client:
        return body(await client.call_tool(tool, arguments))


async def test_a_membership_is_enrolled_with_an_expiration_date_mews_stores(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    enrolment = {
        "account_id": STORY.no_email,
        "loyalty_program_id": STORY.program_gec07,
        "is_primary": False,
        "expiration_date": "2031-06-30",
    }
    result = await _call(connect, "dave", "add_loyalty_memberships", {"memberships": [enrolment]})
    assert result["status"] == "posted", result
    added = result["result"]["loyalty_memberships"][0]
    assert added["expiration_date"].startswith("2031-06-30T00:00:00")
    expiry = await _expiry(runtime, added["id"])
    assert expiry is not None
    assert expiry.date() == date(2031, 6, 30)


async def test_an_update_moves_the_expiration_date(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    update = {"loyalty_membership_id": EMMA_MEMBERSHIP, "expiration_date": "2030-01-31"}
    result = await _call(connect, "carol", "update_loyalty_memberships", {"updates": [update]})
    assert result["status"] == "posted", result
    expiry = await _expiry(runtime, EMMA_MEMBERSHIP)
    assert expiry is not None
    assert expiry.date() == date(2030, 1, 31)


async def test_a_renewal_extends_by_months_from_the_current_expiry(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    before = await _expiry(runtime, EMMA_MEMBERSHIP)
    assert before is not None
    assert before.date() > _today(runtime)
    renewal = {"loyalty_membership_id": EMMA_MEMBERSHIP, "months": 12}
    result = await _call(connect, "carol", "renew_loyalty_membership", renewal)
    expected = add_months(before.date(), 12)
    assert result["status"] == "posted", result
    renewed = result["result"]["loyalty_memberships"][0]["expiration_date"]
    assert renewed.startswith(expected.isoformat())
    after = await _expiry(runtime, EMMA_MEMBERSHIP)
    assert after is not None
    assert after.date() == expected


async def test_an_expired_membership_is_renewed_from_today(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    expired = {"loyalty_membership_id": EMMA_MEMBERSHIP, "expiration_date": "2020-01-01"}
    await _call(connect, "carol", "update_loyalty_memberships", {"updates": [expired]})
    renewal = {"loyalty_membership_id": EMMA_MEMBERSHIP, "months": 6}
    result = await _call(connect, "carol", "renew_loyalty_membership", renewal)
    renewed = result["result"]["loyalty_memberships"][0]["expiration_date"]
    assert renewed.startswith(add_months(_today(runtime), 6).isoformat())


async def test_a_renewal_never_shortens_and_writes_nothing_when_refused(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    before = await _expiry(runtime, EMMA_MEMBERSHIP)
    assert before is not None
    async with connect("carol") as client:
        shorter = await client.call_tool(
            "renew_loyalty_membership",
            {"loyalty_membership_id": EMMA_MEMBERSHIP, "until": before.date().isoformat()},
        )
        both = await client.call_tool(
            "renew_loyalty_membership",
            {"loyalty_membership_id": EMMA_MEMBERSHIP, "months": 1, "until": "2040-01-01"},
        )
    assert shorter.is_error
    assert "only extends" in body(shorter)["message"]
    assert both.is_error
    assert body(both)["status"] == "invalid_arguments"
    assert await _expiry(runtime, EMMA_MEMBERSHIP) == before
