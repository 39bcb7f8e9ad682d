"""The normalized projection of a trial's world, its delta, and the comparison with a task's.

The projection keeps what a task can be graded on and drops what is generated (ids,
timestamps, free-text reasons): ids of the seeded story become names (`emma_novak`), programs
and tiers are named by code, memberships by `<member>/<program code>`.

    programs     PC01                → name, type, subscription
    tiers        PC01/G1             → name, ordering
    memberships  emma_novak/PC01     → state, tier (code), points (Mews), expiration_date,
                                       is_primary
    customers    emma_novak          → first_name, last_name, email, notes
    balances     emma_novak/PC01     → balance (the ledger's)
    ledger       [member, program, kind, points, balance_after, actor, source_type]
    approvals    [action, status, rule, requester, points, member, args]
    offers       [every column of an offer table but ids, times and free text; member]

The ledger's `opening_balance` entries are left out: they are written when a membership is
first seen, so they record the initial state, not a change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from evals.task_files import JsonValue, Record, StateDelta
from tools.sandbox.state import State

__all__ = [
    "KEYED",
    "LISTED",
    "Delta",
    "Mismatch",
    "Projection",
    "compare_delta",
    "delta",
    "matches",
    "project",
]

KEYED = ("programs", "tiers", "memberships", "customers", "balances")
LISTED = ("ledger", "approvals", "offers")
_DROPPED_COLUMNS = ("id", "created_at", "updated_at", "expires_at", "decided_at", "at", "rationale")


@dataclass
class Projection:
    keyed: dict[str, dict[str, Record]] = field(default_factory=dict)
    listed: dict[str, dict[str, Record]] = field(default_factory=dict)
    """List collections by an internal row key (never compared, only used to diff)."""

    def to_json(self) -> dict[str, Any]:
        return {
            **self.keyed,
            **{name: list(rows.values()) for name, rows in self.listed.items()},
        }


@dataclass
class Delta:
    """What changed: keyed collections by key (`None` = removed), lists as new records."""

    keyed: dict[str, dict[str, Record | None]] = field(default_factory=dict)
    new: dict[str, set[str]] = field(default_factory=dict)
    """Keys of keyed records that did not exist before (their whole record is in `keyed`)."""
    added: dict[str, list[Record]] = field(default_factory=dict)
    changed_rows: dict[str, list[Record]] = field(default_factory=dict)
    """Rows of list collections that existed before and changed (e.g. an approval decided)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: rows for name, rows in self.keyed.items() if rows}
        out.update({name: rows for name, rows in self.added.items() if rows})
        out.update({f"{name}~changed": rows for name, rows in self.changed_rows.items() if rows})
        return out

    @property
    def empty(self) -> bool:
        return not self.to_json()


@dataclass(frozen=True)
class Mismatch:
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


# ---------------------------------------------------------------------------- projecting


def project(state: State, engine: Engine, aliases: Mapping[str, str]) -> Projection:
    """The projection of the sandbox `state` and the store behind `engine`."""
    codes = {p.id: p.code for p in state.programs}
    tier_codes = {t.id: t.code for t in state.tiers}

    def name(identifier: str | None) -> str | None:
        if identifier is None:
            return None
        return aliases.get(identifier) or codes.get(identifier) or identifier

    projection = Projection()
    projection.keyed["programs"] = {
        p.code: {"name": p.name, "type": p.type, "subscription": p.subscription}
        for p in state.programs
        if p.active
    }
    projection.keyed["tiers"] = {
        f"{codes.get(t.program_id, t.program_id)}/{t.code}": {
            "name": t.name,
            "ordering": t.ordering,
        }
        for t in state.tiers
        if t.active
    }
    projection.keyed["memberships"] = {
        f"{name(m.account_id)}/{codes.get(m.program_id, m.program_id)}": {
            "state": m.state,
            "tier": tier_codes.get(m.tier_id or "", m.tier_id),
            "points": m.points,
            "expiration_date": m.expiration_date,
            "is_primary": m.is_primary,
        }
        for m in state.memberships
        if m.active
    }
    projection.keyed["customers"] = {
        name(c.id) or c.id: {
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": c.email,
            "notes": c.notes,
        }
        for c in state.customers
        if c.active
    }
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        _project_store(conn, tables, projection, name)
    return projection


def _project_store(conn: sa.Connection, tables: set[str], out: Projection, name: Any) -> None:
    members: dict[str, str] = {}
    if "loyalty_accounts" in tables:
        balances: dict[str, Record] = {}
        for row in conn.execute(sa.text("SELECT * FROM loyalty_accounts")).mappings():
            key = f"{name(row['customer_id'])}/{row['program_code']}"
            members[row["membership_id"]] = key
            balances[key] = {"balance": int(row["balance"])}
        out.keyed["balances"] = balances
    if "loyalty_entries" in tables:
        ledger: dict[str, Record] = {}
        query = "SELECT * FROM loyalty_entries WHERE kind <> 'opening_balance' ORDER BY id"
        for row in conn.execute(sa.text(query)).mappings():
            member, _, program = members.get(row["membership_id"], "?/?").partition("/")
            ledger[str(row["id"])] = {
                "member": member,
                "program": program,
                "kind": row["kind"],
                "points": int(row["points"]),
                "balance_after": int(row["balance_after"]),
                "actor": row["actor"],
                "source_type": row["source_type"],
            }
        out.listed["ledger"] = ledger
    if "policy_approvals" in tables:
        approvals: dict[str, Record] = {}
        for row in conn.execute(sa.text("SELECT * FROM policy_approvals")).mappings():
            args = _named(json.loads(row["args"]), name)
            approvals[row["id"]] = {
                "action": row["action"],
                "status": row["status"],
                "rule": row["rule"],
                "requester": row["requester"],
                "points": int(row["points"]),
                "member": _member_of(args),
                "args": args,
            }
        out.listed["approvals"] = approvals
    offers: dict[str, Record] = {}
    for table in sorted(t for t in tables if "offer" in t):
        for index, row in enumerate(conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings()):
            record = {
                key: _named(_maybe_json(value), name)
                for key, value in row.items()
                if key not in _DROPPED_COLUMNS
            }
            record.setdefault("member", _member_of(record))
            offers[f"{table}/{row.get('id', index)}"] = record
    out.listed["offers"] = offers


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _named(value: Any, name: Any) -> Any:
    if isinstance(value, str):
        return name(value)
    if isinstance(value, list):
        return [_named(item, name) for item in value]
    if isinstance(value, dict):
        return {key: _named(item, name) for key, item in value.items()}
    return value


