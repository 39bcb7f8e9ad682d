"""Control actions through the guard: deciding approvals, switching the mode, resetting the breaker.

Each is itself a guarded, audited action (kinds `approval_decision`, `mode`, `breaker`) decided
by the role alone, so read-only mode and a tripped breaker never lock a manager out of the
controls. Nobody decides their own approval request (four-eyes).

Approving executes exactly the stored arguments, exactly once, through the guard in the context
"approved": thresholds and `recommend` mode do not apply again, while the requester's role,
read-only mode and the hard caps do, re-checked at execution (a request that no longer fits
its cap is marked `failed`; approving during read-only mode is refused and leaves it pending).
The request is claimed with a conditional update under the
approval's lock, so of two managers approving at once one executes it and the other is told it
is no longer pending. Approving or rejecting after expiry is refused and marks it expired.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from policies import approvals
from policies._tx import Failure, Run, Tx, raise_failure, run_in_thread
from policies.approvals import Approval
from policies.audit import AuditDraft
from policies.breaker import reset_state
from policies.config import MODES, Mode
from policies.decision import Action, Allow, Context, Deny, Facts, decide
from policies.errors import InvalidRequestError, UnknownPrincipalError
from policies.outcomes import Denied, Outcome, Posted
from policies.principals import SYSTEM, Principal
from policies.specs import External
from policies.state import BreakerState, ModeState, PolicyState, load_state, set_breaker, store_mode
from storage.canonical import JSONObject, sha256_hex

if TYPE_CHECKING:
    from policies.guard import Guard

__all__ = [
    "approve",
    "breaker_status",
    "current_mode",
    "expire_approvals",
    "get_approval",
    "reject",
    "reset_breaker",
    "set_mode",
]


def _approval_lock(approval_id: str) -> str:
    return f"approval:{approval_id}"


# ---------------------------------------------------------------------------- mode, breaker


def current_mode(guard: Guard) -> ModeState:
    with guard.store.read() as conn:
        return load_state(conn, guard.policy).mode


def breaker_status(guard: Guard) -> BreakerState:
    with guard.store.read() as conn:
        return load_state(conn, guard.policy).breaker


async def set_mode(guard: Guard, principal: Principal, mode: str) -> Outcome:
    """Switch the operating mode for every process sharing the database (`change_mode`)."""
    if mode not in MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    return await run_in_thread(_set_mode_tx, guard, principal, mode, guard.clock.now())


def _set_mode_tx(guard: Guard, principal: Principal, mode: Mode, now: datetime) -> Outcome:
    with guard.transaction(now, "policy:mode") as tx:
        state = load_state(tx.conn, guard.policy)
        base = AuditDraft(now, principal.name, principal.role, "set_mode", {"mode": mode}, "allow")
        refused = _refuse_control(guard, tx, base, Action("set_mode", "mode"), principal, state)
        if refused is not None:
            return refused
        store_mode(tx.conn, mode, by=principal.name, now=now)
        result: JSONObject = {"mode": mode, "previous": state.mode.mode}
        tx.audit(dataclasses.replace(base, result=result))
        return Posted(result)


async def reset_breaker(guard: Guard, principal: Principal) -> Outcome:
    """Close a tripped circuit breaker (`reset_breaker`); audited even when it was not tripped."""
    return await run_in_thread(_reset_tx, guard, principal, guard.clock.now())


def _reset_tx(guard: Guard, principal: Principal, now: datetime) -> Outcome:
    with guard.transaction(now, "policy:breaker") as tx:
        state = load_state(tx.conn, guard.policy)
        base = AuditDraft(now, principal.name, principal.role, "breaker.reset", {}, "allow")
        action = Action("breaker.reset", "breaker")
        refused = _refuse_control(guard, tx, base, action, principal, state)
        if refused is not None:
            return refused
        set_breaker(
            tx.conn, reset_state(state, by=principal.name, now=now), by=principal.name, now=now
        )
        result: JSONObject = {"tripped": False, "was_tripped": state.breaker.tripped}
        if state.breaker.tripped:
            result["was"] = {"rule": state.breaker.rule, "reason": state.breaker.reason}
        tx.audit(dataclasses.replace(base, result=result))
        return Posted(result)


def _refuse_control(
    guard: Guard, tx: Tx, base: AuditDraft, action: Action, who: Principal, state: PolicyState
) -> Denied | None:
    decision = decide(action, who, Context(state.mode.mode), guard.policy)
    if isinstance(decision, Deny):
        return guard.deny(tx, base, decision, state, who)
    return None


# ---------------------------------------------------------------------------- approvals


def get_approval(guard: Guard, approval_id: str) -> Approval:
    with guard.store.read() as conn:
        return approvals.get(conn, approval_id)


async def approve(
    guard: Guard, approver: Principal, approval_id: str, comment: str | None = None
) -> Outcome:
    """Execute a pending request as it was asked, once; `Posted` with the executor's result."""
    approval = await run_in_thread(get_approval, guard, approval_id)
    spec = guard.spec(approval.action)
    facts = Facts()
    if approval.status_at(guard.clock.now()) == "pending":  # else it is refused: no Mews reads
        facts = await spec.describe(approval.args)
    run = Run(
        spec=spec,
        action=Action(spec.name, spec.kind, facts),
        principal=_requester(guard, approval),
        actor=approver,
        args=approval.args,
        args_json=approval.args_json,
        key=approval.idempotency_key,
        digest=approval.args_hash,
        now=guard.clock.now(),
        approval_id=approval.id,
    )
    if isinstance(spec.execute, External):
        return await guard.external(run, lambda started: _begin_approved(guard, started, comment))
    return raise_failure(await run_in_thread(_approve_tx, guard, run, comment))


