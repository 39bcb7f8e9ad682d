"""General Webhooks out of the sandbox: the change log delivered to subscribers like Mews does.

    emitter = sandbox.webhooks
    emitter.subscribe("http://127.0.0.1:8088/webhooks/mews/SECRET")
    sandbox.transition(reservation_id, "Processed")      # records ServiceOrderUpdated
    await emitter.flush()                                # delivers what is due (sandbox clock)

What Mews does (CONNECTOR-API.md §6) and how the sandbox copies it:

- Events lag the change (typically 2-5 minutes): an event is sent `delay_seconds` after it
  happened, on the *sandbox clock*, so a test advances a `FrozenClock` instead of sleeping.
- One message batches up to "hundreds" of events of one enterprise: at most `batch_size`.
  Body: `{"EnterpriseId", "IntegrationId", "Events": [{"Discriminator", "Value": {"Id"}}]}`.
- The subscriber must answer 2xx within 5 seconds (307/308 are followed); anything else, or a
  transport error or timeout, is redelivered later with exponential backoff
  (`retry_base_seconds` × 2^(attempt-1), at most `retry_max_seconds`) and, after
  `max_attempts`, discarded (kept in the status for inspection, never silently).
- `IntegrationId` is that of the subscription's token (`AccessToken` at subscribe time, which
  also limits events to its enterprises), else of the first demo integration of the event's
  enterprise.

Nothing runs by itself in process: `flush()` does one round, `run()` loops (the ASGI lifespan of
`loyalty sandbox` starts it). `transport` lets tests deliver in memory to an ASGI app.
Admin: `GET /_sandbox/webhooks` (status), `POST /_sandbox/webhooks` with `{"Url", "AccessToken"?,
"DelaySeconds"?, "BatchSize"?}` to subscribe (or only change the settings), `{"Remove": id}`,
`{"Clear": true}`; `POST /_sandbox/webhooks/flush` with `{"Force": true}` (default) to send
everything now, ignoring the delay and the backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

import httpx

from tools.sandbox.clock import Clock
from tools.sandbox.errors import JSON, ApiError, bad_request, fields_json
from tools.sandbox.events import ChangeEvent, EventLog
from tools.sandbox.ids import new_id
from tools.sandbox.state import State
from tools.sandbox.tokens import ALL_TOKENS, DEMO_TOKENS, PORTFOLIO, Integration
from tools.sandbox.validation import Obj


class _Source(Protocol):
    """What the emitter reads of `tools.sandbox.app.Sandbox`, which owns it: the state (a new
    one after a reset) and the clock."""

    @property
    def state(self) -> State: ...

    @property
    def clock(self) -> Clock: ...


__all__ = [
    "WEBHOOKS_PREFIX",
    "Delivery",
    "FlushReport",
    "Subscription",
    "WebhookEmitter",
    "WebhookSettings",
    "handle_webhook_admin",
]

WEBHOOKS_PREFIX = "/_sandbox/webhooks"
MAX_BATCH = 1000
_HISTORY = 200

logger = logging.getLogger("tools.sandbox.webhooks")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class WebhookSettings:
    """How the sandbox delivers; the defaults mimic Mews on a laptop scale."""

    delay_seconds: float = 120.0
    batch_size: int = 100
    max_attempts: int = 8
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    timeout_seconds: float = 5.0
    poll_seconds: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.delay_seconds <= 86_400:
            raise ValueError(f"delay_seconds must be 0..86400, got {self.delay_seconds}")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, got {self.batch_size}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.retry_base_seconds < 0 or self.retry_max_seconds < self.retry_base_seconds:
            raise ValueError("retry_base_seconds must be >= 0 and <= retry_max_seconds")
        if self.timeout_seconds <= 0 or self.poll_seconds <= 0:
            raise ValueError("timeout_seconds and poll_seconds must be positive")

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return float(min(self.retry_max_seconds, self.retry_base_seconds * 2 ** (attempts - 1)))


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    integration: Integration | None = None

    def covers(self, enterprise_id: str) -> bool:
        return self.integration is None or enterprise_id in self.integration.enterprise_ids

    def integration_id(self, enterprise_id: str) -> str:
        if self.integration is not None:
            return self.integration.integration_id
        return _default_integration(enterprise_id).integration_id

    def to_json(self) -> JSON:
        return {
            "Id": self.id,
            "Url": self.url,
            "IntegrationId": None if self.integration is None else self.integration.integration_id,
        }


@dataclass
class Delivery:
    """One webhook message to one subscriber, with its attempts."""

    id: str
    subscription_id: str
    url: str
    payload: JSON
    created_at: float
    next_attempt_at: float
    attempts: int = 0
    status: str = "pending"  # pending | delivered | discarded
    last_status: int | None = None
    last_error: str | None = None

    def to_json(self) -> JSON:
        return {
            "Id": self.id,
            "SubscriptionId": self.subscription_id,
            "Url": self.url,
            "Status": self.status,
            "Attempts": self.attempts,
            "EventCount": len(self.payload["Events"]),
            "LastStatus": self.last_status,
            "LastError": self.last_error,
            "NextAttemptAt": self.next_attempt_at if self.status == "pending" else None,
        }


@dataclass
class FlushReport:
    """What one `flush()` did."""

    queued: int = 0  # new messages built from the change log
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    discarded: int = 0
    pending: int = 0  # still waiting (not due yet, or backing off) afterwards

    def to_json(self) -> JSON:
        return fields_json(self)


@dataclass
class _Cursor:
    log: EventLog | None = None
    sequence: int = 0


@dataclass
class _Totals:
    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    discarded: int = 0
    events_sent: int = 0


class WebhookEmitter:
    """Turns the sandbox's change log into General-Webhook deliveries.

    A round opens an `httpx.AsyncClient` on `transport` and closes it (and the transport)
    afterwards: give a transport that needs no state between rounds (the default network
    transport, `httpx.ASGITransport`, `httpx.MockTransport`).
    """

    def __init__(
        self,
        sandbox: _Source,
        *,
        settings: WebhookSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sandbox = sandbox
        self.settings = settings or WebhookSettings()
        self.transport = transport
        self._sleep = sleep
        self.subscriptions: dict[str, Subscription] = {}
        self.pending: list[Delivery] = []
        self.history: deque[Delivery] = deque(maxlen=_HISTORY)
        self.totals = _Totals()
        self._cursor = _Cursor(sandbox.state.events, len(sandbox.state.events))
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ configuration
    def subscribe(self, url: str, *, access_token: str | None = None) -> Subscription:
        """Deliver future events to `url` (http or https)."""
        if not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise ValueError(f"a webhook URL must start with http:// or https://, got {url!r}")
        integration = None
        if access_token is not None:
            integration = _integration_for(access_token)
            if integration is None:
                raise ValueError("AccessToken is not one of the sandbox's token pairs")
        self._catch_up()  # a new subscriber hears about changes from now on
        subscription = Subscription(new_id(), url, integration)
        self.subscriptions[subscription.id] = subscription
        return subscription

    def unsubscribe(self, subscription_id: str) -> None:
        if self.subscriptions.pop(subscription_id, None) is None:
            raise KeyError(subscription_id)
        self.pending = [d for d in self.pending if d.subscription_id != subscription_id]

    def clear(self) -> None:
        self.subscriptions.clear()
        self.pending.clear()

    def configure(self, **changes: float | int) -> WebhookSettings:
        """Replace some settings (`delay_seconds=0`, `batch_size=500`...); validated."""
        self.settings = replace(self.settings, **changes)  # type: ignore[arg-type]
        return self.settings

    # ------------------------------------------------------------------ delivery
    async def flush(self, *, force: bool = False) -> FlushReport:
        """Queue the events that are due and send every due message once.

        `force` ignores the delay and the backoff: everything recorded is sent now.
        """
        async with self._lock:
            now = self._now()
            report = FlushReport(queued=self._collect(now, force=force))
            due = [d for d in self.pending if force or d.next_attempt_at <= now]
            if due:
                await self._send_all(due, now, report)
            self.pending = [d for d in self.pending if d.status == "pending"]
            report.pending = len(self.pending)
            return report

    async def run(self) -> None:
        """Flush every `poll_seconds` until cancelled; a failing round is logged, not fatal."""
        while True:
            try:
                await self.flush()
            except Exception:  # the loop's edge: one bad round must not stop deliveries
                logger.exception("webhook delivery round failed")
            await self._sleep(self.settings.poll_seconds)

    def start(self) -> None:
        """Run `run()` in the background of the current event loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def to_json(self) -> JSON:
        s = self.settings
        return {
            "Subscriptions": [sub.to_json() for sub in self.subscriptions.values()],
            "Settings": {
                "DelaySeconds": s.delay_seconds,
                "BatchSize": s.batch_size,
                "MaxAttempts": s.max_attempts,
                "RetryBaseSeconds": s.retry_base_seconds,
                "RetryMaxSeconds": s.retry_max_seconds,
            },
            "Pending": [d.to_json() for d in self.pending],
            "Recent": [d.to_json() for d in self.history],
            "Totals": fields_json(self.totals),
            "Running": self._task is not None and not self._task.done(),
        }

    # ------------------------------------------------------------------ internals
    def _now(self) -> float:
        return self.sandbox.clock.now().timestamp()

    def _new_events(self) -> tuple[ChangeEvent, ...]:
        log = self.sandbox.state.events
        if log is not self._cursor.log:  # the sandbox was reset: a new log, from its start
            self._cursor = _Cursor(log, 0)
        return log.since(self._cursor.sequence)

    def _catch_up(self) -> None:
        self._new_events()
        self._cursor.sequence = len(self.sandbox.state.events)

    def _collect(self, now: float, *, force: bool) -> int:
        ready: list[ChangeEvent] = []
        for event in self._new_events():
            if not force and event.at + self.settings.delay_seconds > now:
                break  # the log is in time order: later events are not due either
            ready.append(event)
        if not ready:
            return 0
        self._cursor.sequence = ready[-1].sequence
        queued = 0
        for subscription in self.subscriptions.values():
            by_enterprise: dict[str, list[ChangeEvent]] = {}
            for event in ready:
                if subscription.covers(event.enterprise_id):
                    by_enterprise.setdefault(event.enterprise_id, []).append(event)
            for enterprise_id, events in by_enterprise.items():
                size = self.settings.batch_size
                for start in range(0, len(events), size):
                    self.pending.append(
                        self._delivery(subscription, enterprise_id, events[start : start + size])
                    )
                    queued += 1
        return queued

    def _delivery(
        self, subscription: Subscription, enterprise_id: str, events: list[ChangeEvent]
    ) -> Delivery:
        payload: JSON = {
            "EnterpriseId": enterprise_id,
            "IntegrationId": subscription.integration_id(enterprise_id),
            "Events": [
                {"Discriminator": e.discriminator, "Value": {"Id": e.entity_id}} for e in events
            ],
        }
        now = self._now()
        return Delivery(new_id(), subscription.id, subscription.url, payload, now, now)

    async def _send_all(self, due: list[Delivery], now: float, report: FlushReport) -> None:
        timeout = httpx.Timeout(self.settings.timeout_seconds)
        async with httpx.AsyncClient(
            transport=self.transport, timeout=timeout, follow_redirects=True
        ) as client:
            for delivery in due:
                await self._send(client, delivery, now, report)

    async def _send(
        self, client: httpx.AsyncClient, delivery: Delivery, now: float, report: FlushReport
    ) -> None:
        report.attempted += 1
        self.totals.attempts += 1
        delivery.attempts += 1
        try:
            response = await client.post(delivery.url, json=delivery.payload)
        except httpx.HTTPError as exc:
            delivery.last_status, delivery.last_error = None, f"{type(exc).__name__}: {exc}"
        else:
            delivery.last_status = response.status_code
            if response.is_success:
                delivery.status, delivery.last_error = "delivered", None
                report.delivered += 1
                self.totals.delivered += 1
                self.totals.events_sent += len(delivery.payload["Events"])
                self.history.append(delivery)
                return
            delivery.last_error = f"HTTP {response.status_code}: {response.text[:200]}"
        report.failed += 1
        self.totals.failed += 1
        if delivery.attempts >= self.settings.max_attempts:
            delivery.status = "discarded"
            report.discarded += 1
            self.totals.discarded += 1
            self.history.append(delivery)
            logger.warning(
                "webhook %s to %s discarded: %s", delivery.id, delivery.url, delivery.last_error
            )
            return
        delivery.next_attempt_at = now + self.settings.backoff(delivery.attempts)


