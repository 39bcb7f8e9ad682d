"""The audit record of a write the automation makes itself, in the guard's transaction but not
as a guarded request (an expiry sweep, a purge of old drafts, a customer merge followed)."""

from __future__ import annotations

from datetime import datetime

from policies import Principal
from policies.audit import AuditDraft
from storage.canonical import JSONValue

__all__ = ["executed"]


def executed(
    principal: Principal,
    now: datetime,
    action: str,
    args: JSONValue,
    *,
    reason: str,
    result: JSONValue,
) -> AuditDraft:
    """`action` with `args`, executed by `principal` at `now` for `reason`, with its result."""
    return AuditDraft(
        at=now,
        principal=principal.name,
        role=principal.role,
        action=action,
        args=args,
        decision="executed",
        reason=reason,
        result=result,
    )
