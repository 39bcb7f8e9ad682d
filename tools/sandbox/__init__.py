"""A faithful simulator of the Mews Connector API (the sandbox); it imports nothing of ours.

    sandbox = Sandbox.seeded(seed=1, customers=500)
    transport = sandbox.httpx_transport()
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        await client.post("/api/connector/v1/configuration/get", json={...envelope...})

`uvicorn` serves `sandbox.asgi_app`; `loyalty sandbox` does that from the command line.

Decisions where the docs are silent or contradict themselves (details in the modules named):

- Tokens: the 8 published demo pairs (Gross UK `851df8c8-…`, Net US `4d0201db-…`, chain
  `3fa85f64-…`) plus the sandbox-only `PORTFOLIO` pair for both (`tokens`, `world`).
- Scope: single-enterprise tokens ignore `EnterpriseIds`/`ChainIds`/`EnterpriseId`/`ChainId`;
  the portfolio token narrows by them and needs `ChainId`/`EnterpriseId` on writes (`context`).
- Loyalty: `IsPrimary` exclusive per account and chain; `Ordering` higher = higher tier; codes and
  membership numbers need not be unique; a program with active memberships cannot be deleted
  (403); deletes are soft, `ActivityStates` defaults to `["Active"]`, deleting an unknown or
  deleted id is 400; batches are all or nothing (`ops.loyalty`).
- Paging: newest first by creation time, ties by id; the cursor may name any item of the kind
  (even deleted), an unknown cursor is 400 (`paging`). `tasks/getAll` tolerates a missing
  `Limitation` because its documented example omits it (`ops.tasks`).
- Seeded spend (order items, bills, payments, product service orders) is derived from
  reservations on demand, with invertible derived ids (`derive`, `ids`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.sandbox.app import Sandbox
    from tools.sandbox.clock import Clock, FrozenClock, SystemClock
    from tools.sandbox.events import ChangeEvent
    from tools.sandbox.faults import Faults
    from tools.sandbox.limits import CUSTOMERS_DEFAULT, CUSTOMERS_MAX, SEED_DEFAULT
    from tools.sandbox.ops import OPERATIONS
    from tools.sandbox.persistence import StateFileError
    from tools.sandbox.ratelimit import RateLimiter
    from tools.sandbox.seed import STORY, Story
    from tools.sandbox.seed_docs import DOCS
    from tools.sandbox.tokens import (
        ALL_TOKENS,
        DEMO_TOKENS,
        PORTFOLIO,
        PORTFOLIO_HOTELS,
        Integration,
    )
    from tools.sandbox.webhooks import WebhookEmitter, WebhookSettings

# Loaded on first use (PEP 562): `loyalty --help`, and a server on real Mews, never pay for the
# simulator and its seed generator.
_HOME = {
    "Sandbox": "app",
    "Clock": "clock",
    "FrozenClock": "clock",
    "SystemClock": "clock",
    "ChangeEvent": "events",
    "Faults": "faults",
    "OPERATIONS": "ops",
    "StateFileError": "persistence",
    "RateLimiter": "ratelimit",
    "CUSTOMERS_DEFAULT": "limits",
    "CUSTOMERS_MAX": "limits",
    "SEED_DEFAULT": "limits",
    "STORY": "seed",
    "Story": "seed",
    "DOCS": "seed_docs",
    "ALL_TOKENS": "tokens",
    "DEMO_TOKENS": "tokens",
    "PORTFOLIO_HOTELS": "tokens",
    "PORTFOLIO": "tokens",
    "Integration": "tokens",
    "WebhookEmitter": "webhooks",
    "WebhookSettings": "webhooks",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'tools.sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tools.sandbox.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ALL_TOKENS",
    "CUSTOMERS_DEFAULT",
    "CUSTOMERS_MAX",
    "DEMO_TOKENS",
    "DOCS",
    "OPERATIONS",
    "PORTFOLIO",
    "PORTFOLIO_HOTELS",
    "SEED_DEFAULT",
    "STORY",
    "ChangeEvent",
    "Clock",
    "Faults",
    "FrozenClock",
    "Integration",
    "RateLimiter",
    "Sandbox",
    "StateFileError",
    "Story",
    "SystemClock",
    "WebhookEmitter",
    "WebhookSettings",
]
