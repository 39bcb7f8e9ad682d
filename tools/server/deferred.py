"""The stdio server of `loyalty serve`: it answers a session's first requests (initialize,
ping, the tool, resource, template and prompt listings) from the catalog, and opens the real
server (the runtime: database, Mews or the embedded sandbox, the tool definitions) on the first
request that needs it, for the rest of the session.

    await serve_stdio_deferred(open_real, policy=policy, principal=carol, toolsets=("member",))

A desktop app spawns the server for every session and lists the tools at once; most sessions
call a tool only later, if at all. Opening the runtime, importing the tool definitions and the
loyalty engine cost about as much time as the MCP SDK itself takes to start and a quarter more
memory (issue 20: spawn -> first `tools/list` within 1.3x a minimal SDK server, idle RSS 80 MB).
Capabilities, instructions and every answer are the real server's: requests other than the
listings are handed to its handlers, and a listing the catalog cannot answer (a client that
declares it acts for a person) is too.

`open_real` is entered once, in a task of its own that lives until the session ends, so its
clean-up (saving the sandbox, closing the database) runs when the session ends, as it would
around an eagerly built server. If it fails (a broken program file, a database that does not
open) the session ends with that error, as `loyalty serve` ended before it served.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server

from tools.server.catalog import (
    ON_BEHALF_OF_META,
    catalog_tools,
    identified_server,
    listed_prompts,
    listed_resource_templates,
    listed_resources,
)

if TYPE_CHECKING:
    from policies import Policy, Principal

__all__ = ["RealServer", "deferred_server", "serve_stdio_deferred"]

RealServer = Callable[[], AbstractAsyncContextManager[Server[Any]]]
"""Opens the real server (and what it runs on) for as long as the context lasts."""

_Ctx = ServerRequestContext[Any, Any]


class _Opener:
    """Opens the real server on first demand, in the task `keep` runs in."""

    def __init__(self, open_real: RealServer) -> None:
        self._open_real = open_real
        self._wanted = anyio.Event()
        self._ready = anyio.Event()
        self._done = anyio.Event()
        self._server: Server[Any] | None = None
        self.error: Exception | None = None

    @property
    def wanted(self) -> bool:
        return self._wanted.is_set()

    async def keep(self, session: anyio.CancelScope) -> None:
        await self._wanted.wait()
        try:
            async with self._open_real() as server:
                self._server = server
                self._ready.set()
                await self._done.wait()
        except Exception as exc:  # it cannot serve: the session ends with this error
            self.error = exc
            session.cancel()

    def close(self) -> None:
        self._done.set()

    async def server(self) -> Server[Any]:
        self._wanted.set()
        await self._ready.wait()
        assert self._server is not None
        return self._server


def deferred_server(
    opener: _Opener, *, policy: Policy, principal: Principal, toolsets: Sequence[str]
) -> Server[Any]:
    """The front the stdio transport runs: listings from the catalog, the rest forwarded."""
    may_delegate = principal.name in policy.delegation.clients

    def forward(method: str) -> Callable[[_Ctx, Any], Awaitable[Any]]:
        async def handler(ctx: _Ctx, params: Any) -> Any:
            entry = (await opener.server()).get_request_handler(method)
            assert entry is not None, method
            return await entry.handler(ctx, params)

        return handler

    call_real_listing = forward("tools/list")

    async def on_list_tools(
        ctx: _Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if ON_BEHALF_OF_META in (getattr(params, "meta", None) or {}):
            result: types.ListToolsResult = await call_real_listing(ctx, params)
            return result
        return types.ListToolsResult(
            tools=catalog_tools(toolsets, principal, may_delegate=may_delegate)
        )

    async def on_list_resources(
        _ctx: _Ctx, _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=listed_resources())

    async def on_list_templates(
        _ctx: _Ctx, _params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=listed_resource_templates())

    async def on_list_prompts(
        _ctx: _Ctx, _params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=listed_prompts())

    return identified_server(
        on_list_tools=on_list_tools,
        on_call_tool=forward("tools/call"),
        on_list_resources=on_list_resources,
        on_list_resource_templates=on_list_templates,
        on_read_resource=forward("resources/read"),
        on_list_prompts=on_list_prompts,
        on_get_prompt=forward("prompts/get"),
        on_completion=forward("completion/complete"),
        on_subscribe_resource=forward("resources/subscribe"),
        on_unsubscribe_resource=forward("resources/unsubscribe"),
    )


async def serve_stdio_deferred(
    open_real: RealServer, *, policy: Policy, principal: Principal, toolsets: Sequence[str]
) -> None:
    """Serve one stdio session, opening the real server on the first request that needs it."""
    opener = _Opener(open_real)
    front = deferred_server(opener, policy=policy, principal=principal, toolsets=toolsets)
    async with anyio.create_task_group() as group:
        group.start_soon(opener.keep, group.cancel_scope)
        async with stdio_server() as (read, write):
            await front.run(read, write, front.create_initialization_options())
        if opener.wanted:
            opener.close()  # the real server closes (sandbox saved, database closed)
        else:
            group.cancel_scope.cancel()  # never opened: nothing to close
    if opener.error is not None:
        raise opener.error
