"""A world for the ledger-sync tests: the sandbox in memory behind the client's transport, a
SQLite file store (or PostgreSQL), the guard with the ledger-sync actions, a fixed clock.

The client never waits: its `sleep` only records (Retry-After and backoff are honoured in
count, not in time), and it has a rate limiter of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from policies import Guard, Policy, Principal, load_policy, open_store
from storage.clock import FixedClock
from storage.store import Store
from tools.actions.ledger_sync import ledger_sync_actions
from tools.loyalty import LEDGER, ProgramFile, default_program_path, load_program_file
from tools.loyalty.ledger_schema import accounts_table
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.loyalty.sync import OutboxDispatcher
from tools.mews import MewsClient, SlidingWindowLimiter
from tools.mews.models import LoyaltyMembershipUpdateParameters, UpdateValue
from tools.mews.retry import RetryPolicy
from tools.sandbox import PORTFOLIO, STORY, Sandbox
from tools.sandbox_credentials import sandbox_credentials

CUSTOMERS = 120


@dataclass
class Sleeps:
    seconds: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.seconds.append(delay)


@dataclass
class World:
    sandbox: Sandbox
    mews: MewsClient
    store: Store
    programs: ProgramFile
    clock: FixedClock
    guard: Guard
    loader: MewsFactsLoader
    dispatcher: OutboxDispatcher
    sleeps: Sleeps

    @property
    def automation(self) -> Principal:
        return self.guard.principal("automation")

    def another_guard(self, policy: Policy | None = None) -> Guard:
        """A second guard over the same store, as another process would hold (with `policy`
        instead of this world's when given)."""
        return _ledger_guard(self.store, policy or self.guard.policy, self.programs, self.clock)

    async def mews_points(self, membership_ids: list[str]) -> dict[str, int | None]:
        """What Mews shows now (read outside the stats the tests count)."""
        found = {
            m.id: m.points
            async for m in self.mews.loyalty_memberships.get_all(
                loyalty_membership_ids=membership_ids
            )
        }
        self.mews.stats.reset()
        return found

    def ledger_balances(self) -> dict[str, int]:
        a = accounts_table
        with self.store.read() as conn:
            rows = conn.execute(sa.select(a.c.membership_id, a.c.balance)).all()
        return {row.membership_id: int(row.balance) for row in rows}


@pytest.fixture(scope="session")
def programs() -> ProgramFile:
    return load_program_file(default_program_path())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'loyalty.sqlite3'}"


def client_for(sandbox: Sandbox, sleeps: Sleeps) -> MewsClient:
    return MewsClient(
        sandbox_credentials(PORTFOLIO, "Loyalty Sync Tests 1.0"),
        transport=sandbox.httpx_transport(),
        retry=RetryPolicy(max_attempts=4),
        rate_limiter=SlidingWindowLimiter(),
        sleep=sleeps,
        chain_ids=(STORY.chain_id,),  # a portfolio token's reads name their chain
    )


def _ledger_guard(store: Store, policy: Policy, programs: ProgramFile, clock: FixedClock) -> Guard:
    return Guard(store, policy, ledger_sync_actions(programs), clock=clock, audit_key=None)


async def make_world(url: str, programs: ProgramFile) -> AsyncIterator[World]:
    sandbox = Sandbox.seeded(seed=1, customers=CUSTOMERS)
    sandbox.rate_limiter.enabled = False
    store = open_store(url)
    store.migrate([LEDGER])
    clock = FixedClock(datetime.now(UTC))
    policy = load_policy().model_copy(update={"mode": "automate"})
    guard = _ledger_guard(store, policy, programs, clock)
    sleeps = Sleeps()
    try:
        async with client_for(sandbox, sleeps) as mews:
            yield World(
                sandbox=sandbox,
                mews=mews,
                store=store,
                programs=programs,
                clock=clock,
                guard=guard,
                loader=MewsFactsLoader(mews, store, programs, clock=clock),
                dispatcher=OutboxDispatcher(
                    mews, store, clock=clock, guard=guard, programs=programs
                ),
                sleeps=sleeps,
            )
    finally:
        store.dispose()


@pytest.fixture
async def world(sqlite_url: str, programs: ProgramFile) -> AsyncIterator[World]:
    async for built in make_world(sqlite_url, programs):
        yield built


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Environment of a CLI run: its own data directory and database, no Mews credentials."""
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "MEWS_CLIENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LOYALTY_POLICY_FILE", raising=False)
    monkeypatch.delenv("LOYALTY_PROGRAM_FILE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    return tmp_path


async def set_mews_points(world: World, points: dict[str, int]) -> None:
    """Someone edits `Points` in Mews Operations."""
    await world.mews.loyalty_memberships.update(
        [
            LoyaltyMembershipUpdateParameters(
                loyalty_membership_id=m, points=UpdateValue[int](value=p)
            )
            for m, p in points.items()
        ],
        chain_id=STORY.chain_id,
    )
    world.mews.stats.reset()
