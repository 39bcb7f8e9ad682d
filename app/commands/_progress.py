"""A progress bar for commands that take more than a moment (rich, on stderr).

    with working("Reconciling the ledger with Mews", quiet=as_json):
        report = run(...)

On a terminal it shows what is being done, a bar with the count ("1,200/5,000 memberships
compared") when the work reports one, and the time elapsed, and leaves a "done in 3.2 s" line
behind. The work reports its steps through `storage.progress` (`step`, `counted`), wherever it
runs; until the first step the bar pulses. When stderr is not a terminal (a pipe, a log, a
test) or the command prints JSON (`quiet`) nothing is shown, so scripted output stays clean.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from storage.progress import Step, counting

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, TaskID

__all__ = ["bar_step", "progress_bar", "working"]


@contextmanager
def working(label: str, *, quiet: bool = False) -> Iterator[None]:
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield
        return
    from rich.progress import SpinnerColumn, TextColumn

    started = time.monotonic()
    with progress_bar(console, SpinnerColumn(), TextColumn("{task.description}")) as progress:
        task = progress.add_task(f"{label}…", total=None)
        with counting(bar_step(progress, task, label)):
            yield
    console.print(
        f"{label}: done in {time.monotonic() - started:.1f} s", style="dim", highlight=False
    )


def progress_bar(console: Console, *leading: str | ProgressColumn) -> Progress:
    """The commands' bar on `console`, gone when done: the `leading` columns (what is being
    done), the bar, the count and the time elapsed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = (*leading, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True)


def bar_step(progress: Progress, task: TaskID, label: str) -> Step:
    """The `storage.progress` sink that moves one task of a rich `Progress`: its count, its
    total (None: the bar pulses) and what is being done."""

    def show(done: int, total: int | None, what: str) -> None:
        progress.update(task, completed=done, total=total, description=f"{label}: {what}")

    return show
