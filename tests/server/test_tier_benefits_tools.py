"""The assistant can quote a member's tier benefits: the member summary, the chain
configuration and the loyalty://programs resource carry them in the program file's words."""

from __future__ import annotations

import json

import pytest
from mcp import types

from tests.server.clients import Connect, body
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio


async def test_the_summary_the_configuration_and_the_program_resource_quote_tier_benefits(
    connect: Connect,
) -> None:
    async with connect() as client:
        summary = body(
            await client.call_tool("get_member_summary", {"customer_id": STORY.emma_novak})
        )
        config = body(await client.call_tool("get_chain_configuration", {}))
        programs = await client.read_resource("loyalty://programs")
    [membership] = [m for m in summary["memberships"] if m["program_code"] == "PC01"]
    assert membership["tier_name"] == "Silver"
    assert membership["tier_benefits"] == [
        "1.25 × points on stays",
        "Members' rate on rooms booked direct",
        "Free high-speed Wi-Fi",
        "Late checkout until 13:00, on request",
    ]
    pc01 = next(p for p in config["programs"] if p["code"] == "PC01")
    gold = next(t for t in pc01["tiers"] if t["code"] == "G1")
    assert "Room upgrade to the next category, when available at check-in" in gold["benefits"]
    [content] = programs.contents
    assert isinstance(content, types.TextResourceContents)
    file = json.loads(content.text)
    assert file["programs"]["PC01"]["tiers"]["P1"]["benefits"]["late_checkout"] == (
        "Late checkout until 16:00, guaranteed"
    )
