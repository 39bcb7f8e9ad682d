"""Compare-before-push: a change made to `Points` in Mews is recorded, never overwritten.

Mews keeps one absolute `Points` number per membership and the ledger pushes absolute values, so
a plain push would overwrite whatever someone set in Mews Operations (or another system) since
our last push. So before each push the outbox dispatcher (`tools.loyalty.sync`) reads the
memberships' current `Points` (one `loyaltyMemberships/getAll` per batch) and compares them with
what this ledger knows Mews holds:

- `loyalty_mews_points` keeps, per membership, the `Points` Mews showed when the account was
  opened, then the last value Mews accepted from a push, with the ledger version it stood for
  (written by the account's opening and by the outbox settlement: no write of its own);
- plus the changes made in Mews that the ledger recorded since: entries with source `mews`, and
  reconcile's `adjust_ledger` adjustments (source `reconcile`), which follow Mews as well.

A difference that no push of ours explains is posted as an adjustment attributed to Mews (source
`mews`, actor `mews`, with an audit record) and the push carries the new balance, so the edit
survives in Mews and shows in the member's history. What counts as ours: the value recorded; and
when an earlier attempt to push the membership is unaccounted for (it failed, or its lease ran
out: a timeout or a crash after Mews applied it), any balance the ledger had since. Not always:
another ledger's push can land on a balance we had too (two awards of the same size).

Limits: Mews has no conditional update, so a change made in Mews between our read and our update
(milliseconds) is still overwritten. Two ledgers (two SQLite files on two machines) pushing to
one membership absorb each other's changes as external ones; `second_ledger_warning` says so when
the same membership changes outside this ledger again and again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.clock import naive_utc
from storage.store import chunks
from tools.loyalty.ledger_schema import accounts_table, entries_table, mews_points_table

__all__ = [
    "EXTERNAL_ACTOR",
    "FOLLOWING_MEWS",
    "SECOND_LEDGER_WINDOW",
    "Known",
    "external_change",
    "external_change_key",
    "known_points",
    "pushed_points",
    "record_opening",
    "record_pushed",
    "second_ledger_warning",
]

EXTERNAL_ACTOR: Final = "mews"
"""The actor (and audit principal) of an external change: it was made in Mews, not by us."""
SECOND_LEDGER_WINDOW: Final = timedelta(hours=24)
"""One membership changed outside this ledger twice within this window: rare for staff editing
Points by hand, what two ledgers alternating on one membership do at every push."""

FOLLOWING_MEWS: Final = frozenset({EXTERNAL_ACTOR, "reconcile"})
"""Sources of adjustments that record a change made in Mews (this module's, reconcile's)."""

_M = mews_points_table
_E = entries_table


@dataclass(frozen=True)
class Known:
    """What this ledger knows Mews holds for one membership."""

    points: int
    """The recorded value plus the external changes posted since."""
    ours: frozenset[int]
    """Values a push of ours may have left in Mews (the recorded one; later balances when an
    attempt is unaccounted for)."""


def external_change(known: Known, mews_points: int) -> int:
    """The change made in Mews outside this ledger (0: none)."""
    if mews_points == known.points or mews_points in known.ours:
        return 0
    return mews_points - known.points


def external_change_key(membership_id: str, version: int, mews_points: int) -> str:
    """One external adjustment per ledger state and Mews value seen."""
    return f"mews-change:{membership_id}:v{version}:{mews_points}"


def known_points(
    conn: Connection, membership_ids: Iterable[str], *, uncertain: Iterable[str] = ()
) -> dict[str, Known]:
    """`Known` for each membership with a record (accounts opened before it have none until
    their next push: those are not compared). `uncertain`: memberships with an earlier push
    attempt unaccounted for."""
    unsure = set(uncertain)
    ids = sorted(set(membership_ids))
    recorded: dict[str, int] = {}
    external: dict[str, int] = defaultdict(int)
    ours: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks(ids, 500):
        # One statement per chunk (its own snapshot: the record and the entries after it agree):
        # each record with the entries posted after it, or with NULLs when there are none.
        query = (
            sa.select(
                _M.c.membership_id,
                _M.c.points.label("recorded"),
                _E.c.kind,
                _E.c.points,
                _E.c.balance_after,
                _E.c.source_type,
            )
            .select_from(
                _M.outerjoin(
                    _E,
                    sa.and_(_E.c.membership_id == _M.c.membership_id, _E.c.sequence > _M.c.version),
                )
            )
            .where(_M.c.membership_id.in_(chunk))
        )
        for row in conn.execute(query):
            recorded[row.membership_id] = int(row.recorded)
            ours[row.membership_id].add(int(row.recorded))
            if row.kind is None:  # no entry since the record
                continue
            if row.membership_id in unsure:
                ours[row.membership_id].add(int(row.balance_after))
            if row.kind == "adjustment" and row.source_type in FOLLOWING_MEWS:
                external[row.membership_id] += int(row.points)
    return {m: Known(points + external[m], frozenset(ours[m])) for m, points in recorded.items()}


def record_opening(
    conn: Connection, membership_id: str, *, points: int, version: int, now: datetime
) -> None:
    """A new account: Mews showed `points` when it was opened (ledger version `version`)."""
    conn.execute(
        _M.insert().values(
            membership_id=membership_id, points=points, version=version, updated_at=naive_utc(now)
        )
    )


def pushed_points(result: Any) -> tuple[str, int, int] | None:
    """(membership, points, version) of a delivered balance push's result, else None."""
    if not isinstance(result, Mapping):
        return None
    membership_id, points, version = (
        result.get("LoyaltyMembershipId"),
        result.get("Points"),
        result.get("Version"),
    )
    if isinstance(membership_id, str) and isinstance(points, int) and isinstance(version, int):
        return membership_id, points, version
    return None


