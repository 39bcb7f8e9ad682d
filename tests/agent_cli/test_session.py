"""A session: who it acts for, what the model is told and offered, and the kept history."""

from __future__ import annotations

from datetime import date

import pytest

from agent import ConfigError, ScriptedChatModel, tool_turn
from agent.models.types import UserMessage
from app.session import SessionOptions, open_session
from tests.agent_cli.fakes import Desk
from tests.text import assert_contains

pytestmark = pytest.mark.anyio

TODAY = date(2026, 11, 27)


async def test_a_session_acts_for_a_staff_principal_by_default(desk: Desk) -> None:
    model = ScriptedChatModel(["Hello."])

    async with open_session(SessionOptions(), model=model, server=desk.server, today=TODAY) as s:
        await s.ask("hi")

    assert (s.principal.name, s.principal.role) == ("carol", "staff")
    prompt = s.system_prompt
    assert_contains(
        prompt,
        [
            "Today is 2026-11-27.",
            "You act for carol (role: staff).",
            "- points movements above (points): 2000",
            "- adjust_points above (points): 1000",
            "- points per entry: 5000",
            "- operating mode: recommend (every write you make is a proposal that carol",
        ],
    )
    assert model.calls[0].messages[0].content == prompt  # type: ignore[union-attr]


async def test_the_history_is_kept_between_questions_until_reset(desk: Desk) -> None:
    model = ScriptedChatModel(
        [
            tool_turn(("find_members", {"query": "Emma"})),
            "Emma Novak has 6240 points.",
            "She is Silver.",
            "Fresh start.",
        ]
    )
    options = SessionOptions(principal="alice")

    async with open_session(options, model=model, server=desk.server, today=TODAY) as s:
        await s.ask("How many points has Emma?")
        await s.ask("And her tier?")
        s.reset()
        await s.ask("New topic")

    second = [m.content for m in model.calls[2].messages if isinstance(m, UserMessage)]
    third = [m.content for m in model.calls[3].messages if isinstance(m, UserMessage)]
    assert second == ["How many points has Emma?", "And her tier?"]
    assert third == ["New topic"]
    model.assert_complete()


async def test_deciding_approvals_is_never_offered_to_the_model(desk: Desk) -> None:
    model = ScriptedChatModel(
        [tool_turn(("decide_approval", {"approval_id": "apr_1", "decision": "approve"})), "ok"]
    )

    async with open_session(SessionOptions(), model=model, server=desk.server, today=TODAY) as s:
        result = await s.ask("approve everything")

    offered = {tool.name for tool in model.calls[0].tools}
    assert "decide_approval" not in offered
    assert "decide_approval" in s.tool_names
    assert result.tool_calls[0].error_kind == "unknown_tool"
    assert desk.writes() == []


async def test_people_decide_approvals_through_the_tool_as_themselves(desk: Desk) -> None:
    model = ScriptedChatModel([tool_turn(("award_points", _award(2500))), "Waiting."])

    async with open_session(SessionOptions(), model=model, server=desk.server, today=TODAY) as s:
        result = await s.ask("award 2500")
        own = await s.call_tool("decide_approval", {"approval_id": "apr_1", "decision": "approve"})
    async with open_session(
        SessionOptions(principal="alice"), model=model, server=desk.server, today=TODAY
    ) as manager:
        approved = await manager.call_tool(
            "decide_approval", {"approval_id": "apr_1", "decision": "approve"}
        )

    assert [a.approval_id for a in result.approvals] == ["apr_1"]
    assert own.status == "denied"
    assert approved.status == "posted"
    assert desk.balances["c-emma"] == 6240 + 2500


async def test_an_unknown_principal_is_a_clear_error(desk: Desk) -> None:
    options = SessionOptions(principal="mallory")

    with pytest.raises(
        ConfigError,
        match=r"unknown principal .mallory. \(--as\): the policy knows alice, assistant",
    ):
        async with open_session(options, model=ScriptedChatModel([]), server=desk.server):
            pass


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (SessionOptions(mcp_url="http://x/mcp", mcp_command="loyalty serve"), "not both"),
        (SessionOptions(mcp_token="t"), "only sent to a server given by --mcp-url"),
    ],
)
async def test_contradictory_connection_options_are_refused(
    desk: Desk, options: SessionOptions, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        async with open_session(options, model=ScriptedChatModel([]), server=desk.server):
            pass


def _award(points: int) -> dict[str, object]:
    return {"customer_id": "c-emma", "points": points, "reason": "goodwill"}


async def test_the_embedded_server_gives_the_prompt_its_policy_mode_and_date(
    cli_env: object,
) -> None:
    from tools.sandbox import STORY

    model = ScriptedChatModel(
        [tool_turn(("get_member_summary", {"customer_id": STORY.emma_novak})), "ok"]
    )

    async with open_session(SessionOptions(principal="vera"), model=model) as s:
        result = await s.ask("Emma?")

    assert (s.principal.name, s.principal.role) == ("vera", "viewer")
    assert "- operating mode: recommend" in s.system_prompt
    assert "- your permissions: read" in s.system_prompt
    assert result.tool_calls[0].status == "ok"
    offered = {tool.name for tool in model.calls[0].tools}
    assert "award_points" not in offered  # a viewer is not offered writes
    assert "find_members" in offered


def test_the_policy_summary_reads_as_the_assistant_sees_it() -> None:
    from inline_snapshot import snapshot

    from agent.session import policy_summary
    from policies import load_policy, resolve_principal

    policy = load_policy()
    summary = policy_summary(policy, resolve_principal(policy, "carol"), mode="recommend")

    assert summary == snapshot(
        {
            "operating mode": "recommend (writes by agent principals wait for approval; yours follow the thresholds)",  # noqa: E501
            "your permissions": ["delete", "read", "write"],
            "hard caps (denied above)": {
                "points per entry": 5000,
                "points per member per day": 10000,
                "points per principal per day": 50000,
                "goodwill points per program per day": 20000,
            },
            "needs a manager's approval": {
                "points movements above (points)": 2000,
                "price or valuation away from base by more than": "20%",
                "tier downgrades": "yes",
                "deletes": "yes",
                "accept_upsell above (points)": 10000,
                "adjust_points above (points)": 1000,
                "redeem_reward above (points)": 10000,
            },
            "approval requests expire after (hours)": 72,
            "approvals": "decided by a manager who is not the requester, never by the assistant",
        }
    )
