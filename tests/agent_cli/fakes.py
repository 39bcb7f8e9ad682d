"""A small stand-in for the product's MCP server, acting for one principal.

It answers like the real tools (structured results, write statuses, denials as error results)
and enforces four-eyes on `decide_approval`, so the session and chat plumbing can be tested
without the engine. `Desk.calls` records every call that reached it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent

from policies import Principal

THRESHOLD = 2000


def _result(body: dict[str, Any], *, is_error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(body))],
        structured_content=body,
        is_error=is_error,
    )


@dataclass
class Desk:
    """Shared state of every server opened from it (several principals, one hotel)."""

    balances: dict[str, int] = field(default_factory=lambda: {"c-emma": 6240})
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def writes(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [call for call in self.calls if call[1] in ("award_points", "decide_approval")]

    @asynccontextmanager
    async def server(self, principal: Principal) -> AsyncIterator[MCPServer]:
        yield self._build(principal)

    def _build(self, principal: Principal) -> MCPServer:  # one tool each
        server = MCPServer("desk")
        who = principal.name

        @server.tool()
        def find_members(query: str) -> CallToolResult:
            """Members whose name matches."""
            self.calls.append((who, "find_members", {"query": query}))
            members = [{"customer_id": "c-emma", "name": "Emma Novak", "points": 6240}]
            hits = [m for m in members if query.lower() in m["name"].lower()]
            return _result({"members": hits})

        @server.tool()
        def get_member_summary(customer_id: str) -> CallToolResult:
            """A member's balance and tier."""
            self.calls.append((who, "get_member_summary", {"customer_id": customer_id}))
            return _result(
                {"name": "Emma Novak", "tier": "Silver", "points": self.balances[customer_id]}
            )

        @server.tool()
        def award_points(customer_id: str, points: int, reason: str) -> CallToolResult:
            """Award points; above the threshold it waits for a manager."""
            self.calls.append((who, "award_points", {"customer_id": customer_id, "points": points}))
            if points > THRESHOLD:
                approval_id = f"apr_{len(self.pending) + 1}"
                self.pending[approval_id] = {
                    "approval_id": approval_id,
                    "requester": who,
                    "customer_id": customer_id,
                    "points": points,
                }
                return _result(
                    {"status": "pending_approval", "approval_id": approval_id, "reason": "big"}
                )
            self.balances[customer_id] += points
            return _result({"status": "posted", "balance": self.balances[customer_id]})

        @server.tool()
        def list_pending_approvals() -> CallToolResult:
            """Requests waiting for a manager."""
            self.calls.append((who, "list_pending_approvals", {}))
            return _result({"approvals": list(self.pending.values())})

        @server.tool()
        def decide_approval(
            approval_id: str, decision: str, comment: str | None = None
        ) -> CallToolResult:
            """Approve or reject a request (managers, never one's own)."""
            self.calls.append((who, "decide_approval", {"approval_id": approval_id}))
            request = self.pending.get(approval_id)
            if request is None:
                return _result({"error": f"no pending request {approval_id}"}, is_error=True)
            if not principal.can("approve") or request["requester"] == who:
                body = {"status": "denied", "rule": "four_eyes", "reason": "not yours to decide"}
                return _result(body, is_error=True)
            del self.pending[approval_id]
            if decision == "reject":
                return _result({"status": "rejected", "approval_id": approval_id})
            self.balances[request["customer_id"]] += request["points"]
            balance = self.balances[request["customer_id"]]
            return _result({"status": "posted", "balance": balance})

        return server
