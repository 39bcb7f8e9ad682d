"""Pieces the guard shares between its paths: a run (one execution attempt) and a transaction
that collects audit records and appends them last, under the chain lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Connection

from policies import audit
from policies.audit import AuditDraft
from policies.decision import Action, Ruling, Usage
from policies.outcomes import Outcome, PendingApproval, Posted, Proposed
from policies.principals import Principal
from policies.redaction import scrub_text
from policies.specs import ActionSpec, ExecContext
from policies.state import PolicyState
from storage import outbox
from storage.canonical import JSONObject, JSONValue
from storage.store import Store

__all__ = [
    "Failure",
    "Run",
    "Tx",
    "error_summary",
    "outcome_record",
    "raise_failure",
    "run_in_thread",
    "transaction",
]

T = TypeVar("T")
P = ParamSpec("P")


async def run_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Database work off the event loop (a waiting SQLite writer must not freeze the server)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass(frozen=True)
class Run:
    """One attempt to execute an action: a fresh request, or an approved one."""

    spec: ActionSpec
    action: Action
    principal: Principal  # who asked: role, caps and usage are theirs
    actor: Principal  # who calls now: the principal, or the approving manager
    args: JSONObject
    args_json: str
    key: str
    digest: str
    now: datetime
    approval_id: str | None = None
    unused_key: bool = False
    """The key had no record when `Guard.submit` looked, just before: the transaction does not
    look again, the record's primary key refuses a second one (then it runs again, looking)."""
    key_unread: bool = False
    """`Guard.submit` did not look (a points movement): the transaction's first statement
    reads the key's record with the policy state and today's sums, before deciding."""

    def lock_keys(self) -> list[str]:
        """The keys whose sums and rows this run reads and writes (taken sorted, at begin)."""
        facts = self.action.facts
        keys = [f"principal:{self.principal.name}", f"idem:{self.key}", *facts.lock_keys]
        if facts.membership_id:
            keys.append(f"member:{facts.membership_id}")
        if facts.goodwill:  # only the goodwill budget is summed per program
            keys.append(f"program:{facts.program_id or ''}")
        return keys

    def counts_for_caps(self) -> bool:
        """Points movements are logged for the caps; other writes are not."""
        return self.action.kind == "points" and self.action.facts.points != 0

    def exec_context(self) -> ExecContext:
        return ExecContext(
            action=self.action,
            principal=self.principal,
            idempotency_key=self.key,
            now=self.now,
            approval_id=self.approval_id,
            approved_by=self.actor.name if self.approval_id else None,
        )

    def draft(
        self,
        decision: str,
        *,
        result: JSONValue = None,
        approval_id: str | None = None,
        ruling: Ruling | None = None,
    ) -> AuditDraft:
        """The audit record of this run's call; `ruling`: the rule's answer that decided it."""
        return AuditDraft(
            at=self.now,
            principal=self.actor.name,
            role=self.actor.role,
            action=self.action.name,
            args=self.args,
            decision=decision,
            rule=None if ruling is None else ruling.rule,
            reason=None if ruling is None else ruling.reason,
            result=result,
            approval_id=approval_id or self.approval_id,
            idempotency_key=self.key,
        )


@dataclass
class Tx:
    conn: Connection
    now: datetime
    drafts: list[AuditDraft] = field(default_factory=list)
    state: PolicyState | None = None  # mode and breaker, read once per transaction
    usage: Usage | None = None  # today's sums, when a points issue was decided here

    def audit(self, draft: AuditDraft | None) -> None:
        if draft is not None:
            self.drafts.append(draft)


@dataclass(frozen=True)
class Failure:
    """An executor raised: recorded and committed first, raised to the caller afterwards."""

    error: Exception


@contextmanager
def transaction(store: Store, key: bytes | None, now: datetime, *lock_keys: str) -> Iterator[Tx]:
    """A write transaction whose audit records join the chain just before commit."""
    with store.write(*lock_keys) as conn:
        outbox.forget_enqueued(conn)
        tx = Tx(conn, now)
        yield tx
        # One claim per write: what this write queued for Mews (and any backlog) is leased
        # here for the caller's delivery scope, so delivering it needs no claim transaction.
        claimed = outbox.claim_after_enqueue(store, conn, now=now)
        if tx.drafts:
            audit.append(conn, store, tx.drafts, key)
    outbox.deliver_after_commit(claimed)


def error_summary(error: BaseException) -> JSONObject:
    return {"error": f"{type(error).__name__}: {scrub_text(str(error))[:500]}"}


def raise_failure(result: Outcome | Failure) -> Outcome:
    """An executor's error, raised once its audit record is committed."""
    if isinstance(result, Failure):
        raise result.error
    return result


def outcome_record(outcome: Outcome) -> JSONObject:
    """An outcome as the audit's result column: the status and ids (the rule and reason of a
    refusal or a pending request go to their own columns)."""
    if isinstance(outcome, Posted):
        return {"status": "posted", "result": outcome.result}
    if isinstance(outcome, PendingApproval):
        return {"status": "pending_approval", "approval_id": outcome.approval_id}
    if isinstance(outcome, Proposed):
        return {"status": "proposed", "note": outcome.note}
    return {"status": "denied"}