_RECORD_PUSHED: Final = (
    _M.update()
    .where(_M.c.membership_id == sa.bindparam("m"), _M.c.version <= sa.bindparam("v"))
    .values(
        points=sa.bindparam("p"),
        version=sa.bindparam("v"),
        updated_at=sa.bindparam("at", type_=_M.c.updated_at.type),
    )
)


def record_pushed(
    conn: Connection, pushed: Sequence[tuple[str, int, int]], *, now: datetime
) -> None:
    """Mews accepted these (membership, points, version): record them, in the settlement's
    transaction. A later version is never replaced by an older one (pushes of one membership
    are delivered one at a time, but a lease can lapse)."""
    latest: dict[str, tuple[int, int]] = {}
    for membership_id, points, version in pushed:
        if membership_id not in latest or version >= latest[membership_id][1]:
            latest[membership_id] = (points, version)
    if not latest:
        return
    at = naive_utc(now)
    # Usually every membership has its record and the version is newer: one UPDATE does it,
    # the version kept in its WHERE. Only when some row did not move, look at why.
    moved = conn.execute(
        _RECORD_PUSHED, [{"m": m, "p": p, "v": v, "at": at} for m, (p, v) in latest.items()]
    )
    if conn.dialect.supports_sane_multi_rowcount and moved.rowcount == len(latest):
        return
    ids = sorted(latest)
    a = accounts_table
    have: dict[str, int] = {}
    accounts: set[str] = set()
    for chunk in chunks(ids, 500):
        have.update(
            (row.membership_id, int(row.version))
            for row in conn.execute(
                sa.select(_M.c.membership_id, _M.c.version).where(_M.c.membership_id.in_(chunk))
            )
        )
        accounts.update(
            conn.execute(sa.select(a.c.membership_id).where(a.c.membership_id.in_(chunk)))
            .scalars()
            .all()
        )
    updates = [
        {"m": m, "points": p, "version": v, "at": at}
        for m, (p, v) in latest.items()
        if m in have and v >= have[m]
    ]
    if updates:
        conn.execute(
            _M.update()
            .where(_M.c.membership_id == sa.bindparam("m"))
            .values(
                points=sa.bindparam("points"),
                version=sa.bindparam("version"),
                updated_at=sa.bindparam("at"),
            ),
            updates,
        )
    inserts = [
        {"membership_id": m, "points": p, "version": v, "updated_at": at}
        for m, (p, v) in latest.items()
        if m not in have and m in accounts  # an account opened before compare-before-push
    ]
    if inserts:
        conn.execute(_M.insert(), inserts)


def second_ledger_warning(conn: Connection, *, now: datetime) -> str | None:
    """A warning when some membership changed outside this ledger at least twice within
    `SECOND_LEDGER_WINDOW`: likely a second ledger (another machine's `loyalty serve` with its
    own SQLite file) pushing to the same memberships."""
    since = naive_utc(now - SECOND_LEDGER_WINDOW)
    repeated = (
        sa.select(_E.c.membership_id, sa.func.count().label("changes"))
        .where(_E.c.source_type == EXTERNAL_ACTOR, _E.c.created_at >= since)
        .group_by(_E.c.membership_id)
        .having(sa.func.count() >= 2)
    )
    rows = conn.execute(repeated).all()
    if not rows:
        return None
    changes = sum(int(row.changes) for row in rows)
    return (
        f"Mews Points of {len(rows)} membership(s) changed outside this ledger {changes} times "
        f"in the last {int(SECOND_LEDGER_WINDOW.total_seconds() // 3600)} hours (recorded as "
        "external adjustments). Another ledger is probably pushing to the same memberships, "
        "e.g. a `loyalty serve` on another machine with its own SQLite file: point every "
        "machine at one PostgreSQL database (LOYALTY_DATABASE_URL)."
    )
