"""Session wiring: the model, the MCP server and the principal of one `loyalty ask`/`chat`.

    options = SessionOptions(model="scripted:demo.yaml", principal="carol")
    async with open_session(options) as session:
        result = await session.ask("How many points does Emma Novak have?")
        result = await session.ask("And when do they expire?")     # history is kept

The MCP server is, by default, the product's own server run in memory on the runtime of
`app.runtime` (the embedded sandbox, or real Mews when `MEWS_*` is set), acting as the
principal; `mcp_url` (streamable HTTP with a bearer token) or `mcp_command` (stdio) connect to
a running one instead, whose token or `--role` decides who the calls run as. On the in-memory
server the model's calls run as the delegated principal, on a connection of its own
(`agent.session`).

The model is built before anything is opened, so a missing model configuration stops the
command at once with `ModelNotConfigured`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from agent.errors import ConfigError
from agent.mcp_connect import connect_mcp
from agent.mcp_tools import McpToolset
from agent.models.base import ChatModel
from agent.models.spec import model_from_spec
from agent.records import RunLimits
from agent.session import ServerFactory, Session, delegated, system_prompt
from app.identity import proven_name, unknown_principal_message
from app.runtime import open_checked_runtime
from policies import (
    Controls,
    PolicyFileError,
    UnknownPrincipalError,
    load_policy,
    resolve_principal,
)

if TYPE_CHECKING:
    from mcp.server import Server

    from policies import Policy, Principal
    from tools.runtime import LoyaltyRuntime

__all__ = [
    "SESSION_TOOLSETS",
    "SessionOptions",
    "command_principal",
    "default_principal_name",
    "open_session",
    "runtime_server",
]

DEFAULT_ROLE = "staff"


@dataclass(frozen=True)
class SessionOptions:
    """What `loyalty ask`/`chat` options select; every field may be left at its default."""

    model: str | None = None
    """A `--model` spec: `scripted:PATH`, `openai:NAME`, `NAME`; default `LOYALTY_MODEL`."""
    principal: str | None = None
    """A name under `[principals]` of the policy; default the first staff principal."""
    mcp_url: str | None = None
    mcp_token: str | None = None
    mcp_command: str | None = None
    limits: RunLimits = field(default_factory=RunLimits)

    def check(self) -> None:
        """Raise `ConfigError` for contradictory options (before anything is opened)."""
        if self.mcp_url and self.mcp_command:
            raise ConfigError("give --mcp-url or --mcp-command, not both")
        if self.mcp_token and not self.mcp_url:
            raise ConfigError("--mcp-token is only sent to a server given by --mcp-url")


@asynccontextmanager
async def open_session(
    options: SessionOptions,
    *,
    model: ChatModel | None = None,
    server: ServerFactory | None = None,
    policy: Policy | None = None,
    today: date | None = None,
) -> AsyncIterator[Session]:
    """Open a session; `model`, `server` and `policy` replace what the options would build.

    Without `server` and without a remote server in the options, the product's server runs
    in memory on a `LoyaltyRuntime` opened from the environment (its policy, effective mode
    and clock then shape the system prompt). Raises `ConfigError` (`ModelNotConfigured`,
    `ScriptError`, `McpConnectError` included) for anything that stops the session from
    starting; the message says what to do.
    """
    options.check()
    chat_model = model if model is not None else model_from_spec(options.model)
    async with AsyncExitStack() as stack:
        close = getattr(chat_model, "aclose", None)
        if model is None and close is not None:
            stack.push_async_callback(close)  # the HTTP client of an OpenAI-compatible model
        runtime = None
        if server is None and not (options.mcp_url or options.mcp_command):
            runtime = await stack.enter_async_context(open_checked_runtime())
            policy = runtime.policy
            server = runtime_server(runtime)
        policy = policy or _load_policy()
        principal = command_principal(policy, options.principal)
        tools = await stack.enter_async_context(_connect(options, principal, server))
        remote = bool(options.mcp_url or options.mcp_command)
        agent: Principal | None = None
        model_tools: McpToolset | None = None
        if not remote and server is not None:
            agent = delegated(policy, principal)
            model_tools = await stack.enter_async_context(_in_memory(server, agent))
        mode = Controls(runtime.guard).mode().mode if runtime is not None else policy.mode
        day = today or (runtime.clock.now().date() if runtime is not None else date.today())
        yield Session(
            model=chat_model,
            tools=tools,
            principal=principal,
            policy=policy,
            system_prompt=system_prompt(policy, principal, today=day, mode=mode, agent=agent),
            limits=options.limits,
            remote=remote,
            agent=agent,
            model_tools=model_tools,
        )


def _connect(
    options: SessionOptions, principal: Principal, server: ServerFactory | None
) -> AbstractAsyncContextManager[McpToolset]:
    if options.mcp_url:
        return connect_mcp(url=options.mcp_url, token=options.mcp_token or None)
    if options.mcp_command:
        return connect_mcp(command=options.mcp_command)
    if server is None:
        raise ConfigError("no MCP server to connect to")
    return _in_memory(server, principal)


@asynccontextmanager
async def _in_memory(factory: ServerFactory, principal: Principal) -> AsyncIterator[McpToolset]:
    async with factory(principal) as server, connect_mcp(server) as tools:
        yield tools


def runtime_server(runtime: LoyaltyRuntime) -> ServerFactory:
    """A factory of in-memory servers on `runtime`, one per principal."""

    @asynccontextmanager
    async def open_server(principal: Principal) -> AsyncIterator[Server[Any]]:
        from tools.server import create_server

        yield create_server(runtime, principal=principal, toolsets=SESSION_TOOLSETS)

    return open_server


SESSION_TOOLSETS = ("member", "approvals", "campaigns")
"""The assistant works with members, approvals, campaigns and upsell; administration stays with
`loyalty serve`."""


def default_principal_name(policy: Policy) -> str:
    """The first principal (by name) with the staff role."""
    staff = sorted(name for name, role in policy.principals.items() if role == DEFAULT_ROLE)
    if not staff:
        raise ConfigError(
            f"the policy names no principal with the {DEFAULT_ROLE!r} role; pass --as NAME"
        )
    return staff[0]


def command_principal(policy: Policy, name: str | None) -> Principal:
    """The principal a command acts as: the proven one, the one named, or the first staff
    principal (`ConfigError` says what to do otherwise)."""
    chosen = proven_name(policy, name) or default_principal_name(policy)
    try:
        return resolve_principal(policy, chosen)
    except UnknownPrincipalError:
        raise ConfigError(unknown_principal_message(policy, chosen)) from None


def _load_policy() -> Policy:
    try:
        return load_policy()
    except PolicyFileError as exc:
        raise ConfigError(str(exc)) from None
