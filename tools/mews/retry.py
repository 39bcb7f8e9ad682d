"""When a failed request is tried again, and how long to wait first.

The rule, per operation (`RetrySafety`, declared with each operation):

| failure                                         | READ | IDEMPOTENT | NOT_IDEMPOTENT |
| ----------------------------------------------- | ---- | ---------- | -------------- |
| 429 Too Many Requests                           | yes  | yes        | yes            |
| connection never made (ConnectError,            | yes  | yes        | yes            |
| ConnectTimeout, PoolTimeout)                    |      |            |                |
| 408, 5xx, read/write timeouts, dropped answers  | yes  | yes        | **no**         |
| any other status (400, 401, 403, 404, 409, 413) | no   | no         | no             |

Why: Mews rejects a rate-limited request before processing it, and a request whose connection
was never made was never sent, so both are safe to repeat for every operation. After a 408, a
5xx or a lost answer the request may have been applied: repeating an update that sets absolute
values, a delete or a read leaves the same state, but repeating an add (`*/add`, `tasks/add`,
`accountNotes/add`, `customers/add`) could create a second record, so those errors are raised to
the caller instead. (A repeated delete whose first attempt did land answers 400 for the
now-unknown id; that error is surfaced, nothing is applied twice.)

Waiting: a 429's `Retry-After` (seconds or an HTTP-date) is honoured exactly; otherwise
exponential backoff with full jitter, `uniform(0, min(max_delay, base_delay * 2**(n-1)))` before
retry n. A `RetryPolicy` bounds both the attempts and the total time spent waiting; when either
would be exceeded the last error is raised.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from tools.mews.operations import RetrySafety

__all__ = [
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "status_is_retryable",
    "transport_error_is_retryable",
]

_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call (all pages of a `getAll` each get their own budget)."""

    max_attempts: int = 5
    """Attempts in all, the first included; 1 disables retries."""
    max_total_wait: float = 60.0
    """Seconds one call may spend waiting between attempts."""
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_wait < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")


def status_is_retryable(safety: RetrySafety, status: int) -> bool:
    if status == 429:
        return True
    if status == 408 or status >= 500:
        return safety is not RetrySafety.NOT_IDEMPOTENT
    return False


def transport_error_is_retryable(safety: RetrySafety, error: httpx.TransportError) -> bool:
    if isinstance(error, _NEVER_SENT):
        return True
    return safety is not RetrySafety.NOT_IDEMPOTENT


def backoff_delay(retry: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Full-jitter delay before retry number `retry` (1 for the first retry)."""
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (retry - 1))
    return rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, date_header: str | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date.

    An HTTP-date is measured from the response's `Date` header when present (so client and
    server clocks need not agree), else from the local clock. Unparseable values give None.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    when = _http_date(text)
    if when is None:
        return None
    reference = _http_date(date_header) if date_header else None
    now = reference or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _http_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