def _requester(guard: Guard, approval: Approval) -> Principal:
    """The requester as the policy file has them now (a removed name has no permissions)."""
    try:
        return guard.principal(approval.requester)
    except UnknownPrincipalError:
        return Principal(approval.requester, "unknown", frozenset(), automated=True)


def _approve_tx(guard: Guard, run: Run, comment: str | None) -> Outcome | Failure:
    assert run.approval_id is not None
    with guard.transaction(run.now, *guard.locks(run), _approval_lock(run.approval_id)) as tx:
        verdict = _claim_for_execution(guard, tx, run, comment)
        return guard.execute(tx, run) if isinstance(verdict, Allow) else verdict


def _begin_approved(guard: Guard, run: Run, comment: str | None) -> Outcome | Run:
    assert run.approval_id is not None
    with guard.transaction(run.now, *guard.locks(run), _approval_lock(run.approval_id)) as tx:
        verdict = _claim_for_execution(guard, tx, run, comment)
        if not isinstance(verdict, Allow):
            return verdict
        guard.start_external(tx, run)
    return run


@dataclass(frozen=True)
class _Checked:
    approval: Approval
    base: AuditDraft  # the audit record of the decision, once it is taken
    state: PolicyState


def _claim_for_execution(guard: Guard, tx: Tx, run: Run, comment: str | None) -> Denied | Allow:
    assert run.approval_id is not None
    checked = _check_decision(guard, tx, run.actor, run.approval_id, "approve", comment)
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
    intact = approval.args_json == run.args_json and sha256_hex(run.args_json) == approval.args_hash
    if not approvals.claim(
        tx.conn, approval.id, "executing", by=run.actor.name, now=tx.now, comment=comment
    ):
        refusal = Deny("approvals.not_pending", f"approval {approval.id} was decided meanwhile")
        return guard.deny(tx, checked.base, refusal, state, run.actor, counts=False)
    tx.audit(checked.base)
    if not intact:
        return _fail(
            guard,
            tx,
            run,
            state,
            Deny("approvals.args_mismatch", "the stored arguments do not match their hash"),
        )
    decision = decide(run.action, run.principal, guard.context(tx, state, run), guard.policy)
    if isinstance(decision, Allow):
        return decision
    return _fail(guard, tx, run, state, Deny(decision.rule, decision.reason))


def _fail(guard: Guard, tx: Tx, run: Run, state: PolicyState, refusal: Deny) -> Denied:
    """Refused at execution: the request is final (`failed`), with the rule that refused it."""
    assert run.approval_id is not None
    approvals.finish(tx.conn, run.approval_id, "failed", error=f"{refusal.rule}: {refusal.reason}")
    return guard.deny(tx, run.draft("deny"), refusal, state, run.actor, counts=False)


def _check_decision(
    guard: Guard, tx: Tx, approver: Principal, approval_id: str, verb: str, comment: str | None
) -> Denied | _Checked:
    """Role and four-eyes, then whether the request can still be decided (pending, unexpired)."""
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
    decision = decide(action, approver, Context(state.mode.mode), guard.policy)
    if isinstance(decision, Deny):
        return guard.deny(tx, base, decision, state, approver)
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


async def reject(
    guard: Guard, approver: Principal, approval_id: str, comment: str | None = None
) -> Outcome:
    """Refuse a pending request for good (`rejected` is final)."""
    return await run_in_thread(_reject_tx, guard, approver, approval_id, comment, guard.clock.now())


def _reject_tx(
    guard: Guard, approver: Principal, approval_id: str, comment: str | None, now: datetime
) -> Outcome:
    with guard.transaction(now, _approval_lock(approval_id)) as tx:
        checked = _check_decision(guard, tx, approver, approval_id, "reject", comment)
        if isinstance(checked, Denied):
            return checked
        if not approvals.claim(
            tx.conn, approval_id, "rejected", by=approver.name, now=now, comment=comment
        ):
            refusal = Deny("approvals.not_pending", f"approval {approval_id} was decided meanwhile")
            return guard.deny(tx, checked.base, refusal, checked.state, approver, counts=False)
        tx.audit(checked.base)
        return Posted({"approval_id": approval_id, "status": "rejected"})


async def expire_approvals(guard: Guard) -> list[str]:
    """Mark every pending request past its expiry as expired (audited); returns their ids."""
    return await run_in_thread(_expire_tx, guard, guard.clock.now())


def _expire_tx(guard: Guard, now: datetime) -> list[str]:
    with guard.transaction(now) as tx:
        expired = approvals.expire_due(tx.conn, now)
        for approval_id in expired:
            args = {"approval_id": approval_id}
            tx.audit(
                AuditDraft(
                    now,
                    SYSTEM.name,
                    SYSTEM.role,
                    "approvals.expire",
                    args,
                    "expire",
                    approval_id=approval_id,
                )
            )
    return expired
