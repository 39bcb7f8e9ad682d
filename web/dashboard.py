"""The manager's dashboard: the program health report (`tools.report`) with server-drawn SVG
charts, and CSV exports of members, the ledger and the approvals.

The report is read through the `get_program_report` tool as the signed-in manager (so the
role check and the audit log apply, as for the assistant); the charts are the report module's
own inline SVG (no script, no CDN). CSV cells that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup

from agent.mcp_connect import connect_mcp
from policies import Principal
from policies.approvals import Approval
from tools.actions.approval_views import describe_approvals
from tools.loyalty import ledger_schema
from tools.report import ProgramReport
from tools.report.render import bar_list, monthly_chart
from tools.runtime import LoyaltyRuntime
from tools.server import create_server

__all__ = [
    "EXPORTS",
    "ReportError",
    "approvals_csv",
    "charts",
    "csv_text",
    "ledger_csv",
    "members_csv",
    "read_report",
]

EXPORTS = ("members", "ledger", "approvals")
_TIER_COLOURS = ("#8c6d46", "#7b8594", "#b8860b", "#4b5563", "#6b7f99", "#a3a3a3")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ReportError(Exception):
    """The report could not be read; the message says why (a bad period, a refused role)."""


async def read_report(
    runtime: LoyaltyRuntime,
    principal: Principal,
    program_code: str | None,
    period_from: date | None,
    period_to: date | None,
) -> ProgramReport:
    arguments: dict[str, Any] = {}
    if program_code:
        arguments["program_code"] = program_code
    if period_from:
        arguments["period_from"] = period_from.isoformat()
    if period_to:
        arguments["period_to"] = period_to.isoformat()
    server = create_server(runtime, principal=principal, toolsets=("campaigns",))
    async with connect_mcp(server) as toolset:
        outcome = await toolset.call("get_program_report", arguments)
    body = outcome.structured or {}
    if outcome.is_error:
        reason = body.get("reason") or body.get("message") or outcome.content
        raise ReportError(str(reason).removeprefix("Error: "))
    return ProgramReport.model_validate(body)


def charts(report: ProgramReport) -> dict[str, Markup]:
    """The report's charts as inline SVG (the report module escapes every data text)."""
    tiers = [
        (t.tier_name, t.members, _TIER_COLOURS[i % len(_TIER_COLOURS)])
        for i, t in enumerate(report.tiers)
    ]
    rewards = [(r.name, r.redemptions, "#2b5c8a") for r in report.top_rewards]
    return {
        "months": Markup(monthly_chart(report)),  # the report module escapes every text
        "tiers": Markup(bar_list("Members per tier", tiers, "members")),
        "rewards": Markup(bar_list("Redemptions per reward", rewards, "redemptions")),
    }


# ---------------------------------------------------------------------------- CSV


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


async def members_csv(runtime: LoyaltyRuntime, program_code: str | None) -> str:
    """Every member of the program: name, number, tier, state, Mews points, ledger balance."""
    program = runtime.program(program_code)
    members = await runtime.facts.all_members(program.code)
    rows = []
    for member in members:
        membership = member.membership(program.code)
        if membership is None:
            continue
        tier = program.tiers.get(membership.tier_code or "")
        balance = membership.balance
        rows.append(
            (
                member.customer_id,
                member.display_name,
                membership.membership_number,
                program.name,
                tier.name if tier else "",
                membership.state,
                "" if membership.expiration is None else membership.expiration.date().isoformat(),
                "" if balance is None else balance.total,
                "" if balance is None else balance.available,
            )
        )
    header = (
        "customer_id",
        "name",
        "membership_number",
        "program",
        "tier",
        "state",
        "expires",
        "points",
        "available",
    )
    return csv_text(header, sorted(rows, key=lambda row: str(row[1]).casefold()))


def ledger_csv(runtime: LoyaltyRuntime, program_code: str | None) -> str:
    """Every ledger entry of the program's accounts, oldest first."""
    program = runtime.program(program_code)
    entries, accounts = ledger_schema.entries_table, ledger_schema.accounts_table
    query = (
        sa.select(
            entries.c.id,
            entries.c.membership_id,
            entries.c.created_at,
            entries.c.kind,
            entries.c.points,
            entries.c.reason,
            entries.c.actor,
        )
        .select_from(entries.join(accounts, accounts.c.membership_id == entries.c.membership_id))
        .where(accounts.c.program_code == program.code)
        .order_by(entries.c.created_at, entries.c.id)
    )
    with runtime.store.read() as conn:
        rows = [tuple(row) for row in conn.execute(query)]
    header = ("entry_id", "membership_id", "created_at_utc", "kind", "points", "reason", "actor")
    return csv_text(header, rows)


async def approvals_csv(runtime: LoyaltyRuntime, approvals: Sequence[Approval]) -> str:
    """Every approval request with its sentence and its decision."""
    now = runtime.clock.now()
    views = await describe_approvals(runtime, approvals)
    rows = [
        (
            v.approval.id,
            v.approval.status_at(now),
            v.kind,
            v.sentence,
            v.approval.requester,
            v.approval.created_at.isoformat(),
            v.approval.rule,
            v.approval.decided_by,
            None if v.approval.decided_at is None else v.approval.decided_at.isoformat(),
            v.approval.comment,
        )
        for v in views
    ]
    header = (
        "approval_id",
        "status",
        "kind",
        "request",
        "requested_by",
        "requested_at_utc",
        "rule",
        "decided_by",
        "decided_at_utc",
        "comment",
    )
    return csv_text(header, rows)
