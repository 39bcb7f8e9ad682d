"""The approval queue: requests waiting for a manager, bound to their exact arguments.

A request stores the action, its canonical arguments and their SHA-256, the requester, the rule
and reason that sent it here, and its expiry. Status moves only forward::

    pending ──► executing ──► executed | failed
       ├──────► rejected
       └──────► expired

A request still `executing` after the policy's lease was interrupted mid-call (a crash): it
is resolved to `executed` or `failed` by reading Mews (`ApprovalDesk.resolve`).

Every move out of `pending` is a conditional update (`WHERE status = 'pending'`), so of two
managers approving at once exactly one claims the request. Deciding (four-eyes, executing
through the guard) is `Guard.approve` / `Guard.reject`; this module is the queue's storage.

When a request is created, a Mews task (`tasks/add`, through the outbox) tells the property
that it is waiting; it carries the approval id, action, points and reason, and no guest data.
Requests delivered together are announced in one digest task instead
(`tools.actions.approval_digest`), which names the members.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies.errors import ApprovalNotFoundError
from policies.schema import approvals_table
from storage.canonical import JSONObject, JSONValue, sha256_hex
from storage.clock import naive_utc, utc
from storage.outbox import enqueue
from storage.rows import from_row
from storage.store import Store

__all__ = [
    "FINAL_STATUSES",
    "Approval",
    "NewApproval",
    "claim",
    "create",
    "expire_due",
    "finish",
    "get",
    "list_approvals",
    "new_approval_id",
    "stuck",
    "task_payload",
]

FINAL_STATUSES = frozenset({"executed", "failed", "rejected", "expired"})


@dataclass(frozen=True, kw_only=True)
class NewApproval:
    """A write that needs a manager's approval, as the guard queues it."""

    action: str
    args_json: str  # canonical JSON: exactly what will execute
    requester: str
    requester_role: str
    rule: str
    reason: str
    note: str
    points: int
    idempotency_key: str
    created_at: datetime
    expires_at: datetime
    enterprise_id: str | None = None
    """The hotel the request concerns (`Facts.enterprise_id`): its task goes there."""


@dataclass(frozen=True, kw_only=True)
class Approval(NewApproval):
    """A queued request: what was asked (`NewApproval`) and what has become of it."""

    id: str
    args: JSONObject
    args_hash: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    result: JSONValue
    error: str | None

    def status_at(self, now: datetime) -> str:
        """The status as it stands at `now`: a pending request past its expiry is expired."""
        if self.status == "pending" and utc(now) >= self.expires_at:
            return "expired"
        return self.status

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "approval_id": self.id,
            "action": self.action,
            "args": self.args,
            "args_sha256": self.args_hash,
            "requester": self.requester,
            "rule": self.rule,
            "reason": self.reason,
            "note": self.note,
            "points": self.points,
            "status": self.status_at(now),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": None if self.decided_at is None else self.decided_at.isoformat(),
            "comment": self.comment,
            "result": self.result,
            "error": self.error,
            "enterprise_id": self.enterprise_id,
        }


def new_approval_id() -> str:
    return f"apr_{secrets.token_hex(8)}"


def _approval(row: Any) -> Approval:
    """A request from its row, by column name: the JSON columns parsed, the times made aware."""
    times = {name: row._mapping[name] for name in ("created_at", "expires_at", "decided_at")}
    return from_row(
        Approval,
        row,
        **{name: None if value is None else utc(value) for name, value in times.items()},
        args_json=row.args,
        args=json.loads(row.args),
        result=None if row.result is None else json.loads(row.result),
    )


def create(conn: Connection, request: NewApproval) -> Approval:
    """Queue a request and announce it to the property (Mews task, via the outbox)."""
    approval_id = new_approval_id()
    values = asdict(request)
    args_json = values.pop("args_json")
    values.update(
        id=approval_id,
        args=args_json,
        args_hash=sha256_hex(args_json),
        status="pending",
        created_at=naive_utc(request.created_at),
        expires_at=naive_utc(request.expires_at),
    )
    conn.execute(approvals_table.insert().values(values))
    approval = get(conn, approval_id)
    enqueue(conn, "tasks/add", task_payload(approval), now=request.created_at)
    return approval


