"""Per-member totals of the member read model, and segments as SQL over them.

`MemberStore` derives, whenever a refresh changes a member, what the segment rules ask of their
stays (`member_rows`): per stay its departure, nights, spend by revenue category and the gap
after the previous checked-out stay; per member the completed stays, nights, last departure,
median gap and whether a stay is in house or booked ahead; and per program the membership the
rules judge (`program_rows`: the one `MemberFacts.membership` picks, whether it counts, its tier
and the member's place in a scan's order). They are derived from `StayFacts` built exactly as a
read gives them, with the same functions the rules use (`completed_stays`, `stay_gaps`), so they
cannot drift from the rules.

A segment is then SQL over those totals (`segment_candidates`): the figures of the program's
whole population (how many active members, and the lapse rule's percentile of every gap between
their stays, read as a histogram), how many members are in the segment and the first of them
in the order a scan lists them (a page: only those are built as `MemberFacts`). Each condition
is the rule's own, in whole numbers (days, nights, millionths of money, a ratio's numerator and
denominator), and moments as the seconds `datetime.timestamp()` gives (distinct microseconds
stay distinct and in order as floats, so comparing them is comparing the instants). The SQL is
exact but for tier progress on accrual points or calendar years, where it picks a superset
(`Candidates.exact` is false) and every candidate is built; either way `find_segment_among`
judges each member it builds with the rule itself, so the answer is the rule's.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.clock import naive_utc
from tools.loyalty._time import add_months, utc_date
from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import (
    IN_HOUSE,
    INACTIVE_MEMBERSHIP_STATES,
    UPCOMING_STATES,
    MemberFacts,
    StayFacts,
)
from tools.loyalty.insights import gap_percentile, stay_gaps
from tools.loyalty.ledger_schema import entries_table
from tools.loyalty.member_store_schema import (
    member_totals_table,
    memberships_table,
    program_members_table,
    stay_totals_table,
)
from tools.loyalty.segments import (
    HighSpendNoRedemption,
    Lapsing,
    NearNextTier,
    SegmentQuery,
    high_spend_settings,
    near_tier_within,
)

__all__ = [
    "TOTALS_VERSION",
    "Candidates",
    "epoch_day",
    "member_rows",
    "program_rows",
    "segment_candidates",
]

TOTALS_VERSION: Final = 2
"""What the totals hold: a model derived by an older version is derived anew (v2: the
`member_programs` rows)."""

_EPOCH: Final = date(1970, 1, 1)
_MICROS: Final = Decimal(1_000_000)


def epoch_day(moment: datetime | date) -> int:
    """The UTC calendar date as days since 1970-01-01 (how `days_between` counts)."""
    day = utc_date(moment) if isinstance(moment, datetime) else moment
    return (day - _EPOCH).days


def _micros(amount: Decimal) -> int:
    return int(amount * _MICROS)


def member_rows(
    customer_id: str, stays: Sequence[StayFacts]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The `member_totals` row of a member and the `member_stay_totals` rows of their stays."""
    member = MemberFacts(
        customer_id=customer_id,
        display_name="",
        stays=tuple(sorted(stays, key=lambda s: s.arrival)),
    )
    completed = member.completed_stays()
    gaps = stay_gaps(member)
    # stay_gaps pairs the completed stays in arrival order: gap n ends at stay n + 1
    ordered = sorted(completed, key=lambda stay: stay.arrival)
    gap_after = {stay.reservation_id: gap for stay, gap in zip(ordered[1:], gaps, strict=True)}
    median = Decimal(str(statistics.median(gaps))) if gaps else None
    booked = [
        s.departure.timestamp()
        for s in member.stays
        if not s.canceled and s.state in UPCOMING_STATES
    ]
    totals = {
        "customer_id": customer_id,
        "completed_stays": len(completed),
        "nights": sum(stay.nights for stay in completed),
        "last_departure_day": epoch_day(completed[-1].departure) if completed else None,
        "median_gap_x2": None if median is None else int(median * 2),
        "in_house": any(s.state == IN_HOUSE and not s.canceled for s in member.stays),
        "booked_until": max(booked) if booked else None,
    }
    rows = []
    for stay in member.stays:
        spend = stay.spend
        rows.append(
            {
                "reservation_id": stay.reservation_id,
                "customer_id": customer_id,
                "checked_out": stay.checked_out,
                "departure": stay.departure.timestamp(),
                "departure_day": epoch_day(stay.departure),
                "nights": stay.nights,
                "currency": stay.currency,
                "accommodation_micros": _micros(spend.accommodation),
                "food_and_beverage_micros": _micros(spend.food_and_beverage),
                "spa_micros": _micros(spend.spa),
                "other_micros": _micros(spend.other),
                "spend_micros": _micros(spend.total),
                "gap_days": gap_after.get(stay.reservation_id),
            }
        )
    return totals, rows


