"""An assistant session: the model, the MCP tools, the principal, the system prompt, the history.

    options = SessionOptions(model="scripted:demo.yaml", principal="carol")
    async with open_session(options) as session:
        result = await session.ask("How many points does Emma Novak have?")
        result = await session.ask("And when do they expire?")     # history is kept

The MCP server is, by default, the product's own server run in memory on the embedded
sandbox (or on real Mews when `MEWS_*` is set), acting as the principal; `mcp_url` (streamable
HTTP with a bearer token) or `mcp_command` (stdio) connect to a running one instead, whose
token or `--role` decides who the calls run as.

The model never acts as the person: on the in-memory server its tool calls run as the delegated
principal "assistant for carol" (`policies.delegate`), on a connection of its own, while the
session's own connection (`call_tool`, `/approve`, confirming proposals) runs as the person. In
`recommend` mode the model's writes come back as proposals (`agent.proposals`) that the person
confirms (`Session.confirm`: the same tool and arguments, now as the person, under their own
policy) or discards. A remote server (`mcp_url`, `mcp_command`) decides by its own token.

The model is built before anything is opened, so a missing model configuration stops the
command at once with `ModelNotConfigured`. `decide_approval` is never offered to the model:
approving is a human decision, taken with `/approve` in `loyalty chat` (which calls the tool as
the chatting principal; the policy layer refuses one's own requests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from agent.errors import ConfigError
from agent.events import OnEvent
from agent.loop import run_agent
from agent.mcp_connect import connect_mcp
from agent.mcp_tools import McpToolset, ToolOutcome, Toolset
from agent.models.base import ChatModel
from agent.models.spec import model_from_spec
from agent.models.types import JsonObject, Message, ToolSpec, UserMessage
from agent.proposals import Proposal, ProposalBook, ProposingTools
from agent.records import RunLimits, RunResult
from prompts import render

if TYPE_CHECKING:
    from mcp.server import Server
    from mcp.server.mcpserver import MCPServer

    from policies import Policy, Principal
    from tools.runtime import LoyaltyRuntime

__all__ = [
    "HIDDEN_FROM_MODEL",
    "SESSION_TOOLSETS",
    "ModelTools",
    "ServerFactory",
    "Session",
    "SessionOptions",
    "default_principal_name",
    "open_session",
    "policy_summary",
    "runtime_server",
    "system_prompt",
]

HIDDEN_FROM_MODEL = frozenset({"decide_approval"})
"""Tools the model is never offered; people call them (see the module docstring)."""

DEFAULT_ROLE = "staff"

ServerFactory = Callable[["Principal"], AbstractAsyncContextManager["Server[Any] | MCPServer"]]
"""Opens the MCP server that acts for a principal (the embedded default, or one in a test)."""


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


class ModelTools:
    """The session's MCP tools as the model sees them: all but `HIDDEN_FROM_MODEL`."""

    def __init__(self, tools: Toolset, hidden: frozenset[str] = HIDDEN_FROM_MODEL) -> None:
        self._tools = tools
        self._hidden = hidden
        self._specs = tuple(spec for spec in tools.specs if spec.name not in hidden)

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return self._specs

    async def call(self, name: str, arguments: JsonObject) -> ToolOutcome:
        if name in self._hidden:
            return ToolOutcome.failure(
                "unknown_tool", f"{name} is not available to the assistant; staff decide it"
            )
        return await self._tools.call(name, arguments)


@dataclass
class Session:
    """One conversation with the assistant; `ask` keeps the history between questions."""

    model: ChatModel
    tools: McpToolset
    principal: Principal
    policy: Policy
    system_prompt: str
    limits: RunLimits = field(default_factory=RunLimits)
    history: list[Message] = field(default_factory=list)
    remote: bool = False
    """The server runs elsewhere: its token or `--role` decides who the calls run as, and
    `principal` only tells the model whom it speaks for."""
    agent: Principal | None = None
    """Who the model's calls run as ("assistant for carol"); None when a remote server decides."""
    model_tools: Toolset | None = None
    """The connection the model's calls take (as `agent`); default `tools`."""
    proposals: ProposalBook = field(default_factory=ProposalBook)
    last_proposals: tuple[Proposal, ...] = ()
    """The proposals the last question made."""

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.tools.specs)

    async def ask(
        self, question: str, *, on_event: OnEvent | None = None, stream: bool = True
    ) -> RunResult:
        """Run the agent on `question` after the history so far; the history grows."""
        proposing = ProposingTools(self.model_tools or self.tools, self.proposals)
        result = await run_agent(
            self.model,
            ModelTools(proposing),
            [*self.history, UserMessage(content=question)],
            system_prompt=self.system_prompt,
            limits=self.limits,
            on_event=on_event,
            stream=stream,
        )
        self.history = list(result.messages)
        self.last_proposals = tuple(proposing.made)
        return result

    def reset(self) -> None:
        """Forget the conversation and its open proposals (the system prompt stays)."""
        self.history = []
        self.proposals.clear()

    async def confirm(self, proposal_id: str) -> tuple[Proposal, ToolOutcome]:
        """Carry out a proposal as the person: the same tool and arguments, their own policy.
        Raises `ProposalNotFoundError` for an id that is not open."""
        proposal = self.proposals.take(proposal_id)
        return proposal, await self.call_tool(proposal.tool, proposal.arguments)

    def discard(self, proposal_id: str) -> Proposal:
        return self.proposals.take(proposal_id)

    async def call_tool(self, name: str, arguments: JsonObject) -> ToolOutcome:
        """Call a tool directly, as the session's principal (for `/pending`, `/approve`, ...)."""
        if name not in self.tool_names:
            who = f"{self.principal.name} ({self.principal.role})"
            return ToolOutcome.failure(
                "unknown_tool", f"the MCP server does not offer {name} to {who}"
            )
        return await self.tools.call(name, arguments)


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
            runtime = await stack.enter_async_context(_open_runtime())
            policy = runtime.policy
            server = runtime_server(runtime)
        policy = policy or _load_policy()
        principal = _principal(policy, options.principal)
        tools = await stack.enter_async_context(_connect(options, principal, server))
        remote = bool(options.mcp_url or options.mcp_command)
        agent: Principal | None = None
        model_tools: McpToolset | None = None
        if not remote and server is not None:
            agent = delegated(policy, principal)
            model_tools = await stack.enter_async_context(_in_memory(server, agent))
        mode = runtime.guard.mode().mode if runtime is not None else policy.mode
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


