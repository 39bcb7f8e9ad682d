"""The operating mode and the circuit breaker, as stored in the database.

The mode starts as the policy file says; once a manager sets it, the database's value wins
until set again (so every process sees the same mode). The breaker row holds whether it is
tripped, why, and when it was last reset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies.config import MODES, Mode, Policy
from policies.schema import state_table
from storage.canonical import canonical_json
from storage.clock import naive_utc, utc

__all__ = [
    "BreakerState",
    "ModeState",
    "PolicyState",
    "load_state",
    "set_breaker",
    "state_from_rows",
    "store_mode",
    "swap_breaker",
]


_SELECT = sa.select(state_table)


@dataclass(frozen=True)
class ModeState:
    mode: Mode
    source: Literal["file", "database"]
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class BreakerState:
    tripped: bool = False
    rule: str | None = None  # breaker.denials_per_hour | breaker.points_spike
    reason: str = ""
    tripped_at: str | None = None  # ISO UTC
    cause: str | None = None  # the principal whose calls tripped it
    reset_at: str | None = None
    reset_by: str | None = None

    def to_json(self) -> str:
        return canonical_json({k: v for k, v in asdict(self).items() if v not in (None, "")})

    @classmethod
    def from_json(cls, text: str) -> BreakerState:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)


@dataclass(frozen=True)
class PolicyState:
    mode: ModeState
    breaker: BreakerState
    breaker_text: str  # as stored: the expected value of a conditional update


def load_state(conn: Connection, policy: Policy) -> PolicyState:
    return state_from_rows(conn.execute(_SELECT), policy)


def state_from_rows(rows: Iterable[Any], policy: Policy) -> PolicyState:
    """The state from `policy_state` rows (name, value, updated_at, updated_by)."""
    by_name = {row.name: row for row in rows}
    mode = ModeState(policy.mode, "file")
    stored = by_name.get("mode")
    if stored is not None and json.loads(stored.value) in MODES:
        mode = ModeState(
            cast(Mode, json.loads(stored.value)),
            "database",
            stored.updated_by,
            utc(stored.updated_at),
        )
    breaker_text = by_name["breaker"].value
    return PolicyState(mode, BreakerState.from_json(breaker_text), breaker_text)


def store_mode(conn: Connection, mode: Mode, *, by: str, now: datetime) -> None:
    t = state_table
    values = {
        "value": json.dumps(mode),
        "updated_at": naive_utc(now),
        "updated_by": by,
    }
    if conn.execute(t.update().where(t.c.name == "mode").values(**values)).rowcount == 0:
        conn.execute(t.insert().values(name="mode", **values))


def set_breaker(conn: Connection, new: BreakerState, *, by: str, now: datetime) -> None:
    t = state_table
    conn.execute(
        t.update()
        .where(t.c.name == "breaker")
        .values(value=new.to_json(), updated_at=naive_utc(now), updated_by=by)
    )


def swap_breaker(
    conn: Connection, expected: str, new: BreakerState, *, by: str, now: datetime
) -> bool:
    """Replace the breaker state if it is still `expected` (two trips racing: one wins)."""
    t = state_table
    result = conn.execute(
        t.update()
        .where(t.c.name == "breaker", t.c.value == expected)
        .values(value=new.to_json(), updated_at=naive_utc(now), updated_by=by)
    )
    return result.rowcount == 1
