"""`loyalty ledger`: keep Mews `Points` equal to the points ledger.

    loyalty ledger sync [--limit N]                        push queued balances to Mews
    loyalty ledger reconcile [--apply] [--rule adjust_ledger|push_ledger] [--as NAME]
    loyalty ledger accrue [--reservation ID ...] [--days N] [--as NAME]
    loyalty ledger history MEMBERSHIP_ID [--limit N]

Mews is the one `MEWS_*` configures, else the embedded sandbox (`app.connect`). Writes
(`reconcile --apply`, `accrue`) go through the policy layer as the principal `--as` names
(default `automation`, an agent-kind principal: in `recommend` mode its writes wait for a
manager's approval). After writing, the commands push the new balances to Mews at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from app.commands._group import command_group
from app.commands._policy_cli import fail, opened, principal, run
from app.commands._progress import working

if TYPE_CHECKING:
    from policies import Guard, Principal
    from tools.loyalty.mews_facts import MewsFactsLoader
    from tools.loyalty.sync import DrainReport, OutboxDispatcher, ReconcileReport
    from tools.mews import MewsClient

__all__ = ["ledger_app", "register"]

T = TypeVar("T")

ledger_app = command_group("The points ledger and its sync to Mews Points.")

DEFAULT_PRINCIPAL = "automation"
AsOption = Annotated[
    str, typer.Option("--as", help="Who runs this: a name under [principals] in the policy.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


@dataclass
class _Session:
    guard: Guard
    mews: MewsClient
    loader: MewsFactsLoader


@asynccontextmanager
async def _session(guard: Guard) -> AsyncIterator[_Session]:
    """The engine wired to the guard's store: program file, Mews, ledger actions registered."""
    from app.connect import open_mews, uses_real_mews
    from tools.actions.ledger_sync import ledger_sync_actions
    from tools.loyalty import LEDGER, ProgramConfigError, load_program_file
    from tools.loyalty.mews_facts import MewsFactsLoader
    from tools.runtime import share_rate_budget

    try:
        programs = load_program_file()
    except ProgramConfigError as exc:
        fail(str(exc).splitlines()[0])
    guard.store.migrate([LEDGER])
    for spec in ledger_sync_actions(programs):
        guard.register(spec)
    async with open_mews() as mews:
        if uses_real_mews():  # one budget per token with every other process of the store
            share_rate_budget(guard.store, [mews])
        yield _Session(guard, mews, MewsFactsLoader(mews, guard.store, programs, clock=guard.clock))


def _errors() -> tuple[type[BaseException], ...]:
    from tools.loyalty import LoyaltyError
    from tools.mews import MewsError
    from tools.sandbox import StateFileError

    return (LoyaltyError, MewsError, StateFileError, ValueError)


def _run_as(as_: str, label: str, go: Callable[[Guard, Principal], Coroutine[Any, Any, T]]) -> T:
    """`go` run for the principal `--as` names, behind a progress line; a Mews or ledger error
    ends the command with its message."""
    with opened() as guard:
        who = principal(guard, as_)
        try:
            with working(label):
                return run(go(guard, who))
        except _errors() as exc:
            fail(str(exc))


async def _drain(session: _Session) -> DrainReport:
    return await _dispatcher(session).drain()


def _dispatcher(session: _Session) -> OutboxDispatcher:
    from tools.loyalty.sync import OutboxDispatcher

    guard = session.guard
    return OutboxDispatcher(
        session.mews, guard.store, clock=guard.clock, guard=guard, programs=session.loader.programs
    )


def _print_drain(report: DrainReport) -> None:
    typer.echo(
        f"pushed {report.pushed} balance(s) to Mews in {report.requests} request(s); "
        f"{report.failed} to retry later, {report.dead} dead letter(s)"
    )
    for error in report.errors[:10]:
        typer.echo(f"  {error}")


@ledger_app.command("sync")
def sync(
    limit: Annotated[
        int | None, typer.Option(min=1, help="Push at most this many queued commands.")
    ] = None,
) -> None:
    """Push the ledger balances queued in the outbox to Mews (loyaltyMemberships/update)."""

    async def go(guard: Guard) -> DrainReport:
        from tools.loyalty.sync import DrainReport

        async with _session(guard) as session:
            dispatcher = _dispatcher(session)
            due = dispatcher.due()  # what is due now: the total the bar counts to
            if due == 0:
                return DrainReport()
            return await dispatcher.drain(due if limit is None else min(limit, due))

    with opened() as guard:
        try:
            with working("Sending the queued points to Mews"):
                report = run(go(guard))
        except _errors() as exc:
            fail(str(exc))
        waiting = _outbox_counts(guard)
    _print_drain(report)
    typer.echo(
        f"outbox now: {waiting.get('pending', 0)} pending, {waiting.get('in_flight', 0)} in "
        f"flight, {waiting.get('dead', 0)} dead (all kinds)"
    )
    if report.failed or report.dead:
        raise typer.Exit(1)


def _outbox_counts(guard: Guard) -> dict[str, int]:
    """Outbox commands by status (every kind: balances, notes, tasks)."""
    import sqlalchemy as sa

    from storage.outbox import outbox_table as t

    with guard.store.read() as conn:
        rows = conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status)).all()
    return {str(row[0]): int(row[1]) for row in rows}


