"""Reading what the program health report needs: the ledger and campaigns from the store, the
members from Mews (through the facts loader), then `build_report`.

    report = await program_report(runtime, "PC01", period_from=date(2026, 1, 1),
                                  period_to=date(2026, 6, 30))

Ledger reads are a handful of queries however many members there are (entries of the period
with the entries they reverse, one balance per account at the period end, campaigns and their
outcome counts); members come from `MewsFactsLoader.all_members` (batched Mews reads).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.clock import naive_utc
from storage.progress import step
from storage.rows import from_row
from tools.campaigns.tables import campaign_members_table, campaigns_table
from tools.loyalty._time import add_months, from_db
from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import plural
from tools.loyalty.facts import MemberFacts
from tools.loyalty.ledger_schema import accounts_table, entries_table
from tools.report.compute import CampaignRow, EntryRow, ReportInputs, build_report, period_bounds
from tools.report.model import ProgramReport

if TYPE_CHECKING:
    from tools.runtime import LoyaltyRuntime

__all__ = [
    "default_period",
    "gather_inputs",
    "load_balances",
    "load_campaigns",
    "load_entries",
    "program_report",
]

_E = entries_table
_REPORT_STEPS = 3
"""Reading the members, reading the ledger, computing: the report's steps."""
_A = accounts_table


def default_period(today: date) -> tuple[date, date]:
    """The twelve months up to and including today: from the same day a year ago + 1."""
    return add_months(today, -12).replace(day=1), today


def load_entries(
    conn: Connection, program_code: str, start: datetime, end: datetime
) -> list[EntryRow]:
    """Entries of the program's accounts posted in [start, end), with what each reversal undoes."""
    undone = _E.alias("undone")
    query = (
        sa.select(
            _E.c.kind,
            _E.c.points,
            _E.c.created_at,
            _E.c.source_type,
            _E.c.source_id,
            undone.c.kind.label("reverses_kind"),
            undone.c.points.label("reverses_points"),
            undone.c.source_type.label("reverses_source_type"),
            undone.c.source_id.label("reverses_source_id"),
        )
        .select_from(
            _E.join(_A, _A.c.membership_id == _E.c.membership_id).outerjoin(
                undone, undone.c.id == _E.c.reverses_entry_id
            )
        )
        .where(
            _A.c.program_code == program_code,
            _E.c.created_at >= naive_utc(start),
            _E.c.created_at < naive_utc(end),
        )
    )
    # The columns are labelled as the row's fields: a row becomes an entry by name.
    return [
        from_row(EntryRow, row, created_at=from_db(row.created_at)) for row in conn.execute(query)
    ]


def load_balances(conn: Connection, program_code: str, end: datetime) -> list[int]:
    """Each account's balance after its last entry before `end` (accounts with no entry yet
    then are left out)."""
    last = (
        sa.select(_E.c.membership_id, sa.func.max(_E.c.sequence).label("seq"))
        .where(_E.c.created_at < naive_utc(end))
        .group_by(_E.c.membership_id)
        .subquery()
    )
    query = (
        sa.select(_E.c.balance_after)
        .select_from(
            _E.join(
                last, (last.c.membership_id == _E.c.membership_id) & (last.c.seq == _E.c.sequence)
            ).join(_A, _A.c.membership_id == _E.c.membership_id)
        )
        .where(_A.c.program_code == program_code)
    )
    return [int(value) for value in conn.scalars(query)]


_CONVERTED = {
    "win_back": campaign_members_table.c.stayed.is_(True),
    "redemption": campaign_members_table.c.redeemed.is_(True),
    "tier_push": campaign_members_table.c.points_earned > 0,
}


def load_campaigns(
    conn: Connection, program_code: str, start: datetime, end: datetime
) -> list[CampaignRow]:
    """Campaigns of the program created in [start, end), with measured conversions per group."""
    c, m = campaigns_table, campaign_members_table
    rows = conn.execute(
        sa.select(c)
        .where(
            c.c.program_code == program_code,
            c.c.created_at >= naive_utc(start),
            c.c.created_at < naive_utc(end),
        )
        .order_by(c.c.created_at, c.c.id)
    ).all()
    found: list[CampaignRow] = []
    for row in rows:
        converted = {False: 0, True: 0}
        if row.measured_at is not None:
            counts = conn.execute(
                sa.select(m.c.holdout, sa.func.count())
                .where(m.c.campaign_id == row.id, _CONVERTED[row.goal])
                .group_by(m.c.holdout)
            )
            converted.update({bool(holdout): int(n) for holdout, n in counts})
        found.append(
            CampaignRow(
                campaign_id=row.id,
                name=row.name,
                goal=row.goal,
                created_at=from_db(row.created_at),
                treated=row.treated,
                held_out=row.held_out,
                liability_points=int(row.liability),
                measured=row.measured_at is not None,
                treated_converted=converted[False],
                holdout_converted=converted[True],
            )
        )
    return found


def gather_inputs(
    conn: Connection,
    program: ProgramConfig,
    members: list[MemberFacts],
    *,
    period_from: date,
    period_to: date,
    as_of: datetime,
    qualification_zone: tzinfo | None = None,
) -> ReportInputs:
    start, end = period_bounds(period_from, period_to)
    return ReportInputs(
        program=program,
        period_from=period_from,
        period_to=period_to,
        as_of=as_of,
        entries=load_entries(conn, program.code, start, end),
        balances=load_balances(conn, program.code, min(end, as_of)),
        members=members,
        campaigns=load_campaigns(conn, program.code, start, end),
        qualification_zone=qualification_zone,
    )


async def program_report(
    runtime: LoyaltyRuntime,
    program_code: str | None = None,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
) -> ProgramReport:
    """The program health report over [period_from, period_to] (default: the last 12 months),
    read now from the runtime's store and Mews."""
    program = runtime.program(program_code)
    now = runtime.clock.now()
    default_from, default_to = default_period(now.date())
    period_from = period_from or default_from
    period_to = period_to or default_to
    period_bounds(period_from, period_to)  # a reversed period fails before any Mews read
    step(0, _REPORT_STEPS, f"reading the members of {program.name}")
    members = await runtime.facts.all_members(program.code)
    zone = await runtime.loader.qualification_zone(program)
    step(1, _REPORT_STEPS, f"reading the ledger for {plural(len(members), 'member')}")
    with runtime.store.read() as conn:
        inputs = gather_inputs(
            conn,
            program,
            members,
            period_from=period_from,
            period_to=period_to,
            as_of=now,
            qualification_zone=zone,
        )
    step(2, _REPORT_STEPS, "computing the figures")
    report = build_report(inputs)
    step(_REPORT_STEPS, _REPORT_STEPS, "done")
    return report
