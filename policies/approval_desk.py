"""Deciding approval requests, beside the guard: approve, reject, expire, and the queue as it
stands.

Each decision is itself a guarded, audited action (kind `approval_decision`) decided by the
role alone, so read-only mode and a tripped breaker never lock a manager out. Nobody decides
their own approval request (four-eyes).

Approving executes exactly the stored arguments, exactly once, through the guard in the context
"approved": thresholds and `recommend` mode do not apply again, while the requester's role,
read-only mode and the hard caps do, re-checked at execution (a request that no longer fits
its cap is marked `failed`; approving during read-only mode is refused and leaves it pending).
The request is claimed with a conditional update under the
approval's lock, so of two managers approving at once one executes it and the other is told it
is no longer pending. Approving or rejecting after expiry is refused and marks it expired.

    desk = ApprovalDesk(guard)
    outcome = await desk.approve(manager, approval_id, "checked the folio")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from policies import approvals
from policies._tx import Failure, Run, Tx, raise_failure, run_in_thread
from policies.approvals import Approval
from policies.audit import AuditDraft
from policies.decision import Action, Allow, Deny, Facts, decide
from policies.errors import UnknownPrincipalError
from policies.guard import Guard
from policies.outcomes import Denied, Outcome, Posted
from policies.principals import SYSTEM, Principal
from policies.specs import External
from policies.state import PolicyState
from storage.canonical import JSONObject, sha256_hex

__all__ = ["ApprovalDesk"]


def _approval_lock(approval_id: str) -> str:
    return f"approval:{approval_id}"


@dataclass(frozen=True)
class _Checked:
    approval: Approval
    base: AuditDraft  # the audit record of the decision, once it is taken
    state: PolicyState


class ApprovalDesk:
    """The approval requests the guard queued, and the managers' decisions on them."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    # ------------------------------------------------------------------ reading
    def approval(self, approval_id: str) -> Approval:
        with self.guard.store.read() as conn:
            return approvals.get(conn, approval_id)

    def approvals(self, statuses: Sequence[str] | None = ("pending",)) -> list[Approval]:
        """Oldest first, by status as it stands now (a pending request past its expiry is
        `expired`, swept or not); `None` lists every request."""
        store = self.guard.store
        if statuses is None:
            return approvals.list_approvals(store, statuses=None)
        stored = {*statuses, "pending"} if "expired" in statuses else set(statuses)
        now = self.guard.clock.now()
        rows = approvals.list_approvals(store, statuses=sorted(stored))
        return [row for row in rows if row.status_at(now) in statuses]

    # ------------------------------------------------------------------ deciding
    async def approve(
        self, approver: Principal, approval_id: str, comment: str | None = None
    ) -> Outcome:
        """Execute a pending request as it was asked, once; `Posted` with the executor's result."""
        guard = self.guard
        approval = await run_in_thread(self.approval, approval_id)
        spec = guard.spec(approval.action)
        facts = Facts()
        if approval.status_at(guard.clock.now()) == "pending":  # else it is refused: no Mews reads
            facts = await spec.describe(approval.args)
        run = Run(
            spec=spec,
            action=Action(spec.name, spec.kind, facts),
            principal=self._requester(approval),
            actor=approver,
            args=approval.args,
            args_json=approval.args_json,
            key=approval.idempotency_key,
            digest=approval.args_hash,
            now=guard.clock.now(),
            approval_id=approval.id,
        )
        if isinstance(spec.execute, External):
            return await guard.external(run, lambda started: self._begin(started, comment))
        return raise_failure(await run_in_thread(self._approve_tx, run, comment))

    async def reject(
        self, approver: Principal, approval_id: str, comment: str | None = None
    ) -> Outcome:
        """Refuse a pending request for good (`rejected` is final)."""
        now = self.guard.clock.now()
        return await run_in_thread(self._reject_tx, approver, approval_id, comment, now)

    async def expire_approvals(self) -> list[str]:
        """Mark every pending request past its expiry as expired (audited); returns their ids."""
        return await run_in_thread(self._expire_tx, self.guard.clock.now())

    # ------------------------------------------------------------------ transactions
    def _requester(self, approval: Approval) -> Principal:
        """The requester as the policy file has them now (a removed name has no permissions)."""
        try:
            return self.guard.principal(approval.requester)
        except UnknownPrincipalError:
            return Principal(approval.requester, "unknown", frozenset(), automated=True)

    def _approve_tx(self, run: Run, comment: str | None) -> Outcome | Failure:
        guard = self.guard
        assert run.approval_id is not None
        with guard.transaction(run.now, *run.lock_keys(), _approval_lock(run.approval_id)) as tx:
            verdict = self._claim_for_execution(tx, run, comment)
            return guard.execute(tx, run) if isinstance(verdict, Allow) else verdict

    def _begin(self, run: Run, comment: str | None) -> Outcome | Run:
        guard = self.guard
        assert run.approval_id is not None
        with guard.transaction(run.now, *run.lock_keys(), _approval_lock(run.approval_id)) as tx:
            verdict = self._claim_for_execution(tx, run, comment)
            if not isinstance(verdict, Allow):
                return verdict
            guard.start_external(tx, run)
        return run

    def _claim_for_execution(self, tx: Tx, run: Run, comment: str | None) -> Denied | Allow:
        guard = self.guard
        assert run.approval_id is not None
        checked = self._check_decision(tx, run.actor, run.approval_id, "approve", comment)
        if isinstance(checked, Denied):
            return checked
        approval, state = checked.approval, checked.state
        if state.mode.mode == "read_only":
            # Not the request's fault: it stays pending, to be approved once writes are back.
            paused = Deny(
                "mode.read_only",
                f"the assistant is in read-only mode: approval {approval.id} stays pending; "
                "approve it again once a manager switches the mode back",
            )
            return guard.deny(tx, checked.base, paused, state, run.actor, counts=False)
        intact = (
            approval.args_json == run.args_json and sha256_hex(run.args_json) == approval.args_hash
        )
        if not approvals.claim(
            tx.conn, approval.id, "executing", by=run.actor.name, now=tx.now, comment=comment
        ):
            refusal = Deny("approvals.not_pending", f"approval {approval.id} was decided meanwhile")
            return guard.deny(tx, checked.base, refusal, state, run.actor, counts=False)
        tx.audit(checked.base)
        if not intact:
            mismatch = Deny(
                "approvals.args_mismatch", "the stored arguments do not match their hash"
            )
            return self._fail(tx, run, state, mismatch)
        decision = decide(run.action, run.principal, guard.context(tx, state, run), guard.policy)
        if isinstance(decision, Allow):
            return decision
        return self._fail(tx, run, state, Deny(decision.rule, decision.reason))

    def _fail(self, tx: Tx, run: Run, state: PolicyState, refusal: Deny) -> Denied:
        """Refused at execution: the request is final (`failed`), with the rule that refused it."""
        assert run.approval_id is not None
        error = f"{refusal.rule}: {refusal.reason}"
        approvals.finish(tx.conn, run.approval_id, "failed", error=error)
        return self.guard.deny(tx, run.draft("deny"), refusal, state, run.actor, counts=False)

    def _check_decision(
        self, tx: Tx, approver: Principal, approval_id: str, verb: str, comment: str | None
    ) -> Denied | _Checked:
        """Role and four-eyes, then whether the request can still be decided (pending,
        unexpired)."""
        guard = self.guard
        approval = approvals.get(tx.conn, approval_id)
        state = guard.state(tx)
        args: JSONObject = {"approval_id": approval_id, "action": approval.action}
        if comment:
            args["comment"] = comment
        name = f"approvals.{verb}"
        base = AuditDraft(
            tx.now, approver.name, approver.role, name, args, "allow", approval_id=approval_id
        )
        action = Action(name, "approval_decision", Facts(requested_by=approval.requester))
        refused = guard.refuse_by_role(tx, base, action, approver, state)
        if refused is not None:
            return refused
        status = approval.status_at(tx.now)
        if status == "expired" and approval.status == "pending":
            approvals.expire_due(tx.conn, tx.now, [approval_id])
            expired = Deny(
                "approvals.expired",
                f"approval {approval_id} expired at {approval.expires_at:%Y-%m-%d %H:%M} UTC",
            )
            return guard.deny(tx, base, expired, state, approver, counts=False)
        if status != "pending":
            final = Deny("approvals.not_pending", f"approval {approval_id} is already {status}")
            return guard.deny(tx, base, final, state, approver, counts=False)
        return _Checked(approval, base, state)

    def _reject_tx(
        self, approver: Principal, approval_id: str, comment: str | None, now: datetime
    ) -> Outcome:
        guard = self.guard
        with guard.transaction(now, _approval_lock(approval_id)) as tx:
            checked = self._check_decision(tx, approver, approval_id, "reject", comment)
            if isinstance(checked, Denied):
                return checked
            if not approvals.claim(
                tx.conn, approval_id, "rejected", by=approver.name, now=now, comment=comment
            ):
                refusal = Deny(
                    "approvals.not_pending", f"approval {approval_id} was decided meanwhile"
                )
                return guard.deny(tx, checked.base, refusal, checked.state, approver, counts=False)
            tx.audit(checked.base)
            return Posted({"approval_id": approval_id, "status": "rejected"})

    def _expire_tx(self, now: datetime) -> list[str]:
        with self.guard.transaction(now) as tx:
            expired = approvals.expire_due(tx.conn, now)
            for approval_id in expired:
                tx.audit(
                    AuditDraft(
                        now,
                        SYSTEM.name,
                        SYSTEM.role,
                        "approvals.expire",
                        {"approval_id": approval_id},
                        "expire",
                        approval_id=approval_id,
                    )
                )
        return expired
