"""Proposals: writes the model asked for that wait for the person it acts for.

In `recommend` mode the server answers a write by the delegated principal ("assistant for
carol") with `{"status": "proposed", ...}` and writes nothing. The chat keeps each proposal
here with the exact tool arguments the model gave; the signed-in person confirms it (the chat
then calls the same tool with the same arguments as that person, so their own caps,
thresholds and four-eyes apply) or discards it. The model cannot confirm: it only ever holds
the delegated connection, and nothing it writes reaches this book except through a tool result
whose structured status the server set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent.mcp_tools import ToolOutcome, Toolset
from agent.models.types import JsonObject, ToolSpec

__all__ = ["Proposal", "ProposalBook", "ProposalNotFoundError", "ProposingTools"]


class ProposalNotFoundError(LookupError):
    """No open proposal has that id (confirmed, discarded, or never made)."""

    def __init__(self, proposal_id: str) -> None:
        super().__init__(f"no open proposal {proposal_id!r}; /proposals lists the open ones")
        self.proposal_id = proposal_id


@dataclass(frozen=True)
class Proposal:
    id: str
    tool: str
    arguments: JsonObject
    note: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.tool,
            "arguments": self.arguments,
            "note": self.note,
            "reason": self.reason,
        }

    def describe(self) -> str:
        """One line for people: what would be written."""
        what = self.note or self.tool
        return f"{self.id}: {what} ({self.tool} {_compact(self.arguments)})"


def _compact(arguments: JsonObject) -> str:
    parts = [f"{key}={value}" for key, value in arguments.items() if key != "idempotency_key"]
    return ", ".join(parts)


class ProposalBook:
    """The open proposals of one conversation, in the order they were made."""

    def __init__(self, prefix: str = "prop") -> None:
        self._open: dict[str, Proposal] = {}
        self._made = 0
        self._prefix = prefix

    def add(self, tool: str, arguments: JsonObject, body: JsonObject) -> Proposal:
        self._made += 1
        proposal = Proposal(
            id=f"{self._prefix}_{self._made}",
            tool=tool,
            arguments=dict(arguments),
            note=str(body.get("note") or ""),
            reason=str(body.get("reason") or ""),
        )
        self._open[proposal.id] = proposal
        return proposal

    def get(self, proposal_id: str) -> Proposal:
        try:
            return self._open[proposal_id]
        except KeyError:
            raise ProposalNotFoundError(proposal_id) from None

    def take(self, proposal_id: str) -> Proposal:
        """Remove and return an open proposal (to confirm or discard it)."""
        proposal = self.get(proposal_id)
        del self._open[proposal_id]
        return proposal

    def open(self) -> list[Proposal]:
        return list(self._open.values())

    def clear(self) -> None:
        self._open.clear()


class ProposingTools:
    """The model's tools: a `proposed` result is booked, and the model is told its id."""

    def __init__(self, tools: Toolset, book: ProposalBook) -> None:
        self._tools = tools
        self.book = book
        self.made: list[Proposal] = []

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return self._tools.specs

    async def call(self, name: str, arguments: JsonObject) -> ToolOutcome:
        outcome = await self._tools.call(name, arguments)
        if outcome.status != "proposed" or outcome.structured is None:
            return outcome
        proposal = self.book.add(name, arguments, outcome.structured)
        self.made.append(proposal)
        structured = {
            **outcome.structured,
            "proposal_id": proposal.id,
            "next": "nothing was written; the person you assist confirms or discards it. "
            "Do not repeat the call.",
        }
        content = json.dumps(structured, ensure_ascii=False)
        return ToolOutcome(content=content, status="proposed", structured=structured)
