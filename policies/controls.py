"""Mode and breaker administration, beside the guard: reading them, switching the mode and
resetting the breaker.

Each change is itself a guarded, audited action (kinds `mode`, `breaker`) decided by the role
alone, so read-only mode and a tripped breaker never lock a manager out of the controls.

    controls = Controls(guard)
    outcome = await controls.set_mode(manager, "recommend")
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from policies._tx import run_in_thread
from policies.audit import AuditDraft
from policies.breaker import reset_state
from policies.config import MODES, Mode
from policies.decision import Action
from policies.errors import InvalidRequestError
from policies.guard import Guard
from policies.outcomes import Outcome, Posted
from policies.principals import Principal
from policies.state import BreakerState, ModeState, load_state, set_breaker, store_mode
from storage.canonical import JSONObject

__all__ = ["Controls"]


class Controls:
    """The operating mode and the circuit breaker of everything sharing the guard's database."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def mode(self) -> ModeState:
        with self.guard.store.read() as conn:
            return load_state(conn, self.guard.policy).mode

    def breaker(self) -> BreakerState:
        with self.guard.store.read() as conn:
            return load_state(conn, self.guard.policy).breaker

    async def set_mode(self, principal: Principal, mode: str) -> Outcome:
        """Switch the operating mode for every process sharing the database (`change_mode`)."""
        if mode not in MODES:
            raise InvalidRequestError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        return await run_in_thread(self._set_mode_tx, principal, mode, self.guard.clock.now())

    async def reset_breaker(self, principal: Principal) -> Outcome:
        """Close a tripped circuit breaker (`reset_breaker`); audited even when not tripped."""
        return await run_in_thread(self._reset_tx, principal, self.guard.clock.now())

    def _set_mode_tx(self, principal: Principal, mode: Mode, now: datetime) -> Outcome:
        guard = self.guard
        with guard.transaction(now, "policy:mode") as tx:
            state = load_state(tx.conn, guard.policy)
            base = AuditDraft(
                now, principal.name, principal.role, "set_mode", {"mode": mode}, "allow"
            )
            refused = guard.refuse_by_role(tx, base, Action("set_mode", "mode"), principal, state)
            if refused is not None:
                return refused
            store_mode(tx.conn, mode, by=principal.name, now=now)
            result: JSONObject = {"mode": mode, "previous": state.mode.mode}
            tx.audit(dataclasses.replace(base, result=result))
            return Posted(result)

    def _reset_tx(self, principal: Principal, now: datetime) -> Outcome:
        guard = self.guard
        with guard.transaction(now, "policy:breaker") as tx:
            state = load_state(tx.conn, guard.policy)
            base = AuditDraft(now, principal.name, principal.role, "breaker.reset", {}, "allow")
            action = Action("breaker.reset", "breaker")
            refused = guard.refuse_by_role(tx, base, action, principal, state)
            if refused is not None:
                return refused
            by = principal.name
            set_breaker(tx.conn, reset_state(state, by=by, now=now), by=by, now=now)
            result: JSONObject = {"tripped": False, "was_tripped": state.breaker.tripped}
            if state.breaker.tripped:
                result["was"] = {"rule": state.breaker.rule, "reason": state.breaker.reason}
            tx.audit(dataclasses.replace(base, result=result))
            return Posted(result)
