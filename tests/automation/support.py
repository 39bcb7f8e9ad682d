"""An in-memory automation rig: sandbox → General Webhooks → receiver → inbox → worker → guard.

No sockets and no sleeping: the sandbox delivers through `httpx.ASGITransport` into the receiver
app; the sandbox clock and the runtime clock are frozen and advanced together.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from policies import Controls
from storage.clock import FixedClock
from tools.automation.service import AutomationService
from tools.loyalty import balance, ledger_lock_key
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox
from tools.sandbox.clock import Duration
from tools.sandbox_credentials import sandbox_credentials

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SECRET = "test-secret-0123456789abcdef"
WEBHOOK_URL = f"http://automation.test/webhooks/mews/{SECRET}"
EMMA_STAY = STORY.emma_novak_upcoming_stay
EMMA_MEMBERSHIP = STORY.emma_novak_membership
EMMA_STAY_POINTS = 592  # Emma is Silver: her stay points are already ×1.25
EMMA_STAY_BONUS = 82  # the shipped checkout bonus gives her x1.14: floor(592 × 1.14) − 592
EMMA_EARNS = EMMA_STAY_POINTS + EMMA_STAY_BONUS  # what the checkout adds to her balance


@dataclass
class Rig:
    sandbox: Sandbox
    runtime: LoyaltyRuntime
    service: AutomationService
    app: Starlette
    clock: FixedClock

    def advance(self, seconds: float) -> None:
        """Move both clocks (the sandbox's and the runtime's) forward."""
        self.sandbox.clock.advance(Duration(seconds=seconds))
        self.clock.advance(timedelta(seconds=seconds))

    def check_out(self, reservation_id: str) -> None:
        self.sandbox.transition(reservation_id, "Started")
        self.advance(3 * 86_400)
        self.sandbox.transition(reservation_id, "Processed")

    async def deliver(self) -> None:
        """Let the Mews delay pass, deliver the webhooks, and process the inbox."""
        self.advance(self.sandbox.webhooks.settings.delay_seconds + 1)
        await self.sandbox.webhooks.flush()
        await self.service.worker.drain()

    def mews_points(self, membership_id: str) -> int | None:
        membership = self.sandbox.state.memberships.get(membership_id)
        assert membership is not None
        points: int | None = membership.points
        return points

    def ledger_balance(self, membership_id: str) -> int:
        with self.runtime.store.read() as conn:
            return balance(conn, membership_id, now=self.clock.now()).total

    def stay_updated(self, reservation_id: str) -> str:
        """The webhook Mews sends when the reservation changes, as JSON text."""
        return json.dumps(
            {
                "EnterpriseId": self.sandbox.events[-1].enterprise_id,
                "IntegrationId": "c8bee838-7fb1-4f4e-8fac-ac87008b2f90",
                "Events": [
                    {"Discriminator": "ServiceOrderUpdated", "Value": {"Id": reservation_id}}
                ],
            }
        )

    async def post_json(self, url: str, body: bytes) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post(
                url, content=body, headers={"Content-Type": "application/json"}
            )


async def add_customer(r: Rig, last_name: str) -> dict[str, Any]:
    """A guest added in the sandbox through `customers/add` (its CustomerAdded webhook is
    queued); the customer as Mews returned it."""
    from tools.sandbox import DEMO_TOKENS

    body = {
        **sandbox_credentials(DEMO_TOKENS[0], "tests").envelope(),
        "LastName": last_name,
        "OverwriteExisting": False,
    }
    status, _, content = await r.sandbox.handle(
        "POST",
        "/api/connector/v1/customers/add",
        {"Content-Type": "application/json"},
        json.dumps(body).encode(),
    )
    assert status == 200
    customer: dict[str, Any] = json.loads(content)
    return customer


@asynccontextmanager
async def rig(
    tmp_path: Path,
    *,
    customers: int = 60,
    mode: str = "automate",
    policy_file: Path | None = None,
) -> AsyncIterator[Rig]:
    sandbox = Sandbox.seeded(now=NOW, customers=customers)
    clock = FixedClock(NOW)
    url = f"sqlite:///{tmp_path / 'loyalty.sqlite3'}"
    async with await LoyaltyRuntime.open(
        database_url=url, sandbox=sandbox, clock=clock, policy_file=policy_file
    ) as rt:
        await Controls(rt.guard).set_mode(rt.guard.principal("alice"), mode)
        service = AutomationService.for_runtime(rt, secret=SECRET)
        app = Starlette(routes=service.routes())
        sandbox.webhooks.transport = httpx.ASGITransport(app=app)
        sandbox.webhooks.subscribe(WEBHOOK_URL)
        yield Rig(sandbox, rt, service, app, clock)


__all__ = [
    "EMMA_MEMBERSHIP",
    "EMMA_STAY",
    "NOW",
    "SECRET",
    "WEBHOOK_URL",
    "Rig",
    "add_customer",
    "ledger_lock_key",
    "rig",
]
