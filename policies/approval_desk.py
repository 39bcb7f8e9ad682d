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

An approved Mews call interrupted mid-way (a crash between its two transactions) leaves the
request `executing`. Once the policy's lease (`approvals.execution_lease_minutes`) has passed
since it started, `resolve` reads Mews through the action's `landed`: the effect is there, so
the request is `executed` (its result, marked `recovered`); it is not, so the call never
reached Mews and the request is `failed` (its cap usage freed). Either way the audit gets the
execution's outcome, as the interrupted process would have written it, and the resolution.
`resolve_stuck` does this for every such request (the runtime calls it at start-up).

    desk = ApprovalDesk(guard)
    outcome = await desk.approve(manager, approval_id, "checked the folio")
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

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
from policies.usage import day_window
from storage.canonical import JSONObject, sha256_hex, to_jsonable

__all__ = ["ApprovalDesk", "ExecutionInterruptedError"]

_log = logging.getLogger(__name__)


class ExecutionInterruptedError(Exception):
    """An approved call was interrupted and its effect is not visible in Mews."""


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

    def recent_decisions(self, limit: int = 50) -> list[Approval]:
        """The requests decided or expired most recently, newest first."""
        return approvals.recent_decisions(self.guard.store, self.guard.clock.now(), limit=limit)

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

    async def resolve(self, resolver: Principal, approval_id: str) -> Outcome:
        """Settle a request stuck in `executing` past the lease by reading Mews: `Posted` with
        `{"approval_id", "status": "executed" | "failed", ...}`, or `Denied` saying why not
        (another status, still within the lease, nothing to read it with, no permission)."""
        guard = self.guard
        now = guard.clock.now()
        approval = await run_in_thread(self.approval, approval_id)
        refused = await run_in_thread(self._check_resolvable, resolver, approval, now)
        if refused is not None:
            return refused
        execute = guard.spec(approval.action).execute
        assert isinstance(execute, External)
        assert execute.landed is not None
        landed = await execute.landed(approval.args)  # a Mews error leaves it executing
        return await run_in_thread(self._resolve_tx, resolver, approval_id, landed, now)

    async def resolve_stuck(self) -> list[tuple[str, Outcome]]:
        """Resolve every request `executing` past the lease, as the policy layer itself (at
        start-up); one that cannot be read now stays `executing` for the next start."""
        started_before = self.guard.clock.now() - self.guard.policy.approvals.execution_lease
        with self.guard.store.read() as conn:
            ids = approvals.stuck(conn, started_before)
        resolved = []
        for approval_id in ids:
            try:
                resolved.append((approval_id, await self.resolve(SYSTEM, approval_id)))
            except Exception:  # Mews unreachable: try again at the next start or by hand
                _log.warning("approval %s stays executing", approval_id, exc_info=True)
        return resolved

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
        approvals.finish(tx.conn, run.approval_id, error=error)
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
                f"approval {approval_id} expired at "
                f"{_local(approval.expires_at, guard.policy.tz, '%d %b %Y, %H:%M')}",
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

    def _resolve_base(self, resolver: Principal, approval: Approval, now: datetime) -> AuditDraft:
        args: JSONObject = {"approval_id": approval.id, "action": approval.action}
        return AuditDraft(
            now,
            resolver.name,
            resolver.role,
            "approvals.resolve",
            args,
            "allow",
            approval_id=approval.id,
        )

    def _check_resolvable(
        self, resolver: Principal, approval: Approval, now: datetime
    ) -> Denied | None:
        """Who may resolve (a manager; the policy layer at start-up) and what can be resolved:
        a request `executing` past its lease whose action can read its effect in Mews."""
        guard = self.guard
        refusal: Deny | None = None
        lease = guard.policy.approvals.execution_lease
        spec = guard.spec(approval.action)
        if approval.status != "executing":
            refusal = Deny(
                "approvals.not_executing",
                f"approval {approval.id} is {approval.status_at(now)}: only a request stuck in "
                "executing is resolved",
            )
        elif approval.decided_at is not None and now < approval.decided_at + lease:
            refusal = Deny(
                "approvals.executing",
                f"approval {approval.id} started executing at "
                f"{_local(approval.decided_at, guard.policy.tz, '%H:%M:%S')} and may still be "
                "running; it can be resolved from "
                f"{_local(approval.decided_at + lease, guard.policy.tz, '%H:%M:%S')} "
                "(approvals.execution_lease_minutes in the policy file)",
            )
        elif not isinstance(spec.execute, External) or spec.execute.landed is None:
            refusal = Deny(
                "approvals.unverifiable",
                f"{approval.action} cannot be read back from Mews: check Mews by hand",
            )
        if resolver is SYSTEM and refusal is None:
            return None
        with guard.transaction(now, _approval_lock(approval.id)) as tx:
            base = self._resolve_base(resolver, approval, now)
            state = guard.state(tx)
            if resolver is not SYSTEM:  # the policy layer needs no role for its own start-up
                action = Action("approvals.resolve", "approval_decision", Facts())
                denied = guard.refuse_by_role(tx, base, action, resolver, state)
                if denied is not None:
                    return denied
            if refusal is None:
                return None
            return guard.deny(tx, base, refusal, state, resolver, counts=False)

    def _resolve_tx(
        self, resolver: Principal, approval_id: str, landed: object, now: datetime
    ) -> Outcome:
        guard = self.guard
        with guard.transaction(now, _approval_lock(approval_id)) as tx:
            approval = approvals.get(tx.conn, approval_id)
            base = self._resolve_base(resolver, approval, now)
            if approval.status != "executing":  # resolved meanwhile (or finished after all)
                final = Deny(
                    "approvals.not_executing",
                    f"approval {approval_id} is already {approval.status}",
                )
                return guard.deny(tx, base, final, guard.state(tx), resolver, counts=False)
            started = approval.decided_at or now
            run = Run(
                spec=guard.spec(approval.action),
                action=Action(
                    approval.action,
                    guard.spec(approval.action).kind,
                    Facts(points=approval.points, note=approval.note),
                ),
                principal=self._requester(approval),
                actor=self._approver(approval),
                args=approval.args,
                args_json=approval.args_json,
                key=approval.idempotency_key,
                digest=approval.args_hash,
                now=now,
                approval_id=approval.id,
            )
            began = day_window(started, guard.policy.tz).day
            if landed is not None:
                raw = to_jsonable(landed)
                if isinstance(raw, dict):
                    raw = {**raw, "recovered": True}
                guard.finish_external(tx, run, raw, None, began=began)
                summary: JSONObject = {
                    "approval_id": approval_id,
                    "status": "executed",
                    "result": raw,
                }
            else:
                interrupted = ExecutionInterruptedError(
                    "the execution started at "
                    f"{_local(started, guard.policy.tz, '%d %b %Y, %H:%M:%S')} was interrupted "
                    "and its effect is not visible in Mews: nothing changed; request it again"
                )
                guard.finish_external(tx, run, None, interrupted, began=began)
                summary = {
                    "approval_id": approval_id,
                    "status": "failed",
                    "error": str(interrupted),
                }
            tx.audit(dataclasses.replace(base, result=summary))
            return Posted(summary)

    def _approver(self, approval: Approval) -> Principal:
        """The manager whose approval started the interrupted execution."""
        name = approval.decided_by or SYSTEM.name
        try:
            return self.guard.principal(name)
        except UnknownPrincipalError:
            return Principal(name, "unknown", frozenset())

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


def _local(moment: datetime, tz: tzinfo, layout: str) -> str:
    """A moment as the hotel's staff read it: in the policy's time zone, the zone named
    ("04 Dec 2026, 09:15 CET"); the records keep UTC."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz)
    return f"{local.strftime(layout)} {local.tzname()}"
