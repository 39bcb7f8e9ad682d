"""MCP tools as function tools: specs from a real server listing, results mapped for the model."""

from __future__ import annotations

import json

import pytest
from inline_snapshot import snapshot
from mcp.server.mcpserver import MCPServer
from mcp_types import (
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from agent import connect_mcp
from agent.mcp_tools import ToolOutcome, tool_outcome

pytestmark = pytest.mark.anyio


def catalogue() -> MCPServer:
    server = MCPServer("catalogue")

    @server.tool()
    def get_balance(member: str) -> int:
        """The member's balance."""
        return 1

    @server.tool()
    def find_members(query: str, limit: int = 10) -> list[str]:
        """Members matching a name, email or number."""
        return []

    return server


async def test_listed_tools_become_specs_strict_only_when_the_schema_allows() -> None:
    async with connect_mcp(catalogue()) as tools:
        specs = {spec.name: spec for spec in tools.specs}

    assert specs["get_balance"].model_dump() == snapshot(
        {
            "name": "get_balance",
            "description": "The member's balance.",
            "parameters": {
                "type": "object",
                "properties": {"member": {"title": "Member", "type": "string"}},
                "required": ["member"],
                "title": "get_balanceArguments",
                "additionalProperties": False,
            },
            "strict": True,
        }
    )
    assert specs["find_members"].strict is False
    assert specs["find_members"].parameters["properties"]["limit"]["default"] == 10


def result(*content: object, structured: object = None, is_error: bool = False) -> CallToolResult:
    return CallToolResult(content=list(content), structured_content=structured, is_error=is_error)


def text(value: str) -> TextContent:
    return TextContent(type="text", text=value)


def test_structured_content_is_preferred_over_text() -> None:
    outcome = tool_outcome(result(text("Balance: 12"), structured={"points": 12, "name": "Zoë"}))

    assert outcome == ToolOutcome(
        content='{"points": 12, "name": "Zoë"}',
        status="ok",
        structured={"points": 12, "name": "Zoë"},
    )


def test_text_is_the_fallback_and_other_blocks_are_named() -> None:
    outcome = tool_outcome(
        result(
            text("line one"),
            ImageContent(type="image", data="AAAA", mime_type="image/png"),
            EmbeddedResource(
                type="resource", resource=TextResourceContents(uri="loyalty://policy", text="caps")
            ),
            ResourceLink(type="resource_link", uri="loyalty://members/1", name="member"),
        )
    )

    assert (
        outcome.content
        == "line one\n[image (image/png) omitted]\ncaps\n[resource loyalty://members/1]"
    )
    assert outcome.status == "ok"
    assert outcome.structured is None


def test_write_statuses_come_from_structured_content() -> None:
    posted = tool_outcome(result(structured={"status": "posted", "balance": 10}))
    pending = tool_outcome(
        result(structured={"status": "pending_approval", "approval_id": "a1", "reason": "r"})
    )

    assert (posted.status, pending.status) == ("posted", "pending_approval")
    assert not posted.is_error
    assert not pending.is_error


def test_a_status_written_in_text_is_not_a_status() -> None:
    outcome = tool_outcome(
        result(text(json.dumps({"status": "pending_approval", "approval_id": "x"})))
    )

    assert outcome.status == "ok"


def test_an_error_result_with_a_denied_body_is_a_denial() -> None:
    body = {"status": "denied", "rule": "daily_cap", "reason": "over 2000 in 24h"}

    outcome = tool_outcome(result(text("denied"), structured=body, is_error=True))

    assert outcome.status == "denied"
    assert outcome.is_error
    assert outcome.error_kind is None
    assert outcome.content == "Error: " + json.dumps(body)


def test_any_other_error_result_is_a_tool_error() -> None:
    outcome = tool_outcome(result(text("Unknown member 42"), is_error=True))

    assert (outcome.status, outcome.error_kind, outcome.content) == (
        "error",
        "tool_error",
        "Error: Unknown member 42",
    )


def test_structured_content_that_is_not_an_object_is_shown_but_has_no_status() -> None:
    outcome = tool_outcome(result(structured=[1, 2]))

    assert (outcome.content, outcome.status, outcome.structured) == ("[1, 2]", "ok", None)
