"""What a guarded write did, as a value: `Posted | PendingApproval | Denied | Proposed`.

`to_dict()` is the shape MCP tools return (`{"status": "posted" | "pending_approval" |
"denied" | "proposed", ...}`) and the shape the idempotency table stores; a replay of a posted
write is the first answer with `"replayed": true`. A proposal is never stored: nothing happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.canonical import JSONObject, JSONValue
from storage.clock import utc

__all__ = ["Denied", "Outcome", "PendingApproval", "Posted", "Proposed", "outcome_from_dict"]


@dataclass(frozen=True)
class Posted:
    """The write happened; `result` is the executor's result as JSON."""

    result: JSONValue
    replayed: bool = False  # the answer of an earlier request with the same idempotency key

    def to_dict(self) -> JSONObject:
        if self.replayed:
            return {"status": "posted", "replayed": True, "result": self.result}
        return {"status": "posted", "result": self.result}


@dataclass(frozen=True)
class PendingApproval:
    """The write waits for a manager: it executes, exactly as asked, once approved."""

    approval_id: str
    rule: str
    reason: str
    expires_at: datetime

    def to_dict(self) -> JSONObject:
        return {
            "status": "pending_approval",
            "approval_id": self.approval_id,
            "rule": self.rule,
            "reason": self.reason,
            "expires_at": utc(self.expires_at).isoformat(),
        }


@dataclass(frozen=True)
class Denied:
    """The policy refused; `rule` names the rule (e.g. `caps.per_member_per_day`)."""

    rule: str
    reason: str

    def to_dict(self) -> JSONObject:
        return {"status": "denied", "rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class Proposed:
    """The model proposed a write for the person it acts for; nothing was written or queued.
    The person confirms it (and then acts under their own policy) or discards it."""

    rule: str
    reason: str
    note: str = ""

    def to_dict(self) -> JSONObject:
        return {"status": "proposed", "rule": self.rule, "reason": self.reason, "note": self.note}


Outcome = Posted | PendingApproval | Denied | Proposed


def outcome_from_dict(data: dict[str, Any]) -> Outcome:
    status = data["status"]
    if status == "posted":
        return Posted(data["result"], replayed=bool(data.get("replayed", False)))
    if status == "pending_approval":
        expires = utc(datetime.fromisoformat(data["expires_at"]))
        return PendingApproval(data["approval_id"], data["rule"], data["reason"], expires)
    if status == "denied":
        return Denied(data["rule"], data["reason"])
    if status == "proposed":
        return Proposed(data["rule"], data["reason"], data.get("note", ""))
    raise ValueError(f"unknown outcome status {status!r}")
