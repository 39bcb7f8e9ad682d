"""What a TypeScript MCP client checks on every tool result, checked in our tests too.

`SchemaCheckingClient` wraps the SDK's in-memory `Client`: every `call_tool` result is held to
the tool's own `outputSchema` (JSON Schema 2020-12, as the TypeScript SDK validates it): a
result with structured content must validate, whatever `isError` says; a successful result must
carry structured content; an error must say why in text. The server tests and the campaign
tests connect through it, so every result they see is checked.
"""

from __future__ import annotations

from typing import Any

import mcp_types
from jsonschema import Draft202012Validator
from mcp import Client

__all__ = ["SchemaCheckingClient", "check_result"]


def check_result(tool: mcp_types.Tool, result: mcp_types.CallToolResult) -> None:
    """Fail unless `result` is what a validating client accepts from `tool`."""
    structured = result.structured_content
    if result.is_error:
        assert structured is None, f"{tool.name}: an error result carries structured content"
        texts = [b.text for b in result.content if isinstance(b, mcp_types.TextContent)]
        assert any(t.strip() for t in texts), f"{tool.name}: an error result without a reason"
        return
    if tool.output_schema is None:
        return
    assert structured is not None, f"{tool.name}: a result without structured content"
    validator = Draft202012Validator(tool.output_schema)
    problems = [
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(structured)
    ]
    assert not problems, f"{tool.name}: structured content does not match: {problems}"


class SchemaCheckingClient:
    """The client, with every tool result checked against the listed output schema."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._tools: dict[str, mcp_types.Tool] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **kw: Any) -> Any:
        result = await self._client.call_tool(name, arguments, **kw)
        if self._tools is None:
            listed = await self._client.list_tools()
            self._tools = {tool.name: tool for tool in listed.tools}
        tool = self._tools.get(name)
        if tool is not None:
            check_result(tool, result)
        return result
