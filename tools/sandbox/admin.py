"""Sandbox-only admin endpoints under `/_sandbox/` (never under `/api/`), JSON in and out.

- `GET /_sandbox/info`: chain, enterprises, token pairs, counts, clock, seed, story ids.
- `GET /_sandbox/events`: the General-Webhook change log.
- `POST /_sandbox/clock`: `{"Advance": "P1D"}` or `{"Set": "2026-01-01T00:00:00Z"}`.
- `POST /_sandbox/faults`: any of `{"Status": 429, "Count": 2, "Path": "/api/…",
  "RetryAfter": 5}` (`"RetryAfter": null` omits the header), `{"LatencySeconds": 0.5}`,
  `{"RateLimit": false}`, `{"Clear": true}`.
- `POST /_sandbox/reset`: `{}` (same seed) or `{"Seed": 2, "Customers": 1000}`.
- `POST /_sandbox/reservations/transition`: `{"ReservationId": "…", "State": "Started"}`
  (check-in), `"Processed"` (check-out) or `"Canceled"`.
- `POST /_sandbox/customers/merge`: `{"SourceCustomerId": "…", "TargetCustomerId": "…"}`, a
  profile merge as staff make it in Mews Operations (`tools.sandbox.merges`).
- `/_sandbox/webhooks`: General-Webhook subscribers and deliveries (`tools.sandbox.webhooks`).

No tokens are needed; admin requests are not rate limited and never hit injected faults.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Protocol

from tools.sandbox.clock import Clock, format_ts, parse_duration, to_datetime
from tools.sandbox.errors import JSON, ApiError, bad_request
from tools.sandbox.events import ChangeEvent
from tools.sandbox.faults import Faults
from tools.sandbox.ratelimit import RateLimiter
from tools.sandbox.seed import STORY
from tools.sandbox.validation import Obj

__all__ = ["ADMIN_PREFIX", "handle_admin", "story_json"]

ADMIN_PREFIX = "/_sandbox/"


class AdminTarget(Protocol):
    """What the admin endpoints drive: `tools.sandbox.app.Sandbox`, which routes to them (so
    they name this protocol rather than import it back)."""

    clock: Clock
    faults: Faults
    rate_limiter: RateLimiter

    @property
    def events(self) -> tuple[ChangeEvent, ...]: ...

    def now(self) -> int: ...

    def persist(self) -> None: ...

    def reset(self, *, seed: int | None = None, customers: int | None = None) -> None: ...

    def transition(self, reservation_id: str, target: str) -> JSON: ...

    def merge_customers(self, source_id: str, target_id: str) -> list[str]: ...

    def info(self) -> JSON: ...


def handle_admin(sandbox: AdminTarget, method: str, path: str, body: JSON) -> JSON:
    route = (method, path[len(ADMIN_PREFIX) :])
    q = Obj(body)
    if route == ("GET", "info"):
        return sandbox.info()
    if route == ("GET", "events"):
        return {"Events": [event.to_json() for event in sandbox.events]}
    if route == ("POST", "clock"):
        return _clock(sandbox, q)
    if route == ("POST", "faults"):
        return _faults(sandbox, q)
    if route == ("POST", "reset"):
        seed = q.int_("Seed", minimum=0)
        customers = q.int_("Customers", minimum=0, maximum=100_000)
        sandbox.reset(seed=seed, customers=customers)
        return sandbox.info()
    if route == ("POST", "reservations/transition"):
        reservation_id = q.req_guid("ReservationId")
        target = q.req_enum("State", ("Started", "Processed", "Canceled"))
        return {"Reservation": sandbox.transition(reservation_id, target)}
    if route == ("POST", "customers/merge"):
        source = q.req_guid("SourceCustomerId")
        target_id = q.req_guid("TargetCustomerId")
        return {"MovedLoyaltyMembershipIds": sandbox.merge_customers(source, target_id)}
    raise ApiError(404, f"Unknown sandbox admin endpoint: {method} {path}")


def _clock(sandbox: AdminTarget, q: Obj) -> JSON:
    advance, target = q.str_("Advance"), q.str_("Set")
    if (advance is None) == (target is None):
        raise bad_request('Send exactly one of "Advance" (an ISO 8601 duration) and "Set".')
    if advance is not None:
        try:
            duration = parse_duration(advance)
        except ValueError as exc:
            raise bad_request(f"Advance: {exc}") from None
        sandbox.clock.advance(duration)
    else:
        instant = q.utc("Set", required=True)
        assert instant is not None
        sandbox.clock.set(to_datetime(instant))
    sandbox.persist()
    return {"NowUtc": format_ts(sandbox.now())}


def _faults(sandbox: AdminTarget, q: Obj) -> JSON:
    if q.bool_("Clear"):
        sandbox.faults.clear()
        sandbox.rate_limiter.enabled = True
    status = q.int_("Status")
    if status is not None:
        count = q.int_("Count", minimum=1) or 1
        retry_after = q.int_("RetryAfter", minimum=0) if "RetryAfter" in q.data else 1
        try:
            sandbox.faults.fail_next(
                status,
                count,
                path=q.str_("Path"),
                retry_after=retry_after,
                message=q.str_("Message"),
            )
        except ValueError as exc:
            raise bad_request(str(exc)) from None
    latency = q.number("LatencySeconds")
    if latency is not None:
        if not 0 <= latency <= 120:
            raise bad_request("LatencySeconds must be between 0 and 120.")
        sandbox.faults.latency_seconds = latency
    rate_limit = q.bool_("RateLimit")
    if rate_limit is not None:
        sandbox.rate_limiter.enabled = rate_limit
    return {**sandbox.faults.to_json(), "RateLimitEnabled": sandbox.rate_limiter.enabled}


def story_json() -> JSON:
    return dict(asdict(STORY))
