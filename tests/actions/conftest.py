"""Fixtures of the write tests: a runtime over a fresh seeded sandbox and a temporary SQLite
database, and a way to run one write's `describe` and `execute` at its own seam (no MCP, no
policy decision)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from policies import ExecContext
from policies.decision import Action
from tools.actions import AWARD_POINTS, DRAFT_OFFER, GuardedWrite, WriteDeps
from tools.actions.models import AwardPointsArgs, DraftOfferArgs
from tools.actions.write import CallsOut, InTransaction
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[LoyaltyRuntime]:
    async with await LoyaltyRuntime.open(
        database_url=f"sqlite:///{tmp_path / 'loyalty.db'}", sandbox=Sandbox.seeded()
    ) as opened:
        yield opened


@pytest.fixture
def deps(runtime: LoyaltyRuntime) -> WriteDeps:
    return runtime.writes


def context(
    runtime: LoyaltyRuntime, write: GuardedWrite[Any, Any], key: str = "key-1", as_: str = "carol"
) -> ExecContext:
    return ExecContext(
        action=Action(write.name, write.kind),
        principal=runtime.guard.principal(as_),
        idempotency_key=key,
        now=runtime.clock.now(),
    )


async def execute(
    runtime: LoyaltyRuntime, write: GuardedWrite[Any, Any], args: BaseModel, key: str = "key-1"
) -> Any:
    """Run the write's executor as the guard would after an Allow: in one transaction (with its
    `stage`), or calling out."""
    ctx = context(runtime, write, key)
    if isinstance(write.execute, CallsOut):
        return await write.execute.fn(runtime.writes, args, ctx)
    assert isinstance(write.execute, InTransaction)
    with runtime.store.write() as conn:
        if write.stage is not None:
            write.stage(runtime.writes, conn, args, ctx)
        return write.execute.fn(runtime.writes, conn, args, ctx)


async def emma_with_history(runtime: LoyaltyRuntime) -> None:
    """Emma Novak with an award (300 points) on her ledger account and a drafted offer."""
    deps = runtime.writes
    award = AwardPointsArgs(
        membership_id=STORY.emma_novak_membership, points=300, reason="spa closure, Emma was upset"
    )
    await AWARD_POINTS.describe(deps, award)
    await execute(runtime, AWARD_POINTS, award, key="award-1")
    today = runtime.clock.now().date()
    offer = DraftOfferArgs(
        customer_id=STORY.emma_novak,
        membership_id=STORY.emma_novak_membership,
        reward_id="welcome-drink",
        valid_from=today,
        valid_until=today + timedelta(days=30),
        channel="letter",
        rationale="Emma Novak loves the bar; a drink brings her back",
    )
    await DRAFT_OFFER.describe(deps, offer)
    await execute(runtime, DRAFT_OFFER, offer, key="offer-1")