def program_rows(memberships: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The `member_programs` rows of one member from their memberships (`member_memberships`
    rows: membership and program ids, state, tier, primary flag and position): per program the
    membership `MemberFacts.membership` picks, the primary one, else the first Mews listed."""
    if not memberships:
        return []
    ordered = sorted(memberships, key=lambda m: m["position"])
    scan_order = ordered[0]["position"]
    picked: dict[str, Mapping[str, Any]] = {}
    for m in sorted(ordered, key=lambda m: not m["is_primary"]):  # stable: Mews' order kept
        picked.setdefault(m["program_id"], m)
    return [
        {
            "customer_id": m["customer_id"],
            "program_id": program_id,
            "membership_id": m["membership_id"],
            "tier_id": m["tier_id"],
            "active": m["state"] not in INACTIVE_MEMBERSHIP_STATES,
            "scan_order": scan_order,
        }
        for program_id, m in sorted(picked.items())
    ]


@dataclass(frozen=True, slots=True)
class Candidates:
    """What SQL found for a segment: the population's figures and who is (or may be) in it."""

    scanned: int
    """Active members of the program."""
    gaps: tuple[int, ...]
    """Every gap between the active members' stays, in order (for `Lapsing` only)."""
    customer_ids: list[str]
    """In the order a scan of the model lists members: the segment's first `limit` members
    when `exact`, else every member who may be in it."""
    exact: bool
    """Every candidate is in the segment (the SQL is the rule), not only a superset."""
    size: int | None
    """How many members the segment has (when `exact`)."""


def segment_candidates(
    conn: Connection,
    program: ProgramConfig,
    program_id: str,
    tier_codes: Mapping[str, str],
    query: SegmentQuery,
    as_of: datetime,
    *,
    limit: int | None = None,
) -> Candidates:
    """The members of `program` in the segment (or who may be: a superset the rule then
    judges), counted and paged by the database over `member_programs` and the totals."""
    p = program_members_table
    active = sa.and_(p.c.program_id == program_id, p.c.active)
    scanned = conn.execute(sa.select(sa.func.count()).select_from(p).where(active)).scalar_one()
    gaps: tuple[int, ...] = ()
    if isinstance(query, Lapsing):
        gaps = _gaps(conn, active)
        where = _lapsing(program, query, gaps, as_of)
    elif isinstance(query, NearNextTier):
        where = _near_next_tier(conn, program, tier_codes, query, active, as_of)
    else:
        where = _high_spender(program, query, as_of)
    t = member_totals_table
    members = p.outerjoin(t, t.c.customer_id == p.c.customer_id)
    exact = not (
        isinstance(query, NearNextTier)
        and (program.qualification.basis == "points" or program.qualification.period != "rolling")
    )
    # with a limit, the page and the segment's size in one pass (a window over every match)
    paged = exact and limit is not None
    columns = (
        [p.c.customer_id, sa.func.count().over().label("size")] if paged else [p.c.customer_id]
    )
    listed = (
        sa.select(*columns)
        .select_from(members)
        .where(active, where)
        .order_by(p.c.scan_order, p.c.customer_id)
        .limit(limit if paged else None)
    )
    rows = conn.execute(listed).all()
    ids = [row.customer_id for row in rows]
    size = None
    if paged:
        size = int(rows[0].size) if rows else 0
    elif exact:
        size = len(ids)
    return Candidates(int(scanned), gaps, ids, exact, size)


def _gaps(conn: Connection, active: sa.ColumnElement[bool]) -> tuple[int, ...]:
    """Every gap between the active members' stays, smallest first (read as a histogram: a
    few hundred distinct day counts, not one row per stay)."""
    s, p = stay_totals_table, program_members_table
    rows = conn.execute(
        sa.select(s.c.gap_days, sa.func.count())
        .join(p, p.c.customer_id == s.c.customer_id)
        .where(active, s.c.gap_days.is_not(None))
        .group_by(s.c.gap_days)
        .order_by(s.c.gap_days)
    )
    return tuple(gap for gap, n in rows for _ in range(n))


def _more_than(days: sa.ColumnElement[int], limit: Decimal) -> sa.ColumnElement[bool]:
    """`days > limit` in whole numbers (the limit as numerator over denominator)."""
    numerator, denominator = limit.as_integer_ratio()
    return days * denominator > numerator


def _lapsing(
    program: ProgramConfig, query: Lapsing, gaps: tuple[int, ...], as_of: datetime
) -> sa.ColumnElement[bool]:
    """`assess_lapse`: a checked-out stay, none in house or booked ahead, and the days since
    the last one above both the program gap and the multiple of the member's median gap."""
    t = member_totals_table
    gap = (
        query.program_gap_days
        if query.program_gap_days is not None
        else gap_percentile(program, list(gaps)).days
    )
    days_since = epoch_day(as_of) - t.c.last_departure_day
    numerator, denominator = Decimal(program.lapse.member_gap_multiplier).as_integer_ratio()
    return sa.and_(
        t.c.completed_stays > 0,
        sa.not_(t.c.in_house),
        sa.or_(t.c.booked_until.is_(None), t.c.booked_until <= as_of.timestamp()),
        _more_than(days_since, Decimal(gap)),
        sa.or_(
            t.c.median_gap_x2.is_(None),
            days_since * 2 * denominator > t.c.median_gap_x2 * numerator,
        ),
    )


def _window_start(today: date, months: int) -> date:
    """The first date whose events still count on `today` (`qualifying_value`: an event dated
    `d` counts while `today < add_months(d, months)`; month ends make this no plain subtraction)."""
    day = add_months(today, -months) - timedelta(days=4)
    while add_months(day, months) <= today:
        day += timedelta(days=1)
    return day


def _near_next_tier(
    conn: Connection,
    program: ProgramConfig,
    tier_codes: Mapping[str, str],
    query: NearNextTier,
    active: sa.ColumnElement[bool],
    as_of: datetime,
) -> sa.ColumnElement[bool]:
    """`tier_progress`: short of the next tier's threshold by at most `within` percent of it."""
    p = program_members_table
    within = near_tier_within(program, query)
    if program.qualification.period != "rolling":  # calendar years in hotels' zones: the rule
        return sa.true()
    today = utc_date(as_of)
    first = _window_start(today, program.qualification.window_months)
    if program.qualification.basis == "nights":
        s = stay_totals_table
        value: sa.ColumnElement[Any] = (
            sa.select(sa.func.coalesce(sa.func.sum(s.c.nights), 0))
            .where(
                s.c.customer_id == p.c.customer_id,
                s.c.checked_out,
                s.c.departure_day >= epoch_day(first),
                s.c.departure_day <= epoch_day(today),
            )
            .scalar_subquery()
        )
        exact = True
    else:  # accrual points of the membership, a day wider each side (not less than counts)
        e = entries_table
        value = (
            sa.select(sa.func.coalesce(sa.func.sum(e.c.points), 0))
            .where(
                e.c.membership_id == p.c.membership_id,
                e.c.kind == "accrual",
                e.c.created_at >= datetime.combine(first - timedelta(days=1), time()),
                e.c.created_at < datetime.combine(today + timedelta(days=2), time()),
            )
            .scalar_subquery()
        )
        exact = False
    tiers = [row[0] for row in conn.execute(sa.select(p.c.tier_id).where(active).distinct())]
    conditions = []
    for tier_id in tiers:
        code = None if tier_id is None else tier_codes.get(tier_id)
        current = program.tier(code) if code else None
        following = program.next_tier(current.code if current else None)
        if following is None:
            continue
        threshold = following.threshold
        # needed = threshold - value, kept when 0 < needed <= threshold * within / 100
        lowest = math.ceil(threshold - Decimal(threshold) * within / 100)
        # BETWEEN sums the member's nights once (`>= AND <` would run the subquery twice)
        in_reach = value >= lowest if not exact else value.between(lowest, threshold - 1)
        picks = p.c.tier_id.is_(None) if tier_id is None else p.c.tier_id == tier_id
        conditions.append(sa.and_(picks, in_reach))
    return sa.or_(sa.false(), *conditions)


def _high_spender(
    program: ProgramConfig, query: HighSpendNoRedemption, as_of: datetime
) -> sa.ColumnElement[bool]:
    """Spend of checked-out stays in the window (program currency) at or above the minimum,
    and no redemption (not reversed) since: the rule's `stays_in_window` and last redemption."""
    min_spend, months = high_spend_settings(program, query)
    start = add_months(as_of, -program.segments.high_spender_window_months)
    s, p = stay_totals_table, program_members_table
    spend = (
        sa.select(sa.func.coalesce(sa.func.sum(s.c.spend_micros), 0))
        .where(
            s.c.customer_id == p.c.customer_id,
            s.c.checked_out,
            s.c.currency == program.currency,
            s.c.departure > start.timestamp(),
            s.c.departure <= as_of.timestamp(),
        )
        .scalar_subquery()
    )
    e, reversal, m = entries_table, entries_table.alias("reversal"), memberships_table
    since = naive_utc(add_months(as_of, -months))
    redeemed = (
        sa.select(e.c.id)
        .join(m, m.c.membership_id == e.c.membership_id)
        .where(
            m.c.customer_id == p.c.customer_id,
            e.c.kind == "redemption",
            e.c.created_at >= since,
            ~sa.select(reversal.c.id).where(reversal.c.reverses_entry_id == e.c.id).exists(),
        )
        .exists()
    )
    return sa.and_(spend >= math.ceil(min_spend * _MICROS), ~redeemed)
