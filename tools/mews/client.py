"""`MewsClient`: the typed async client of the Mews Connector API.

    async with MewsClient(MewsCredentials.from_env()) as mews:
        config = await mews.configuration.get()
        chain_ids = [config.enterprise.chain_id]
        async for member in mews.loyalty_memberships.get_all(chain_ids=chain_ids):
            ...

The resource groups mirror the API (`mews.loyalty_memberships.get_all` ↔
`loyaltyMemberships/getAll`). Every call goes through `MewsClient._call`, which adds the token
envelope, waits for the per-token rate limiter, sends, maps errors, retries what is safe to
retry (see `tools.mews.retry`) and parses the answer into the operation's model.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

import anyio
import httpx
import msgspec
from pydantic import ValidationError

from tools.mews.credentials import MewsCredentials
from tools.mews.errors import (
    MewsAPIError,
    MewsRateLimited,
    MewsResponseError,
    MewsTransportError,
    api_error_class,
)
from tools.mews.models.common import JsonObject, MewsResponse
from tools.mews.operations import Operation
from tools.mews.ratelimit import RateLimiter, limiter_for
from tools.mews.resources import (
    AccountingCategoriesResource,
    AccountNotesResource,
    BillsResource,
    ConfigurationResource,
    CustomersResource,
    EnterprisesResource,
    LoyaltyMembershipsResource,
    LoyaltyProgramsResource,
    LoyaltyTiersResource,
    OrderItemsResource,
    OrdersResource,
    ProductServiceOrdersResource,
    ProductsResource,
    ReservationsResource,
    ResourceCategoriesResource,
    ServicesResource,
    TasksResource,
)
from tools.mews.retry import (
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    status_is_retryable,
    transport_error_is_retryable,
)

__all__ = ["API_PREFIX", "CHAIN_SCOPED_READS", "MewsClient", "MewsStats"]

R = TypeVar("R", bound=MewsResponse)
D = TypeVar("D")

API_PREFIX = "/api/connector/v1/"

logger = logging.getLogger("tools.mews")


@dataclass
class MewsStats:
    """What the client did, for tests and benchmarks (`client.stats`, `.reset()` between runs)."""

    requests: Counter[str] = field(default_factory=Counter)
    """HTTP requests sent, per operation path (retries included)."""
    retries: int = 0
    rate_limited: int = 0
    """429 answers seen."""
    retry_wait_seconds: float = 0.0
    """Time spent waiting between attempts."""
    throttle_wait_seconds: float = 0.0
    """Time spent waiting for the client-side rate limiter."""
    decode_seconds: float = 0.0
    """CPU time spent validating answers into models (this thread's CPU, not wall time)."""

    @property
    def total_requests(self) -> int:
        return self.requests.total()

    @property
    def total_wait_seconds(self) -> float:
        return self.retry_wait_seconds + self.throttle_wait_seconds

    def reset(self) -> None:
        self.requests.clear()
        self.retries = self.rate_limited = 0
        self.retry_wait_seconds = self.throttle_wait_seconds = self.decode_seconds = 0.0


CHAIN_SCOPED_READS: frozenset[str] = frozenset(
    {
        "customers/getAll",
        "loyaltyPrograms/getAll",
        "loyaltyTiers/getAll",
        "loyaltyMemberships/getAll",
        "accountNotes/getAll",
    }
)
"""Reads that take `ChainIds` (required for `customers/getAll` with a portfolio token)."""


class MewsClient:
    """Async client of one Mews connection (one access token).

    `transport` replaces the network (tests pass `httpx.MockTransport`, the embedded sandbox
    its ASGI transport); `clock` (monotonic seconds), `sleep` and `rng` make rate limiting and
    retries testable without waiting. `rate_limiter` defaults to the limiter shared by every
    client of the same access token in this process (`rate_limiter` can be replaced later: a
    runtime shares the budget with every process of its store). `chain_ids`: the chains this
    connection works on; sent as `ChainIds` on every chain-scoped read that does not name its own (a
    portfolio token must, CONNECTOR-API.md §5.3; a single-enterprise token's Mews ignores it).
    """

    def __init__(
        self,
        credentials: MewsCredentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        chain_ids: Sequence[str] = (),
    ) -> None:
        self.credentials = credentials
        self.chain_ids: tuple[str, ...] = tuple(chain_ids)
        self.stats = MewsStats()
        # Without a `transport`, httpx builds the network's as for any client: the proxies of
        # HTTPS_PROXY / ALL_PROXY / NO_PROXY and the environment's certificates (a hotel behind
        # a corporate proxy reaches Mews). Requests then go straight to the transport httpx
        # chose for Mews' host (`_post`): this client needs none of AsyncClient's per-request
        # work (URL merging, cookies, auth, redirects), which cost more CPU than a small
        # request's JSON. The AsyncClient owns and closes every transport.
        self._http = httpx.AsyncClient(transport=transport)
        self._base_url = credentials.base_url.rstrip("/") + API_PREFIX
        self._transport = self._http._transport_for_url(httpx.URL(self._base_url))
        self._urls: dict[str, httpx.URL] = {}
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._extensions = {"timeout": self._timeout.as_dict()}
        self._envelope: JsonObject = dict(credentials.envelope())
        self._retry = retry or RetryPolicy()
        self.rate_limiter: RateLimiter = rate_limiter or limiter_for(credentials.access_token)
        """Replaceable: a runtime shares its token's budget with every process of its store."""
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()

        self.configuration = ConfigurationResource(self)
        self.enterprises = EnterprisesResource(self)
        self.loyalty_programs = LoyaltyProgramsResource(self)
        self.loyalty_tiers = LoyaltyTiersResource(self)
        self.loyalty_memberships = LoyaltyMembershipsResource(self)
        self.customers = CustomersResource(self)
        self.reservations = ReservationsResource(self)
        self.product_service_orders = ProductServiceOrdersResource(self)
        self.order_items = OrderItemsResource(self)
        self.orders = OrdersResource(self)
        self.bills = BillsResource(self)
        self.accounting_categories = AccountingCategoriesResource(self)
        self.services = ServicesResource(self)
        self.products = ProductsResource(self)
        self.resource_categories = ResourceCategoriesResource(self)
        self.tasks = TasksResource(self)
        self.account_notes = AccountNotesResource(self)

    def __repr__(self) -> str:
        return f"MewsClient({self.credentials.base_url!r}, client={self.credentials.client_name!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, operation: Operation[R], params: JsonObject) -> R:
        """Send one operation (with retries) and parse its answer into `operation.result`.

        The body is validated straight from its bytes (`model_validate_json`): no intermediate
        dict, about a third less CPU than parsing the JSON first."""
        return await self._call_decoded(
            operation, params, lambda content, request_id: _parse(operation, content, request_id)
        )

    async def _call_decoded(
        self,
        operation: Operation[Any],
        params: JsonObject,
        decode: Callable[[bytes, str | None], D],
    ) -> D:
        """Send one operation (with retries) and decode its body with `decode` (slim scans,
        `tools.mews.slim`); the CPU time spent decoding is counted in `stats`."""
        if self.chain_ids and operation.path in CHAIN_SCOPED_READS and "ChainIds" not in params:
            params = {**params, "ChainIds": list(self.chain_ids)}
        content, request_id = await self._send(operation, {**self._envelope, **params})
        if len(content) < _OFF_LOOP_BYTES:
            return self._decoded(decode, content, request_id)
        # a page of hundreds of records: decoded off the event loop, which keeps serving
        return await anyio.to_thread.run_sync(self._decoded, decode, content, request_id)

    def _decoded(
        self, decode: Callable[[bytes, str | None], D], content: bytes, request_id: str | None
    ) -> D:
        started = time.thread_time()  # this thread's CPU: the loop's or the worker's
        try:
            return decode(content, request_id)
        finally:
            self.stats.decode_seconds += time.thread_time() - started

    async def _send(self, operation: Operation[Any], body: JsonObject) -> tuple[bytes, str | None]:
        waited = 0.0
        attempt = 1
        while True:
            await self._throttle()
            self.stats.requests[operation.path] += 1
            error: MewsTransportError | MewsAPIError
            try:
                response = await self._post(operation.path, body)
            except httpx.TransportError as exc:
                error = MewsTransportError(operation.path, exc)
                retryable = transport_error_is_retryable(operation.safety, exc)
            else:
                request_id = response.headers.get("Request-Id")
                logger.debug(
                    "POST %s -> %s (request id %s, attempt %d)",
                    operation.path,
                    response.status_code,
                    request_id,
                    attempt,
                )
                if response.is_success:
                    return response.content, request_id
                error = _api_error(operation.path, response)
                retryable = status_is_retryable(operation.safety, response.status_code)
            if isinstance(error, MewsRateLimited):
                self.stats.rate_limited += 1
            cause = error.cause if isinstance(error, MewsTransportError) else None
            if not retryable or attempt >= self._retry.max_attempts:
                raise error from cause
            delay = self._delay(attempt, error)
            if waited + delay > self._retry.max_total_wait:
                raise error from cause
            logger.info("retrying %s in %.2fs after: %s", operation.path, delay, error)
            self.stats.retries += 1
            self.stats.retry_wait_seconds += delay
            waited += delay
            attempt += 1
            await self._sleep(delay)

    async def _post(self, path: str, body: JsonObject) -> httpx.Response:
        """POST `body` as JSON to `path`, the whole answer read."""
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self._base_url + path)
        request = httpx.Request(
            "POST",
            url,
            content=msgspec.json.encode(body),
            headers=_HEADERS,
            extensions=self._extensions,
        )
        response = await self._transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _delay(self, attempt: int, error: MewsTransportError | MewsAPIError) -> float:
        if isinstance(error, MewsRateLimited) and error.retry_after is not None:
            return error.retry_after
        return backoff_delay(attempt, self._retry, self._rng)

    async def _throttle(self) -> None:
        delay = self.rate_limiter.reserve(self._clock())
        if delay > 0:
            logger.info("rate limit: waiting %.2fs before the next Mews request", delay)
            self.stats.throttle_wait_seconds += delay
            await self._sleep(delay)