def _member_of(args: Any) -> str | None:
    if not isinstance(args, dict):
        return None
    for key in ("customer_id", "member", "account_id", "membership_id"):
        value = args.get(key)
        if isinstance(value, str):
            return value.removesuffix("_membership")
    return None


# ---------------------------------------------------------------------------- diffing


def delta(before: Projection, after: Projection) -> Delta:
    out = Delta()
    for name in KEYED:
        old, new = before.keyed.get(name, {}), after.keyed.get(name, {})
        changes: dict[str, Record | None] = {}
        for key in old.keys() - new.keys():
            changes[key] = None
        for key, record in new.items():
            previous = old.get(key)
            if previous is None:
                changes[key] = dict(record)
                out.new.setdefault(name, set()).add(key)
                continue
            diff = {f: v for f, v in record.items() if previous.get(f) != v}
            if diff:
                changes[key] = diff
        out.keyed[name] = dict(sorted(changes.items()))
    for name in LISTED:
        old_rows, new_rows = before.listed.get(name, {}), after.listed.get(name, {})
        out.added[name] = [row for key, row in new_rows.items() if key not in old_rows]
        out.changed_rows[name] = [
            row for key, row in new_rows.items() if key in old_rows and old_rows[key] != row
        ]
    return out


# ---------------------------------------------------------------------------- comparing


def matches(expected: JsonValue, actual: JsonValue) -> bool:
    """Whether `actual` has what `expected` says: dicts by subset, the rest by equality."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def compare_delta(
    expected: StateDelta, extra_approvals: Iterable[Record], actual: Delta
) -> list[Mismatch]:
    """Every way `actual` differs from `expected` (empty when they agree)."""
    problems: list[Mismatch] = []
    for name in KEYED:
        problems += _compare_keyed(
            name,
            getattr(expected, name),
            actual.keyed.get(name, {}),
            actual.new.get(name, set()),
        )
    for name in LISTED:
        wanted: list[Record] = list(getattr(expected, name))
        if name == "approvals":
            wanted += [{"status": "pending", **record} for record in extra_approvals]
        problems += _compare_listed(name, wanted, actual.added.get(name, []))
        for row in actual.changed_rows.get(name, []):
            problems.append(Mismatch(name, f"an existing record changed: {_short(row)}"))
    return problems


def _compare_keyed(
    name: str,
    expected: Mapping[str, Record | None],
    actual: Mapping[str, Record | None],
    new: set[str],
) -> list[Mismatch]:
    problems: list[Mismatch] = []
    for key in sorted(expected.keys() | actual.keys()):
        where = f"{name}.{key}"
        if key not in actual:
            problems.append(Mismatch(where, f"expected {_short(expected[key])}, nothing changed"))
        elif key not in expected:
            problems.append(Mismatch(where, f"unexpected change {_short(actual[key])}"))
        else:
            want, got = expected[key], actual[key]
            if want is None or got is None:
                if want is not got:
                    problems.append(Mismatch(where, f"expected {_short(want)}, got {_short(got)}"))
            elif key not in new and set(got) - set(want):
                extra = {f: got[f] for f in sorted(set(got) - set(want))}
                problems.append(Mismatch(where, f"unexpected change of {_short(extra)}"))
            elif not matches(want, got):
                problems.append(Mismatch(where, f"expected {_short(want)}, got {_short(got)}"))
    return problems


def _compare_listed(
    name: str, expected: Sequence[Record], actual: Sequence[Record]
) -> list[Mismatch]:
    pairing = _pair(list(expected), list(actual))
    problems: list[Mismatch] = []
    if pairing is None:
        problems.append(
            Mismatch(
                name,
                f"expected {len(expected)} new record(s) {_short(list(expected))}, "
                f"got {len(actual)}: {_short(list(actual))}",
            )
        )
    return problems


def _pair(expected: list[Record], actual: list[Record]) -> list[int] | None:
    """Match each expected record to a distinct actual one (all actual ones used), or None."""
    if len(expected) != len(actual):
        return None
    candidates = [[j for j, row in enumerate(actual) if matches(want, row)] for want in expected]
    order = sorted(range(len(expected)), key=lambda i: len(candidates[i]))
    used: set[int] = set()
    chosen: dict[int, int] = {}

    def place(position: int) -> bool:
        if position == len(order):
            return True
        i = order[position]
        for j in candidates[i]:
            if j not in used:
                used.add(j)
                chosen[i] = j
                if place(position + 1):
                    return True
                used.discard(j)
        return False

    if not place(0):
        return None
    return [chosen[i] for i in range(len(expected))]


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 400 else text[:400] + "..."
