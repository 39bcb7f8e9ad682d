"""Windowed sums for the daily caps: posted points movements, summed per calendar day.

A day is a calendar day in the policy's time zone (a hotel's "today"), from local midnight to
the next local midnight: 23 or 25 hours long on daylight-saving days. Each posted movement is
recorded inside the transaction that posts it, so a cap and the write it allows commit together
or not at all:

- `policy_usage`, the log: one row per movement (member, principal, program, goodwill, signed
  points, time, idempotency key, approval id);
- `policy_usage_daily`, running totals of issued points per local day and scope (`member:<id>`,
  `principal:<name>`, `goodwill:<program>`, `all`), and of points deducted from a member
  (`member_out:<id>`, a positive number), derived from the log, so that a cap check reads a few
  rows by primary key whatever the day's volume (summing the log cost a scan of the day's rows on
  every write).

Issued and deducted points are separate totals: see `policies.decision` for why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from policies.config import Policy
from policies.decision import Action, Usage
from policies.schema import idempotency_table, state_table, usage_daily_table, usage_table
from policies.state import PolicyState, state_from_rows
from storage.clock import naive_utc, utc

__all__ = [
    "DayWindow",
    "KeyRecord",
    "day_window",
    "issued_on_days",
    "record_usage",
    "release_usage",
    "state_and_usage_today",
    "usage_today",
]


@dataclass(frozen=True)
class DayWindow:
    day: date
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return utc(datetime.combine(day, time(0), tzinfo=tz))


def day_window(now: datetime, tz: ZoneInfo, *, days_back: int = 0) -> DayWindow:
    """The local calendar day of `now` (or `days_back` days before it) as a UTC interval."""
    day = utc(now).astimezone(tz).date() - timedelta(days=days_back)
    return DayWindow(day, _local_midnight(day, tz), _local_midnight(day + timedelta(days=1), tz))


_d = usage_daily_table
# Built once: every points write runs them (building a statement cost more than running it).
_TODAY = sa.select(_d.c.scope, _d.c.key, _d.c.issued).where(
    _d.c.day == sa.bindparam("day"),
    sa.tuple_(_d.c.scope, _d.c.key).in_(sa.bindparam("scopes", expanding=True)),
)
_DAYS = sa.select(sa.func.coalesce(sa.func.sum(_d.c.issued), 0)).where(
    _d.c.scope == "all",
    _d.c.key == "",
    _d.c.day >= sa.bindparam("first"),
    _d.c.day < sa.bindparam("until"),
)
_LOG = usage_table.insert()
_s = state_table
_STATE_AND_TODAY = sa.union_all(
    sa.select(
        sa.literal("state").label("source"),
        _s.c.name,
        _s.c.value,
        _s.c.updated_at,
        _s.c.updated_by,
        sa.cast(sa.null(), sa.Integer).label("issued"),
    ),
    sa.select(
        sa.literal("usage"),
        _d.c.scope,
        _d.c.key,
        sa.cast(sa.null(), sa.DateTime),
        sa.cast(sa.null(), sa.String),
        _d.c.issued,
    ).where(
        _d.c.day == sa.bindparam("day"),
        sa.tuple_(_d.c.scope, _d.c.key).in_(sa.bindparam("scopes", expanding=True)),
    ),
)
"""Mode, breaker and today's sums in one statement: a points write decides on all three."""
_i = idempotency_table
_STATE_TODAY_AND_KEY: sa.CompoundSelect[Any] = sa.union_all(
    *_STATE_AND_TODAY.selects,
    sa.select(
        sa.literal("key"), _i.c.status, _i.c.outcome, _i.c.updated_at, _i.c.request_hash, sa.null()
    ).where(_i.c.key == sa.bindparam("key")),
)
"""The same and the record of an idempotency key (status, outcome, request hash), if any."""


@dataclass(frozen=True)
class KeyRecord:
    """What `state_and_usage_today` read of an idempotency key's record."""

    status: str
    outcome: str | None
    request_hash: str


