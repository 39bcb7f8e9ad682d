"""Long tools through a real MCP client session: a caller that gives up sends
`notifications/cancelled` (the SDK's client does when its call is cancelled) and the server
stops the work there, writing nothing; the session goes on answering.

The session speaks JSON-RPC over the SDK's in-memory streams (`mode="legacy"`, as stdio and
streamable HTTP clients of protocol 2025 do), so the cancel travels as a notification; the
SDK's in-process modern path would call the handler directly and cancel it with the caller.

Mews is a sandbox whose injected latency waits on a gate the test holds: a tool's first Mews
request blocks until the test opens it, so the call is provably in the middle of its work when
the cancel arrives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from mcp import Client

from policies import audit
from tests.server.clients import body
from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox
from tools.server import create_server

pytestmark = pytest.mark.anyio


class Gate:
    """The sandbox's `sleep`: a Mews request waits here until `opened`; `reached` says one
    is waiting, `interrupted` that the waiting call was cancelled."""

    def __init__(self) -> None:
        self.reached = anyio.Event()
        self.opened = anyio.Event()
        self.interrupted = anyio.Event()

    async def sleep(self, _seconds: float) -> None:
        self.reached.set()
        try:
            await self.opened.wait()
        except anyio.get_cancelled_exc_class():
            self.interrupted.set()
            raise


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def sandbox(gate: Gate) -> Sandbox:  # tests/server/conftest.py's `runtime` runs on this one
    seeded = Sandbox.seeded(sleep=gate.sleep)
    seeded.rate_limiter.enabled = False
    return seeded


@asynccontextmanager
async def session(
    runtime: LoyaltyRuntime, principal: str, toolsets: Sequence[str]
) -> AsyncIterator[Client]:
    server = create_server(runtime, principal=principal, toolsets=toolsets)
    async with Client(server, mode="legacy") as client:
        yield client


CAMPAIGN = {
    "name": "Spa win-back",
    "goal": "win_back",
    "segment": "lapsing",
    "bonus_points": 100,
    "seed": 3,
}


async def _cancel_while_blocked(
    client: Client, sandbox: Sandbox, gate: Gate, tool: str, arguments: dict[str, Any]
) -> None:
    """Start the call, cancel it once it waits on Mews, and see the server's work interrupted
    (the gate's wait cancelled); then Mews answers at once again."""
    sandbox.faults.latency_seconds = 1.0  # every Mews request now waits on the gate
    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            group.start_soon(client.call_tool, tool, arguments)
            await gate.reached.wait()
            group.cancel_scope.cancel()  # the client sends notifications/cancelled
        await gate.interrupted.wait()  # the server's handler was cancelled where it waited
    sandbox.faults.latency_seconds = 0.0
    gate.opened.set()


async def test_a_cancelled_campaign_writes_nothing_and_the_session_goes_on(
    runtime: LoyaltyRuntime, sandbox: Sandbox, gate: Gate
) -> None:
    async with session(runtime, "alice", ("campaigns",)) as client:
        await _cancel_while_blocked(client, sandbox, gate, "create_campaign", CAMPAIGN)
        listed = body(await client.call_tool("list_campaigns", {}))
        assert listed["campaigns"] == []
        again = body(await client.call_tool("create_campaign", CAMPAIGN))
    assert again["status"] in ("posted", "pending_approval"), again
    with runtime.store.read() as conn:
        campaigns = conn.execute(sa.text("SELECT count(*) FROM campaigns")).scalar_one()
    assert campaigns == (1 if again["status"] == "posted" else 0)
    records = [r for r in audit.records(runtime.store) if r.action == "create_campaign"]
    assert len(records) == 1  # the answered call; the cancelled one reached no decision


async def test_a_cancelled_segment_stops_and_the_next_call_is_answered(
    runtime: LoyaltyRuntime, sandbox: Sandbox, gate: Gate
) -> None:
    async with session(runtime, "carol", ("member",)) as client:
        await _cancel_while_blocked(
            client, sandbox, gate, "find_member_segment", {"segment": "lapsing"}
        )
        answered = body(await client.call_tool("find_member_segment", {"segment": "lapsing"}))
    assert answered["kind"] == "lapsing"
    assert answered["scanned"] > 0