@asynccontextmanager
async def _open_runtime() -> AsyncIterator[LoyaltyRuntime]:
    """The runtime from the environment (store, policy, program file, Mews or the sandbox)."""
    from sqlalchemy.exc import SQLAlchemyError

    from policies import PolicyError
    from storage.store import StoreError
    from tools.loyalty import ProgramConfigError
    from tools.mews import MewsConfigurationError
    from tools.runtime import LoyaltyRuntime

    try:
        runtime = await LoyaltyRuntime.open()
    except (PolicyError, ProgramConfigError, MewsConfigurationError) as exc:
        raise ConfigError(str(exc)) from None
    except (StoreError, SQLAlchemyError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"cannot open the database: {first}") from None
    async with runtime:
        yield runtime


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


def _principal(policy: Policy, name: str | None) -> Principal:
    from agent.identity import proven_name
    from policies import UnknownPrincipalError, resolve_principal

    chosen = proven_name(policy, name) or default_principal_name(policy)
    try:
        return resolve_principal(policy, chosen)
    except UnknownPrincipalError:
        known = ", ".join(sorted(policy.principals))
        raise ConfigError(
            f"unknown principal {chosen!r} (--as): the policy knows {known}"
        ) from None


def delegated(policy: Policy, principal: Principal) -> Principal:
    """The principal the model runs as for `principal` (`ConfigError` when the policy names no
    agent to delegate to)."""
    from policies import UnknownPrincipalError, delegate

    try:
        return delegate(policy, principal)
    except UnknownPrincipalError as exc:
        raise ConfigError(
            f"the model acts as delegation.agent {policy.delegation.agent!r} on behalf of "
            f"{principal.name}, but the policy cannot form that principal ({exc})"
        ) from None


def _load_policy() -> Policy:
    from policies import PolicyFileError, load_policy

    try:
        return load_policy()
    except PolicyFileError as exc:
        raise ConfigError(str(exc)) from None


def system_prompt(
    policy: Policy,
    principal: Principal,
    *,
    today: date,
    mode: str,
    agent: Principal | None = None,
) -> str:
    """The rendered system prompt for the model acting for `principal` (as `agent`, the
    delegated principal, when the session has one) under `policy`."""
    return render(
        "system.md.j2",
        today=today.isoformat(),
        principal={"name": principal.name, "role": principal.role},
        policy=policy_summary(policy, agent or principal, mode=mode),
    )


def policy_summary(policy: Policy, principal: Principal, *, mode: str) -> dict[str, Any]:
    """What the assistant should expect of the policy, as labels and values."""
    approvals = policy.approvals
    overrides: dict[str, Any] = {
        f"{action} above (points)": override.points_above
        for action, override in sorted(approvals.actions.items())
        if override.points_above is not None
    }
    overrides |= {
        f"{action}": "always" for action, override in approvals.actions.items() if override.always
    }
    needs_approval: dict[str, Any] = {
        "points movements above (points)": approvals.points_above,
        "price or valuation away from base by more than": f"{approvals.variance_above:.0%}",
        "tier downgrades": _yes(approvals.tier_downgrade),
        "deletes": _yes(approvals.deletes),
        **overrides,
    }
    summary: dict[str, Any] = {
        "operating mode": _mode_text(mode, principal),
        "your permissions": sorted(principal.permissions),
        "hard caps (denied above)": {
            "points per entry": policy.caps.max_points_per_entry,
            "points per member per day": policy.caps.per_member_per_day,
            "points per principal per day": policy.caps.per_principal_per_day,
            "goodwill points per program per day": policy.caps.program_goodwill_per_day,
        },
        "needs a manager's approval": needs_approval,
        "approval requests expire after (hours)": approvals.expiry_hours,
        "approvals": "decided by a manager who is not the requester, never by the assistant",
    }
    if principal.delegated:
        own = policy.delegation.caps.model_dump(exclude_none=True)
        summary["caps of the assistant's own writes (denied above)"] = {
            key.replace("_", " "): value for key, value in own.items()
        }
    return summary


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _mode_text(mode: str, principal: Principal) -> str:
    if mode == "recommend" and principal.delegated:
        return (
            f"recommend (every write you make is a proposal that {principal.on_behalf_of} "
            "confirms or discards; nothing is written until then)"
        )
    texts: Mapping[str, str] = {
        "read_only": "read_only (no writes at all)",
        "recommend": (
            "recommend (every write by the assistant's own principal waits for approval)"
            if principal.automated
            else "recommend (writes by agent principals wait for approval; yours follow the "
            "thresholds)"
        ),
        "automate": "automate (the approval thresholds decide)",
    }
    return texts.get(mode, mode)
