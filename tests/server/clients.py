"""In-memory MCP clients on a runtime, acting as a given principal, and what their calls return."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import Client

from tests.schema_check import SchemaCheckingClient
from tools.runtime import LoyaltyRuntime
from tools.server import create_server
from tools.server.tooling import error_body

__all__ = ["Connect", "body", "connector", "sqlite_runtime"]

Connect = Callable[..., AbstractAsyncContextManager[Client]]


async def sqlite_runtime(database: Path, **options: Any) -> LoyaltyRuntime:
    """`LoyaltyRuntime.open` on the SQLite file `database`; `options`: the rest of its arguments
    (the sandbox, a policy or program file)."""
    return await LoyaltyRuntime.open(database_url=f"sqlite:///{database}", **options)


def connector(runtime: LoyaltyRuntime, toolsets: Sequence[str]) -> Connect:
    """`async with connect("carol", ("member",)) as client:` an in-memory MCP client; without
    toolsets, those given here."""

    @asynccontextmanager
    async def connect(
        principal: str = "carol", toolsets: Sequence[str] = toolsets
    ) -> AsyncIterator[Client]:
        server = create_server(runtime, principal=principal, toolsets=toolsets)
        async with Client(server) as client:
            yield SchemaCheckingClient(client)  # type: ignore[misc]  # a checked Client

    return connect


def body(result: Any) -> dict[str, Any]:
    """A result's structured content, or a tool error's fields (errors carry no structured
    content: see tools.server.tooling)."""
    if result.is_error:
        assert result.structured_content is None, result
        return error_body(result)
    assert isinstance(result.structured_content, dict), result
    return result.structured_content
