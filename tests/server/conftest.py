"""Fixtures of the MCP server tests: a runtime on a fresh seeded sandbox and a temporary SQLite
database, and in-memory clients acting as a given principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.server.clients import Connect, connector, sqlite_runtime
from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox

ALL_TOOLSETS = ("member", "admin", "approvals")


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox.seeded()


@pytest.fixture
async def runtime(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[LoyaltyRuntime]:
    async with await sqlite_runtime(tmp_path / "loyalty.db", sandbox=sandbox) as opened:
        yield opened


@pytest.fixture
def connect(runtime: LoyaltyRuntime) -> Connect:
    return connector(runtime, ALL_TOOLSETS)
