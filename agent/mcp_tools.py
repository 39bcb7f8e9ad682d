"""MCP tools as model function tools: list them as `ToolSpec`s, call them, map their results.

A tool result becomes a `ToolOutcome`: the text the model reads (structured content as JSON
when the tool published it, its text content otherwise) and the write status the loop acts on.
Write statuses are read from structured content only, never from text, so a guest note that
happens to say `"status": "pending_approval"` is just text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, TypeAlias, cast

import mcp_types
from mcp import Client

from agent.errors import describe_exception
from agent.models.types import JsonObject, ToolSpec
from agent.strict_schema import strict_parameters

ToolStatus: TypeAlias = Literal["ok", "posted", "pending_approval", "proposed", "denied", "error"]
"""`posted`, `pending_approval`, `proposed` and `denied` are the write statuses of the product's
tools (`proposed`: the model's write waits for the person it acts for to confirm it);
`ok` is any other success and `error` any failure the model should correct."""

ErrorKind: TypeAlias = Literal[
    "invalid_arguments", "unknown_tool", "tool_error", "call_failed", "repeated_denial"
]
"""Why a call counted as an error: arguments that are not a JSON object, a tool the server
does not offer, an error result from the tool (schema violations included), a call that
failed in transport, or a retry of a call the policy already denied."""


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of one tool call as the loop sees it."""

    content: str
    status: ToolStatus
    structured: JsonObject | None = None
    error_kind: ErrorKind | None = None

    @property
    def is_error(self) -> bool:
        return self.status in ("error", "denied")

    @classmethod
    def failure(cls, kind: ErrorKind, message: str) -> Self:
        return cls(content=f"Error: {message}", status="error", error_kind=kind)


class Toolset(Protocol):
    """What the loop needs from a tool source: the specs to offer and a way to call them."""

    @property
    def specs(self) -> tuple[ToolSpec, ...]: ...

    async def call(self, name: str, arguments: JsonObject) -> ToolOutcome: ...


class McpToolset:
    """The tools of one connected MCP `Client`, listed once (call `load`)."""

    def __init__(
        self, client: Client, tools: Sequence[mcp_types.Tool], *, call_timeout_s: float = 60.0
    ) -> None:
        self.client = client
        self.tools = tuple(tools)
        self._specs = tuple(tool_spec(tool) for tool in self.tools)
        self._call_timeout_s = call_timeout_s
        self.request_meta: dict[str, Any] | None = None
        """Sent as `_meta` with every call (e.g. the web app's chosen hotel's clock)."""

    @classmethod
    async def load(cls, client: Client, *, call_timeout_s: float = 60.0) -> Self:
        """List every tool of `client` (following pagination)."""
        tools: list[mcp_types.Tool] = []
        cursor: str | None = None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                return cls(client, tools, call_timeout_s=call_timeout_s)

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return self._specs

    async def call(self, name: str, arguments: JsonObject) -> ToolOutcome:
        try:
            result = await self.client.call_tool(
                name,
                arguments,
                read_timeout_seconds=self._call_timeout_s,
                meta=cast("mcp_types.RequestParamsMeta | None", self.request_meta),
            )
        except Exception as exc:  # the tool edge: any failure is reported to the model
            return ToolOutcome.failure(
                "call_failed", f"calling {name} failed: {describe_exception(exc)}"
            )
        return tool_outcome(result)


def tool_spec(tool: mcp_types.Tool) -> ToolSpec:
    """The function tool offered to the model for an MCP tool; strict when the schema allows."""
    strict = strict_parameters(tool.input_schema)
    return ToolSpec(
        name=tool.name,
        description=tool.description or tool.title or "",
        parameters=tool.input_schema if strict is None else strict,
        strict=strict is not None,
    )


ERROR_META = "mews-loyalty/error"
"""Where the product's server puts a tool error's fields (`status`, `rule`, `reason`, ...):
in `_meta`, since error results carry no structured content (tools.server.tooling)."""


def tool_outcome(result: mcp_types.CallToolResult) -> ToolOutcome:
    """Map an MCP tool result: structured content preferred (an error's fields from `_meta`),
    text as the fallback."""
    structured = result.structured_content
    if structured is None and result.is_error:
        structured = (result.meta or {}).get(ERROR_META)  # the model reads them as before
    body = _text_of(result.content) if structured is None else _json(structured)
    record = structured if isinstance(structured, dict) else None
    status = _status(record, is_error=result.is_error)
    if status == "denied":
        return ToolOutcome(content=f"Error: {body}", status=status, structured=record)
    if status == "error":
        return ToolOutcome(
            content=f"Error: {body}", status=status, structured=record, error_kind="tool_error"
        )
    return ToolOutcome(content=body, status=status, structured=record)


def _status(structured: JsonObject | None, *, is_error: bool) -> ToolStatus:
    declared = structured.get("status") if structured is not None else None
    if declared == "denied":
        return "denied"
    if is_error:
        return "error"
    if declared == "posted":
        return "posted"
    if declared == "pending_approval":
        return "pending_approval"
    if declared == "proposed":
        return "proposed"
    return "ok"


def _text_of(blocks: Sequence[mcp_types.ContentBlock]) -> str:
    return "\n".join(_block_text(block) for block in blocks)


def _block_text(block: mcp_types.ContentBlock) -> str:
    match block:
        case mcp_types.TextContent():
            return block.text
        case mcp_types.EmbeddedResource(resource=mcp_types.TextResourceContents() as resource):
            return resource.text
        case mcp_types.EmbeddedResource():
            return f"[binary resource {block.resource.uri}]"
        case mcp_types.ResourceLink():
            return f"[resource {block.uri}]"
        case mcp_types.ImageContent() | mcp_types.AudioContent():
            return f"[{block.type} ({block.mime_type}) omitted]"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
