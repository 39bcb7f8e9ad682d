"""The circuit breaker: stops agent-kind writes when something looks like a runaway.

It trips, inside the transaction of the call that crosses the line, when

- `breaker.denials_per_hour`: one principal collects N denials within an hour (denials by the
  breaker itself do not count, nor any from before the last reset, or a reset would trip again
  at the next denial); or
- `breaker.points_spike`: points issued today (all guarded points movements, policy time zone)
  exceed `spike_multiple` times the trailing daily average over `trailing_days` days, where the
  average counts as at least `min_daily_baseline` (a quiet start must not trip it).

Tripped, it denies writes of agent-kind principals (`rule="circuit_breaker"`); staff keep
working. A denials trip is scoped to the principal that caused it (and the assistant acting for
them, see `policies.decision`): one person's refused awards do not stop the chain's stay points.
A spike trip stops every agent-kind principal. A manager resets it. Trips and resets are audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies.audit import AuditDraft
from policies.config import Policy
from policies.principals import SYSTEM
from policies.schema import audit_table
from policies.state import BreakerState, PolicyState, swap_breaker
from policies.usage import day_window, issued_on_days
from storage.clock import naive_utc, utc

__all__ = ["check_denials", "check_spike", "reset_state"]

_WINDOW = timedelta(hours=1)
_DENIALS = sa.select(sa.func.count()).where(
    audit_table.c.principal == sa.bindparam("principal"),
    audit_table.c.decision == "deny",
    audit_table.c.at > sa.bindparam("since"),
    # the breaker's own denials are its effect, not a new cause
    sa.not_(audit_table.c.rule.like("circuit_breaker%")),
)


def check_denials(
    conn: Connection, policy: Policy, state: PolicyState, *, principal: str, now: datetime
) -> AuditDraft | None:
    """After a denial (whose record is not appended yet): trip if it is the Nth this hour."""
    if state.breaker.tripped:
        return None
    since = utc(now) - _WINDOW
    if state.breaker.reset_at is not None:
        since = max(since, utc(datetime.fromisoformat(state.breaker.reset_at)))
    params = {"principal": principal, "since": naive_utc(since)}
    earlier = conn.execute(_DENIALS, params).scalar_one()
    denials = int(earlier) + 1
    limit = policy.breaker.denials_per_hour
    if denials < limit:
        return None
    reason = f"{principal} collected {denials} denials within an hour (limit {limit})"
    return _trip(conn, state, "breaker.denials_per_hour", reason, cause=principal, now=now)


def check_spike(
    conn: Connection,
    policy: Policy,
    state: PolicyState,
    *,
    issued: int,
    principal: str,
    now: datetime,
) -> AuditDraft | None:
    """After points were issued (`issued` today, these included): trip if far above the usual."""
    if state.breaker.tripped:
        return None
    config = policy.breaker
    if issued <= config.spike_multiple * config.min_daily_baseline:
        return None  # cannot be a spike whatever the history: skip the trailing sum
    today = day_window(now, policy.tz).day
    first = today - timedelta(days=config.trailing_days)
    average = issued_on_days(conn, first, today) / config.trailing_days
    limit = config.spike_multiple * max(average, config.min_daily_baseline)
    if issued <= limit:
        return None
    reason = (
        f"{issued} points issued today, above {config.spike_multiple:g}x the daily average "
        f"of {max(average, config.min_daily_baseline):.0f}"
    )
    return _trip(conn, state, "breaker.points_spike", reason, cause=principal, now=now)


def _trip(
    conn: Connection, state: PolicyState, rule: str, reason: str, *, cause: str, now: datetime
) -> AuditDraft | None:
    tripped = BreakerState(
        tripped=True,
        rule=rule,
        reason=reason,
        tripped_at=utc(now).isoformat(),
        cause=cause,
        reset_at=state.breaker.reset_at,
        reset_by=state.breaker.reset_by,
    )
    if not swap_breaker(conn, state.breaker_text, tripped, by=SYSTEM.name, now=now):
        return None  # another call tripped it first, and audited that
    return AuditDraft(
        at=now,
        principal=SYSTEM.name,
        role=SYSTEM.role,
        action="breaker.trip",
        args={"cause": cause},
        decision="trip",
        rule=rule,
        reason=reason,
    )


def reset_state(state: PolicyState, *, by: str, now: datetime) -> BreakerState:
    return BreakerState(tripped=False, reset_at=utc(now).isoformat(), reset_by=by)
