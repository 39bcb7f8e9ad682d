"""Progress of a long guarded write, reported to the MCP caller that asked for it.

A write's preparation (`GuardedWrite.prepare`, e.g. reading and choosing a campaign's segment)
runs far below the MCP layer; the tool that called it sets where progress goes for the call
(`reporting`), and the write reports steps with `await report(done, total, message)`. Outside
such a call (the command line, a test calling the write directly) reports go nowhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["Progress", "report", "reporting"]

Progress: TypeAlias = Callable[[float, float | None, str | None], Awaitable[None]]
"""`await progress(done, total, message)`: a `notifications/progress` to the caller when it
asked for progress (a progress token), else nothing."""


@dataclass
class _Call:
    progress: Progress
    last: tuple[float, float | None] | None = None


_CURRENT: ContextVar[_Call | None] = ContextVar("write_progress", default=None)


async def report(done: float, total: float | None, message: str) -> None:
    """One step of the write in progress (nothing when no caller listens)."""
    call = _CURRENT.get()
    if call is not None:
        call.last = (done, total)
        await call.progress(done, total, message)


@contextmanager
def reporting(progress: Progress) -> Iterator[Callable[[], tuple[float, float | None] | None]]:
    """Send this call's `report`s to `progress`; yields a function answering the last step
    reported (None: the write reported none)."""
    call = _Call(progress)
    token = _CURRENT.set(call)
    try:
        yield lambda: call.last
    finally:
        _CURRENT.reset(token)
