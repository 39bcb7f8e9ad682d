"""The Mews rate limit: 200 requests per `AccessToken` within a sliding 30-second window.

Each accepted request is remembered with its time; a request is refused (429) when 200 accepted
requests lie within the last 30 seconds. `Retry-After` is the whole number of seconds until the
oldest of them leaves the window (at least 1). Refused requests are not counted. Time comes from
the sandbox clock, so tests move the window by moving the clock.
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["RateLimiter"]


class RateLimiter:
    """Sliding-window limiter keyed by access token; `enabled = False` turns it off."""

    def __init__(self, limit: int = 200, window_seconds: float = 30.0) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.enabled = True
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str, now: float) -> int | None:
        """Record a request at `now`; return `None` if allowed, else seconds to wait."""
        if not self.enabled:
            return None
        hits = self._hits.setdefault(key, deque())
        while hits and (hits[0] <= now - self.window_seconds or hits[0] > now):
            hits.popleft()  # out of the window (or from before the clock was set back)
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window_seconds - now))
        hits.append(now)
        return None

    def reset(self) -> None:
        self._hits.clear()
