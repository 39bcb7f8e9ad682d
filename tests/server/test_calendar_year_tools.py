"""A program qualifying by calendar year: tier progress, the segment, the tier review and the
report count the year in the hotel's time zone (the sandbox hotel's Europe/London)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.server.clients import Connect, body, connector, sqlite_runtime
from tools.automation.jobs import JobContext, run_job
from tools.loyalty import default_program_path
from tools.report import program_report
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
async def calendar_runtime(tmp_path: Path) -> AsyncIterator[LoyaltyRuntime]:
    text = default_program_path().read_text(encoding="utf-8")
    program_file = tmp_path / "program.toml"
    program_file.write_text(text.replace('period = "rolling"', 'period = "calendar_year"'))
    async with await sqlite_runtime(
        tmp_path / "loyalty.db", sandbox=Sandbox.seeded(), program_file=program_file
    ) as opened:
        yield opened


@pytest.fixture
def calendar_connect(calendar_runtime: LoyaltyRuntime) -> Connect:
    return connector(calendar_runtime, ("member", "admin", "approvals"))


async def test_tier_progress_counts_the_calendar_year_in_the_hotels_time_zone(
    calendar_connect: Connect, calendar_runtime: LoyaltyRuntime
) -> None:
    year = calendar_runtime.clock.now().year
    async with calendar_connect() as client:
        progress = body(
            await client.call_tool("get_tier_progress", {"customer_id": STORY.emma_novak})
        )
        config = body(await client.call_tool("get_chain_configuration", {}))
    assert progress["inputs"]["period"] == "calendar_year"
    assert progress["period_label"] == f"{year} so far"
    assert progress["inputs"]["time_zone"] == "Europe/London"
    assert f"in {year} so far" in progress["reasoning"]
    assert config["programs"][0]["qualification"] == (
        "nights in the calendar year, a tier kept through the next year"
    )


async def test_the_tier_review_and_the_report_follow_the_calendar_year(
    calendar_runtime: LoyaltyRuntime,
) -> None:
    rt = calendar_runtime
    context = replace(JobContext.for_runtime(rt, read_model=False), program_code="PC01")
    review = await run_job("tier-review", context)
    year = rt.clock.now().year
    assert any(f"in {year} so far" in item.detail for item in review.items)
    report = await program_report(rt, "PC01")
    assert "calendar year" in report.definitions["tier_movements_due"]