def _add_statement(dialect: str) -> Any:
    """`INSERT ... ON CONFLICT DO UPDATE SET issued = issued + excluded.issued`."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_d)
    return statement.on_conflict_do_update(
        index_elements=[_d.c.day, _d.c.scope, _d.c.key],
        set_={"issued": _d.c.issued + statement.excluded.issued},
    )


_ADD = {name: _add_statement(name) for name in ("sqlite", "postgresql")}


def _scopes(action: Action, principal: str) -> list[tuple[str, str]]:
    facts = action.facts
    scopes = [("all", ""), ("principal", principal)]
    if facts.membership_id is not None:
        scopes.append(("member", facts.membership_id))
    if facts.goodwill:
        scopes.append(("goodwill", facts.program_id or ""))
    return scopes


def _out_scopes(action: Action) -> list[tuple[str, str]]:
    member = action.facts.membership_id
    return [] if member is None else [("member_out", member)]


def usage_today(conn: Connection, action: Action, principal: str, window: DayWindow) -> Usage:
    """What the caps of this action have used today, and all points issued today."""
    scopes = _scopes(action, principal) + _out_scopes(action)
    params = {"day": window.day.isoformat(), "scopes": scopes}
    totals = {row.scope: int(row.issued) for row in conn.execute(_TODAY, params)}
    return _usage(totals)


def _usage(totals: dict[str, int]) -> Usage:
    return Usage(
        member_today=totals.get("member", 0),
        principal_today=totals.get("principal", 0),
        program_goodwill_today=totals.get("goodwill", 0),
        issued_today=totals.get("all", 0),
        member_deducted_today=totals.get("member_out", 0),
    )


def state_and_usage_today(
    conn: Connection,
    action: Action,
    principal: str,
    window: DayWindow,
    policy: Policy,
    *,
    key: str | None = None,
) -> tuple[PolicyState, Usage, KeyRecord | None]:
    """`load_state` and `usage_today` in one statement; with `key`, the same statement reads
    that idempotency key's record too (None when the key is new)."""
    scopes = _scopes(action, principal) + _out_scopes(action)
    params: dict[str, Any] = {"day": window.day.isoformat(), "scopes": scopes}
    if key is not None:
        params["key"] = key
    statement = _STATE_AND_TODAY if key is None else _STATE_TODAY_AND_KEY
    rows = conn.execute(statement, params).all()
    state = state_from_rows((row for row in rows if row.source == "state"), policy)
    totals = {row.name: int(row.issued) for row in rows if row.source == "usage"}
    record = next(
        (KeyRecord(row.name, row.value, row.updated_by) for row in rows if row.source == "key"),
        None,
    )
    return state, _usage(totals), record


def issued_on_days(conn: Connection, first: date, until: date) -> int:
    """All points issued on the local days [first, until) (the breaker's trailing average)."""
    params = {"first": first.isoformat(), "until": until.isoformat()}
    return int(conn.execute(_DAYS, params).scalar_one())


def record_usage(
    conn: Connection,
    action: Action,
    *,
    principal: str,
    at: datetime,
    day: date,
    idempotency_key: str,
    approval_id: str | None = None,
) -> None:
    """Log a posted movement and, if it issues points, add them to the day's totals."""
    facts = action.facts
    conn.execute(
        _LOG,
        {
            "at": naive_utc(at),
            "action": action.name,
            "principal": principal,
            "membership_id": facts.membership_id,
            "program_id": facts.program_id,
            "goodwill": facts.goodwill,
            "points": facts.points,
            "approval_id": approval_id,
            "idempotency_key": idempotency_key,
        },
    )
    if facts.points > 0:
        _add(conn, action, principal, day, facts.points)
    elif action.deducts_points:
        _add_out(conn, action, day, -facts.points)


def release_usage(
    conn: Connection, action: Action, *, principal: str, day: date, idempotency_key: str
) -> None:
    """Take back what `record_usage` added for a call that then failed (an external write)."""
    t = usage_table
    conn.execute(
        t.delete().where(t.c.idempotency_key == idempotency_key, t.c.action == action.name)
    )
    if action.facts.points > 0:
        _add(conn, action, principal, day, -action.facts.points)
    elif action.deducts_points:
        _add_out(conn, action, day, action.facts.points)


def _add(conn: Connection, action: Action, principal: str, day: date, points: int) -> None:
    rows = [
        {"day": day.isoformat(), "scope": scope, "key": key, "issued": points}
        for scope, key in _scopes(action, principal)
    ]
    conn.execute(_ADD[conn.dialect.name], rows)


def _add_out(conn: Connection, action: Action, day: date, points: int) -> None:
    rows = [
        {"day": day.isoformat(), "scope": scope, "key": key, "issued": points}
        for scope, key in _out_scopes(action)
    ]
    if rows:
        conn.execute(_ADD[conn.dialect.name], rows)
