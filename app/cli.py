"""The `loyalty` command line: one entry point, one module per command group.

Each module in `app/commands/` exposes `register(app)`; this file only wires them together and
turns any uncaught error into a one-line message (no tracebacks for users; `LOYALTY_DEBUG=1`
shows them).
"""

from __future__ import annotations

import os
import sys

import typer

from app.commands import (
    approvals,
    audit,
    call,
    chat,
    demo,
    eval,
    facts,
    jobs,
    ledger,
    member,
    policy,
    report,
    sandbox,
    serve,
    web,
    webhooks,
)

# Plain help (no rich markup): rendering help with rich imports rich and markdown-it, which
# doubles the time of `loyalty --help` (issue 20: at most 0.15 s).
app = typer.Typer(
    rich_markup_mode=None,
    name="loyalty",
    help="Policy-guarded loyalty assistant and MCP server for Mews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (
    sandbox,
    policy,
    audit,
    approvals,
    chat,
    demo,
    ledger,
    member,
    eval,
    webhooks,
    jobs,
    serve,
    call,
    web,
    report,
    facts,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the CLI edge: users see a message, not a traceback
        if os.environ.get("LOYALTY_DEBUG"):
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
