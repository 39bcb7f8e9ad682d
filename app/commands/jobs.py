"""`loyalty jobs run JOB`: the scheduled loyalty jobs, run once now.

    loyalty jobs run expiry                  expire points past their date (ledger maintenance)
    loyalty jobs run tier-review [--program PC01]
                                             propose tier changes through the policy layer
    loyalty jobs run win-back [--bonus-points N]
                                             offer drafts for lapsing members; nothing is sent
    loyalty jobs run retention               purge drafts past the program file's retention
    loyalty jobs run birthday                birthday bonuses (program file) through the policy
    loyalty jobs run welcome                 welcome bonuses an interrupted enrolment missed
    loyalty jobs run expiry-reminder         draft reminders of points expiring soon; none sent

Writes run as `automation` (`--as` another principal): in `recommend` mode tier changes and
drafts wait for a manager (`loyalty approvals list`). Run them from cron or a scheduler; each job
is safe to run twice (see `tools.automation.jobs`). Exit code 1 when any item failed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import fail, run
from app.commands._progress import working

if TYPE_CHECKING:
    from tools.automation.jobs import JobReport

__all__ = ["jobs_app", "register"]

jobs_app = command_group(
    "Scheduled loyalty jobs: expiry, tier review, win-back drafts, draft retention, "
    "birthday bonuses, missed welcome bonuses, expiry reminders."
)


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def run_job(
    name: Annotated[
        str,
        typer.Argument(
            metavar="JOB",
            help="expiry, tier-review, win-back, retention, birthday, welcome or expiry-reminder",
        ),
    ],
    program: Annotated[
        str | None, typer.Option(help="Only this program code (default: every configured one).")
    ] = None,
    as_: Annotated[str, typer.Option("--as", help="Principal the writes run as.")] = "automation",
    bonus_points: Annotated[
        int | None,
        typer.Option(
            help="win-back: bonus points offered for the next stay (default: the program "
            "file's win_back.bonus_points)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run one job now and print what it did or proposed."""
    from tools.automation.jobs import JOBS

    if name not in JOBS:
        fail(f"unknown job {name!r}; choose one of {', '.join(JOBS)}")
    if bonus_points is not None and not 1 <= bonus_points <= 100_000:
        fail(f"--bonus-points must be between 1 and 100000, got {bonus_points}")
    with working(f"Running the {name} job", quiet=as_json):
        report = run(_run(name, program, as_, bonus_points))
    _print(report, as_json)
    if report.count("failed"):
        raise typer.Exit(1)


async def _run(name: str, program: str | None, principal: str, bonus: int | None) -> JobReport:
    from app.identity import unknown_principal_message
    from app.runtime import open_runtime
    from policies.errors import PolicyError
    from tools.automation import AutomationConfigError
    from tools.automation.jobs import JobContext, run_job

    async with open_runtime() as rt:
        try:
            rt.guard.principal(principal)
        except PolicyError:
            fail(unknown_principal_message(rt.policy, principal))
        ctx = replace(
            JobContext.for_runtime(rt),
            principal=principal,
            program_code=program,
            win_back_bonus_points=bonus,
        )
        try:
            return await run_job(name, ctx)
        except AutomationConfigError as exc:
            fail(str(exc))


def _print(report: JobReport, as_json: bool) -> None:
    if as_json:
        data = {
            "job": report.job,
            "started_at": report.started_at.isoformat(),
            "summary": report.summary,
            "items": [
                {"subject": i.subject, "status": i.status, "detail": i.detail} for i in report.items
            ],
        }
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{report.job}: {report.summary}")
    for item in report.items:
        typer.echo(f"  {item.status:<16} {item.subject}  {item.detail}")
