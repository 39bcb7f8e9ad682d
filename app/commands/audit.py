"""`loyalty audit`: check and export the hash-chained audit log.

    loyalty audit verify              exit 1 and name the first broken seq on any edit,
                                      removal, reordering or truncation
    loyalty audit export [--out F]    every record as JSON lines (stdout by default)
    loyalty audit anchor              the head (seq and hash) for an external witness to keep

The chain is HMAC-SHA-256 with the key from `LOYALTY_AUDIT_KEY` (the variable the policy names)
or the key file created on first start (`policies.audit_keys`); it must be the key the records
were written with. A recomputed chain and a removed tail (head moved back) both fail `verify`;
comparing today's chain with an anchor kept elsewhere catches a restored old head as well.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import EXIT_DENIED, fail, opened

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = command_group("The tamper-evident audit log.")

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

    @group.command("anchor")
    def anchor_head() -> None:
        """Print the chain's head (seq, hash): keep it elsewhere, compare it later."""
        from policies.audit import anchor

        with opened() as guard:
            head = anchor(guard.store)
            now = guard.clock.now().isoformat(timespec="seconds")
        typer.echo(f"seq {head.seq} hash {head.hash} ({head.algorithm}) at {now}")

    app.add_typer(group, name="audit")
