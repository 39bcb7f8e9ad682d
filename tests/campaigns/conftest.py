"""A runtime whose clock is the sandbox's (advancing `/_sandbox/clock` moves both), a fresh
SQLite store, and in-memory MCP clients with the campaigns toolset."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.server.clients import Connect, body, connector
from tools.runtime import LoyaltyRuntime
from tools.sandbox import FrozenClock, Sandbox

START = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def sandbox(clock: FrozenClock) -> Sandbox:
    seeded = Sandbox.seeded(clock=clock)
    # The clock stands still between advances, so the sandbox's 200-requests-per-30-s window
    # would never pass: a flow of many tool calls would wait on 429s for ever.
    seeded.rate_limiter.enabled = False
    return seeded


@pytest.fixture
async def runtime(
    tmp_path: Path, sandbox: Sandbox, clock: FrozenClock
) -> AsyncIterator[LoyaltyRuntime]:
    async with await LoyaltyRuntime.open(
        database_url=f"sqlite:///{tmp_path / 'loyalty.db'}", sandbox=sandbox, clock=clock
    ) as opened:
        yield opened


@pytest.fixture
def connect(runtime: LoyaltyRuntime) -> Connect:
    return connector(runtime, ("member", "campaigns"))


async def create_welcome_drink(
    client: Client, name: str, channels: Sequence[str] = ("email", "sms")
) -> dict[str, Any]:
    """`create_campaign` for a welcome drink to every member, half held out (seed 7): the
    tool's answer (its `result` is the campaign once `status` is `posted`)."""
    arguments = {
        "name": name,
        "goal": "redemption",
        "segment": "all",
        "reward_id": "welcome-drink",
        "valid_days": 14,
        "channels": list(channels),
        "holdout_share": "0.5",
        "seed": 7,
    }
    return body(await client.call_tool("create_campaign", arguments))
