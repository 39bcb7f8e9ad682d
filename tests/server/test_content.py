"""Resources and prompts through the in-memory client; every prompt template renders."""

from __future__ import annotations

import json

import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.server.clients import Connect
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY
from tools.server import create_server

pytestmark = pytest.mark.anyio


def _json(result: types.ReadResourceResult) -> object:
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents)
    assert content.mime_type == "application/json"
    return json.loads(content.text)


async def test_resources_and_the_member_card_template_are_listed(connect: Connect) -> None:
    async with connect("vera") as client:
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
    assert {str(r.uri) for r in resources.resources} == {
        "loyalty://policy",
        "loyalty://approvals",
        "loyalty://rewards",
        "loyalty://programs",
        "loyalty://report",
    }
    assert [t.uri_template for t in templates.resource_templates] == [
        "loyalty://members/{customer_id}"
    ]


async def test_each_resource_reads_as_json(connect: Connect) -> None:
    async with connect("vera") as client:
        policy = _json(await client.read_resource("loyalty://policy"))
        rewards = _json(await client.read_resource("loyalty://rewards"))
        programs = _json(await client.read_resource("loyalty://programs"))
        card = _json(await client.read_resource(f"loyalty://members/{STORY.emma_novak}"))
    assert isinstance(policy, dict)
    assert policy["mode"] == "recommend"
    assert policy["policy"]["caps"]["max_points_per_entry"] == 5000
    assert isinstance(rewards, dict)
    assert "late-checkout" in {r["reward_id"] for r in rewards["PC01"]["rewards"]}
    assert isinstance(programs, dict)
    assert "PC01" in programs["programs"]
    assert isinstance(card, dict)
    assert card["display_name"] == "Emma Novak"


async def test_an_unknown_resource_or_member_is_a_not_found_error_naming_the_uri(
    connect: Connect,
) -> None:
    nobody = "loyalty://members/00000000-0000-0000-0000-000000000000"
    async with connect() as client:
        with pytest.raises(MCPError, match="unknown resource") as unknown:
            await client.read_resource("loyalty://nothing")
        with pytest.raises(MCPError, match="no customer") as missing:
            await client.read_resource(nobody)
    assert (unknown.value.error.code, unknown.value.error.data) == (
        -32002,
        {"uri": "loyalty://nothing"},
    )
    assert missing.value.error.data == {"uri": nobody}


async def test_the_member_template_completes_a_customer_id_from_a_name(connect: Connect) -> None:
    template = types.ResourceTemplateReference(
        type="ref/resource", uri="loyalty://members/{customer_id}"
    )
    async with connect() as client:
        by_name = await client.complete(template, {"name": "customer_id", "value": "Novak"})
        too_short = await client.complete(template, {"name": "customer_id", "value": "N"})
    assert STORY.emma_novak in by_name.completion.values
    assert too_short.completion.values == []


async def test_prompt_arguments_complete_from_known_values(connect: Connect) -> None:
    win_back = types.PromptReference(type="ref/prompt", name="draft_win_back_offer")
    review = types.PromptReference(type="ref/prompt", name="review_tier_changes")
    unknown = types.PromptReference(type="ref/prompt", name="no_such_prompt")
    async with connect() as client:
        channel = await client.complete(win_back, {"name": "channel", "value": "s"})
        member = await client.complete(win_back, {"name": "customer_id", "value": "Emma Novak"})
        program = await client.complete(review, {"name": "program_code", "value": "pc"})
        nothing = await client.complete(unknown, {"name": "arg1", "value": "x"})
    assert channel.completion.values == ["sms"]
    assert member.completion.values == [STORY.emma_novak]
    assert "PC01" in program.completion.values
    assert nothing.completion.values == []


async def test_prompts_render_from_their_templates(connect: Connect) -> None:
    async with connect() as client:
        listed = await client.list_prompts()
        answer = await client.get_prompt(
            "answer_member_question", {"question": "How many points does Emma have?"}
        )
        win_back = await client.get_prompt(
            "draft_win_back_offer", {"customer_id": STORY.lapsed_gold, "channel": "sms"}
        )
        review = await client.get_prompt("review_tier_changes", {})
    assert [p.name for p in listed.prompts] == [
        "answer_member_question",
        "draft_win_back_offer",
        "review_tier_changes",
    ]
    texts = []
    for result in (answer, win_back, review):
        content = result.messages[0].content
        assert isinstance(content, types.TextContent)
        texts.append(content.text)
    assert "How many points does Emma have?" in texts[0]
    assert "find_members" in texts[0]
    assert STORY.lapsed_gold in texts[1]
    assert "by sms" in texts[1]
    assert "S1 (Silver): 10 nights" in texts[2]


async def test_a_prompt_with_a_bad_argument_names_it(connect: Connect) -> None:
    async with connect() as client:
        with pytest.raises(MCPError, match="customer_id"):
            await client.get_prompt("draft_win_back_offer", {"customer_id": "emma"})
        with pytest.raises(MCPError, match="channel"):
            await client.get_prompt(
                "draft_win_back_offer", {"customer_id": STORY.lapsed_gold, "channel": "fax"}
            )


# resources/subscribe and ping are the 2025 protocol's (what desktop apps speak today); the SDK
# marks them as removed from 2026-07-28 on.
@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_subscribers_hear_when_the_approval_queue_and_a_members_points_change(
    runtime: LoyaltyRuntime,
) -> None:
    server = create_server(runtime, principal="alice", toolsets=("member", "approvals"))
    heard: list[str] = []

    async def listen(message: object) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            heard.append(str(message.params.uri))

    card = f"loyalty://members/{STORY.emma_novak}"
    watcher = Client(server, mode="legacy", message_handler=listen)  # type: ignore[arg-type]
    async with watcher as alice, Client(server, mode="legacy") as writer:
        await alice.subscribe_resource("loyalty://approvals")
        await alice.subscribe_resource(card)
        await alice.subscribe_resource("loyalty://nothing")  # accepted; never changes
        award = {"membership_id": STORY.emma_novak_membership, "reason": "subscription test"}
        await writer.call_tool("award_points", {**award, "points": 20})
        await writer.call_tool("award_points", {**award, "points": 3000})
        await writer.send_ping()  # the notifications have gone out before this answer
    assert sorted(heard) == sorted([card, card, "loyalty://approvals"])