def task_payload(approval: Approval) -> dict[str, str]:
    """The body of `tasks/add`: enough for staff to find and decide it, no guest data."""
    points = f", {approval.points} points" if approval.points else ""
    what = approval.note or approval.action
    description = (
        f"Approval {approval.id}: {approval.action}{points}. {what}. "
        f"Why it needs approval: {approval.reason} ({approval.rule}). "
        f"Requested by {approval.requester}. Decide with "
        f"`loyalty approvals approve {approval.id}` or `reject`; it expires at the deadline."
    )
    payload = {
        "ApprovalId": approval.id,  # not sent: lets the dispatcher merge notices into a digest
        "Name": f"Loyalty approval: {approval.action}"[:100],
        "DeadlineUtc": approval.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Description": description[:2000],
    }
    if approval.enterprise_id:  # the hotel the request concerns gets the task (and the digest)
        payload["EnterpriseId"] = approval.enterprise_id
    return payload


def get(conn: Connection, approval_id: str) -> Approval:
    row = conn.execute(
        sa.select(approvals_table).where(approvals_table.c.id == approval_id)
    ).first()
    if row is None:
        raise ApprovalNotFoundError(approval_id)
    return _approval(row)


def list_approvals(
    store: Store, *, statuses: Sequence[str] | None = ("pending",), limit: int | None = None
) -> list[Approval]:
    """Oldest first, all of them unless `limit` is given (an inbox pages what it shows; a cap
    here would hide requests and miscount the queue); `statuses=None` lists every request."""
    t = approvals_table
    query = sa.select(t).order_by(t.c.created_at, t.c.id).limit(limit)
    if statuses is not None:
        query = query.where(t.c.status.in_(list(statuses)))
    with store.read() as conn:
        return [_approval(row) for row in conn.execute(query)]


def recent_decisions(store: Store, now: datetime, *, limit: int) -> list[Approval]:
    """The `limit` requests decided (or expired) most recently, newest first: the inbox's
    history, read without loading every request ever made."""
    t = approvals_table
    expired = sa.and_(t.c.status == "pending", t.c.expires_at <= naive_utc(now))
    settled = sa.or_(t.c.status != "pending", expired)
    when = sa.func.coalesce(t.c.decided_at, t.c.expires_at)
    query = sa.select(t).where(settled).order_by(when.desc(), t.c.id.desc()).limit(limit)
    with store.read() as conn:
        return [_approval(row) for row in conn.execute(query)]


def claim(
    conn: Connection,
    approval_id: str,
    status: str,
    *,
    by: str,
    now: datetime,
    comment: str | None = None,
) -> bool:
    """Move a pending, unexpired request to `status`; False if another decision came first."""
    t = approvals_table
    result = conn.execute(
        t.update()
        .where(t.c.id == approval_id, t.c.status == "pending", t.c.expires_at > naive_utc(now))
        .values(status=status, decided_by=by, decided_at=naive_utc(now), comment=comment)
    )
    return result.rowcount == 1


def finish(
    conn: Connection, approval_id: str, *, result: str | None = None, error: str | None = None
) -> None:
    """Record how an execution ended: `failed` with its error, else `executed` with its result."""
    t = approvals_table
    status = "executed" if error is None else "failed"
    conn.execute(
        t.update()
        .where(t.c.id == approval_id, t.c.status == "executing")
        .values(status=status, result=result, error=error)
    )


def expire_due(conn: Connection, now: datetime, ids: Sequence[str] | None = None) -> list[str]:
    """Mark pending requests past their expiry as expired; returns their ids."""
    t = approvals_table
    due = sa.select(t.c.id).where(t.c.status == "pending", t.c.expires_at <= naive_utc(now))
    if ids is not None:
        due = due.where(t.c.id.in_(list(ids)))
    expired = list(conn.execute(due).scalars())
    if expired:
        conn.execute(
            t.update()
            .where(t.c.id.in_(expired), t.c.status == "pending")
            .values(status="expired", decided_at=naive_utc(now))
        )
    return expired


def stuck(conn: Connection, started_before: datetime) -> list[str]:
    """Requests claimed for execution before `started_before` and still `executing`."""
    t = approvals_table
    query = (
        sa.select(t.c.id)
        .where(t.c.status == "executing", t.c.decided_at <= naive_utc(started_before))
        .order_by(t.c.decided_at, t.c.id)
    )
    return list(conn.execute(query).scalars())
