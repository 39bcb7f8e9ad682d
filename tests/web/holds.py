"""Pending approvals made directly through the app's own guard (as the assistant or the
scheduled jobs would make them), for the inbox tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from policies import principal_for_role
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

STAY_BONUS_MEMBERS = (
    (STORY.emma_novak, STORY.emma_novak_membership),
    (STORY.lapsed_gold, STORY.lapsed_gold_membership),
    (STORY.business_traveller, STORY.business_traveller_membership),
)


def runtime_of(client: TestClient) -> LoyaltyRuntime:
    runtime: LoyaltyRuntime = client.app.state.web.runtime  # type: ignore[attr-defined]
    return runtime


async def hold(runtime: LoyaltyRuntime, requester: str, action: str, args: dict[str, Any]) -> str:
    role = runtime.policy.principals[requester]
    principal = principal_for_role(runtime.policy, role, name=requester)
    outcome = await runtime.guard.submit(principal, action, args)
    approval_id = getattr(outcome, "approval_id", None)
    assert approval_id, f"{action} was not held for approval: {outcome}"
    return str(approval_id)


def award_args(points: int, membership_id: str = STORY.emma_novak_membership) -> dict[str, Any]:
    return {"membership_id": membership_id, "points": points, "reason": "The spa closure"}


def stay_bonus_args(customer_id: str, membership_id: str, n: int) -> dict[str, Any]:
    """A x1.70 bonus: beyond the policy's variance threshold, so it waits for a manager."""
    return {
        "reservation_id": f"00000000-0000-4000-8000-{n:012d}",
        "customer_id": customer_id,
        "membership_id": membership_id,
        "chain_id": STORY.chain_id,
        "program_id": STORY.program_pc01,
        "program_code": "PC01",
        "points": 70 * n,
        "base_points": 100 * n,
        "multiplier": "1.70",
        "reason": "Checkout bonus: a high-value member",
    }


async def hold_stay_bonuses(runtime: LoyaltyRuntime) -> list[str]:
    return [
        await hold(runtime, "automation", "award_stay_bonus", stay_bonus_args(c, m, n))
        for n, (c, m) in enumerate(STAY_BONUS_MEMBERS, start=1)
    ]


def sandbox_day(offset: int) -> date:
    """A day of the seeded sandbox story, which is anchored on today's UTC date (Emma's
    upcoming stay arrives in 25 days): tests name days by their offset, not by the calendar."""
    return datetime.now(UTC).date() + timedelta(days=offset)


def day_text(day: date) -> str:
    """A day as the pages print it: '3 Dec 2026'."""
    return f"{day.day} {day:%b %Y}"


SANDBOX_DESK_ZONE = ZoneInfo("Europe/London")
"""The zone the desk shows on the sandbox before a user picks a hotel: its first hotel by name,
Connector API Hotel in London (the policy's Europe/Prague is neither hotel's zone)."""


def emma_expiry_text(tz: tzinfo = SANDBOX_DESK_ZONE) -> str:
    """How Emma's card counts the days to her membership's expiry. The sandbox seeds it 21 days
    after today's UTC midnight; the card counts in the hotel's zone, whose date may already be
    tomorrow late in the UTC evening (Prague: 23:00-24:00 UTC), when it says 20."""
    zone = tz
    now = datetime.now(UTC)
    expiry = datetime.combine(now.date() + timedelta(days=21), datetime.min.time(), UTC)
    days = (expiry.astimezone(zone).date() - now.astimezone(zone).date()).days
    return f"membership expires in {days} days, on {expiry.astimezone(zone):%d %b %Y}"