@ledger_app.command("reconcile")
def reconcile(
    apply: Annotated[bool, typer.Option("--apply", help="Resolve the drift found.")] = False,
    rule: Annotated[
        str,
        typer.Option(
            help="adjust_ledger: the ledger follows Mews; push_ledger: Mews gets the ledger's."
        ),
    ] = "adjust_ledger",
    as_: AsOption = DEFAULT_PRINCIPAL,
) -> None:
    """Compare ledger balances with Mews Points for every membership; --apply resolves drift."""
    from tools.loyalty.sync import reconcile as reconcile_all

    if rule not in ("adjust_ledger", "push_ledger"):
        fail(f"--rule must be adjust_ledger or push_ledger, not {rule!r}")

    async def go(guard: Guard, who: Principal) -> tuple[ReconcileReport, DrainReport | None]:
        async with _session(guard) as session:
            report = await reconcile_all(
                session.loader,
                guard,
                who,
                apply=apply,
                rule="push_ledger" if rule == "push_ledger" else "adjust_ledger",
            )
            return report, (await _drain(session) if apply else None)

    report, drained = _run_as(as_, "Reconciling the ledger with Mews", go)
    _print_reconcile(report)
    if drained is not None:
        _print_drain(drained)


def _print_reconcile(report: ReconcileReport) -> None:
    typer.echo(
        f"{report.checked} membership(s) checked: {report.in_sync} in sync, "
        f"{report.awaiting_push} awaiting a push, {len(report.unopened)} without a ledger "
        f"account, {len(report.mews_ahead)} with Mews ahead, {len(report.ledger_ahead)} with "
        "the ledger ahead"
    )
    for drift in report.drifts[:50]:
        ledger = "-" if drift.ledger is None else str(drift.ledger)
        typer.echo(
            f"  {drift.membership_id} {drift.program_code:<6} {drift.kind:<13} "
            f"ledger {ledger:>8}  mews {drift.mews:>8}  diff {drift.difference:+d}"
        )
    if len(report.drifts) > 50:
        typer.echo(f"  ... and {len(report.drifts) - 50} more")
    if not report.applied:
        if report.drifts:
            typer.echo(f"run again with --apply to resolve them (rule {report.rule})")
        return
    counts: dict[str, int] = {}
    for _membership_id, outcome in report.outcomes:
        status = str(outcome.get("status"))
        counts[status] = counts.get(status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing"
    typer.echo(f"applied ({report.rule}): {summary}")
    for membership_id, outcome in report.outcomes:
        if outcome.get("status") != "posted":
            detail = outcome.get("reason") or outcome.get("error") or outcome.get("approval_id")
            typer.echo(f"  {membership_id}: {outcome.get('status')} {detail}")


@ledger_app.command("accrue")
def accrue(
    reservation: Annotated[
        list[str] | None,
        typer.Option("--reservation", help="A reservation id (repeat for several)."),
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            min=1, max=90, help="Without --reservation: those updated in the last N days."
        ),
    ] = 3,
    as_: AsOption = DEFAULT_PRINCIPAL,
) -> None:
    """Post stay points for checked-out reservations (and reverse them for canceled ones)."""
    from tools.loyalty.stays import StayResult, plan_stay_accruals, submit_stay_plans

    async def go(guard: Guard, who: Principal) -> tuple[list[StayResult], DrainReport]:
        async with _session(guard) as session:
            ids = list(reservation or []) or await _recent(session, days)
            plans = await plan_stay_accruals(session.loader, ids)
            results = await submit_stay_plans(guard, who, plans)
            return results, await _drain(session)

    results, drained = _run_as(as_, "Crediting the checked-out stays", go)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
        if result.status != "skipped" or reservation:
            typer.echo(f"{result.reservation_id}: {result.status}: {result.detail}")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"{len(results)} reservation(s): {summary or 'none'}")
    _print_drain(drained)
    if counts.get("failed"):
        raise typer.Exit(1)


async def _recent(session: _Session, days: int) -> list[str]:
    """Checked-out or canceled reservations updated in the last `days` days."""
    from tools.mews.models import ServiceOrderState, TimeInterval

    now = session.guard.clock.now()
    interval = TimeInterval(start_utc=now - timedelta(days=days), end_utc=now)
    return [
        r.id
        async for r in session.mews.reservations.get_all(
            updated_utc=interval, states=[ServiceOrderState.PROCESSED, ServiceOrderState.CANCELED]
        )
    ]


@ledger_app.command("history")
def history(
    membership_id: Annotated[str, typer.Argument(metavar="MEMBERSHIP_ID")],
    limit: Annotated[int, typer.Option(min=1, max=500, help="Entries to show.")] = 50,
) -> None:
    """A membership's ledger entries, newest first, with the running balance."""
    from tools.loyalty import LEDGER, UnknownAccountError
    from tools.loyalty import history as ledger_history

    with opened() as guard:
        guard.store.migrate([LEDGER])
        try:
            with guard.store.read() as conn:
                page = ledger_history(conn, membership_id, limit=limit)
        except UnknownAccountError as exc:
            fail(str(exc))
    typer.echo(f"{'#':>4}  {'WHEN (UTC)':<16}  {'KIND':<15} {'POINTS':>8} {'BALANCE':>8}  REASON")
    for entry in page.entries:
        typer.echo(
            f"{entry.sequence:>4}  {entry.created_at:%Y-%m-%d %H:%M}  {entry.kind:<15} "
            f"{entry.points:>+8d} {entry.balance_after:>8}  {entry.reason}"
        )
    if page.next_before_sequence is not None:
        typer.echo(f"(older entries exist: showing the newest {limit})")
