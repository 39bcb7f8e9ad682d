"""Client-side rate limiting: 200 requests per 30 seconds per access token (CONNECTOR-API.md §3.3).

Mews counts requests per access token in a sliding window, and may block integrations that
keep hitting 429. So the client waits *before* sending rather than after being refused. All
clients in the process that use the same token share one limiter (`limiter_for`), because
Mews counts them together; retries take a slot like any other request.

The limiter does not sleep itself: `reserve(now)` books the earliest slot and says how long to
wait for it, so the caller sleeps with its own (injectable) `sleep`, and no lock is held across
an await. Reservations are booked in order, so concurrent callers queue fairly.

Several processes on one token (the web app, the worker, jobs, every desktop server) share one
budget only through something they all reach: the runtime gives its clients a `RateLimiter`
kept in the store (`storage.rate_budget`, keyed by `token_key`); this package knows only the
interface.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from typing import Protocol

__all__ = [
    "RATE_LIMIT_REQUESTS",
    "RATE_LIMIT_WINDOW",
    "RateLimiter",
    "SlidingWindowLimiter",
    "limiter_for",
    "token_key",
]

RATE_LIMIT_REQUESTS = 200
RATE_LIMIT_WINDOW = 30.0


class RateLimiter(Protocol):
    """What the client asks of a limiter: book the next request, say how long to wait."""

    def reserve(self, now: float) -> float:
        """Book one request at the earliest allowed time; the seconds to wait until then
        (`now`: the client's monotonic clock)."""
        ...


def token_key(access_token: str) -> str:
    """The key a token's budget is kept under: its SHA-256, never the token itself."""
    return hashlib.sha256(access_token.encode()).hexdigest()


class SlidingWindowLimiter:
    """At most `limit` requests in any `window` seconds.

    Times are monotonic seconds from the caller's clock; clients sharing a limiter must share
    the clock (the default, `time.monotonic`, is process-wide).
    """

    def __init__(self, limit: int = RATE_LIMIT_REQUESTS, window: float = RATE_LIMIT_WINDOW) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._slots: deque[float] = deque()  # booked send times, ascending
        self._lock = threading.Lock()

    def reserve(self, now: float) -> float:
        """Book the earliest allowed send time and return the seconds to wait until it."""
        with self._lock:
            while self._slots and self._slots[0] <= now - self.window:
                self._slots.popleft()
            at = now
            if len(self._slots) >= self.limit:
                # The window ending at `at` must not hold `limit` earlier slots.
                at = max(now, self._slots[-self.limit] + self.window)
            self._slots.append(at)
            return at - now


_registry: dict[str, SlidingWindowLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(access_token: str) -> SlidingWindowLimiter:
    """The process-wide limiter of an access token (keyed by its hash; tokens are not kept)."""
    key = token_key(access_token)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = SlidingWindowLimiter()
        return limiter
