"""The whole campaign loop through the MCP in-memory client, as staff would run it from the
chat: create, see the drafts, simulate redemptions, advance the sandbox clock, read the report."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.campaigns.conftest import create_welcome_drink
from tests.server.clients import Connect, body
from tools.campaigns import Group, compare
from tools.campaigns.tables import recommendation_log_table
from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def advance_sandbox_clock(sandbox: Sandbox, duration: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=sandbox.httpx_transport(), base_url="http://sandbox.invalid"
    ) as http:
        response = await http.post("/_sandbox/clock", json={"Advance": duration})
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


async def members_with_points(runtime: LoyaltyRuntime, ids: list[str], at_least: int) -> list[str]:
    facts = await runtime.loader.members(ids, with_stays=False)
    return [
        customer_id
        for customer_id in ids
        if (m := facts[customer_id].active_membership("PC01")) and (m.mews_points or 0) >= at_least
    ]


async def test_a_campaign_is_created_drafted_measured_and_reported(
    connect: Connect, runtime: LoyaltyRuntime, sandbox: Sandbox
) -> None:
    async with connect("carol") as client:
        created = await create_welcome_drink(client, "Welcome drink for everyone")
        assert created["status"] == "posted", created
        campaign = created["result"]
        assert campaign["liability"] == 180 * campaign["treated"] <= 50_000  # 9 GBP a drink
        assert abs(campaign["treated"] - campaign["held_out"]) <= 1
        assert campaign["drafts"][0]["status"] == "drafted"
        assert "Welcome drink at the bar" in campaign["drafts"][0]["text"]
        cid = campaign["campaign_id"]

        with runtime.store.read() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT customer_id, membership_id, holdout FROM campaign_members "
                    "WHERE campaign_id = :c ORDER BY customer_id"
                ),
                {"c": cid},
            ).all()
        treated = [r for r in rows if not r.holdout]
        held = [r for r in rows if r.holdout]
        rich_treated = await members_with_points(runtime, [r.customer_id for r in treated], 800)
        rich_held = await members_with_points(runtime, [r.customer_id for r in held], 800)
        membership = {r.customer_id: r.membership_id for r in rows}

        async def redeem(customers: list[str], wanted: int) -> int:
            done = 0
            for customer_id in customers:
                if done == wanted:
                    break
                result = await client.call_tool(
                    "redeem_reward",
                    {"membership_id": membership[customer_id], "reward_id": "welcome-drink"},
                )
                done += body(result).get("status") == "posted"
            return done

        redeemed_treated = await redeem(rich_treated, 15)
        redeemed_held = await redeem(rich_held, 5)
        assert (redeemed_treated, redeemed_held) == (15, 5)

        early = body(await client.call_tool("get_campaign_report", {"campaign_id": cid}))
        assert not early["window_closed"]
        assert early["verdict"].startswith("the window is still open")

        clock = await advance_sandbox_clock(sandbox, "P15D")
        assert clock  # the sandbox answered with its new time; the runtime shares the clock

        report = body(await client.call_tool("get_campaign_report", {"campaign_id": cid}))
    assert report["window_closed"]
    assert report["metric"] == "redeemed"
    assert report["treated"]["redeemed"] == 15
    assert report["holdout"]["redeemed"] == 5
    expected = compare(Group(15, campaign["treated"]), Group(5, campaign["held_out"]))
    assert expected.interval is not None
    assert report["lift"] == pytest.approx(expected.lift, abs=1e-4)
    assert report["interval_low"] == pytest.approx(expected.interval[0], abs=1e-4)
    assert report["interval_high"] == pytest.approx(expected.interval[1], abs=1e-4)
    assert report["conclusive"] is True
    assert "helped" in report["verdict"]
    assert report["inputs"]["mews_reservation_requests"] == 1  # one batch for 175 members

    log = recommendation_log_table
    with runtime.store.read() as conn:
        outcomes = dict(
            conn.execute(
                sa.select(log.c.outcome, sa.func.count())
                .where(log.c.source_id == cid)
                .group_by(log.c.outcome)
            ).all()
        )
    assert outcomes == {"converted": 15, "not_converted": campaign["treated"] - 15}


async def test_a_campaign_over_the_budget_waits_for_a_manager_then_is_created(
    connect: Connect,
) -> None:
    request = {
        "name": "Spa win-back",
        "goal": "win_back",
        "segment": "all",
        "reward_id": "spa-credit",
        "holdout_share": "0.1",
    }
    async with connect("carol") as client:
        pending = body(await client.call_tool("create_campaign", request))
        assert pending["status"] == "pending_approval"
        assert pending["rule"] == "approvals.campaign_budget"
        assert (await client.call_tool("list_campaigns", {})).structured_content == {
            "campaigns": []
        }
    async with connect("alice", ("approvals",)) as manager:
        decided = body(
            await manager.call_tool(
                "decide_approval", {"approval_id": pending["approval_id"], "decision": "approve"}
            )
        )
    assert decided["status"] == "posted"
    assert decided["result"]["liability"] > 50_000
    async with connect("carol") as client:
        listed = body(await client.call_tool("list_campaigns", {}))
        again = body(await client.call_tool("create_campaign", request))
    assert [c["name"] for c in listed["campaigns"]] == ["Spa win-back"]
    # the same request the same day is a replay: it says what became of it, created once
    assert (again["status"], again["replayed"]) == ("posted", True)
    assert again["result"] == decided["result"]
    assert len(listed["campaigns"]) == 1


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"segment": "all", "customer_ids": ["0" * 8 + "-0000-0000-0000-" + "0" * 12]}, "segment"),
        ({"segment": "all", "bonus_points": 100, "reward_id": "breakfast"}, "reward_id"),
        ({"segment": "all", "reward_id": "champagne"}, "reward_id"),
        ({"segment": "all", "bonus_points": 100, "holdout_share": "0.9"}, "holdout_share"),
        ({"segment": "all", "bonus_points": 100, "channels": ["fax"]}, "channels"),
        ({"segment": "everyone", "bonus_points": 100}, "segment"),
    ],
)
async def test_bad_campaign_requests_name_the_field(
    connect: Connect, arguments: dict[str, Any], field: str
) -> None:
    async with connect("carol") as client:
        result = await client.call_tool(
            "create_campaign", {"name": "x", "goal": "win_back", **arguments}
        )
    assert result.is_error
    assert field in result.content[0].text  # type: ignore[union-attr]


async def test_the_campaigns_toolset_is_its_own_and_the_member_listing_is_unchanged(
    connect: Connect,
) -> None:
    async with connect("carol", ("member",)) as client:
        member = {tool.name for tool in (await client.list_tools()).tools}
    async with connect("carol", ("campaigns",)) as client:
        campaigns = {tool.name for tool in (await client.list_tools()).tools}
    assert "create_campaign" not in member
    assert {"create_campaign", "get_campaign_report", "list_campaigns"} <= campaigns


@pytest.mark.parametrize(
    ("segment", "choosing"), [("lapsing", "choosing the lapsing members of "), ("all", "")]
)
async def test_drafting_a_campaign_reports_its_progress_to_a_client_that_asks(
    connect: Connect, segment: str, choosing: str
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    arguments = {"name": f"Progress {segment}", "goal": "win_back", "segment": segment}
    async with connect("carol") as client:
        result = await client.call_tool(
            "create_campaign", {**arguments, "bonus_points": 10}, progress_callback=progress
        )
        quiet = await client.call_tool(
            "create_campaign", {**arguments, "name": "Quiet", "bonus_points": 10}
        )

    assert body(result)["status"] == "posted", body(result)
    assert [(done, total) for done, total, _ in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert seen[0][2] == "reading the members of Platinum Club"
    assert str(seen[1][2]).startswith(choosing or "checking the memberships of ")
    assert str(seen[2][2]).startswith("drafting the campaign for ")
    assert seen[3][2] == "done"
    assert body(quiet)["status"] == "posted", "no progress asked: the same campaign runs"


async def test_a_campaign_report_reports_its_progress_to_a_client_that_asks(
    connect: Connect, sandbox: Sandbox
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with connect("carol") as client:
        created = await create_welcome_drink(client, "Reported drink")
        cid = created["result"]["campaign_id"]
        await advance_sandbox_clock(sandbox, "P2D")  # the window is open: outcomes to read
        report = await client.call_tool(
            "get_campaign_report", {"campaign_id": cid}, progress_callback=progress
        )
    members = created["result"]["treated"] + created["result"]["held_out"]
    assert not report.is_error, report
    assert [(done, total) for done, total, _ in seen] == [(0, members), (members, members)]
    assert {message for _, _, message in seen} == {"members' reservations read from Mews"}
