"""Fault switches for tests and demos.

`Faults.fail_next(status, count, path=..., retry_after=...)` makes the next `count` API requests
(optionally only those to one path) answer `status` instead of being handled: 408, 409, 413, 429
(with `Retry-After` unless `retry_after=None`), 500, 502, 503 or 504. `latency_seconds` delays
every API answer. Faults are consumed in the order they were added. The admin endpoint
`POST /_sandbox/faults` drives the same object.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.sandbox.errors import JSON, fields_json

__all__ = ["FAULT_STATUSES", "FaultRule", "Faults"]

FAULT_STATUSES: dict[int, str] = {
    408: "The request timed out on the server. Use smaller batches or pagination and retry.",
    409: "The data changed meanwhile (conflict). Refresh it and submit the request again.",
    413: "The request body is too large. Split it into smaller requests.",
    429: "Too many requests for this access token. Retry later.",
    500: "An unexpected error occurred on the server. Retry, or quote the RequestId to support.",
    502: "Bad gateway. Retry later.",
    503: "The service is temporarily unavailable. Retry later.",
    504: "Gateway timeout. Retry later.",
}


@dataclass
class FaultRule:
    status: int
    remaining: int
    path: str | None
    retry_after: int | None
    message: str

    def to_json(self) -> JSON:
        return fields_json(self)


class Faults:
    """Queued failures plus a fixed latency."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.latency_seconds = 0.0

    def fail_next(
        self,
        status: int,
        count: int = 1,
        *,
        path: str | None = None,
        retry_after: int | None = 1,
        message: str | None = None,
    ) -> FaultRule:
        """Queue `count` failures with `status` (for `path` only, when given)."""
        if status not in FAULT_STATUSES:
            allowed = ", ".join(str(code) for code in FAULT_STATUSES)
            raise ValueError(f"fault status must be one of {allowed}, got {status}")
        if count < 1:
            raise ValueError(f"fault count must be at least 1, got {count}")
        if retry_after is not None and retry_after < 0:
            raise ValueError(f"retry_after must not be negative, got {retry_after}")
        rule = FaultRule(status, count, path, retry_after, message or FAULT_STATUSES[status])
        self.rules.append(rule)
        return rule

    def take(self, path: str) -> FaultRule | None:
        """The fault that applies to a request to `path`, consuming one use of it."""
        for rule in self.rules:
            if rule.path is None or rule.path == path:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()
        self.latency_seconds = 0.0

    def to_json(self) -> JSON:
        return {
            "Faults": [rule.to_json() for rule in self.rules],
            "LatencySeconds": self.latency_seconds,
        }
