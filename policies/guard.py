"""The guard: the only way a loyalty write happens, and the audit of every read.

    guard = Guard(store, policy, [award_spec])
    outcome = await guard.submit(principal, "award_points", {"membership_id": "m1", "points": 50})
    match outcome:
        case Posted(result): ...
        case PendingApproval(approval_id, rule, reason, expires_at): ...
        case Denied(rule, reason): ...

A write's life, in one transaction holding its locks (`member:`, `principal:`, `program:` for
goodwill, `idem:` and the action's own; the audit chain's head row last):

    idempotency lookup -> decide -> deny: audit (and maybe trip the breaker)
                                 -> needs approval: queue it, Mews task, audit
                                 -> allow: execute in a savepoint, record cap usage, store the
                                    outcome, note agent writes in Mews, audit (maybe trip the
                                    breaker on a points spike)

A request refused before the policy decides (an unknown action, a bad idempotency key, or
`describe` raising: invalid arguments, an unknown or ineligible member) is audited as
`rejected` with the reason, then raised. An executor that raises is rolled back to its
savepoint; the failure is audited and committed, then raised to the caller. (A fresh key is
not looked up again inside the transaction, nor given a savepoint: the record's primary key
refuses a concurrent twin, and any failure rolls the whole run back to run again, looking and
with its savepoint.) Database work
runs in a worker thread, so a busy database does not stall the event loop. What a run leaves
besides its audit record: `policies.run_records`. Deciding approvals:
`policies.approval_desk.ApprovalDesk(guard)`; mode and breaker: `policies.controls.Controls(guard)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence, Sized
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from policies import approvals, audit, audit_keys, breaker, idempotency
from policies._tx import (
    Failure,
    Run,
    Tx,
    error_summary,
    outcome_record,
    raise_failure,
    run_in_thread,
    transaction,
)
from policies.approvals import NewApproval
from policies.audit import AuditDraft
from policies.config import Permission, Policy
from policies.decision import (
    Action,
    Allow,
    Context,
    Deny,
    Facts,
    NeedsApproval,
    Propose,
    Usage,
    decide,
)
from policies.errors import InvalidRequestError, UnknownActionError
from policies.outcomes import Denied, Outcome, PendingApproval, Posted, Proposed
from policies.principals import Principal, resolve_principal
from policies.read_audit import ReadAudits
from policies.run_records import bind_outcome, note_in_mews, record_failure
from policies.specs import ActionSpec, External, Transactional
from policies.state import PolicyState, load_state
from policies.usage import (
    day_window,
    issued_on_days,
    record_usage,
    release_usage,
    state_and_usage_today,
    usage_today,
)
from storage.canonical import JSONObject, JSONValue, NotJSONError, canonical_json, to_jsonable
from storage.clock import Clock, SystemClock
from storage.store import Store

__all__ = ["Guard"]

T = TypeVar("T")
_FROM_ENV: Any = object()


class Guard:
    def __init__(
        self,
        store: Store,
        policy: Policy,
        actions: Iterable[ActionSpec] = (),
        *,
        clock: Clock | None = None,
        audit_key: bytes | None = _FROM_ENV,
        read_audit_batch: int = 1,
    ) -> None:
        """`audit_key` defaults to the policy's key (`policies.audit_keys.resolve`);
        `read_audit_batch`: read records appended together (`policies.read_audit`)."""
        self.store = store
        self.policy = policy
        self.clock: Clock = clock or SystemClock()
        self.audit_key: bytes | None = (
            audit_keys.resolve(policy, store) if audit_key is _FROM_ENV else audit_key
        )
        self._specs: dict[str, ActionSpec] = {}
        self.read_audits = ReadAudits(self._append_all, batch=read_audit_batch)
        for spec in actions:
            self.register(spec)

    # ------------------------------------------------------------------ registry, principals
    def register(self, spec: ActionSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"action {spec.name!r} is registered twice")
        self._specs[spec.name] = spec

    def spec(self, name: str) -> ActionSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownActionError(name) from None

    def principal(self, name: str) -> Principal:
        return resolve_principal(self.policy, name)

    def state(self, tx: Tx) -> PolicyState:
        """Mode and breaker as this transaction sees them (read once)."""
        if tx.state is None:
            tx.state = load_state(tx.conn, self.policy)
        return tx.state

    def transaction(self, now: datetime, *lock_keys: str) -> AbstractContextManager[Tx]:
        """A write transaction whose audit records join the chain just before commit."""
        return transaction(self.store, self.audit_key, now, *lock_keys)

    # ------------------------------------------------------------------ reads
    async def read(
        self,
        principal: Principal,
        action_name: str,
        args: JSONObject,
        fn: Callable[[], Awaitable[T]],
        *,
        requires: tuple[Permission, ...] = (),
    ) -> T | Denied:
        """Check the role (and the permissions `requires` names beyond reading), run `fn`,
        audit the call (arguments redacted, result counted)."""
        now = self.clock.now()
        base = AuditDraft(now, principal.name, principal.role, action_name, args, "allow")
        action = Action(action_name, "read", Facts(requires=requires))
        decision = decide(action, principal, Context(self.policy.mode), self.policy)
        if isinstance(decision, Deny):
            return await run_in_thread(self._deny_alone, base, decision, principal)
        try:
            value = await fn()
        except Exception as exc:  # audited, then raised again
            await run_in_thread(
                self._append,
                dataclasses.replace(base, decision="failed", result=error_summary(exc)),
            )
            raise
        await self.read_audits.add(dataclasses.replace(base, result=_read_summary(value)))
        audit.count_in_call_scope(1)  # recorded for this call, even if appended in a batch
        return value

    async def record_rejection(
        self,
        principal: Principal,
        action_name: str,
        args: Mapping[str, Any],
        reason: BaseException | str,
        *,
        at: datetime | None = None,
    ) -> None:
        """Audit a call refused before the policy decided (decision `rejected`, the reason)."""
        text = reason if isinstance(reason, str) else str(error_summary(reason)["error"])
        draft = AuditDraft(
            at or self.clock.now(),
            principal.name,
            principal.role,
            action_name,
            to_jsonable(dict(args)),
            "rejected",
            reason=text[:1000],
        )
        await run_in_thread(self._append, draft)

    def _append(self, draft: AuditDraft) -> None:
        with self.transaction(draft.at) as tx:
            tx.audit(draft)

    def _append_all(self, drafts: Sequence[AuditDraft]) -> None:
        with self.transaction(drafts[-1].at) as tx:
            for draft in drafts:
                tx.audit(draft)

    def _deny_alone(self, base: AuditDraft, decision: Deny, who: Principal) -> Denied:
        with self.transaction(base.at, f"principal:{who.name}") as tx:
            return self.deny(tx, base, decision, self.state(tx), who)

    # ------------------------------------------------------------------ writes
    async def submit(
        self,
        principal: Principal,
        action_name: str,
        args: JSONObject,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Decide and, if allowed, execute a write; one idempotency key executes at most once."""
        try:
            spec = self.spec(action_name)
            if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
                raise InvalidRequestError("idempotency_key must have 1 to 200 characters")
        except Exception as exc:
            await self.record_rejection(principal, action_name, args, exc)
            raise
        now = self.clock.now()
        args_json = _canonical(args)
        day = day_window(now, self.policy.tz).day
        key = idempotency_key or self._derived_key(spec, args_json, principal, day)
        digest = idempotency.request_hash(spec.name, args, principal.name)
        run = Run(
            spec,
            Action(spec.name, spec.kind),
            principal,
            principal,
            args,
            args_json,
            key,
            digest,
            now,
        )
        # A points write looks its key up in its transaction's first statement (with the
        # policy state and today's sums); any other looks first, inline, not in a thread: one
        # primary-key read that never waits on a writer's lock (SQLite WAL readers and
        # PostgreSQL reads do not block), and a hop costs ~0.4 ms.
        unread = spec.kind == "points" and not isinstance(spec.execute, External)
        stored = None if unread else self._lookup(key, digest)
        if stored is not None:  # a retry: answer without describing (reading Mews) again
            return await run_in_thread(self._replay, run, stored)
        try:
            facts = await spec.describe(args)
        except Exception as exc:  # refused before the decision: audited, then raised again
            # A retry is answered as it was, whatever describing it finds now.
            if unread and (stored := self._lookup(key, digest)) is not None:
                return await run_in_thread(self._replay, run, stored)
            await self.record_rejection(principal, action_name, args, exc, at=now)
            raise
        run = dataclasses.replace(run, action=Action(spec.name, spec.kind, facts))
        if isinstance(spec.execute, External):
            return await self.external(run, self._begin_submit)
        if unread and run.action.movement is None:  # no points move: no such statement
            unread = False
            if (stored := self._lookup(key, digest)) is not None:
                return await run_in_thread(self._replay, run, stored)
        try:
            outcome = await run_in_thread(
                self._submit_tx, dataclasses.replace(run, unused_key=True, key_unread=unread)
            )
        except (sa.exc.IntegrityError, _LookAgain):
            # Rolled back: maybe the same key came in concurrently and won. Run again, looking
            # first (a replay; or the same failure, recorded as usual).
            outcome = await run_in_thread(self._submit_tx, run)
        return raise_failure(outcome)

    def _derived_key(
        self, spec: ActionSpec, args_json: str, principal: Principal, day: date
    ) -> str:
        """The key of a call that gave none; past keys whose execution was undone are skipped."""
        generation = 0
        key = idempotency.derive_key(spec.name, args_json, principal.name, day)
        while spec.undone is not None and spec.undone(key):
            generation += 1
            key = idempotency.derive_key(spec.name, args_json, principal.name, day, generation)
        return key

    def item_key(
        self,
        action_name: str,
        item: JSONObject,
        principal: Principal,
        batch_key: str | None = None,
    ) -> str:
        """The idempotency key of one item of a batch (`policies.idempotency.item_key`)."""
        day = day_window(self.clock.now(), self.policy.tz).day
        return idempotency.item_key(action_name, _canonical(item), principal.name, day, batch_key)

    async def replay(self, principal: Principal, action_name: str, key: str) -> Outcome | None:
        """What an earlier request of `principal` under `key` answered, as a replay (audited);
        None when the key is new. For a batch item whose write is computed from state (a
        target balance posted as a difference): its retry is the same request."""
        with self.store.read() as conn:
            if idempotency.stored(conn, key, action=action_name, principal=principal.name) is None:
                return None
        return await run_in_thread(self._replay_key, principal, action_name, key)

    def _replay_key(self, principal: Principal, action_name: str, key: str) -> Outcome | None:
        now = self.clock.now()
        with self.transaction(now, f"idem:{key}") as tx:
            stored = idempotency.stored(tx.conn, key, action=action_name, principal=principal.name)
            if stored is None:  # not possible: a key is never freed once done
                return None
            approval_id = stored.approval_id if isinstance(stored, PendingApproval) else None
            tx.audit(
                AuditDraft(
                    now,
                    principal.name,
                    principal.role,
                    action_name,
                    {"idempotency_key": key},
                    "replayed",
                    result=outcome_record(stored),
                    approval_id=approval_id,
                    idempotency_key=key,
                )
            )
            return _as_replay(_as_it_stands(tx, stored))

    def _lookup(self, key: str, digest: str) -> Outcome | None:
        # One statement needs no snapshot (`Store.single`: no BEGIN and COMMIT round trips).
        # The write transaction looks again under its locks; this only spares a retry `describe`.
        with self.store.single() as conn:
            return idempotency.lookup(conn, key, digest)

    def _replay(self, run: Run, stored: Outcome) -> Outcome:
        with self.transaction(run.now) as tx:
            tx.audit(_replayed(run, stored))
            return _as_replay(_as_it_stands(tx, stored))

    def _submit_tx(self, run: Run) -> Outcome | Failure:
        with self.transaction(run.now, *run.lock_keys()) as tx:
            verdict = self._judge(tx, run)
            return self.execute(tx, run) if isinstance(verdict, Allow) else verdict

    def _begin_submit(self, run: Run) -> Outcome | Run:
        with self.transaction(run.now, *run.lock_keys()) as tx:
            verdict = self._judge(tx, run)
            if not isinstance(verdict, Allow):
                return verdict
            idempotency.mark_executing(
                tx.conn,
                run.key,
                run.digest,
                action=run.action.name,
                principal=run.principal.name,
                now=run.now,
            )
            self.start_external(tx, run)
        return run

    def _judge(self, tx: Tx, run: Run) -> Outcome | Allow:
        """Replay, deny or queue (recorded here), or Allow for the caller to execute."""
        stored = None if run.unused_key else idempotency.lookup(tx.conn, run.key, run.digest)
        usage = None
        if stored is None and run.action.movement is not None and tx.state is None:
            # mode, breaker, the day's sums (and the key, unless submit looked) in one statement
            window = day_window(run.now, self.policy.tz)
            tx.state, usage, record = state_and_usage_today(
                tx.conn,
                run.action,
                run.principal.name,
                window,
                self.policy,
                key=run.key if run.key_unread else None,
            )
            if record is not None:
                stored = idempotency.recorded_outcome(
                    run.key, run.digest, record.request_hash, record.status, record.outcome
                )
        elif run.key_unread:
            stored = idempotency.lookup(tx.conn, run.key, run.digest)
        if stored is not None:
            tx.audit(_replayed(run, stored))
            return _as_replay(_as_it_stands(tx, stored))
        state = self.state(tx)
        context = self.context(tx, state, run, usage)
        decision = decide(run.action, run.principal, context, self.policy)
        if isinstance(decision, Deny):
            return self.deny(tx, run.draft("deny"), decision, state, run.actor)
        if isinstance(decision, NeedsApproval):
            return self._queue(tx, run, decision)
        if isinstance(decision, Propose):
            proposal = Proposed(decision.rule, decision.reason, run.action.facts.note)
            tx.audit(run.draft("proposed", result=outcome_record(proposal), ruling=decision))
            return proposal
        return decision

    def context(
        self, tx: Tx, state: PolicyState, run: Run, usage_now: Usage | None = None
    ) -> Context:
        """What `decide` needs; `usage_now`: today's sums for this run, read already."""
        usage = Usage()
        if run.action.movement is not None:
            window = day_window(run.now, self.policy.tz)
            if usage_now is None:
                usage_now = usage_today(tx.conn, run.action, run.principal.name, window)
            usage = tx.usage = usage_now
        return Context(
            mode=state.mode.mode,
            breaker_tripped=state.breaker.tripped,
            breaker_reason=state.breaker.reason,
            breaker_cause=_denials_cause(state),
            usage=usage,
            approved=run.approval_id is not None,
        )

    def deny(
        self,
        tx: Tx,
        base: AuditDraft,
        decision: Deny,
        state: PolicyState,
        who: Principal,
        *,
        counts: bool = True,
    ) -> Denied:
        """Audit a denial; `counts` towards the breaker's denials per hour of `who`."""
        tx.audit(
            dataclasses.replace(base, decision="deny", rule=decision.rule, reason=decision.reason)
        )
        if counts:
            tx.audit(
                breaker.check_denials(tx.conn, self.policy, state, principal=who.name, now=tx.now)
            )
        return Denied(decision.rule, decision.reason)

    def refuse_by_role(
        self, tx: Tx, base: AuditDraft, action: Action, who: Principal, state: PolicyState
    ) -> Denied | None:
        """Decide a control action (approval decision, mode, breaker) by the role alone, so
        read-only mode and a tripped breaker never lock a manager out: the denial, or None."""
        decision = decide(action, who, Context(state.mode.mode), self.policy)
        return self.deny(tx, base, decision, state, who) if isinstance(decision, Deny) else None

    def _queue(self, tx: Tx, run: Run, decision: NeedsApproval) -> PendingApproval:
        if run.spec.on_queue is not None:
            run.spec.on_queue(tx.conn, run.args, run.exec_context())
        request = NewApproval(
            action=run.action.name,
            args_json=run.args_json,
            requester=run.principal.name,
            requester_role=run.principal.role,
            rule=decision.rule,
            reason=decision.reason,
            note=run.action.facts.note,
            points=run.action.facts.points,
            idempotency_key=run.key,
            created_at=run.now,
            expires_at=run.now + self.policy.approvals.expiry,
            enterprise_id=run.action.facts.enterprise_id,
        )
        approval = approvals.create(tx.conn, request)
        outcome = PendingApproval(approval.id, decision.rule, decision.reason, approval.expires_at)
        bind_outcome(tx, run, outcome)
        record = outcome_record(outcome)
        tx.audit(
            run.draft("needs_approval", result=record, approval_id=approval.id, ruling=decision)
        )
        return outcome

    # ------------------------------------------------------------------ execution
    def execute(self, tx: Tx, run: Run) -> Outcome | Failure:
        """Run a transactional executor in a savepoint and account for what it did. A run
        that did not look its key up (`Run.unused_key`) needs no savepoint: if the executor
        raises, `submit` rolls the whole transaction back and runs it again, looking."""
        execute = run.spec.execute
        assert isinstance(execute, Transactional)
        if run.unused_key:  # a failure rolls everything back (and runs again): no savepoint
            try:
                raw = execute.fn(tx.conn, run.args, run.exec_context())
            except Exception as exc:
                raise _LookAgain from exc
        else:
            try:
                with tx.conn.begin_nested():
                    raw = execute.fn(tx.conn, run.args, run.exec_context())
            except Exception as exc:  # audited and committed, then raised again by the caller
                record_failure(tx, run, exc)
                return Failure(exc)
        self._use(tx, run)
        return self._posted(tx, run, raw, decision="allow")

    def start_external(self, tx: Tx, run: Run) -> None:
        """Before calling out: reserve the cap usage and audit the call as executing."""
        self._use(tx, run)
        tx.audit(run.draft("allow", result={"status": "executing"}))

    async def external(self, run: Run, begin: Callable[[Run], Outcome | Run]) -> Outcome:
        """Decide (`begin`, one transaction), call out, record the result (a second one)."""
        started = await run_in_thread(begin, run)
        if not isinstance(started, Run):
            return started
        execute = run.spec.execute
        assert isinstance(execute, External)
        try:
            raw = await execute.fn(run.args, run.exec_context())
        except Exception as exc:  # audited, then raised again
            await run_in_thread(self._end_external, run, None, exc)
            raise
        return raise_failure(await run_in_thread(self._end_external, run, raw, None))

    def _end_external(self, run: Run, raw: object, error: Exception | None) -> Outcome | Failure:
        began = self._day(run.now)
        run = dataclasses.replace(run, now=self.clock.now())
        with self.transaction(run.now, *run.lock_keys()) as tx:
            return self.finish_external(tx, run, raw, error, began=began)

    def finish_external(
        self, tx: Tx, run: Run, raw: object, error: Exception | None, *, began: date
    ) -> Outcome | Failure:
        """Record how an external call ended: `raw` its result, or `error` when nothing
        happened in Mews (`began`: the day its cap usage was reserved)."""
        if error is None:
            return self._posted(tx, run, raw, decision="executed")
        # A clean failure: nothing happened in Mews, so the key and the cap are freed.
        if run.approval_id is None:
            idempotency.forget(tx.conn, run.key)
        if run.counts_for_caps():
            release_usage(
                tx.conn,
                run.action,
                principal=run.principal.name,
                day=began,
                idempotency_key=run.key,
            )
        record_failure(tx, run, error)
        return Failure(error)

    def _day(self, at: datetime) -> date:
        return day_window(at, self.policy.tz).day

    def _use(self, tx: Tx, run: Run) -> None:
        if run.counts_for_caps():
            record_usage(
                tx.conn,
                run.action,
                principal=run.principal.name,
                at=run.now,
                day=self._day(run.now),
                idempotency_key=run.key,
                approval_id=run.approval_id,
            )

    def _posted(self, tx: Tx, run: Run, raw: object, *, decision: str) -> Posted:
        outcome = Posted(to_jsonable(raw))
        bind_outcome(tx, run, outcome, marked=decision == "executed")
        if run.approval_id is not None:
            result = _canonical(outcome.result)
            approvals.finish(tx.conn, run.approval_id, result=result)
        note_in_mews(tx, run)
        tx.audit(run.draft(decision, result=outcome.result))
        if run.action.issues_points:
            tx.audit(
                breaker.check_spike(
                    tx.conn,
                    self.policy,
                    self.state(tx),
                    issued=self._issued_today(tx, run),
                    principal=run.principal.name,
                    now=tx.now,
                )
            )
        return outcome

    def _issued_today(self, tx: Tx, run: Run) -> int:
        """All points issued today, this run's included."""
        if tx.usage is not None:  # summed before deciding, in this transaction
            return tx.usage.issued_today + run.action.facts.points
        today = self._day(tx.now)  # an external call: recorded when it began
        return issued_on_days(tx.conn, today, today + timedelta(days=1))