_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Content-Type": "application/json",
    "User-Agent": "mews-loyalty-assistant",
}
_OFF_LOOP_BYTES = 64 * 1024  # smaller answers decode faster than a thread hand-off


def _parse(operation: Operation[R], content: bytes, request_id: str | None) -> R:
    path = operation.path
    try:
        # An empty body is a `Prefer: return=minimal` answer; this client never asks for one.
        return operation.result.model_validate_json(content or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise MewsResponseError(path, "", "the body is not JSON", request_id) from None
        if first["type"] == "model_type" and not first["loc"]:
            raise MewsResponseError(path, "", "the body is not a JSON object", request_id) from None
        where = ".".join(str(part) for part in first["loc"])
        raise MewsResponseError(path, where, first["msg"], request_id) from None


def _api_error(path: str, response: httpx.Response) -> MewsAPIError:
    """The error for a non-2xx answer; Mews' JSON `{Message, RequestId, Details}` when given."""
    message = response.reason_phrase or f"HTTP {response.status_code}"
    request_id = response.headers.get("Request-Id")
    details: str | None = None
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        if text:
            message = text[:200]
    else:
        if isinstance(body, dict):
            message = str(body.get("Message") or message)
            request_id = str(body.get("RequestId") or request_id or "") or None
            details = str(body["Details"]) if body.get("Details") else None
    status = response.status_code
    error = api_error_class(status)(
        status, message, path=path, request_id=request_id, details=details
    )
    if isinstance(error, MewsRateLimited):
        error.retry_after = parse_retry_after(
            response.headers.get("Retry-After"), response.headers.get("Date")
        )
    return error
