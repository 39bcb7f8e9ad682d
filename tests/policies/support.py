"""Builders for the policy tests: policies with a few values changed, and trivial actions.

The award action is transactional: it inserts a row into `test_awards` in the guard's
transaction, so a test (or a process in the concurrency test) can count what really posted.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, External, Facts, Policy, Transactional
from policies.config import DEFAULT_POLICY_PATH
from policies.schema import POLICIES
from storage.canonical import JSONObject
from storage.outbox import OUTBOX
from storage.store import Component, Store

# Monday 10 March 2025, 10:00 in Prague (UTC+1; summer time starts on 30 March).
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
MEMBER = "m-1"
PROGRAM = "prog-1"
CUSTOMER = "cust-1"

_metadata = sa.MetaData()
awards_table = sa.Table(
    "test_awards",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("membership_id", sa.String(64), nullable=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("principal", sa.String(64), nullable=False),
)


def _create_awards(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[awards_table])


TEST_AWARDS = Component("test_awards", [_create_awards])


def migrated(url: str) -> Store:
    store = Store(url)
    store.migrate([OUTBOX, POLICIES, TEST_AWARDS])
    return store


def policy_data(**changes: Any) -> dict[str, Any]:
    """The shipped policy as a dict, with tables merged key by key."""
    data = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    _merge(data, changes)
    return data


def make_policy(**changes: Any) -> Policy:
    return Policy.model_validate(policy_data(**changes))


def _merge(into: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def award_args(points: int, membership_id: str = MEMBER, **more: Any) -> JSONObject:
    return {"membership_id": membership_id, "points": points, **more}


async def describe_award(args: JSONObject) -> Facts:
    points = int(args["points"])
    return Facts(
        points=points,
        goodwill=bool(args.get("goodwill", False)),
        variance=args.get("variance"),
        tier_downgrade=bool(args.get("tier_downgrade", False)),
        membership_id=args.get("membership_id"),
        program_id=args.get("program_id", PROGRAM),
        customer_id=args.get("customer_id"),
        note=f"{points:+d} points on membership {args.get('membership_id')}",
    )


def insert_award(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
    if args.get("explode"):
        conn.execute(
            awards_table.insert().values(
                idempotency_key=f"partial-{ctx.idempotency_key}",
                membership_id=args.get("membership_id"),
                points=0,
                principal=ctx.principal.name,
            )
        )
        raise RuntimeError("ledger refused: insufficient points for jane@example.com")
    result = conn.execute(
        awards_table.insert().values(
            idempotency_key=ctx.idempotency_key,
            membership_id=args.get("membership_id"),
            points=int(args["points"]),
            principal=ctx.principal.name,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return {"award_id": int(key[0]), "points": int(args["points"])}


AWARD = ActionSpec("award_points", "points", Transactional(insert_award), describe_award)
ADJUST = ActionSpec("adjust_points", "points", Transactional(insert_award), describe_award)


async def describe_delete(args: JSONObject) -> Facts:
    return Facts(membership_id=args.get("membership_id"), note="delete a membership")


def delete_membership(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
    return {"deleted": args["membership_id"]}


DELETE = ActionSpec(
    "delete_loyalty_memberships", "delete", Transactional(delete_membership), describe_delete
)


class FakeMews:
    """An external executor that records its calls; `fail` makes the next call raise."""

    def __init__(self) -> None:
        self.calls: list[JSONObject] = []
        self.fail: BaseException | None = None

    async def update_program(self, args: JSONObject, ctx: ExecContext) -> JSONObject:
        self.calls.append(args)
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        return {"updated": args["program_id"]}

    def spec(self) -> ActionSpec:
        return ActionSpec("update_loyalty_programs", "admin", External(self.update_program))


def award_rows(store: Store) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(sa.select(awards_table).order_by(awards_table.c.id)))
