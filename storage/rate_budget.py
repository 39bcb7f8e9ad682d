"""One request budget per key shared by every process of a store: Mews' 200 requests per 30
seconds per access token, counted for the web app, the worker, jobs and every server at once.

    limiter = SharedRateLimiter(store, key=token_key(access_token))   # a hash, never the token
    delay = limiter.reserve(time.monotonic())                         # seconds to wait, then send

Each process books its requests in small blocks (`block` requests, one short write transaction
per block, not per request) and may send a block's requests during `hold` seconds after the
block's time. A block occupies the budget from its time until `hold + window` after it: every
request sent from it leaves the window Mews counts before the block stops counting here. So the
blocks that occupy the budget at any moment cover every request Mews still counts, and keeping
their sum at or below `limit` keeps every process together within Mews' limit.

What this costs: a block's unused requests stay booked until it stops counting (at most
`block - 1` per process per `hold + window`), and the budget is shared by wall-clock time, so
the machines' clocks must agree to within `hold` (NTP does far better).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage import columns
from storage.store import Component, Store

__all__ = ["RATE_BUDGET", "SharedRateLimiter", "rate_budget_table"]

_metadata = sa.MetaData()

rate_budget_table = sa.Table(
    "rate_budget_blocks",
    _metadata,
    columns.row_id(),
    columns.sha256_hex("budget_key", nullable=False),
    # Wall-clock seconds (Unix time) from which the block's requests may be sent.
    columns.unix_time("at", nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Index("ix_rate_budget_blocks_key_at", "budget_key", "at"),
)


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[rate_budget_table])


RATE_BUDGET = Component("rate_budget", [_create_v1])

BLOCK: Final = 10
"""Requests booked per write transaction."""
HOLD: Final = 2.0
"""Seconds after its time during which a block's requests may be sent."""


@dataclass(eq=False)
class SharedRateLimiter:
    """At most `limit` requests per `window` seconds per `key`, across every process of `store`.

    `reserve(now)` books the next request and returns the seconds to wait before sending it
    (the client sleeps; no lock is held across an await). `now` is the caller's monotonic
    clock, used only to tell when a block's `hold` has passed; the shared schedule runs on
    `wall` (Unix seconds), the clock every machine agrees on.
    """

    store: Store
    _: KW_ONLY
    key: str
    limit: int = 200
    window: float = 30.0
    block: int = BLOCK
    hold: float = HOLD
    wall: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _left: int = field(default=0, init=False)  # requests left in this process's current block
    _block_at: float = field(default=0.0, init=False)  # its time (wall seconds)

    def __post_init__(self) -> None:
        if (
            self.limit < 1
            or self.window <= 0
            or self.hold <= 0
            or not 1 <= self.block <= self.limit
        ):
            raise ValueError(
                "a rate budget needs limit >= 1, window > 0, hold > 0 and 1 <= block <= limit"
            )
        if not self.key or len(self.key) > 64:
            raise ValueError("the budget key must be 1 to 64 characters (a hash of the token)")

    def reserve(self, now: float) -> float:
        """Book one request; the seconds to wait before sending it."""
        del now  # the shared schedule runs on the wall clock
        with self._lock:
            wall = self.wall()
            if self._left > 0 and wall <= self._block_at + self.hold:
                self._left -= 1
                return max(0.0, self._block_at - wall)
            self._block_at = self._book(wall)
            self._left = self.block - 1
            return max(0.0, self._block_at - wall)

    def _book(self, wall: float) -> float:
        """Book a block at the earliest time the budget has room for it; returns that time."""
        t = rate_budget_table
        span = self.hold + self.window  # how long a block occupies the budget
        with self.store.write(f"rate-budget:{self.key}") as conn:
            conn.execute(t.delete().where(t.c.budget_key == self.key, t.c.at <= wall - span))
            rows = conn.execute(
                sa.select(t.c.at, t.c.requests).where(t.c.budget_key == self.key).order_by(t.c.at)
            ).all()
            at = _earliest(
                [(float(r.at) + span, int(r.requests)) for r in rows], wall, self.block, self.limit
            )
            conn.execute(t.insert().values(budget_key=self.key, at=at, requests=self.block))
        return at


def _earliest(ends: list[tuple[float, int]], wall: float, block: int, limit: int) -> float:
    """The earliest time >= `wall` at which `block` more requests fit under `limit`, given the
    blocks that occupy the budget until their end (`ends`: (end, requests), by end)."""
    ordered = sorted(ends)
    occupied = sum(requests for end, requests in ordered if end > wall)
    at = wall
    for end, requests in ordered:
        if occupied + block <= limit:
            break
        if end > at:
            at = end
            occupied -= requests
        elif end > wall:
            occupied -= requests
    return at
