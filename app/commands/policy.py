"""`loyalty policy`, `loyalty mode` and `loyalty breaker`: the policy file and the switches.

loyalty policy show [--json]        the effective policy (LOYALTY_POLICY_FILE or the default)
loyalty policy check [FILE]         validate a policy file; errors name the key
loyalty mode [show]                 the operating mode and who set it
loyalty mode set MODE --as NAME     switch it (a manager)
loyalty breaker [status]            the circuit breaker
loyalty breaker reset --as NAME     close it again (a manager)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import AsOption, fail, load, opened, principal, report, run

__all__ = ["register"]

MODES_HELP = "read_only | recommend | automate"


def register(app: typer.Typer) -> None:
    app.add_typer(_policy_app(), name="policy")
    app.add_typer(_mode_app(), name="mode")
    app.add_typer(_breaker_app(), name="breaker")


def _policy_app() -> typer.Typer:
    group = command_group("The loyalty policy file.")

    @group.command("show")
    def show(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Print the effective policy (LOYALTY_POLICY_FILE, else the shipped default)."""
        from policies.config import policy_path, render_toml

        policy = load()
        source = policy_path()
        if as_json:
            typer.echo(json.dumps({"source": str(source), "policy": policy.to_dict()}, indent=2))
        else:
            typer.echo(f"# effective policy, from {source}\n")
            typer.echo(render_toml(policy.to_dict()), nl=False)

    @group.command("check")
    def check(
        file: Annotated[
            Path | None, typer.Argument(help="Policy file (default: the one in effect).")
        ] = None,
    ) -> None:
        """Validate a policy file; each problem names its key."""
        from policies import PolicyFileError, load_policy
        from policies.config import policy_path

        source = policy_path(file)
        try:
            policy = load_policy(source)
        except PolicyFileError as exc:
            fail(str(exc))
        typer.echo(
            f"ok: {source} (mode {policy.mode}, {len(policy.roles)} roles, "
            f"{len(policy.principals)} principals, timezone {policy.timezone})"
        )

    return group


def _mode_app() -> typer.Typer:
    group = command_group(f"The operating mode: {MODES_HELP}.", bare_runs_callback=True)

    @group.callback(invoke_without_command=True)
    def mode(ctx: typer.Context) -> None:
        """Show the operating mode (default) or set it."""
        if ctx.invoked_subcommand is None:
            _show_mode()

    @group.command("show")
    def show() -> None:
        """Show the operating mode and where it comes from."""
        _show_mode()

    @group.command("set")
    def set_mode(
        new_mode: Annotated[str, typer.Argument(metavar="MODE", help=MODES_HELP)],
        as_: AsOption,
    ) -> None:
        """Switch the operating mode for every process sharing the database."""
        from policies import MODES, Controls

        if new_mode not in MODES:
            fail(f"unknown mode {new_mode!r}: use one of {', '.join(MODES)}")
        with opened() as guard:
            outcome = run(Controls(guard).set_mode(principal(guard, as_), new_mode))
        report(outcome, f"mode set to {new_mode}")

    return group


def _show_mode() -> None:
    from policies import Controls

    with opened() as guard:
        state = Controls(guard).mode()
    if state.source == "file":
        typer.echo(f"{state.mode} (from the policy file)")
    else:
        at = state.updated_at.isoformat() if state.updated_at else "?"
        typer.echo(f"{state.mode} (set by {state.updated_by} at {at})")


def _breaker_app() -> typer.Typer:
    group = command_group("The circuit breaker that stops agent writes.", bare_runs_callback=True)

    @group.callback(invoke_without_command=True)
    def breaker(ctx: typer.Context) -> None:
        """Show the circuit breaker (default) or reset it."""
        if ctx.invoked_subcommand is None:
            _show_breaker()

    @group.command("status")
    def status() -> None:
        """Show whether the breaker is tripped, and why."""
        _show_breaker()

    @group.command("reset")
    def reset(as_: AsOption) -> None:
        """Close a tripped breaker: agent writes resume."""
        from policies import Controls, Posted
        from tools.automation.inbox import INBOX, release_held

        with opened() as guard:
            outcome = run(Controls(guard).reset_breaker(principal(guard, as_)))
            requeued = 0
            if isinstance(outcome, Posted):  # what the breaker held back is due now
                guard.store.migrate([INBOX])
                requeued = release_held(guard.store, now=guard.clock.now())
        report(outcome, "circuit breaker reset: agent writes resume")
        if requeued:
            typer.echo(f"re-queued {requeued} webhook event(s) the breaker held back")

    return group


def _show_breaker() -> None:
    from policies import Controls

    with opened() as guard:
        state = Controls(guard).breaker()
    if state.tripped:
        typer.echo(f"tripped at {state.tripped_at} by {state.rule}: {state.reason}")
        typer.echo("agent writes are denied until a manager runs `loyalty breaker reset --as NAME`")
    else:
        last = f" (last reset by {state.reset_by} at {state.reset_at})" if state.reset_by else ""
        typer.echo(f"closed: agent writes allowed{last}")