class _LookAgain(Exception):  # noqa: N818 (a signal, not an error)
    """An executor failed in a run that did not look its key up (`Run.unused_key`)."""


def _replayed(run: Run, stored: Outcome) -> AuditDraft:
    approval_id = stored.approval_id if isinstance(stored, PendingApproval) else None
    return run.draft("replayed", result=outcome_record(stored), approval_id=approval_id)


def _as_it_stands(tx: Tx, stored: Outcome) -> Outcome:
    """A replayed approval request answers with what became of it: an approved and executed
    request is posted (its result), a refused one denied; only a waiting one is pending."""
    if not isinstance(stored, PendingApproval):
        return stored
    approval = approvals.get(tx.conn, stored.approval_id)
    status = approval.status_at(tx.now)
    if status == "executed":
        return Posted(approval.result)
    if status == "pending":
        return stored
    why = approval.error or f"decided by {approval.decided_by or 'expiry'}"
    return Denied(f"approvals.{status}", f"approval {approval.id} was {status}: {why}")


def _denials_cause(state: PolicyState) -> str | None:
    """The principal a denials trip is scoped to; None for a global trip (a points spike)."""
    breaker = state.breaker
    return breaker.cause if breaker.rule == "breaker.denials_per_hour" else None


def _as_replay(stored: Outcome) -> Outcome:
    """A posted write answered again says so: `{"status": "posted", "replayed": true, ...}`."""
    return dataclasses.replace(stored, replayed=True) if isinstance(stored, Posted) else stored


def _read_summary(value: object) -> JSONObject | None:
    """Reads are audited cheaply: how many items came back, not what they were."""
    if isinstance(value, Sized) and not isinstance(value, str | bytes | Mapping):
        return {"items": len(value)}
    return None


def _canonical(value: JSONValue) -> str:
    """The canonical JSON of a caller's arguments or an executor's result; a value without one
    is the caller's mistake, refused as an invalid request."""
    try:
        return canonical_json(value)
    except NotJSONError as exc:
        raise InvalidRequestError(str(exc)) from None
