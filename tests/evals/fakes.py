"""A fake world for runner tests: a tiny toolset over a dict, with a real-shaped audit log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent.mcp_tools import ToolOutcome
from agent.models import ToolSpec
from evals.state import Projection
from evals.task_files import Task
from policies import AuditRecord, ChainReport, Policy, load_policy
from policies.audit import AuditDraft

_NOW = datetime(2026, 3, 16, tzinfo=UTC)
_OBJECT = {"type": "object", "properties": {}}


def agent_record(
    seq: int, action: str, args: dict[str, Any], decision: str, **draft: str | None
) -> AuditRecord:
    """An audit record of an agent's call: the draft the guard writes (`principal`, and maybe
    `approval_id` and `idempotency_key`; no rule, reason or result), joined to the chain at
    `seq` with placeholder hashes."""
    call = AuditDraft(at=_NOW, role="agent", action=action, args=args, decision=decision, **draft)
    return AuditRecord(**vars(call), seq=seq, prev_hash="0", hash=str(seq))


@dataclass
class FakeWorld:
    """Members with balances; `award_points` posts up to 2000 and denies above 5000."""

    balances: dict[str, int] = field(default_factory=lambda: {"emma": 1200, "ben": 80})
    ledger: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: list[AuditRecord] = field(default_factory=list)
    policy: Policy = field(default_factory=load_policy)
    principal: str = "assistant"
    automated: bool = False  # counted as staff, so the file's recommend mode does not apply
    system_prompt: str = "You are a test assistant."

    @property
    def tools(self) -> FakeWorld:
        return self

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return (
            ToolSpec(name="get_balance", parameters=_OBJECT),
            ToolSpec(name="award_points", parameters=_OBJECT),
        )

    def _audit(self, action: str, args: dict[str, Any], decision: str) -> None:
        seq = len(self.records) + 1
        self.records.append(agent_record(seq, action, args, decision, principal=self.principal))

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        member = str(arguments.get("member"))
        if name == "get_balance":
            self._audit(name, arguments, "allow")
            body = {"member": member, "points": self.balances[member]}
            return ToolOutcome(content=json.dumps(body), status="ok", structured=body)
        points = int(arguments["points"])
        if points > 5000:
            self._audit(name, arguments, "deny")
            body = {"status": "denied", "rule": "caps.max_points_per_entry", "reason": "too many"}
            return ToolOutcome(content=json.dumps(body), status="denied", structured=body)
        self._audit(name, arguments, "allow")
        self.balances[member] += points
        self.ledger[str(len(self.ledger))] = {
            "member": member,
            "kind": "adjustment",
            "points": points,
        }
        body = {"status": "posted", "balance": self.balances[member]}
        return ToolOutcome(content=json.dumps(body), status="posted", structured=body)

    async def settle(self) -> None:
        return None

    def project(self) -> Projection:
        return Projection(
            keyed={"balances": {m: {"balance": b} for m, b in self.balances.items()}},
            listed={"ledger": dict(self.ledger)},
        )

    def audit_records(self) -> list[AuditRecord]:
        return list(self.records)

    def verify_audit(self) -> ChainReport:
        return ChainReport(
            ok=True, records=len(self.records), head_seq=len(self.records), algorithm="fake"
        )


@asynccontextmanager
async def fake_world(task: Task) -> AsyncIterator[FakeWorld]:
    yield FakeWorld()
