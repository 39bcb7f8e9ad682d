"""`loyalty facts refresh [--full]`: bring the member read model up to date.

    loyalty facts refresh              what changed in Mews since the last refresh (webhook events,
                                       then `UpdatedUtc` windows per entity type)
    loyalty facts refresh --full       one full scan of the chain's members (also what the first
                                       segment query does on an empty model)
    loyalty facts refresh --json       the same, the report as JSON

Prints the Mews requests per operation, the members changed, the members held and how long it
took. Runs as `--as` (default `automation`, as the scheduled jobs), proven like every command's
`--as`, through the policy layer as a read (read permission needed; audited). Run it from cron
between the reads that keep the model current anyway (see `tools.loyalty.member_store`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import fail, proven, run
from app.commands._progress import working

if TYPE_CHECKING:
    from tools.loyalty.member_store import RefreshReport

__all__ = ["facts_app", "register"]

facts_app = command_group("The member read model: refresh it from Mews.")


def register(app: typer.Typer) -> None:
    app.add_typer(facts_app, name="facts")


@facts_app.command("refresh")
def refresh_command(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from one full scan of the chain's members.")
    ] = False,
    as_: Annotated[
        str, typer.Option("--as", help="Principal the refresh runs as (default: automation).")
    ] = "automation",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Refresh the member read model and print what it did."""
    what = "Scanning every member in Mews" if full else "Reading what changed in Mews"
    with working(what, quiet=as_json):
        report = run(_refresh(full, as_))
    if as_json:
        typer.echo(json.dumps(_as_dict(report), indent=2))
        return
    typer.echo(_text(report))


async def _refresh(full: bool, principal: str) -> RefreshReport:
    from app.identity import unknown_principal_message
    from app.runtime import open_runtime
    from policies import Denied, PolicyRequestError
    from tools.mews import MewsError

    async with open_runtime() as rt:
        name = proven(rt.policy, principal)
        try:
            who = rt.guard.principal(name)
        except PolicyRequestError:
            fail(unknown_principal_message(rt.policy, name))

        async def run() -> RefreshReport:
            return await rt.facts.refresh(full=full)

        try:
            value = await rt.guard.read(who, "refresh_member_facts", {"full": full}, run)
        except MewsError as exc:
            fail(f"the refresh stopped (the next one reads those changes again): {exc}")
        if isinstance(value, Denied):
            fail(f"denied by policy ({value.rule}): {value.reason}")
        return value


def _as_dict(report: RefreshReport) -> dict[str, object]:
    return {
        "full": report.full,
        "requests": dict(report.requests),
        "members_changed": report.members_changed,
        "members": report.members,
        "seconds": round(report.seconds, 3),
        "as_of": report.as_of.isoformat(),
    }


def _text(report: RefreshReport) -> str:
    kind = "full scan" if report.full else "incremental refresh"
    lines = [
        f"{kind}: {report.members_changed:,} members changed, {report.members:,} members held, "
        f"{report.seconds:.1f} s; facts as of {report.as_of.isoformat()}",
        f"  Mews requests: {sum(report.requests.values()):,}",
    ]
    lines += [f"    {path:<36} {n:>6,}" for path, n in sorted(report.requests.items())]
    return "\n".join(lines)
