"""The catalog (`tools/server/catalog.json`) is what the live definitions list, and the stdio
server that answers from it (`tools.server.deferred`) is the real server to a client: the same
listings for every toolset and caller, the same capabilities and instructions, and tool calls
that reach the runtime it opens on first use. Regenerate the file with
`python -m tools.server.catalog`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server import Server
from mcp.shared.exceptions import MCPError

from policies import Principal, delegate, principal_for_role
from tests.server.clients import body
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY
from tools.server import create_server
from tools.server.app import tools_for
from tools.server.catalog import CATALOG_FILE, TOOLSETS, catalog_tools, live_catalog
from tools.server.deferred import _Opener, deferred_server
from tools.server.tooling import tool_listing

pytestmark = pytest.mark.anyio


def _wire(tools: list[Any]) -> list[dict[str, Any]]:
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


def test_the_catalog_file_is_what_the_live_definitions_list() -> None:
    stored = json.loads(CATALOG_FILE.read_text("utf-8"))
    assert stored == live_catalog(), "run: python -m tools.server.catalog"


def _callers(runtime: LoyaltyRuntime) -> list[Principal]:
    policy = runtime.policy
    by_role = [principal_for_role(policy, role, name=f"a {role}") for role in policy.roles]
    return [*by_role, delegate(policy, runtime.guard.principal("carol"))]


@pytest.mark.parametrize("toolset", TOOLSETS)
async def test_the_catalog_lists_each_toolset_as_the_live_server_does_for_every_caller(
    runtime: LoyaltyRuntime, toolset: str
) -> None:
    for caller in _callers(runtime):
        for may_delegate in (False, True):
            live = tool_listing(tools_for((toolset,)), caller, may_delegate=may_delegate)
            listed = catalog_tools((toolset,), caller, may_delegate=may_delegate)
            assert _wire(listed) == _wire(live), (caller.name, may_delegate)


def _identity(client: Client) -> tuple[Any, ...]:
    """What a client learns at initialize."""
    info = client.server_info
    return (
        None if info is None else info.model_dump(),
        client.server_capabilities.model_dump(),
        client.instructions,
        client.protocol_version,
    )


@asynccontextmanager
async def _deferred(
    runtime: LoyaltyRuntime, principal: str, toolsets: tuple[str, ...]
) -> AsyncIterator[tuple[Server[Any], _Opener]]:
    """The stdio front over `runtime` (run in memory), and its opener."""
    caller = runtime.guard.principal(principal)

    @asynccontextmanager
    async def open_real() -> AsyncIterator[Server[Any]]:
        yield create_server(runtime, principal=caller, toolsets=toolsets)

    opener = _Opener(open_real)
    front = deferred_server(opener, policy=runtime.policy, principal=caller, toolsets=toolsets)
    async with anyio.create_task_group() as group:
        group.start_soon(opener.keep, group.cancel_scope)
        yield front, opener
        opener.close()


async def test_the_deferred_stdio_server_answers_as_the_real_one_and_opens_it_on_first_call(
    runtime: LoyaltyRuntime,
) -> None:
    toolsets = ("member", "approvals", "campaigns")
    real = create_server(runtime, principal="alice", toolsets=toolsets)
    async with Client(real) as client:
        real_info = _identity(client)
        real_tools = (await client.list_tools()).tools
        real_resources = (await client.list_resources()).resources
        real_templates = (await client.list_resource_templates()).resource_templates
        real_prompts = (await client.list_prompts()).prompts

    async with _deferred(runtime, "alice", toolsets) as (front, opener), Client(front) as client:
        info = _identity(client)
        tools = (await client.list_tools()).tools
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        prompts = (await client.list_prompts()).prompts
        assert not opener.wanted, "listing opened the runtime"
        found = await client.call_tool("find_members", {"query": "Emma Novak"})
        assert opener.wanted
        summary = await client.read_resource(f"loyalty://members/{STORY.emma_novak}")

    assert info == real_info
    assert _wire(tools) == _wire(real_tools)
    assert _wire(resources) == _wire(real_resources)
    assert _wire(templates) == _wire(real_templates)
    assert _wire(prompts) == _wire(real_prompts)
    assert body(found)["candidates"][0]["customer_id"] == STORY.emma_novak
    assert summary.contents


async def test_a_listing_for_a_declared_person_is_answered_by_the_real_server(
    runtime: LoyaltyRuntime,
) -> None:
    async with _deferred(runtime, "carol", ("member",)) as (front, opener), Client(front) as client:
        with pytest.raises(MCPError, match="carol"):  # the real server's refusal
            await client.list_tools(meta={"loyalty/on_behalf_of": "vera"})
    assert opener.wanted
