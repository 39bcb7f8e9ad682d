"""`loyalty call TOOL [ARGS_JSON] --as NAME`: call one MCP tool from the shell, no model involved.

The same in-memory server, policy layer and audit log as every other client, so a new policy
file (a mode, a cap, a threshold) can be seen taking effect at once:

    loyalty call find_members '{"query": "Emma Novak"}'
    loyalty call award_points '{"membership_id": "...", "points": 3000, "reason": "spa closure"}'

Prints the tool's structured result as JSON (its text when it has none). Exit codes: 0 the call
succeeded (a pending approval included), 1 the tool refused it (denied, invalid arguments, not
found), 2 the command itself was wrong (bad JSON, unknown tool, unknown principal).
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands._policy_cli import fail, run

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mcp.server import Server

    from policies import Principal
    from tools.runtime import LoyaltyRuntime

__all__ = ["register"]

ALL_TOOLSETS = ("member", "admin", "approvals", "campaigns")


def register(app: typer.Typer) -> None:
    app.command(name="call")(call)


def call(
    tool: Annotated[str, typer.Argument(help="The tool name, e.g. award_points.")] = "",
    arguments: Annotated[
        str, typer.Argument(help='The arguments as a JSON object, e.g. \'{"query": "Emma"}\'.')
    ] = "{}",
    as_: Annotated[
        str | None, typer.Option("--as", help="The principal to act as (default: carol, staff).")
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the tools this principal may call.")
    ] = False,
) -> None:
    """Call one MCP tool as a principal, through the policy layer (no model)."""
    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError as exc:
        fail(f"ARGUMENTS is not JSON: {exc.msg} at character {exc.pos}")
    if not isinstance(parsed, dict):
        fail(f"ARGUMENTS must be a JSON object, got {type(parsed).__name__}")
    if not list_ and not tool:
        fail("give a TOOL name, or --list to see the tools you may call")
    from agent.errors import ConfigError

    try:
        code = run(_call(tool, parsed, as_, list_))
    except ConfigError as exc:
        fail(str(exc))
    raise typer.Exit(code)


async def _call(tool: str, arguments: dict[str, Any], name: str | None, list_: bool) -> int:
    from agent.errors import ConfigError
    from agent.mcp_connect import connect_mcp
    from app.runtime import open_checked_runtime
    from app.session import command_principal

    async with open_checked_runtime() as runtime:
        principal = command_principal(runtime.policy, name)
        async with _server(runtime, principal) as server, connect_mcp(server) as tools:
            names = sorted(spec.name for spec in tools.specs)
            if list_:
                typer.echo("\n".join(names))
                return 0
            if tool in names:
                outcome = await tools.call(tool, arguments)
    if tool not in names:
        # Raised here, outside the MCP session's task group, so it is not wrapped in a group.
        who = f"{principal.name} ({principal.role})"
        raise ConfigError(f"unknown tool {tool!r} for {who}; callable: {', '.join(names)}")
    shown = outcome.structured if outcome.structured is not None else outcome.content
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False, default=str))
    return 1 if outcome.is_error else 0


@asynccontextmanager
async def _server(runtime: LoyaltyRuntime, principal: Principal) -> AsyncIterator[Server[Any]]:
    from tools.server import create_server

    yield create_server(runtime, principal=principal, toolsets=ALL_TOOLSETS)
