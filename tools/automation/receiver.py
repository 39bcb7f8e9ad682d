"""The HTTP receiver of Mews General Webhooks: `POST /webhooks/mews/{secret}`.

    app = create_receiver_app(store, secret=webhook_secret())        # standalone ASGI app
    routes = [webhook_route(store, secret=..., on_stored=worker.wake)]  # inside another app

Mews authenticates itself only by a secret in the URL (CONNECTOR-API.md §6), so the path carries
it: a wrong secret is answered `404` like any unknown path (compared in constant time), so the
endpoint cannot be probed. With the right secret:

- the body is stored first (`tools.automation.inbox.receive`, committed), then the answer goes:
  `202 {"MessageId", "Accepted", "Duplicates"}`; processing happens later in the worker;
- a body that is not a General Webhook is kept for inspection and answered
  `400 {"Message", "MessageId"}` (Mews would redeliver it in vain otherwise);
- when the store cannot take it within `answer_within` seconds (Mews waits 5), the answer is
  `503`: Mews redelivers, and the inbox drops what was already stored as duplicates.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable
from datetime import datetime

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storage.clock import Clock, SystemClock
from storage.store import Store
from tools.automation.errors import AutomationConfigError
from tools.automation.inbox import MAX_BODY_BYTES, Receipt, keep_malformed, receive

__all__ = [
    "MIN_SECRET_LENGTH",
    "SECRET_ENV",
    "WEBHOOK_PATH",
    "create_receiver_app",
    "webhook_route",
    "webhook_secret",
]

SECRET_ENV = "LOYALTY_WEBHOOK_SECRET"
MIN_SECRET_LENGTH = 16
WEBHOOK_PATH = "/webhooks/mews/{secret}"
_log = logging.getLogger(__name__)


def webhook_secret(environ: dict[str, str] | None = None) -> str:
    """`LOYALTY_WEBHOOK_SECRET`, checked; `AutomationConfigError` when missing or too short."""
    env = os.environ if environ is None else environ
    secret = env.get(SECRET_ENV, "").strip()
    if not secret:
        raise AutomationConfigError(
            f"set {SECRET_ENV} to a random string of at least {MIN_SECRET_LENGTH} characters "
            f"(e.g. `export {SECRET_ENV}=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))')`); Mews calls /webhooks/mews/<that secret>"
        )
    check_secret(secret)
    return secret


def check_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH or not secret.isprintable() or "/" in secret:
        raise AutomationConfigError(
            f"the webhook secret must have at least {MIN_SECRET_LENGTH} printable characters "
            "and no '/'"
        )
    return secret


def webhook_route(
    store: Store,
    *,
    secret: str,
    clock: Clock | None = None,
    on_stored: Callable[[], None] | None = None,
    answer_within: float = 4.5,
) -> Route:
    """The receiving route, to add to any Starlette app (the MCP server's, for one)."""
    check_secret(secret)
    expected = secret.encode("utf-8")
    now: Callable[[], datetime] = (clock or SystemClock()).now

    async def endpoint(request: Request) -> Response:
        given = str(request.path_params.get("secret", "")).encode("utf-8")
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"Message": "Not found"}, status_code=404)
        body = await _read_body(request)
        if body is None:
            receipt = await run_in_threadpool(_receive_oversized, store, now())
            return _answer(receipt, status=413)
        try:
            with anyio.fail_after(answer_within):
                receipt = await run_in_threadpool(receive, store, body, now=now())
        except TimeoutError:
            _log.warning("webhook not stored within %.1fs; asking Mews to redeliver", answer_within)
            return JSONResponse({"Message": "Busy; deliver again later."}, status_code=503)
        except Exception:  # the HTTP edge: Mews must redeliver, not see a traceback
            _log.exception("storing a webhook failed")
            return JSONResponse({"Message": "Could not store the webhook."}, status_code=503)
        if receipt.status == "accepted" and receipt.events_new and on_stored is not None:
            on_stored()
        return _answer(receipt)

    return Route(WEBHOOK_PATH, endpoint, methods=["POST"], name="mews_webhook")


def create_receiver_app(
    store: Store,
    *,
    secret: str,
    clock: Clock | None = None,
    on_stored: Callable[[], None] | None = None,
) -> Starlette:
    """A standalone ASGI app with only the receiving route (and `GET /healthz`)."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"Status": "ok"})

    return Starlette(
        routes=[
            webhook_route(store, secret=secret, clock=clock, on_stored=on_stored),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def _read_body(request: Request) -> bytes | None:
    """The body, or `None` once it grows past `MAX_BODY_BYTES` (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _receive_oversized(store: Store, now: datetime) -> Receipt:
    error = f"the body is larger than {MAX_BODY_BYTES} bytes (not kept)"
    return keep_malformed(store, b"", error, now=now)


def _answer(receipt: Receipt, *, status: int = 400) -> Response:
    if receipt.status == "malformed":
        return JSONResponse(
            {"Message": f"Not a General Webhook: {receipt.error}", "MessageId": receipt.message_id},
            status_code=status,
        )
    return JSONResponse(
        {
            "MessageId": receipt.message_id,
            "Accepted": receipt.events_new,
            "Duplicates": receipt.duplicates,
        },
        status_code=202,
    )
