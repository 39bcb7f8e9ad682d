"""Fixtures of the MCP server tests: a runtime on a fresh seeded sandbox and a temporary SQLite
database, and in-memory clients acting as a given principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.schema_check import SchemaCheckingClient
from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox
from tools.server import create_server
from tools.server.tooling import error_body

ALL_TOOLSETS = ("member", "admin", "approvals")

Connect = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox.seeded()


@pytest.fixture
async def runtime(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[LoyaltyRuntime]:
    async with await LoyaltyRuntime.open(
        database_url=f"sqlite:///{tmp_path / 'loyalty.db'}", sandbox=sandbox
    ) as opened:
        yield opened


@pytest.fixture
def connect(runtime: LoyaltyRuntime) -> Connect:
    """`async with connect("carol", ("member",)) as client:` an in-memory MCP client."""

    @asynccontextmanager
    async def _connect(
        principal: str = "carol", toolsets: Sequence[str] = ALL_TOOLSETS
    ) -> AsyncIterator[Client]:
        server = create_server(runtime, principal=principal, toolsets=toolsets)
        async with Client(server) as client:
            yield SchemaCheckingClient(client)  # type: ignore[misc]  # a checked Client

    return _connect


def body(result: Any) -> dict[str, Any]:
    """A result's structured content, or a tool error's fields (errors carry no structured
    content: see tools.server.tooling)."""
    if result.is_error:
        assert result.structured_content is None, result
        return error_body(result)
    assert isinstance(result.structured_content, dict), result
    return result.structured_content
