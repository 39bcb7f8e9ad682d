"""Runs in a spawned process: award attempts against shared caps, as other processes do."""

from __future__ import annotations

import asyncio
from typing import Any

from policies import Denied, Guard, Posted
from storage.clock import FixedClock
from storage.store import Store
from tests.policies.support import AWARD, T0, make_policy

POINTS = 50
MEMBER_CAP = 10_000
GOODWILL_BUDGET = 20_000


def concurrency_policy() -> Any:
    """Staff writes in automate mode: only the caps under test can say no."""
    return make_policy(
        mode="automate",
        caps={
            "per_member_per_day": MEMBER_CAP,
            "program_goodwill_per_day": GOODWILL_BUDGET,
            "per_principal_per_day": 1_000_000,
        },
        approvals={"points_above": 1_000_000, "principal_points_above": 1_000_000},
        breaker={"denials_per_hour": 1_000_000},
    )


def attempt_args(scenario: str, worker: int, attempt: int) -> tuple[dict[str, Any], str]:
    """Every tenth attempt uses a key (and arguments) that every worker also uses."""
    shared = attempt % 10 == 0
    owner = "all" if shared else f"w{worker}"
    if scenario == "member":
        args: dict[str, Any] = {"membership_id": "m-1", "points": POINTS, "n": attempt}
    else:  # the program's goodwill budget, across many members
        member = f"m-{owner}-{attempt}"
        args = {"membership_id": member, "points": POINTS, "goodwill": True, "n": attempt}
    return args, f"{scenario}-{owner}-{attempt}"


def award_attempts(url: str, scenario: str, worker: int, attempts: int) -> dict[str, int]:
    """Returns how many attempts posted, were denied, or replayed another's post."""
    store = Store(url)
    guard = Guard(store, concurrency_policy(), [AWARD], clock=FixedClock(T0), audit_key=None)
    tally = {"posted": 0, "denied": 0}

    async def run() -> None:
        carol = guard.principal("carol")
        for attempt in range(attempts):
            args, key = attempt_args(scenario, worker, attempt)
            outcome = await guard.submit(carol, "award_points", args, key)
            tally["posted" if isinstance(outcome, Posted) else "denied"] += 1
            assert isinstance(outcome, Posted | Denied), outcome

    try:
        asyncio.run(run())
    finally:
        store.dispose()
    return tally
