"""Mews counts 200 requests per 30 s per access token, whoever sends them: two runtimes (two
processes) on one store share one budget for the token, kept in the store under its hash."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.rate_budget import rate_budget_table
from tools.mews import MewsClient
from tools.runtime import LoyaltyRuntime, share_rate_budget
from tools.sandbox import DEMO_TOKENS, Sandbox
from tools.sandbox_credentials import sandbox_credentials

pytestmark = pytest.mark.anyio

TOKEN = DEMO_TOKENS[0]


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.seconds.append(delay)


def client(sandbox: Sandbox, sleeps: Sleeps) -> MewsClient:
    """A process's client of the one token (its own in-process limiter to begin with)."""
    credentials = sandbox_credentials(TOKEN, "rate budget test")
    return MewsClient(credentials, transport=sandbox.httpx_transport(), sleep=sleeps)


async def test_two_runtimes_on_one_store_share_the_tokens_budget(tmp_path: Path) -> None:
    sandbox = Sandbox.seeded(seed=1, customers=5)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    wall, first_sleeps, second_sleeps = Wall(), Sleeps(), Sleeps()
    budget = {"limit": 10, "window": 30.0, "block": 5, "hold": 2.0, "wall": wall}
    async with (
        client(sandbox, first_sleeps) as first_mews,
        client(sandbox, second_sleeps) as second_mews,
        await LoyaltyRuntime.open(database_url=url, mews=first_mews) as first,
        await LoyaltyRuntime.open(database_url=url, mews=second_mews) as second,
    ):
        share_rate_budget(first.store, [first.mews], **budget)
        share_rate_budget(second.store, [second.mews], **budget)

        for _ in range(5):
            await first.mews.configuration.get()
        for _ in range(5):
            await second.mews.configuration.get()
        assert first_sleeps.seconds == second_sleeps.seconds == [], "10 fit in the budget"

        await first.mews.configuration.get()  # the 11th of the token, from either process

        assert first_sleeps.seconds == [pytest.approx(32.0)]
        assert first.mews.stats.throttle_wait_seconds == pytest.approx(32.0)
        with first.store.read() as conn:
            keys = set(conn.execute(sa.select(rate_budget_table.c.budget_key)).scalars())
        assert keys == {first.mews.rate_limiter.key}  # type: ignore[attr-defined]
        assert TOKEN.access_token not in str(keys), "only the token's hash is stored"
