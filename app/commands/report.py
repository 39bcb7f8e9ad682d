"""`loyalty report`: the program health report, printed, as CSV files, or as one HTML page.

    loyalty report                                   the last 12 months, as text
    loyalty report --from 2026-01-01 --to 2026-06-30 --program PC01
    loyalty report --csv out/ --html report.html     files too (HTML: inline SVG, works offline)
    loyalty report --json                            the report as JSON (what the MCP tool returns)

The read goes through the policy layer as `--as` (read permission needed; audited).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._policy_cli import fail
from app.commands._policy_cli import run as run_loop
from app.commands._progress import working

if TYPE_CHECKING:
    from tools.report import ProgramReport

__all__ = ["register", "report_command"]


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date as YYYY-MM-DD, got {value!r}")


def report_command(
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default 12 months ago.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), included; default today.")
    ] = None,
    program: Annotated[
        str | None, typer.Option(help="Program code (default: the first of the program file).")
    ] = None,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Write one CSV per table into this directory.")
    ] = None,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write the report as one HTML page.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    as_: Annotated[
        str, typer.Option("--as", help="Principal the read runs as (default: carol, staff).")
    ] = "carol",
) -> None:
    """Program health: liability, issued/redeemed/expired, breakage, members, tiers, rewards,
    campaigns."""
    period_from, period_to = _day(from_, "--from"), _day(to, "--to")
    if period_from and period_to and period_to < period_from:
        fail(f"--to ({period_to}) is before --from ({period_from})")
    with working("Reading the ledger and Mews for the report", quiet=as_json):
        report = run_loop(_read(program, period_from, period_to, as_))
    if csv_dir is not None:
        from tools.report import write_csv

        try:
            written = write_csv(report, csv_dir)
        except OSError as exc:
            fail(f"--csv: cannot write into {csv_dir}: {exc.strerror or exc}")
        typer.echo(f"wrote {len(written)} CSV files into {csv_dir}", err=True)
    if html_file is not None:
        from tools.report import render_html

        try:
            html_file.write_text(render_html(report), encoding="utf-8")
        except OSError as exc:
            fail(f"--html: cannot write {html_file}: {exc.strerror or exc}")
        typer.echo(f"wrote {html_file}", err=True)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=1, ensure_ascii=False))
    else:
        typer.echo(_text(report))


async def _read(
    program: str | None, period_from: date | None, period_to: date | None, principal: str
) -> ProgramReport:
    from app.identity import unknown_principal_message
    from app.runtime import open_runtime
    from policies import Denied, PolicyRequestError
    from tools.loyalty.errors import UnknownProgramError
    from tools.report import program_report

    async with open_runtime() as rt:
        try:
            who = rt.guard.principal(principal)
        except PolicyRequestError:
            fail(unknown_principal_message(rt.policy, principal))
        try:
            rt.program(program)
        except UnknownProgramError as exc:
            fail(f"--program: {exc}")

        async def run() -> ProgramReport:
            return await program_report(rt, program, period_from=period_from, period_to=period_to)

        args = {"program_code": program, "from": str(period_from), "to": str(period_to)}
        value = await rt.guard.read(who, "get_program_report", args, run)
        if isinstance(value, Denied):
            fail(f"denied by policy ({value.rule}): {value.reason}")
        return value


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _text(report: ProgramReport) -> str:
    t, liab, m, cur = report.totals, report.liability, report.members, report.currency
    lines = [
        f"{report.program_name} ({report.program_code}) {report.period_from} to "
        f"{report.period_to}; 1 point = {report.point_value} {cur}",
        f"  liability    {liab.outstanding_points:,} points = {liab.outstanding_value:,.2f} {cur}"
        f" ({liab.members_with_points:,} members hold points)",
        f"  issued       {t.issued:,}  redeemed {t.redeemed:,}  expired {t.expired:,}  "
        f"redemption rate {_pct(t.redemption_rate)}  breakage {_pct(t.breakage_rate)}",
        f"  members      {m.members:,}: {m.active:,} active, {m.lapsing:,} lapsing, "
        f"{m.inactive:,} inactive",
        "  tiers        "
        + ", ".join(f"{tier.tier_name} {tier.members:,}" for tier in report.tiers),
    ]
    if report.tier_movements_due:
        lines.append(
            "  due changes  "
            + ", ".join(
                f"{mv.members} {mv.direction} {mv.from_tier or '—'}→{mv.to_tier}"
                for mv in report.tier_movements_due
            )
        )
    lines.append("  months       month    issued  redeemed  expired")
    lines += [
        f"               {mo.month} {mo.issued:>9,} {mo.redeemed:>9,} {mo.expired:>8,}"
        for mo in report.months
    ]
    for reward in report.top_rewards:
        lines.append(
            f"  reward       {reward.name}: {reward.redemptions}× {reward.points:,} points"
        )
    for c in report.campaigns:
        lift = "not measured" if not c.measured else _pct(c.lift)
        lines.append(
            f"  campaign     {c.name} ({c.goal}): cost at most {c.cost_value:,.2f} {cur}, "
            f"lift {lift}"
        )
    return "\n".join(lines)
