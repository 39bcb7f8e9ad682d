"""Fixtures of the MCP server tests: a runtime on a fresh seeded sandbox and a temporary SQLite
database, and in-memory clients acting as a given principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox
from tools.server import create_server

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
            yield client

    return _connect


def body(result: Any) -> dict[str, Any]:
    """The structured content of a tool result (always a JSON object here)."""
    assert isinstance(result.structured_content, dict), result
    return result.structured_content
