"""8 processes x 200 award attempts against one cap, on SQLite and PostgreSQL: the total posted is
the cap exactly, and nothing posts twice (every tenth attempt repeats a key all processes use)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path

import pytest
import sqlalchemy as sa

from policies import verify
from policies.schema import usage_table
from storage.store import Store
from tests.policies.concurrency_worker import (
    GOODWILL_BUDGET,
    MEMBER_CAP,
    POINTS,
    award_attempts,
)
from tests.policies.support import awards_table, migrated

WORKERS = 8
ATTEMPTS = 200

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    """Spawned once for the module: starting 8 interpreters costs seconds each time."""
    with multiprocessing.get_context("spawn").Pool(WORKERS) as workers:
        yield workers


def run_workers(pool: Pool, url: str, scenario: str) -> Store:
    store = migrated(url)
    tallies = pool.starmap(
        award_attempts, [(url, scenario, worker, ATTEMPTS) for worker in range(WORKERS)]
    )
    assert sum(t["posted"] + t["denied"] for t in tallies) == WORKERS * ATTEMPTS
    return store


def posted(store: Store) -> tuple[int, int, int, int]:
    """Points and rows the executor inserted, distinct keys, and the points the caps counted."""
    with store.read() as conn:
        rows = conn.execute(sa.select(awards_table.c.points, awards_table.c.idempotency_key)).all()
        usage = conn.execute(sa.select(sa.func.sum(usage_table.c.points))).scalar_one()
    return sum(r.points for r in rows), len(rows), len({r.idempotency_key for r in rows}), usage


@pytest.mark.parametrize(
    ("scenario", "cap"), [("member", MEMBER_CAP), ("goodwill", GOODWILL_BUDGET)]
)
def test_concurrent_processes_post_exactly_up_to_the_cap_and_nothing_twice(
    pool: Pool, database_url: str, scenario: str, cap: int
) -> None:
    store = run_workers(pool, database_url, scenario)
    try:
        total, rows, keys, counted = posted(store)
        assert total == counted == cap
        assert rows == keys == cap // POINTS
        assert verify(store, None).ok
    finally:
        store.dispose()
