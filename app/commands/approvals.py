"""`loyalty approvals`: the queue of writes waiting for a manager.

    loyalty approvals list [--all]                   pending requests (or every request)
    loyalty approvals show ID                        one request, with its exact arguments
    loyalty approvals approve ID --as NAME [--comment TEXT]   executes it (opens the runtime)
    loyalty approvals reject ID --as NAME [--comment TEXT]
    loyalty approvals resolve ID --as NAME           one a crash left executing: reads Mews

Approving executes the action, so `approve` opens the whole runtime (`tools.runtime`): the
guard with every action registered, Mews, and the outbox it drains afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import AsOption, dumps, fail, opened, principal, report, run

if TYPE_CHECKING:
    from policies import Outcome

__all__ = ["approvals_app", "register"]

approvals_app = command_group("Writes waiting for a manager's approval.")
ApprovalId = Annotated[str, typer.Argument(metavar="ID")]
Comment = Annotated[str | None, typer.Option(help="Why (kept with the request).")]


def register(app: typer.Typer) -> None:
    app.add_typer(approvals_app, name="approvals")


@approvals_app.command("list")
def list_requests(
    show_all: Annotated[
        bool, typer.Option("--all", help="Every request, not only pending.")
    ] = False,
) -> None:
    """List approval requests, oldest first, each as one sentence (what, for whom, who asked)."""
    lines = run(_sentences(show_all))
    if not lines:
        typer.echo("no approval requests" if show_all else "no pending approval requests")
        return
    for line in lines:
        typer.echo(line)


async def _sentences(show_all: bool) -> list[str]:
    """`ID  [STATUS]  sentence — requested by NAME, AGE  (rule)`, members read from Mews."""
    from app.runtime import open_runtime
    from policies import ApprovalDesk
    from tools.actions.approval_views import describe_approvals

    async with open_runtime() as runtime:
        guard = runtime.guard
        rows = ApprovalDesk(guard).approvals(None if show_all else ("pending",))  # unexpired
        now = guard.clock.now()
        views = await describe_approvals(runtime, rows)
    lines = []
    for view in views:
        status = f"{view.approval.status_at(now):<9} " if show_all else ""
        line = view.line(now, guard.policy.tz)
        lines.append(f"{view.approval.id}  {status}{line}  ({view.approval.rule})")
    return lines


@approvals_app.command("show")
def show(approval_id: ApprovalId) -> None:
    """Show one request: what exactly will execute, why it waits, and its state."""
    from policies import ApprovalDesk

    with opened() as guard:
        approval = ApprovalDesk(guard).approval(approval_id)
        typer.echo(dumps(approval.to_dict(guard.clock.now())))


@approvals_app.command("reject")
def reject(approval_id: ApprovalId, as_: AsOption, comment: Comment = None) -> None:
    """Reject a pending request for good (not your own; you need the approve permission)."""
    from policies import ApprovalDesk

    with opened() as guard:
        outcome = run(ApprovalDesk(guard).reject(principal(guard, as_), approval_id, comment))
    report(outcome, f"rejected {approval_id}")


@approvals_app.command("approve")
def approve(approval_id: ApprovalId, as_: AsOption, comment: Comment = None) -> None:
    """Approve a pending request: it executes exactly as asked, once (not your own request)."""
    outcome = run(_approve(approval_id, as_, comment))
    report(outcome, f"approved {approval_id}: executed")


async def _approve(approval_id: str, name: str, comment: str | None) -> Outcome:
    from app.runtime import open_runtime
    from policies import ApprovalDesk, PolicyRequestError

    async with open_runtime() as runtime:  # the executors need Mews and the ledger
        who = principal(runtime.guard, name)
        try:
            outcome = await ApprovalDesk(runtime.guard).approve(who, approval_id, comment)
        except PolicyRequestError as exc:
            fail(str(exc))
        await runtime.after_write()
        return outcome


@approvals_app.command("resolve")
def resolve(approval_id: ApprovalId, as_: AsOption) -> None:
    """Resolve a request a crash left executing (past the policy's lease): Mews is read to tell
    whether it happened; it becomes executed or failed, with the outcome in the audit."""
    outcome = run(_resolve(approval_id, as_))
    report(outcome, _resolved_line(approval_id, outcome))


async def _resolve(approval_id: str, name: str) -> Outcome:
    from app.runtime import open_runtime
    from policies import ApprovalDesk, PolicyRequestError

    async with open_runtime() as runtime:  # Mews is read, and the audit note delivered
        who = principal(runtime.guard, name)
        try:
            outcome = await ApprovalDesk(runtime.guard).resolve(who, approval_id)
        except PolicyRequestError as exc:
            fail(str(exc))
        await runtime.after_write()
        return outcome


def _resolved_line(approval_id: str, outcome: Outcome) -> str:
    from policies import Posted

    if not isinstance(outcome, Posted) or not isinstance(outcome.result, dict):
        return ""
    if outcome.result.get("status") == "executed":
        return f"resolved {approval_id}: executed (its effect is visible in Mews)"
    return f"resolved {approval_id}: failed ({outcome.result.get('error')})"
