"""The report through MCP: the `get_program_report` tool and the `loyalty://report` resource."""

from __future__ import annotations

import json

import pytest
from mcp.shared.exceptions import MCPError

from storage.progress import counting
from tests.campaigns.conftest import Connect, body
from tools.report import program_report
from tools.runtime import LoyaltyRuntime

pytestmark = pytest.mark.anyio


async def test_the_report_tool_counts_every_active_member_once_in_the_tier_mix(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    members = await runtime.loader.all_members("PC01")
    active = [m for m in members if m.active_membership("PC01")]
    async with connect("alice") as client:
        report = body(
            await client.call_tool(
                "get_program_report",
                {"program_code": "PC01", "period_from": "2026-01-01", "period_to": "2026-03-15"},
            )
        )
    assert report["members"]["members"] == len(active) == sum(t["members"] for t in report["tiers"])
    assert [m["month"] for m in report["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert report["point_value"] == str(runtime.program("PC01").point_value)


async def test_the_report_tool_names_the_field_of_an_unknown_program_or_a_reversed_period(
    connect: Connect,
) -> None:
    async with connect("carol") as client:
        unknown = await client.call_tool("get_program_report", {"program_code": "NOPE"})
        reversed_ = await client.call_tool(
            "get_program_report", {"period_from": "2026-03-01", "period_to": "2026-02-01"}
        )
    assert unknown.is_error
    assert "program_code" in unknown.content[0].text
    assert reversed_.is_error
    assert "period_to" in reversed_.content[0].text


async def test_the_report_resource_reads_the_first_program_over_the_last_year(
    connect: Connect,
) -> None:
    async with connect("vera") as client:
        read = await client.read_resource("loyalty://report")
        report = json.loads(read.contents[0].text)
        with pytest.raises(MCPError):
            await client.read_resource("loyalty://reports")
    assert report["program_code"] == "PC01"
    assert len(report["months"]) == 13


async def test_the_report_counts_its_steps_for_a_progress_bar(runtime: LoyaltyRuntime) -> None:
    seen: list[tuple[int, int | None, str]] = []
    with counting(lambda done, total, what: seen.append((done, total, what))):
        await program_report(runtime, "PC01")
    own = [(done, total) for done, total, what in seen if "read from Mews" not in what]
    assert own == [(0, 3), (1, 3), (2, 3), (3, 3)]
    read = [(done, total) for done, total, what in seen if what == "members read from Mews"]
    assert read[-1][0] == read[-1][1], "the member read model's first fill counts its members"
