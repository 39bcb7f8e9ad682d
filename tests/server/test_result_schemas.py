"""Every kind of result every tool can return is valid for that tool's output schema.

Posted, pending approval and replayed results validate (a replay answers `{"status": "posted",
"replayed": true, ...}`); denied, invalid-argument and error results carry no structured content
(the reason is their text, with `isError`), so a TypeScript client shows the reason instead of
a schema error. `tests.schema_check` checks each result the way such a client does.
"""

from __future__ import annotations

from typing import Any

import mcp_types
import pytest

from tests.schema_check import check_result
from tests.server.clients import Connect, body
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY
from tools.server import ALL_TOOLS
from tools.server.app import SERVER_TOOLSETS

pytestmark = pytest.mark.anyio

EMMA_MEMBERSHIP = STORY.emma_novak_membership
NOBODY = "00000000-0000-0000-0000-000000000000"
WRITES = sorted(tool.name for tool in ALL_TOOLS if not tool.read_only)


def _text(result: mcp_types.CallToolResult) -> str:
    return " ".join(b.text for b in result.content if isinstance(b, mcp_types.TextContent))


async def _kinds(connect: Connect) -> dict[str, mcp_types.CallToolResult]:
    award = {"membership_id": EMMA_MEMBERSHIP, "reason": "schema check"}
    async with connect("carol") as client:
        return {
            "posted": await client.call_tool(
                "award_points", {**award, "points": 40, "idempotency_key": "k-1"}
            ),
            "replayed": await client.call_tool(
                "award_points", {**award, "points": 40, "idempotency_key": "k-1"}
            ),
            "pending_approval": await client.call_tool("award_points", {**award, "points": 3000}),
            "denied": await client.call_tool("award_points", {**award, "points": 6000}),
            "invalid_arguments": await client.call_tool("award_points", {**award, "points": -5}),
            "error": await client.call_tool(
                "award_points", {**award, "points": 40, "membership_id": NOBODY}
            ),
        }


async def test_each_result_kind_of_a_points_write_is_valid_for_its_schema(
    connect: Connect,
) -> None:
    results = await _kinds(connect)  # the checking client validated each one
    assert body(results["posted"])["status"] == "posted"
    assert body(results["replayed"])["status"] == "posted"
    assert body(results["pending_approval"])["status"] == "pending_approval"
    assert {kind for kind, result in results.items() if result.is_error} == {
        "denied",
        "invalid_arguments",
        "error",
    }
    assert "Denied by policy (caps.max_points_per_entry)" in _text(results["denied"])
    assert "points" in _text(results["invalid_arguments"])
    assert NOBODY in _text(results["error"]) or "membership" in _text(results["error"])


def test_every_write_tool_schema_admits_a_replay_and_a_pending_approval() -> None:
    listed = {tool.name: tool.tool() for tool in ALL_TOOLS}
    pending = {
        "status": "pending_approval",
        "approval_id": "apr_0123456789abcdef",
        "rule": "approvals.points_above",
        "reason": "3000 points need a manager",
        "expires_at": "2026-12-04T10:00:00+00:00",
    }
    composed = {"update_loyalty_memberships"}  # each part's outcome (replays too) inside
    for name in sorted(set(WRITES) - composed):
        schema = listed[name].output_schema or {}
        result = _sample(schema["properties"]["result"], schema.get("$defs", {}))
        replay = {"status": "posted", "replayed": True, "result": result}
        for sample in (replay, pending):
            check_result(listed[name], _result(sample))
        with pytest.raises(AssertionError, match="does not match"):
            check_result(listed[name], _result({"status": "denied"}))
    for name in composed:
        check_result(listed[name], _result({"status": "pending_approval", "points": []}))


_SAMPLES: dict[str, Any] = {"string": "x", "integer": 1, "number": 1, "boolean": True, "null": None}


def _sample(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value of the schema: its required fields, each of the first type it
    allows (a dense schema's nested object names its required fields only: 1 for each)."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema or "const" in schema:
        return schema.get("const", (schema.get("enum") or [None])[0])
    if "anyOf" in schema:
        return _sample(schema["anyOf"][0], defs)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "array":
        return []
    if kind == "object" or kind is None:
        properties = schema.get("properties", {})
        return {
            name: _sample(properties[name], defs) if name in properties else 1
            for name in schema.get("required", ())
        }
    return _SAMPLES[str(kind)]


def _result(structured: dict[str, Any]) -> mcp_types.CallToolResult:
    return mcp_types.CallToolResult(content=[], structured_content=structured)


@pytest.mark.parametrize("tool", [tool.name for tool in ALL_TOOLS])
async def test_arguments_that_do_not_validate_answer_a_reason_without_structured_content(
    connect: Connect, runtime: LoyaltyRuntime, tool: str
) -> None:
    definition = next(t for t in ALL_TOOLS if t.name == tool)
    who = next(n for n in ("alice", "dave") if definition.visible_to(runtime.guard.principal(n)))
    async with connect(who, SERVER_TOOLSETS) as client:
        result = await client.call_tool(tool, {"unexpected": 1})
    assert result.is_error
    assert result.structured_content is None
    assert "unexpected" in _text(result)
    assert body(result)["status"] == "invalid_arguments"  # the fields, in _meta, for our clients
