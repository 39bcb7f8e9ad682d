"""Connect to an MCP server in-process, over streamable HTTP, or over stdio.

    async with connect_mcp(server) as tools:                      # in-process (the default)
    async with connect_mcp(url="http://127.0.0.1:8000/mcp", token=t) as tools:
    async with connect_mcp(command="loyalty serve --as alice") as tools:

Each yields an `McpToolset` (the listed tools, ready for `run_agent`; `.client` is the
`mcp.Client` for resources and prompts) and closes the connection on exit.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client import Transport
from mcp.client.streamable_http import streamable_http_client
from mcp.server import Server
from mcp.server.mcpserver import MCPServer

from agent.errors import ConfigError, McpConnectError
from agent.mcp_tools import McpToolset

FORWARDED_ENV_PREFIXES = ("MEWS_", "LOYALTY_")
"""A stdio server inherits only the SDK's safe variables (PATH, HOME, ...) plus these, which
configure the product's server (Mews credentials, database, policy file)."""

# The SDK's own defaults for streamable HTTP: a response stream may stay open for minutes.
_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)


@asynccontextmanager
async def connect_mcp(
    server: Server[Any] | MCPServer | None = None,
    *,
    url: str | None = None,
    token: str | None = None,
    command: str | Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    call_timeout_s: float = 60.0,
) -> AsyncIterator[McpToolset]:
    """Connect to exactly one of: a server object, a `url`, or a stdio `command`.

    `token` is sent as `Authorization: Bearer <token>` (HTTP only). `command` is a command line
    (split like a shell would) or an argv list; `env` adds variables for that process. Each
    tool call may take `call_timeout_s` seconds. Raises `McpConnectError` when the server
    cannot be reached or listed, and `ConfigError` for a contradictory request.
    """
    targets = [given for given in (server, url, command) if given is not None]
    if len(targets) != 1:
        raise ConfigError("connect to exactly one MCP server: a server object, a URL or a command")
    if token is not None and url is None:
        raise ConfigError("a bearer token is only sent to an MCP server given by URL")
    label = (
        f"in-process server {server.name!r}"
        if server is not None
        else url or f"command {command!r}"
    )
    stdio = None if command is None else _stdio_parameters(command, env)
    async with AsyncExitStack() as stack:
        try:
            target: Server[Any] | MCPServer | Transport | StdioServerParameters
            if server is not None:
                target = server
            elif url is not None:
                target = await _http_transport(stack, url, token)
            else:
                assert stdio is not None  # exactly one target was given
                target = stdio
            client = await stack.enter_async_context(Client(target))
            toolset = await McpToolset.load(client, call_timeout_s=call_timeout_s)
        except Exception as exc:  # the connection edge: say which server failed and why
            raise McpConnectError(label, exc) from exc
        yield toolset


async def _http_transport(stack: AsyncExitStack, url: str, token: str | None) -> Transport:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = await stack.enter_async_context(
        httpx2.AsyncClient(headers=headers, timeout=_HTTP_TIMEOUT)
    )
    return streamable_http_client(url, http_client=http)


def _stdio_parameters(
    command: str | Sequence[str], env: Mapping[str, str] | None
) -> StdioServerParameters:
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise ConfigError("the MCP server command is empty")
    forwarded = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIXES)}
    return StdioServerParameters(command=argv[0], args=argv[1:], env=forwarded | dict(env or {}))
