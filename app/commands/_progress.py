"""A progress line for commands that take more than a moment (rich, on stderr).

    with working("Reconciling the ledger with Mews"):
        report = run(...)

On a terminal it shows a spinner, what is being done and the time elapsed, and leaves a
"done in 3.2 s" line behind; when stderr is not a terminal (a pipe, a log, a test) it prints
nothing, so scripted output stays clean. The work's own steps are not counted (the library
calls report no progress of their own), so the line says that it works, not how far it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["working"]


@contextmanager
def working(label: str) -> Iterator[None]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    started = time.monotonic()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        progress.add_task(f"{label}…", total=None)
        yield
    console.print(
        f"{label}: done in {time.monotonic() - started:.1f} s", style="dim", highlight=False
    )
