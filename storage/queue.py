"""A leased work queue over one table: the outbox and the webhook inbox are two of them.

An item moves `pending -> in_flight -> done`, or back to `pending` after a failure (exponential
backoff) and to `dead` once its attempts are spent or when it is parked; `requeue_dead` gives dead
items a fresh round. An item held back by a stop that is not about it (a tripped circuit breaker)
is `pending` again after a fixed delay without spending an attempt, so it is never dead-lettered
for it; its `last_error` starts with `HELD`, and `release_held` makes every held item due now.
A claim is a lease: an item whose lease ran out (its worker died) is due again. Every method
runs inside the caller's write transaction, which holds `WorkQueue.lock`.

The table carries `work_item_columns()` after its own columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from storage import columns

__all__ = ["HELD", "STATUSES", "WorkQueue", "retry_after_failure", "work_item_columns"]

STATUSES: Final = ("pending", "in_flight", "done", "dead")
HELD: Final = "held: "
"""How the `last_error` of a held item starts (see the module docstring)."""

_ERROR_CHARS: Final = 2000


def work_item_columns() -> list[sa.Column[Any]]:
    """The columns the queue reads and writes (fresh objects: a column belongs to one table)."""
    return [
        sa.Column("status", sa.String(16), nullable=False),  # pending | in_flight | done | dead
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        columns.created_at(),
        columns.updated_at(),
    ]


def retry_after_failure(
    attempts: int, max_attempts: int, base_delay: timedelta, max_delay: timedelta
) -> tuple[str, timedelta]:
    """After the `attempts`-th failure: `dead` once the budget is spent, else `pending` again
    after an exponential backoff capped at `max_delay`."""
    status = "dead" if attempts >= max_attempts else "pending"
    return status, min(max_delay, base_delay * (2 ** (attempts - 1)))


@dataclass(frozen=True)
class WorkQueue:
    """The queue operations over `table`; writers take `lock` (`Store.write(queue.lock)`)."""

    table: sa.Table
    lock: str

    def claim(
        self,
        conn: Connection,
        at: datetime,
        *,
        limit: int,
        lease: timedelta,
        where: Sequence[sa.ColumnElement[bool]] = (),
        statement: sa.Update | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Row[Any]]:
        """Lease up to `limit` due items (oldest first) that also match `where`, in one
        statement (`UPDATE ... WHERE id IN (the due ones) RETURNING`): the items as leased.
        An item whose lease ran out counts that lapsed lease as an attempt (its worker may
        have died mid-delivery), so `attempts > 0` tells a deliverer it is not the first.

        `statement`: `claim_statement(where)` built once by a caller that claims often, its
        `where` taking `params` (and the bound `at`)."""
        statement = self.claim_statement(where) if statement is None else statement
        values = {**(params or {}), "at": at, "limit": limit, "lease_until": at + lease}
        return sorted(conn.execute(statement, values).all(), key=lambda row: int(row.id))

    def claim_statement(self, where: Sequence[sa.ColumnElement[bool]] = ()) -> sa.Update:
        """The statement of `claim`, with bound `at`, `limit` and `lease_until`."""
        t = self.table
        at = sa.bindparam("at", type_=t.c.next_attempt_at.type)
        chosen = (
            sa.select(t.c.id)
            .where(self._claimable(at), *where)
            .order_by(t.c.id)
            .limit(sa.bindparam("limit", type_=sa.Integer))
        )
        lapsed = sa.case((t.c.status == "in_flight", 1), else_=0)
        return (
            t.update()
            .where(t.c.id.in_(chosen.scalar_subquery()))
            .values(
                status="in_flight",
                attempts=t.c.attempts + lapsed,
                lease_until=sa.bindparam("lease_until", type_=t.c.lease_until.type),
                updated_at=at,
            )
            .returning(*t.c)
        )

    def due_count(
        self, conn: Connection, at: datetime, where: Sequence[sa.ColumnElement[bool]] = ()
    ) -> int:
        """How many items a `claim` at `at` could lease (due, or their lease ran out)."""
        query = sa.select(sa.func.count()).select_from(self.table)
        return int(conn.execute(query.where(self._claimable(at), *where)).scalar_one())

    def release_lapsed(self, conn: Connection, at: datetime) -> None:
        """Every item whose lease ran out is pending again."""
        t = self.table
        conn.execute(
            t.update()
            .where(self._lapsed(at))
            .values(status="pending", lease_until=None, updated_at=at)
        )

    def complete(
        self,
        conn: Connection,
        results: Mapping[int, str | None],
        at: datetime,
        *,
        clear_error: bool = False,
    ) -> None:
        """Mark items done, each with its result text; `clear_error` forgets the last failure."""
        if not results:
            return
        conn.execute(
            _completing(self.table, clear_error),
            [
                {"item_id": item_id, "result": result, "at": at}
                for item_id, result in results.items()
            ],
        )

    def fail(
        self,
        conn: Connection,
        item_id: int,
        error: str,
        at: datetime,
        *,
        max_attempts: int,
        base_delay: timedelta,
        max_delay: timedelta,
    ) -> str:
        """Record a failed attempt: back off, or `dead` once the budget is spent; the status."""
        t = self.table
        attempts = conn.execute(sa.select(t.c.attempts).where(t.c.id == item_id)).scalar_one() + 1
        status, delay = retry_after_failure(attempts, max_attempts, base_delay, max_delay)
        conn.execute(
            t.update()
            .where(t.c.id == item_id)
            .values(
                status=status,
                attempts=attempts,
                lease_until=None,
                next_attempt_at=at + delay,
                last_error=error[:_ERROR_CHARS],
                updated_at=at,
            )
        )
        return status

    def park(self, conn: Connection, reasons: Mapping[int, str], at: datetime) -> None:
        """Move items straight to `dead` (retrying cannot help; a person has to look)."""
        self._set_aside(conn, reasons, at, status="dead", attempts=self.table.c.attempts + 1)

    def hold(
        self, conn: Connection, reasons: Mapping[int, str], at: datetime, delay: timedelta
    ) -> None:
        """Items held back by a stop that is not about them: pending again after `delay`, their
        attempts untouched (never dead for it), `last_error` the reason after `HELD`."""
        self._set_aside(
            conn, reasons, at, prefix=HELD, status="pending", next_attempt_at=at + delay
        )

    def _set_aside(
        self,
        conn: Connection,
        reasons: Mapping[int, str],
        at: datetime,
        *,
        prefix: str = "",
        **values: Any,
    ) -> None:
        """Unlease each item with `values` and its own reason (after `prefix`) as `last_error`."""
        if not reasons:
            return
        t = self.table
        conn.execute(
            t.update()
            .where(t.c.id == sa.bindparam("item_id"))
            .values(lease_until=None, last_error=sa.bindparam("reason"), updated_at=at, **values),
            [
                {"item_id": item_id, "reason": (prefix + reason)[:_ERROR_CHARS]}
                for item_id, reason in reasons.items()
            ],
        )

    def release_held(self, conn: Connection, at: datetime) -> int:
        """Every held item is due now (the stop was lifted); how many."""
        t = self.table
        held = sa.and_(t.c.status == "pending", t.c.last_error.startswith(HELD, autoescape=True))
        result = conn.execute(t.update().where(held).values(next_attempt_at=at, updated_at=at))
        return int(result.rowcount)

    def requeue(
        self,
        conn: Connection,
        at: datetime,
        *,
        statuses: Sequence[str] = ("dead",),
        ids: Sequence[int] | None = None,
    ) -> int:
        """Give items in `statuses` (all, or those of `ids`) a fresh round, due now; how many."""
        t = self.table
        query = t.update().where(t.c.status.in_(list(statuses)))
        if ids is not None:
            query = query.where(t.c.id.in_(list(ids)))
        result = conn.execute(
            query.values(status="pending", attempts=0, next_attempt_at=at, updated_at=at)
        )
        return int(result.rowcount)

    def listed(self, conn: Connection, statuses: Sequence[str], limit: int) -> list[Row[Any]]:
        """Items in `statuses`, oldest first."""
        t = self.table
        query = sa.select(t).where(t.c.status.in_(list(statuses))).order_by(t.c.id).limit(limit)
        return list(conn.execute(query).all())

    def counts(self, conn: Connection) -> dict[str, int]:
        """How many items each status has (absent: none)."""
        t = self.table
        rows = conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
        return {str(status): int(count) for status, count in rows}

    def _claimable(self, at: datetime | sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
        """Due, or leased by a worker whose lease ran out."""
        t = self.table
        return sa.or_(sa.and_(t.c.status == "pending", t.c.next_attempt_at <= at), self._lapsed(at))

    def _lapsed(self, at: datetime | sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
        t = self.table
        return sa.and_(t.c.status == "in_flight", t.c.lease_until < at)


@cache
def _completing(table: sa.Table, clear_error: bool) -> sa.Update:
    """`WorkQueue.complete`'s statement, built once per queue table (its bound `item_id`,
    `result` and `at`)."""
    values: dict[str, Any] = {
        "status": "done",
        "lease_until": None,
        "result": sa.bindparam("result", type_=table.c.result.type),
        "updated_at": sa.bindparam("at", type_=table.c.updated_at.type),
    }
    if clear_error:
        values["last_error"] = None
    return table.update().where(table.c.id == sa.bindparam("item_id")).values(**values)
