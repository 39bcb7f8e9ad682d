"""`loyalty audit`: check and export the hash-chained audit log.

    loyalty audit verify              exit 1 and name the first broken seq on any edit,
                                      removal, reordering or truncation
    loyalty audit export [--out F]    every record as JSON lines (stdout by default)

With `LOYALTY_AUDIT_KEY` set (the variable the policy names), the chain is checked as
HMAC-SHA-256; it must be the key the records were written with.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from agent.commands._policy_cli import EXIT_DENIED, fail, opened

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

    @group.command("verify")
    def verify_chain() -> None:
        """Check the hash chain; exit 1 on any break, naming where."""
        from policies import verify

        with opened() as guard:
            report = verify(guard.store, guard.audit_key)
        if not report.ok:
            typer.echo(report.summary(), err=True)
            raise typer.Exit(EXIT_DENIED)
        typer.echo(report.summary())

    @group.command("export")
    def export_records(
        out: Annotated[
            Path | None, typer.Option("--out", help="Write to this file (default: stdout).")
        ] = None,
    ) -> None:
        """Write every audit record as one JSON line, in chain order."""
        from policies import export

        with opened() as guard:
            if out is None:
                export(guard.store, sys.stdout)
                return
            try:
                with out.open("w", encoding="utf-8") as handle:
                    count = export(guard.store, handle)
            except OSError as exc:
                fail(f"cannot write {out}: {exc.strerror or exc}")
        typer.echo(f"exported {count} records to {out}")

    app.add_typer(group, name="audit")
