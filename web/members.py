"""The data behind the member pages, read through the MCP server as the signed-in principal
(so the role checks and the audit log apply exactly as they do for the assistant). What the
pages read beyond the tools (stays and e-mail hints, the inbox's names, the CSV exports) goes
through `audited_read`: the same role check and an audit record of its own."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agent.mcp_connect import connect_mcp
from agent.mcp_tools import McpToolset, ToolOutcome
from agent.models.types import JsonObject
from policies import Denied, Principal
from tools.actions.messages import MessageDraft, list_messages
from tools.loyalty.facts import StayFacts
from tools.runtime import LoyaltyRuntime
from tools.server import create_server

__all__ = [
    "MemberCard",
    "ToolError",
    "act",
    "audited_read",
    "decide",
    "find",
    "is_customer_id",
    "mask_email",
    "member_card",
    "tools",
]

T = TypeVar("T")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class ToolError(Exception):
    """A tool refused or failed; the message is the one the tool gave."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


async def audited_read(
    runtime: LoyaltyRuntime,
    principal: Principal,
    action: str,
    args: JsonObject,
    read: Callable[[], Awaitable[T]],
) -> T:
    """A read the web app makes itself rather than through a tool, checked against the
    principal's role and audited under `action` (e.g. `web.export_members`) like a tool read;
    `ToolError` when the role may not read."""
    value = await runtime.guard.read(principal, action, args, read)
    if isinstance(value, Denied):
        raise ToolError(f"denied by {value.rule}: {value.reason}", "denied")
    return value


def is_customer_id(text: str) -> bool:
    return _GUID.fullmatch(text) is not None


@asynccontextmanager
async def tools(runtime: LoyaltyRuntime, principal: Principal) -> AsyncIterator[McpToolset]:
    server = create_server(runtime, principal=principal, toolsets=("member", "approvals"))
    async with connect_mcp(server) as connected:
        yield connected


def _structured(outcome: ToolOutcome) -> dict[str, Any]:
    """The result's structured body; `ToolError` with the tool's own message for an error.
    (Raised only outside the MCP connection, whose task group would wrap it in a group.)"""
    if outcome.is_error:
        body = outcome.structured or {}
        if outcome.status == "denied":
            message = f"denied by {body.get('rule')}: {body.get('reason')}"
        else:
            message = str(body.get("message") or outcome.content.removeprefix("Error: "))
        raise ToolError(message, outcome.status)
    return dict(outcome.structured or {})


async def find(runtime: LoyaltyRuntime, principal: Principal, query: str) -> list[dict[str, Any]]:
    async with tools(runtime, principal) as toolset:
        outcome = await toolset.call("find_members", {"query": query, "limit": 20})
    found = _structured(outcome)
    candidates = [c for c in found.get("candidates", []) if isinstance(c, dict)]
    await _tell_apart(runtime, principal, candidates)
    return candidates


def mask_email(email: str | None) -> str | None:
    """'emma.novak@example.com' -> 'e•••@example.com': enough to tell two guests apart."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


async def _tell_apart(
    runtime: LoyaltyRuntime, principal: Principal, candidates: list[dict[str, Any]]
) -> None:
    """Adds `email_hint` and `last_stay` to each candidate, so two guests with one name can be
    told apart; nothing is added when Mews cannot be read (the names still show)."""
    ids = [str(c["customer_id"]) for c in candidates]
    if not ids:
        return

    async def read() -> tuple[list[Any], dict[str, Any]]:
        customers = await runtime.mews.customers.get_all(customer_ids=ids).to_list()
        return customers, await runtime.facts.members(ids, with_spend=False)

    try:
        args: JsonObject = {"customer_ids": list(ids)}
        customers, facts = await audited_read(runtime, principal, "web.search_hints", args, read)
    except Exception:  # a courtesy read: the search result stands without it
        return
    emails = {c.id: mask_email(c.email) for c in customers}
    for candidate in candidates:
        member = facts.get(str(candidate["customer_id"]))
        done = member.completed_stays() if member else ()
        candidate["email_hint"] = emails.get(str(candidate["customer_id"]))
        candidate["last_stay"] = done[-1].departure.isoformat() if done else None


@dataclass
class MemberCard:
    summary: dict[str, Any]
    progress: dict[str, Any] | None
    rewards: dict[str, Any] | None
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Ledger entries by membership id, newest first."""
    offers: list[dict[str, Any]] = field(default_factory=list)
    messages: list[MessageDraft] = field(default_factory=list)
    """Drafted messages to the member (expiry reminders, tier changes), newest first."""
    problems: list[str] = field(default_factory=list)
    """Parts that could not be read (the rest of the card still shows)."""
    upcoming: list[StayFacts] = field(default_factory=list)
    """Booked or in-house stays, soonest first."""
    recent: list[StayFacts] = field(default_factory=list)
    """The last checked-out stays, newest first."""
    marketing_consent: bool | None = None
    """Whether the guest agreed to marketing e-mails (None: could not be read)."""


