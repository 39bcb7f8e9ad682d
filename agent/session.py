"""An assistant session: the model, the MCP tools, the principal, the system prompt, the history.

    session = Session(model, tools, principal, policy, system_prompt(policy, principal, ...))
    result = await session.ask("How many points does Emma Novak have?")
    result = await session.ask("And when do they expire?")     # history is kept

`app.session.open_session` builds one for a command (the model, the MCP server, the principal).

The model never acts as the person: on an in-memory server its tool calls run as the delegated
principal "assistant for carol" (`policies.delegate`, see `delegated`), on a connection of its
own (`model_tools`), while the session's own connection (`call_tool`, `/approve`, confirming
proposals) runs as the person. In `recommend` mode the model's writes come back as proposals
(`agent.proposals`) that the person confirms (`Session.confirm`: the same tool and arguments, now
as the person, under their own policy) or discards. A remote server decides by its own token.

`decide_approval` is never offered to the model: approving is a human decision, taken with
`/approve` in `loyalty chat` (which calls the tool as the chatting principal; the policy layer
refuses one's own requests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from agent.errors import ConfigError
from agent.events import OnEvent
from agent.loop import run_agent
from agent.mcp_tools import McpToolset, ToolOutcome, Toolset
from agent.models.base import ChatModel
from agent.models.types import JsonObject, Message, ToolSpec, UserMessage
from agent.proposals import Proposal, ProposalBook, ProposingTools
from agent.records import RunLimits, RunResult
from prompts import render

if TYPE_CHECKING:
    from mcp.server import Server
    from mcp.server.mcpserver import MCPServer

    from policies import Policy, Principal

__all__ = [
    "HIDDEN_FROM_MODEL",
    "ModelTools",
    "ServerFactory",
    "Session",
    "delegated",
    "policy_summary",
    "system_prompt",
]

HIDDEN_FROM_MODEL = frozenset({"decide_approval"})
"""Tools the model is never offered; people call them (see the module docstring)."""

ServerFactory = Callable[["Principal"], AbstractAsyncContextManager["Server[Any] | MCPServer"]]
"""Opens the MCP server that acts for a principal (the embedded default, or one in a test)."""


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
