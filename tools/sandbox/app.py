"""`Sandbox`: the simulator's state, clock, faults and rate limiter, and its transports.

`await sandbox.handle(method, path, headers, body)` answers one HTTP request as
`(status, headers, body)`; `sandbox.asgi_app` serves it with uvicorn (and, while served, delivers
General Webhooks: `sandbox.webhooks`, `tools.sandbox.webhooks`); `sandbox.httpx_transport()`
plugs it into `httpx.AsyncClient(transport=..., base_url="http://sandbox")` in process.

Order of checks for `/api/connector/v1/...`: exact path and `POST` (else 404) → injected fault
(if any) → `Content-Type: application/json` (400) → strict JSON object (400 `Invalid JSON`) →
token pair (401) → `Client` (400) → rate limit (429) → the operation (400/403/200). Every answer
has a `Request-Id` header; errors have the body `{"Message", "RequestId"}`. With
`Prefer: return=minimal` an empty page or an empty `{}` result is `204` without a body.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx

from tools.sandbox.admin import ADMIN_PREFIX, handle_admin, story_json
from tools.sandbox.clock import (
    Clock,
    FrozenClock,
    SystemClock,
    format_ts,
    parse_ts,
    to_datetime,
    to_ts,
)
from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, ApiError, bad_request
from tools.sandbox.events import ChangeEvent
from tools.sandbox.faults import Faults
from tools.sandbox.ids import new_id
from tools.sandbox.merges import merge_customers
from tools.sandbox.ops import OPERATIONS
from tools.sandbox.ops.reservations import render_reservation
from tools.sandbox.persistence import StateFile, apply_overlay
from tools.sandbox.ratelimit import RateLimiter
from tools.sandbox.seed import CUSTOMERS_DEFAULT, SEED_DEFAULT, SeedProgress, build_state
from tools.sandbox.state import SeedParams, State
from tools.sandbox.tokens import ALL_TOKENS, PORTFOLIO, find_integration
from tools.sandbox.transitions import transition_reservation
from tools.sandbox.validation import Obj
from tools.sandbox.webhooks import WEBHOOKS_PREFIX, WebhookEmitter, handle_webhook_admin
from tools.sandbox.world import CHAIN_ID, CHAIN_NAME

__all__ = ["ASGIApp", "Response", "Sandbox"]

Response = tuple[int, dict[str, str], bytes]
Sleep = Callable[[float], Awaitable[None]]
ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(body: bytes) -> JSON:
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError):
        raise bad_request("Invalid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("Invalid JSON: the body must be a JSON object.")
    return data


class Sandbox:
    """A simulated Mews Connector API with a seeded demo chain."""

    def __init__(
        self,
        state: State,
        *,
        clock: Clock | None = None,
        state_file: StateFile | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.state = state
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults()
        self.rate_limiter = RateLimiter()
        self.state_file = state_file
        self._sleep = sleep
        self.webhooks = WebhookEmitter(self, sleep=sleep)

    # ------------------------------------------------------------------ construction
    @classmethod
    def seeded(
        cls,
        seed: int = SEED_DEFAULT,
        customers: int = CUSTOMERS_DEFAULT,
        now: datetime | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        progress: SeedProgress | None = None,
    ) -> Sandbox:
        """A fresh chain. `now` anchors the seed; given alone, it also freezes the clock there.
        `progress` hears how many guests are generated."""
        if clock is None:
            clock = FrozenClock(now) if now is not None else SystemClock()
        anchor = to_ts(now if now is not None else clock.now())
        state = build_state(SeedParams(seed, customers, anchor), progress)
        return cls(state, clock=clock, sleep=sleep)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        seed: int = SEED_DEFAULT,
        customers: int = CUSTOMERS_DEFAULT,
        reset: bool = False,
        clock: Clock | None = None,
        progress: SeedProgress | None = None,
    ) -> Sandbox:
        """Load the sandbox kept in `path`, or seed a new one there (always with `reset`);
        `progress` hears how far the seeding is (a saved chain is seeded again, then its
        changes applied)."""
        state_file = StateFile(path)
        if reset or not state_file.exists():
            clock = clock or SystemClock()
            sandbox = cls(
                build_state(SeedParams(seed, customers, to_ts(clock.now())), progress),
                clock=clock,
                state_file=state_file,
            )
            if progress is not None:
                progress(0, None, f"saving {path.name}")
            sandbox.persist()
            return sandbox
        saved = state_file.load()
        state = build_state(saved.params, progress)
        apply_overlay(state, saved.document)
        if clock is None:
            clock = _clock_from_json(saved.clock)
        return cls(state, clock=clock, state_file=state_file)

    # ------------------------------------------------------------------ plain Python API
    @property
    def events(self) -> tuple[ChangeEvent, ...]:
        """The change log of General-Webhook events, oldest first."""
        return self.state.events.all()

    def now(self) -> int:
        return to_ts(self.clock.now())

    def persist(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.state, _clock_to_json(self.clock))

    def reset(self, *, seed: int | None = None, customers: int | None = None) -> None:
        """Start fresh: the same seed parameters, or new ones anchored at the current time."""
        params = self.state.params
        if seed is not None or customers is not None:
            params = SeedParams(
                params.seed if seed is None else seed,
                params.customers if customers is None else customers,
                self.now(),
            )
        self.state = build_state(params)
        self.faults.clear()
        self.rate_limiter.reset()
        self.rate_limiter.enabled = True
        self.persist()

    def transition(self, reservation_id: str, target: str) -> JSON:
        """Check in (`Started`), check out (`Processed`) or cancel (`Canceled`) a reservation."""
        reservation = transition_reservation(self.state, reservation_id, target, self.now())
        self.persist()
        return render_reservation(Ctx(self.state, PORTFOLIO, self.now(), ""), reservation)

    def merge_customers(self, source_id: str, target_id: str) -> list[str]:
        """Merge one customer profile into another, as staff do in Mews Operations
        (`tools.sandbox.merges`); the ids of the loyalty memberships that moved."""
        moved = merge_customers(self.state, source_id, target_id, self.now())
        self.persist()
        return moved

    def info(self) -> JSON:
        state = self.state
        integrations = ALL_TOKENS
        return {
            "Chain": {"Id": CHAIN_ID, "Name": CHAIN_NAME},
            "Enterprises": [
                {
                    "Id": e.id,
                    "Name": e.name,
                    "Pricing": e.pricing,
                    "Currency": e.currency,
                    "LegalEnvironmentCode": e.legal_environment,
                    "TimeZone": e.time_zone,
                }
                for e in state.world.enterprises.values()
            ],
            "Tokens": [
                {
                    "Name": i.name,
                    "ClientToken": i.client_token,
                    "AccessToken": i.access_token,
                    "EnterpriseIds": list(i.enterprise_ids),
                    "Portfolio": i.portfolio,
                }
                for i in integrations
            ],
            "Counts": {
                "Customers": len(state.customers),
                "Reservations": len(state.by_idx),
                "LoyaltyPrograms": len(state.programs),
                "LoyaltyTiers": len(state.tiers),
                "LoyaltyMemberships": len(state.memberships),
                "AccountNotes": len(state.account_notes),
                "Events": len(state.events),
            },
            "NowUtc": format_ts(self.now()),
            "Seed": {
                "Seed": state.params.seed,
                "Customers": state.params.customers,
                "NowUtc": format_ts(state.params.now),
            },
            "Story": story_json(),
            "StateFile": str(self.state_file.path) if self.state_file else None,
        }

    # ------------------------------------------------------------------ HTTP
    async def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Answer one request; never raises."""
        request_id = new_id()
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            if path == WEBHOOKS_PREFIX or path.startswith(WEBHOOKS_PREFIX + "/"):
                payload = await handle_webhook_admin(
                    self.webhooks, method.upper(), path, _parse_json(body) if body.strip() else {}
                )
                return 200, self._json_headers(request_id), _dump(payload)
            if path.startswith(ADMIN_PREFIX):
                payload = handle_admin(
                    self, method.upper(), path, _parse_json(body) if body.strip() else {}
                )
                return 200, self._json_headers(request_id), _dump(payload)
            return await self._api(method.upper(), path, lowered, body, request_id)
        except ApiError as error:
            return self._error(error, request_id)
        except Exception as error:  # the edge: a simulator bug must still answer like Mews
            return self._error(ApiError(500, f"Sandbox internal error: {error!r}"), request_id)

    async def _api(
        self, method: str, path: str, headers: dict[str, str], body: bytes, request_id: str
    ) -> Response:
        if OPERATIONS.get(path) is not None and self.faults.latency_seconds > 0:
            await self._sleep(self.faults.latency_seconds)
        return self._api_now(method, path, headers, body, request_id)

    def handle_now(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """`handle` for an API request without injected latency, synchronously (for a worker
        thread); never raises."""
        request_id = new_id()
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            return self._api_now(method.upper(), path, lowered, body, request_id)
        except ApiError as error:
            return self._error(error, request_id)
        except Exception as error:  # the edge: a simulator bug must still answer like Mews
            return self._error(ApiError(500, f"Sandbox internal error: {error!r}"), request_id)

    def _api_now(
        self, method: str, path: str, headers: dict[str, str], body: bytes, request_id: str
    ) -> Response:
        operation = OPERATIONS.get(path)
        if operation is None or method != "POST":
            raise ApiError(404, f"Not found: {method} {path}")
        fault = self.faults.take(path)
        if fault is not None:
            extra = (
                {}
                if fault.status != 429 or fault.retry_after is None
                else {"Retry-After": str(fault.retry_after)}
            )
            raise ApiError(fault.status, fault.message, extra)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise bad_request("Content-Type must be application/json.")
        data = _parse_json(body)
        client_token, access_token = data.get("ClientToken"), data.get("AccessToken")
        if not isinstance(client_token, str) or not isinstance(access_token, str):
            raise ApiError(401, "ClientToken and AccessToken are required.")
        integration = find_integration(client_token, access_token)
        if integration is None:
            raise ApiError(
                401, "Invalid ClientToken or AccessToken (unknown, or not issued together)."
            )
        q = Obj(data)
        q.req_str("Client", max_len=255)
        q.str_("LanguageCode")
        q.str_("CultureCode")
        now = self.clock.now()
        retry = self.rate_limiter.check(access_token, now.timestamp())
        if retry is not None:
            raise ApiError(
                429,
                "Too many requests for this access token (200 per 30 seconds).",
                {"Retry-After": str(retry)},
            )
        ctx = Ctx(self.state, integration, to_ts(now), path)
        result = operation.handler(ctx, q)
        if operation.writes:
            self.persist()
        if "return=minimal" in headers.get("prefer", "").replace(" ", "") and (
            result == {} or (operation.page_key is not None and result.get("Cursor") is None)
        ):
            return 204, {"Request-Id": request_id}, b""
        return 200, self._json_headers(request_id), _dump(result)

    @staticmethod
    def _json_headers(request_id: str) -> dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8", "Request-Id": request_id}

    def _error(self, error: ApiError, request_id: str) -> Response:
        headers = {**self._json_headers(request_id), **error.headers}
        return error.status, headers, _dump({"Message": error.message, "RequestId": request_id})

    # ------------------------------------------------------------------ transports
    def httpx_transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.AsyncClient` (no sockets).

        An API request is answered in a worker thread, one at a time (the state has one writer
        at a time): the simulator's work, filtering thousands of customers and serialising their
        pages, never holds up the event loop that serves MCP clients. Webhook and admin paths,
        and injected latency, stay on the loop."""
        one_at_a_time: list[anyio.CapacityLimiter] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            path, headers = request.url.path, dict(request.headers)
            if self.faults.latency_seconds > 0 or path not in OPERATIONS:
                status, answer, content = await self.handle(request.method, path, headers, body)
            else:
                if not one_at_a_time:
                    one_at_a_time.append(anyio.CapacityLimiter(1))
                status, answer, content = await anyio.to_thread.run_sync(
                    self.handle_now, request.method, path, headers, body, limiter=one_at_a_time[0]
                )
            return httpx.Response(status, headers=answer, content=content)

        return httpx.MockTransport(handler)

    @property
    def asgi_app(self) -> ASGIApp:
        """A plain ASGI 3 application (serve it with uvicorn)."""
        return ASGIApp(self)


class ASGIApp:
    """The sandbox as an ASGI 3 callable; answers the lifespan protocol, serves HTTP."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.sandbox.webhooks.start()  # deliver General Webhooks while served
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.sandbox.webhooks.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        status, answer_headers, content = await self.sandbox.handle(
            scope["method"], scope["path"], headers, b"".join(chunks)
        )
        raw = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer_headers.items()
        ]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})


def _dump(payload: JSON) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _clock_to_json(clock: Clock) -> JSON:
    if isinstance(clock, SystemClock):
        return {"Kind": "System", "OffsetSeconds": clock.offset.total_seconds()}
    return {"Kind": "Frozen", "NowUtc": format_ts(to_ts(clock.now()))}


def _clock_from_json(data: JSON) -> Clock:
    if data.get("Kind") == "Frozen":
        return FrozenClock(to_datetime(parse_ts(str(data["NowUtc"]))))
    offset = float(data.get("OffsetSeconds", 0.0))
    if not math.isfinite(offset):
        offset = 0.0
    return SystemClock(timedelta(seconds=offset))
