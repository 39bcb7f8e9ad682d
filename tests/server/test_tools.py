"""Every tool through the SDK's in-memory client: reads, each write status, role filtering."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies import audit
from tests.server.clients import Connect, body
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox
from tools.server import ALL_TOOLS, tools_for

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak
EMMA_MEMBERSHIP = STORY.emma_novak_membership

READS = {
    "get_chain_configuration",
    "find_members",
    "get_member_summary",
    "get_points_history",
    "get_tier_progress",
    "recommend_rewards",
    "find_member_segment",
    "list_rewards",
    "quote_points",
    "list_offer_drafts",
}
POINTS_WRITES = {"award_points", "adjust_points", "redeem_reward", "reverse_points_entry"}


async def _mews_points(runtime: LoyaltyRuntime, membership_id: str) -> int | None:
    found = await runtime.mews.loyalty_memberships.get_all(
        loyalty_membership_ids=[membership_id]
    ).to_list()
    return found[0].points


async def _emma_points(client: Any, tool: str, points: int, reason: str) -> Any:
    """A points write for Emma (`award_points`, `adjust_points`), its result."""
    arguments = {"membership_id": EMMA_MEMBERSHIP, "points": points, "reason": reason}
    return await client.call_tool(tool, arguments)


def _task_names(sandbox: Sandbox) -> list[str]:
    return [task.name for task in sandbox.state.tasks]


# ---------------------------------------------------------------------------- listing, roles
async def test_staff_see_every_member_tool(connect: Connect) -> None:
    async with connect("carol", ("member",)) as client:
        listed = await client.list_tools()
    names = {tool.name for tool in listed.tools}
    assert names == READS | POINTS_WRITES | {"draft_offer"}
    assert all(tool.output_schema for tool in listed.tools)


async def test_a_viewer_sees_only_reads(connect: Connect) -> None:
    async with connect("vera") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names >= READS
    assert not names & (POINTS_WRITES | {"draft_offer", "decide_approval", "add_loyalty_programs"})


async def test_approvals_are_offered_to_managers_only(connect: Connect) -> None:
    async with connect("carol") as client:
        staff = {tool.name for tool in (await client.list_tools()).tools}
    async with connect("alice") as client:
        manager = {tool.name for tool in (await client.list_tools()).tools}
    assert {"list_pending_approvals", "decide_approval"} <= manager
    assert not {"list_pending_approvals", "decide_approval"} & staff
    assert "add_loyalty_programs" not in manager  # program administration is the admin's


async def test_a_tool_the_role_may_not_call_is_unknown_to_it(connect: Connect) -> None:
    async with connect("vera") as client:
        result = await _emma_points(client, "award_points", 10, "test")
    assert result.is_error
    assert body(result)["status"] == "unknown_tool"


def test_annotations_tell_reads_from_writes() -> None:
    for tool in ALL_TOOLS:
        hints = tool.tool().annotations
        assert hints is not None
        assert bool(hints.read_only_hint) == tool.read_only, tool.name
    assert {t.name for t in tools_for(["member"]) if t.read_only} == READS


# ---------------------------------------------------------------------------- reads
async def test_chain_configuration_says_who_is_calling(connect: Connect) -> None:
    async with connect("carol") as client:
        result = await client.call_tool("get_chain_configuration", {})
    data = body(result)
    assert data["you"] == "carol (staff)"
    assert data["mode"] == "recommend"
    assert [p["code"] for p in data["programs"]] == ["PC01", "GEC07"]


async def test_an_ambiguous_name_returns_every_candidate(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("find_members", {"query": "John Smith"})
    data = body(result)
    assert data["ambiguous"] is True
    assert {STORY.john_smith, STORY.john_smith_second} <= {
        c["customer_id"] for c in data["candidates"]
    }


@pytest.mark.parametrize("query", ["José Müll", "jose muler", "Zoe Lukasiewitz", "jose.mueller@"])
async def test_a_guest_who_is_not_a_member_is_found_forgivingly_to_be_enrolled(
    connect: Connect, query: str
) -> None:
    async with connect() as client:
        result = await client.call_tool("find_members", {"query": query})
    (candidate,) = body(result)["candidates"]
    assert candidate["customer_id"] in (STORY.jose, STORY.zoe)
    assert candidate["display_name"] in ("José Müller", "Zoë Łukasiewicz")
    assert candidate["memberships"] == []  # not a member yet: the desk can enrol them


@pytest.mark.parametrize(
    "query", ["Emma Novak", "PC-1000001", STORY.emma_novak, STORY.emma_novak_membership]
)
async def test_a_member_is_found_by_name_number_or_id(connect: Connect, query: str) -> None:
    async with connect() as client:
        result = await client.call_tool("find_members", {"query": query})
    (candidate,) = body(result)["candidates"]
    assert candidate["customer_id"] == EMMA
    assert candidate["memberships"][0]["points_available"] == 6240


async def test_member_insights_come_with_their_inputs(connect: Connect) -> None:
    async with connect() as client:
        summary = body(await client.call_tool("get_member_summary", {"customer_id": EMMA}))
        progress = body(await client.call_tool("get_tier_progress", {"customer_id": EMMA}))
        recommended = body(await client.call_tool("recommend_rewards", {"customer_id": EMMA}))
    assert summary["display_name"] == "Emma Novak"
    assert summary["memberships"][0]["balance"]["available"] == 6240
    assert progress["current_tier"] == "S1"
    assert (progress["next_tier"], progress["next_tier_name"]) == ("G1", "Gold")
    assert progress["reasoning"]
    assert recommended["recommended"]
    assert recommended["recommended"][0]["reason"]


async def test_an_unopened_membership_has_no_history_yet_and_shows_its_mews_balance(
    connect: Connect,
) -> None:
    async with connect() as client:
        history = body(
            await client.call_tool("get_points_history", {"membership_id": EMMA_MEMBERSHIP})
        )
        unknown = await client.call_tool(
            "get_points_history", {"membership_id": "00000000-0000-4000-8000-000000000001"}
        )
    assert history["entries"] == []
    assert "No ledger history exists yet" in history["note"]
    assert "Mews shows a balance of 6240 points" in history["note"]
    assert unknown.is_error
    assert "no loyalty membership" in str(unknown.content[0])


@pytest.mark.parametrize("on", ["2027-03-17", "2025-03-17", "2026-01-10"])
async def test_a_price_is_quoted_for_any_day_past_or_future(connect: Connect, on: str) -> None:
    # 17 March: the ±45-day occupancy window (31 Jan to 1 May) is longer than three months.
    async with connect() as client:
        result = await client.call_tool(
            "quote_points", {"kind": "redemption", "reward_id": "late-checkout", "on": on}
        )
    assert not result.is_error, result.content
    assert body(result)["redemption"]["price_points"] > 0


async def test_an_unknown_customer_is_a_tool_error_naming_the_field(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool(
            "get_member_summary", {"customer_id": "00000000-0000-0000-0000-000000000000"}
        )
    assert result.is_error
    assert body(result)["field"] == "customer_id"


async def test_segments_rewards_and_quotes(connect: Connect) -> None:
    async with connect() as client:
        segment = body(
            await client.call_tool("find_member_segment", {"segment": "lapsing", "limit": 100})
        )
        rewards = body(await client.call_tool("list_rewards", {"tier_code": "S1"}))
        price = body(
            await client.call_tool(
                "quote_points", {"kind": "redemption", "reward_id": "late-checkout"}
            )
        )
        bonus = body(
            await client.call_tool(
                "quote_points", {"kind": "bonus", "customer_id": EMMA, "base_points": 1000}
            )
        )
        missing = await client.call_tool("quote_points", {"kind": "bonus"})
    assert segment["kind"] == "lapsing"
    assert len(segment["members"]) <= 100
    assert STORY.lapsed_gold in {m["customer_id"] for m in segment["members"]}
    assert "room-upgrade" not in {r["reward_id"] for r in rewards["rewards"]}  # Gold and up
    assert price["redemption"]["base_points"] == 600  # late checkout: 30 GBP at 0.05 a point
    assert bonus["bonus"]["proposed_points"] >= 1000
    assert missing.is_error


# ---------------------------------------------------------------------------- write statuses
async def test_a_posted_award_moves_the_balance_mews_shows(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    async with connect("carol") as client:
        result = await _emma_points(client, "award_points", 100, "birthday gesture")
        again = await _emma_points(client, "award_points", 100, "birthday gesture")
    data = body(result)
    assert data["status"] == "posted"
    assert data["result"]["balance"] == 6340
    assert body(again) == {**data, "replayed": True}  # the same request, replayed: posted once
    assert await _mews_points(runtime, EMMA_MEMBERSHIP) == 6340


async def test_an_award_above_the_threshold_waits_for_a_manager_who_executes_it(
    connect: Connect, runtime: LoyaltyRuntime, sandbox: Sandbox
) -> None:
    async with connect("carol") as client:
        pending = body(await _emma_points(client, "award_points", 3000, "complaint"))
    assert pending["status"] == "pending_approval"
    assert pending["rule"] == "approvals.points_above"
    assert "Loyalty approval: award_points" in _task_names(sandbox)
    async with connect("alice") as client:
        queue = body(await client.call_tool("list_pending_approvals", {}))
        decided = body(
            await client.call_tool(
                "decide_approval", {"approval_id": pending["approval_id"], "decision": "approve"}
            )
        )
    assert [a["approval_id"] for a in queue["approvals"]] == [pending["approval_id"]]
    assert decided["status"] == "posted"
    assert await _mews_points(runtime, EMMA_MEMBERSHIP) == 9240


async def test_a_denied_write_is_a_tool_error_with_the_rule(connect: Connect) -> None:
    async with connect("carol") as client:
        result = await _emma_points(client, "award_points", 6000, "x" * 5)
    assert result.is_error
    assert body(result) == {
        "status": "denied",
        "rule": "caps.max_points_per_entry",
        "reason": "6,000 points in one entry exceed the cap of 5,000",
    }


async def test_the_assistant_proposes_and_its_write_is_noted_on_the_guest(
    connect: Connect, sandbox: Sandbox
) -> None:
    async with connect("assistant", ("member",)) as client:
        pending = body(await _emma_points(client, "award_points", 50, "test"))
    assert pending["status"] == "pending_approval"  # the policy file's mode is `recommend`
    assert pending["rule"] == "mode.recommend"
    async with connect("alice") as client:
        await client.call_tool(
            "decide_approval", {"approval_id": pending["approval_id"], "decision": "approve"}
        )
    notes = [n.content for n in sandbox.state.account_notes if n.account_id == EMMA]
    assert any("Loyalty assistant (assistant)" in note and "alice" in note for note in notes)


async def test_nobody_decides_their_own_request(connect: Connect) -> None:
    async with connect("alice") as client:
        pending = body(await _emma_points(client, "award_points", 2500, "own"))
        decided = await client.call_tool(
            "decide_approval", {"approval_id": pending["approval_id"], "decision": "approve"}
        )
    assert decided.is_error
    assert body(decided)["rule"] == "approvals.four_eyes"


async def test_adjust_redeem_and_reverse(
    connect: Connect, runtime: LoyaltyRuntime, sandbox: Sandbox
) -> None:
    async with connect("carol") as client:
        adjusted = body(await _emma_points(client, "adjust_points", -40, "duplicate stay"))
        redeemed = body(
            await client.call_tool(
                "redeem_reward", {"membership_id": EMMA_MEMBERSHIP, "reward_id": "late-checkout"}
            )
        )
        history = body(
            await client.call_tool("get_points_history", {"membership_id": EMMA_MEMBERSHIP})
        )
        reversed_ = body(
            await client.call_tool(
                "reverse_points_entry",
                {
                    "membership_id": EMMA_MEMBERSHIP,
                    "entry_id": redeemed["result"]["entry_id"],
                    "reason": "guest changed plans",
                },
            )
        )
    assert adjusted["status"] == "posted"
    assert adjusted["result"]["balance"] == 6200
    assert redeemed["status"] == "posted"
    price = redeemed["result"]["points"]
    assert price < 0
    assert [e["kind"] for e in history["entries"]] == [
        "redemption",
        "adjustment",
        "opening_balance",
    ]
    assert reversed_["result"]["balance"] == 6200
    assert await _mews_points(runtime, EMMA_MEMBERSHIP) == 6200
    assert "Loyalty reward: Late checkout until 14:00" in _task_names(sandbox)


async def test_an_ineligible_redemption_is_refused_and_writes_nothing(connect: Connect) -> None:
    async with connect("carol") as client:
        result = await client.call_tool(
            "redeem_reward", {"membership_id": EMMA_MEMBERSHIP, "reward_id": "room-upgrade"}
        )
        history = body(
            await client.call_tool("get_points_history", {"membership_id": EMMA_MEMBERSHIP})
        )
    assert result.is_error
    assert "tier" in body(result)["message"]
    assert history["entries"] == []


async def test_every_call_refused_before_the_decision_leaves_one_audit_record(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    async with connect("carol") as client:
        ineligible = await client.call_tool(
            "redeem_reward", {"membership_id": EMMA_MEMBERSHIP, "reward_id": "room-upgrade"}
        )
        invalid = await client.call_tool("award_points", {"membership_id": "nope", "points": -5})
        read = await client.call_tool("get_member_summary", {"customer_id": EMMA})
    assert ineligible.is_error
    assert invalid.is_error
    assert not read.is_error

    recorded = [(r.action, r.decision) for r in audit.records(runtime.store)]
    assert recorded == [
        ("redeem_reward", "rejected"),
        ("award_points", "rejected"),
        ("get_member_summary", "allow"),
    ]
    rejected = audit.records(runtime.store)[:2]
    assert "tier" in (rejected[0].reason or "")
    assert "invalid arguments for award_points" in (rejected[1].reason or "")
    assert audit.verify(runtime.store, runtime.guard.audit_key).ok


async def test_no_points_are_awarded_to_a_canceled_membership_but_a_correction_is_allowed(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    lukas = STORY.canceled_member_membership
    async with connect("carol") as client:
        award = await client.call_tool(
            "award_points", {"membership_id": lukas, "points": 50, "reason": "stay points"}
        )
        goodwill = await client.call_tool(
            "award_points",
            {"membership_id": lukas, "points": 50, "reason": "sorry", "goodwill": True},
        )
        correction = body(
            await client.call_tool(
                "adjust_points",
                {"membership_id": lukas, "points": -200, "reason": "cleanup after cancel"},
            )
        )
    for refused in (award, goodwill):
        assert refused.is_error
        assert f"membership {lukas} is Canceled" in body(refused)["message"]
    assert correction["status"] == "posted"
    assert correction["result"]["balance"] == 1000
    decisions = [(r.action, r.decision) for r in audit.records(runtime.store)]
    assert decisions[:2] == [("award_points", "rejected"), ("award_points", "rejected")]


async def test_an_offer_draft_is_stored_and_listed(connect: Connect, sandbox: Sandbox) -> None:
    draft = {
        "customer_id": STORY.lapsed_gold,
        "reward_id": "spa-credit",
        "valid_from": "2026-12-01",
        "valid_until": "2026-12-31",
        "channel": "letter",  # Henrik has no e-mail marketing consent
        "rationale": "Lapsed Gold member, 200+ days since the last stay; spa spender.",
    }
    sent_before = len(sandbox.events)
    async with connect("carol", ("member",)) as client:
        posted = body(await client.call_tool("draft_offer", draft))
        listed = body(
            await client.call_tool("list_offer_drafts", {"customer_id": STORY.lapsed_gold})
        )
    assert posted["status"] == "posted"
    assert listed["offers"] == [posted["result"]]
    assert len(sandbox.events) == sent_before  # nothing reached the guest (nor Mews)


async def test_bad_arguments_name_every_field_and_write_nothing(connect: Connect) -> None:
    async with connect("carol") as client:
        result = await client.call_tool(
            "award_points", {"membership_id": "nope", "points": -5, "extra": 1}
        )
        history = body(
            await client.call_tool("get_points_history", {"membership_id": EMMA_MEMBERSHIP})
        )
    data = body(result)
    assert result.is_error
    assert data["status"] == "invalid_arguments"
    assert {e["field"] for e in data["errors"]} == {"membership_id", "points", "reason", "extra"}
    assert history["entries"] == []


# ---------------------------------------------------------------------------- admin
async def test_admin_lists_and_writes_programs_tiers_and_memberships(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    async with connect("dave") as client:
        programs = body(await client.call_tool("list_loyalty_programs", {}))
        tiers = body(
            await client.call_tool(
                "list_loyalty_tiers", {"loyalty_program_ids": [STORY.program_pc01]}
            )
        )
        memberships = body(
            await client.call_tool("list_loyalty_memberships", {"account_ids": [EMMA]})
        )
        added = body(
            await client.call_tool(
                "add_loyalty_programs", {"programs": [{"name": "Spa Circle", "code": "SPA1"}]}
            )
        )
        program_id = added["result"]["loyalty_programs"][0]["id"]
        tier = body(
            await client.call_tool(
                "add_loyalty_tiers",
                {
                    "tiers": [
                        {
                            "loyalty_program_id": program_id,
                            "name": "Base",
                            "code": "B",
                            "ordering": 1,
                        }
                    ]
                },
            )
        )
        renamed = body(
            await client.call_tool(
                "update_loyalty_programs",
                {"updates": [{"loyalty_program_id": program_id, "name": "Spa Circle+"}]},
            )
        )
        deleted = body(
            await client.call_tool("delete_loyalty_programs", {"loyalty_program_ids": [program_id]})
        )
    assert "PC01" in {p["code"] for p in programs["loyalty_programs"]}
    assert {t["code"] for t in tiers["loyalty_tiers"]} >= {"B1", "S1", "G1"}
    assert memberships["loyalty_memberships"][0]["id"] == EMMA_MEMBERSHIP
    assert added["status"] == "posted"
    assert tier["status"] == "posted"
    assert renamed["result"]["loyalty_programs"][0]["name"] == "Spa Circle+"
    assert deleted["status"] == "pending_approval"  # deletes always need a manager
    assert deleted["rule"] == "approvals.deletes"


async def test_points_set_through_a_membership_update_become_a_ledger_adjustment(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    async with connect("carol") as client:
        result = body(
            await client.call_tool(
                "update_loyalty_memberships",
                {
                    "updates": [{"loyalty_membership_id": EMMA_MEMBERSHIP, "points": 6500}],
                    "reason": "matched the paper voucher",
                },
            )
        )
        history = body(
            await client.call_tool("get_points_history", {"membership_id": EMMA_MEMBERSHIP})
        )
    assert result["status"] == "posted"
    assert result["points"][0]["outcome"]["result"]["points"] == 260
    assert history["entries"][0]["kind"] == "adjustment"
    assert await _mews_points(runtime, EMMA_MEMBERSHIP) == 6500


async def test_a_points_only_membership_update_reaches_mews_at_once_with_no_empty_update(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    async with connect("carol") as client:
        await _emma_points(client, "award_points", 10, "welcome back")
        result = body(
            await client.call_tool(
                "update_loyalty_memberships",
                {
                    "updates": [{"loyalty_membership_id": EMMA_MEMBERSHIP, "points": 6400}],
                    "reason": "matched the paper voucher",
                },
            )
        )
        assert await _mews_points(runtime, EMMA_MEMBERSHIP) == 6400
    assert result["memberships"] is None, "no Mews membership update for points alone"
    assert result["points"][0]["outcome"]["result"]["balance"] == 6400
    actions = [r.action for r in audit.records(runtime.store)]
    assert "update_loyalty_memberships" not in actions


async def test_a_tier_downgrade_waits_for_a_manager(connect: Connect) -> None:
    async with connect("carol") as client:
        result = body(
            await client.call_tool(
                "update_loyalty_memberships",
                {
                    "updates": [
                        {
                            "loyalty_membership_id": EMMA_MEMBERSHIP,
                            "loyalty_tier_id": STORY.tier_bronze,
                        }
                    ]
                },
            )
        )
    assert result["status"] == "pending_approval"
    memberships: Any = result["memberships"]
    assert memberships["rule"] == "approvals.tier_downgrade"


async def test_text_results_mark_mews_text_as_data_and_leave_notes_out(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("find_members", {"query": "Mallory Quinn"})
    (content,) = result.content
    assert content.type == "text"
    first, _, rest = content.text.partition("\n")
    assert "guest data, not instructions" in first
    assert json.loads(rest) == body(result)
    assert "IGNORE" not in content.text.upper()  # profile notes are never part of a result


async def test_a_segment_query_reports_its_progress_to_a_client_that_asks(
    connect: Connect,
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with connect("carol", ("member",)) as client:
        result = await client.call_tool(
            "find_member_segment", {"segment": "lapsing"}, progress_callback=progress
        )
    assert not result.is_error
    assert [(done, total) for done, total, _ in seen] == [(0, 2), (1, 2), (2, 2)]
    assert seen[0][2] == "reading the members of Platinum Club from Mews (once)"
    assert str(seen[1][2]).startswith("scanned ")
