"""`loyalty member`: a data-subject request about one member.

    loyalty member export ID --as NAME [--output FILE]   everything held about them, as JSON
    loyalty member erase ID --as NAME                      pseudonymise drafts, notes and names

ID is a loyalty membership id or a Mews customer id. Both go through the policy as a manager
(the `approve` permission; the command line's identity rule decides who `--as` may be) and
are audited: the export as a read, the erase as a guarded `delete` (`tools.actions.privacy`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import EXIT_DENIED, dumps, fail, opened, principal, report, run

__all__ = ["member_app", "register"]

member_app = command_group("Export or erase what the product holds about one member.")
AsOption = Annotated[
    str, typer.Option("--as", help="Who you are: a manager under [principals] in the policy.")
]
MemberId = Annotated[str, typer.Argument(metavar="ID", help="Membership id or customer id.")]


def register(app: typer.Typer) -> None:
    app.add_typer(member_app, name="member")


def _migrated(guard: object) -> None:
    from policies import Guard
    from tools.actions.tables import OFFERS
    from tools.campaigns.tables import CAMPAIGNS
    from tools.loyalty import LEDGER
    from tools.loyalty.member_store_schema import MEMBER_FACTS

    assert isinstance(guard, Guard)
    guard.store.migrate([LEDGER, OFFERS, CAMPAIGNS, MEMBER_FACTS])


@member_app.command("export")
def export(
    member_id: MemberId,
    as_: AsOption,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON here (default stdout).")
    ] = None,
) -> None:
    """Everything the product holds about a member: ledger, drafts, campaigns, approvals,
    audit records and Mews commands naming them."""
    from policies import Denied
    from tools.actions.errors import ActionError
    from tools.actions.privacy import export_member

    with opened() as guard:
        _migrated(guard)
        who = principal(guard, as_)

        async def gather() -> dict[str, object]:
            return export_member(guard.store, member_id)

        try:
            data = run(
                guard.read(
                    who, "export_member", {"member_id": member_id}, gather, requires=("approve",)
                )
            )
        except ActionError as exc:
            fail(str(exc))
    if isinstance(data, Denied):
        fail(f"denied by {data.rule}: {data.reason}", EXIT_DENIED)
    text = dumps(data)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    ledger = data["ledger"]
    assert isinstance(ledger, dict)
    typer.echo(
        f"wrote {output}: {len(ledger['entries'])} ledger entries, "
        f"{len(data['offer_drafts'])} offer drafts, {len(data['campaigns'])} campaigns, "  # type: ignore[arg-type]
        f"{len(data['approvals'])} approvals, {len(data['audit'])} audit records"  # type: ignore[arg-type]
    )


@member_app.command("erase")
def erase(member_id: MemberId, as_: AsOption) -> None:
    """Pseudonymise the drafts, notes and names held about a member; ledger amounts stay."""
    from policies import Posted
    from tools.actions.errors import ActionError
    from tools.actions.privacy import ERASE_MEMBER, erase_member_action

    with opened() as guard:
        _migrated(guard)
        guard.register(erase_member_action(guard.store))
        who = principal(guard, as_)
        try:
            outcome = run(guard.submit(who, ERASE_MEMBER, {"member_id": member_id.strip()}))
        except ActionError as exc:
            fail(str(exc))
    if isinstance(outcome, Posted):
        result = outcome.result
        erased = result.get("erased", {}) if isinstance(result, dict) else {}
        changed = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in erased.items())
        report(outcome, f"erased member {member_id}: {changed}")
    else:
        report(outcome, "")
