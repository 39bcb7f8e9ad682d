"""Sending outbox commands to Mews in batches, with one rule for a batch Mews refuses.

A batch Mews rejects as a whole (400: a membership deleted in Mews meanwhile, a note it cannot
take) is split in halves until the bad command is isolated, so one bad record does not hold back
the others. Any other failure fails the whole batch; the outbox retries it later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from storage.outbox import Delivered, Undelivered
from tools.mews import MewsBadRequest, MewsError

__all__ = ["send_in_halves"]

T = TypeVar("T")


async def send_in_halves(
    batch: Sequence[T],
    send: Callable[[list[T]], Awaitable[list[Delivered]]],
    failed: Callable[[list[T], Exception], list[Undelivered]],
    *,
    failures: tuple[type[Exception], ...] = (MewsError,),
) -> list[Delivered | Undelivered]:
    """`send(batch)` as one request; on a 400 each half again, down to single commands.
    `failed` turns a batch and the error that stopped it into outcomes; `failures` are the
    errors that fail a batch (anything else propagates)."""
    items = list(batch)
    try:
        return [*await send(items)]
    except MewsBadRequest as exc:
        if len(items) < 2:
            return [*failed(items, exc)]
        middle = len(items) // 2
        first = await send_in_halves(items[:middle], send, failed, failures=failures)
        return first + await send_in_halves(items[middle:], send, failed, failures=failures)
    except failures as exc:
        return [*failed(items, exc)]
