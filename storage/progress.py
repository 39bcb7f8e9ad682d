"""Counted progress of long work (n of total), for whoever shows it: the command line's bar.

    with counting(show):                       # show(done, total, what) gets every step
        report = await reconcile(...)

    for drift in counted(drifts, "resolving drifts"):   # in the work itself
        ...
    step(0, None, "reading the memberships")   # a step whose total is not known yet

The work reports wherever it runs (the event loop, or a worker thread started with
`asyncio.to_thread`, which carries the context); when nobody counts (an MCP call, a test, a
pipe) a step costs one context-variable read. MCP progress notifications to a client are
`tools.actions.progress` (awaited, per call); this is for a process's own display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeAlias, TypeVar

__all__ = ["Step", "counted", "counting", "step"]

Step: TypeAlias = Callable[[int, int | None, str], None]
"""`show(done, total, what)`: `done` of `total` (None: not known yet), and what is being done."""

_T = TypeVar("_T")
_SINK: ContextVar[Step | None] = ContextVar("progress_sink", default=None)

STEPS_SHOWN = 200
"""`counted` reports about this many steps over a sequence (and always the last): a bar moves
in half-percent steps, and 100,000 items cost 200 calls, not 100,000."""


def step(done: int, total: int | None, what: str) -> None:
    """One step of the work: nothing when nobody counts."""
    sink = _SINK.get()
    if sink is not None:
        sink(done, total, what)


def counted(items: Sequence[_T], what: str) -> Iterator[_T]:
    """The items, reporting `done of len(items)` as they are taken (0 first, all at the end)."""
    total = len(items)
    if _SINK.get() is None:
        yield from items
        return
    every = max(1, total // STEPS_SHOWN)
    for done, item in enumerate(items):
        if done % every == 0:
            step(done, total, what)
        yield item
    step(total, total, what)


@contextmanager
def counting(sink: Step) -> Iterator[None]:
    """Send the steps of the work done inside (in this context) to `sink`."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)