def _integration_for(access_token: str) -> Integration | None:
    for integration in ALL_TOKENS:
        if integration.access_token == access_token:
            return integration
    return None


def _default_integration(enterprise_id: str) -> Integration:
    for integration in DEMO_TOKENS:
        if integration.enterprise_id == enterprise_id:
            return integration
    return PORTFOLIO


# ---------------------------------------------------------------------- admin endpoints
async def handle_webhook_admin(emitter: WebhookEmitter, method: str, path: str, body: JSON) -> JSON:
    """`/_sandbox/webhooks[/flush]` (see the module docstring)."""
    route = (method, path[len(WEBHOOKS_PREFIX) :])
    q = Obj(body)
    if route == ("GET", ""):
        return emitter.to_json()
    if route == ("POST", ""):
        return _configure(emitter, q)
    if route == ("POST", "/flush"):
        force = q.bool_("Force")
        report = await emitter.flush(force=True if force is None else force)
        return {"Flush": report.to_json(), **emitter.to_json()}
    raise ApiError(404, f"Unknown sandbox admin endpoint: {method} {path}")


def _configure(emitter: WebhookEmitter, q: Obj) -> JSON:
    if q.bool_("Clear"):
        emitter.clear()
    remove = q.str_("Remove")
    if remove is not None:
        try:
            emitter.unsubscribe(remove)
        except KeyError:
            raise bad_request(f"Remove: no webhook subscription {remove!r}.") from None
    changes: dict[str, float | int] = {}
    delay = q.number("DelaySeconds")
    if delay is not None:
        changes["delay_seconds"] = delay
    batch = q.int_("BatchSize", minimum=1, maximum=MAX_BATCH)
    if batch is not None:
        changes["batch_size"] = batch
    try:
        if changes:
            emitter.configure(**changes)
        url = q.str_("Url", max_len=2000, non_empty=True)
        if url is not None:
            emitter.subscribe(url, access_token=q.str_("AccessToken"))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return emitter.to_json()