async def member_card(
    runtime: LoyaltyRuntime, principal: Principal, customer_id: str
) -> MemberCard:
    """Everything on the card; `ToolError` when the member cannot be read at all."""
    customer: JsonObject = {"customer_id": customer_id}
    parts: dict[str, ToolOutcome] = {}
    async with tools(runtime, principal) as toolset:
        parts["summary"] = await toolset.call("get_member_summary", customer)
        summary = parts["summary"].structured or {}
        if not parts["summary"].is_error and summary.get("memberships"):
            parts["progress"] = await toolset.call("get_tier_progress", customer)
            parts["rewards"] = await toolset.call("recommend_rewards", customer)
            for membership in summary["memberships"]:
                membership_id = str(membership.get("membership_id"))
                parts[f"history:{membership_id}"] = await toolset.call(
                    "get_points_history", {"membership_id": membership_id, "limit": 20}
                )
        parts["offers"] = await toolset.call(
            "list_offer_drafts", {"customer_id": customer_id, "limit": 20}
        )
    card = MemberCard(summary=_structured(parts.pop("summary")), progress=None, rewards=None)

    def part(key: str) -> dict[str, Any] | None:
        outcome = parts.get(key)
        if outcome is None:
            return None
        try:
            return _structured(outcome)
        except ToolError as exc:
            card.problems.append(f"{key.split(':')[0]}: {exc}")
            return None

    card.progress = part("progress")
    card.rewards = part("rewards")
    for key in [k for k in parts if k.startswith("history:")]:
        card.history[key.removeprefix("history:")] = list((part(key) or {}).get("entries", []))
    card.offers = list((part("offers") or {}).get("offers", []))
    card.messages = list_messages(runtime.store, customer_id=customer_id, limit=20)
    await _add_signals(runtime, principal, card, customer_id)
    return card


RECENT_STAYS = 5


async def _add_signals(
    runtime: LoyaltyRuntime, principal: Principal, card: MemberCard, customer_id: str
) -> None:
    """Stays (from the member read model) and marketing consent (from Mews) for the card (the
    tools summarise stays as counts); a failed read is a problem shown on the card, not a
    broken page."""
    now = runtime.clock.now()

    async def read() -> tuple[Any, list[Any]]:
        facts = (await runtime.facts.members([customer_id], with_spend=False)).get(customer_id)
        return facts, await runtime.mews.customers.get_all(customer_ids=[customer_id]).to_list()

    try:
        args: JsonObject = {"customer_id": customer_id}
        facts, found = await audited_read(runtime, principal, "web.member_stays", args, read)
    except Exception as exc:  # Mews down or refusing: the rest of the card still helps
        card.problems.append(f"stays and consent: {exc}")
        return
    if facts is not None:
        card.upcoming = sorted(
            (s for s in facts.stays if s.is_upcoming(now)), key=lambda s: s.arrival
        )
        done = [s for s in facts.stays if s.checked_out]
        card.recent = sorted(done, key=lambda s: s.departure, reverse=True)[:RECENT_STAYS]
    if found:
        options = {str(getattr(o, "value", o)) for o in found[0].options}
        card.marketing_consent = "SendMarketingEmails" in options


async def decide(
    runtime: LoyaltyRuntime,
    principal: Principal,
    approval_id: str,
    decision: str,
    comment: str | None,
) -> dict[str, Any]:
    """Approve or reject through the `decide_approval` tool (the policy layer enforces who may:
    a manager who is not the requester); `ToolError` carries the policy's message."""
    arguments: JsonObject = {"approval_id": approval_id, "decision": decision}
    if comment:
        arguments["comment"] = comment
    async with tools(runtime, principal) as toolset:
        outcome = await toolset.call("decide_approval", arguments)
    return _structured(outcome)


async def act(
    runtime: LoyaltyRuntime, principal: Principal, tool: str, arguments: JsonObject
) -> tuple[str, dict[str, Any], str]:
    """Call one write tool as the principal: its status, structured body and message (the
    policy's reason for a denial, the field and problem for bad input)."""
    server = create_server(runtime, principal=principal, toolsets=("member", "admin"))
    async with connect_mcp(server) as toolset:
        if tool not in {spec.name for spec in toolset.specs}:
            return "denied", {}, f"your role ({principal.role}) may not call {tool}"
        outcome = await toolset.call(tool, arguments)
    body = dict(outcome.structured or {})
    if outcome.status == "denied":
        return "denied", body, f"{body.get('reason')} (rule {body.get('rule')})"
    message = str(body.get("message") or outcome.content.removeprefix("Error: "))
    return outcome.status, body, message
