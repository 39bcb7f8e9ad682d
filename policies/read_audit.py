"""Read audit records joined to the chain in batches, so reads do not queue on its head.

Every guarded call is audited, reads included; but a chain append takes the head row (the
chain's lock) in a write transaction, so with one append per read every read of every process
waits in line behind every other. `ReadAudits` collects read records and appends them together:
when `batch` records are waiting, or `delay` seconds after the first one (a timer on the event
loop), or at `flush()` (the runtime flushes when it closes). The records join the same chain,
so `loyalty audit verify` covers them like any other.

What batching trades: a process that dies (killed, power cut) loses the read records not yet
appended: at most `batch` records or `delay` seconds of reads. Writes, denials, failures and
refusals are never batched. `batch=1` appends each record at once (the default; `loyalty serve`
batches, see `SERVE_READ_AUDIT_BATCH`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Final

from policies._tx import run_in_thread
from policies.audit import AuditDraft

__all__ = ["SERVE_READ_AUDIT_BATCH", "SERVE_READ_AUDIT_DELAY", "ReadAudits"]

_log = logging.getLogger(__name__)

SERVE_READ_AUDIT_BATCH: Final = 32
"""Read records a server appends together: 32 front-desk reads share one chain append, and a
crash can lose at most 32 read records (never a write's)."""
SERVE_READ_AUDIT_DELAY: Final = 1.0
"""Seconds a read record may wait for its batch: a quiet server still appends within 1 s."""


class ReadAudits:
    """Read audit records waiting to be appended (see the module docstring)."""

    def __init__(
        self,
        append: Callable[[Sequence[AuditDraft]], None],
        *,
        batch: int = 1,
        delay: float = SERVE_READ_AUDIT_DELAY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch < 1 or delay <= 0:
            raise ValueError("a read audit batch needs batch >= 1 and delay > 0")
        self._append = append
        self.batch = batch
        self.delay = delay
        self._monotonic = monotonic
        self._pending: list[AuditDraft] = []
        self._first_at = 0.0
        self._lock = threading.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def add(self, draft: AuditDraft) -> None:
        """Queue one read record; append the batch now when it is full or old enough."""
        with self._lock:
            self._pending.append(draft)
            if len(self._pending) == 1:
                self._first_at = self._monotonic()
            waited = self._monotonic() - self._first_at
            due = len(self._pending) >= self.batch or waited >= self.delay
        if due:
            await run_in_thread(self.flush)
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._on_timer)

    def flush(self) -> None:
        """Append every waiting record now (one transaction); safe from any thread."""
        with self._lock:
            drafts, self._pending = self._pending, []
        if not drafts:
            return
        try:
            self._append(drafts)
        except BaseException:
            with self._lock:  # not lost: they go first in the next append
                self._pending[:0] = drafts
            raise

    def close(self) -> None:
        """Stop the timer and append what is waiting (the runtime calls it on close)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.flush()

    def _on_timer(self) -> None:
        self._timer = None
        task = asyncio.ensure_future(run_in_thread(self.flush))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The records stay queued (see `flush`); the next read or `close` tries again.
            _log.warning("appending read audit records failed", exc_info=task.exception())
