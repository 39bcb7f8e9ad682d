"""How a `loyalty` command group is made, once: plain help (no rich markup, so `--help` imports
no rich text and reads the same in every terminal) and what the bare group name does."""

from __future__ import annotations

import typer

__all__ = ["command_group"]


def command_group(help_text: str, *, bare_runs_callback: bool = False) -> typer.Typer:
    """A group of subcommands (`loyalty jobs ...`). Given no subcommand it prints its help or,
    with `bare_runs_callback`, runs its callback (`loyalty web` serves, `loyalty mode` shows)."""
    if bare_runs_callback:
        return typer.Typer(rich_markup_mode=None, help=help_text, invoke_without_command=True)
    return typer.Typer(rich_markup_mode=None, help=help_text, no_args_is_help=True)
