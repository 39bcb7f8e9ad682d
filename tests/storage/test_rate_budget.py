"""The shared rate budget: processes on one store stay within one limit together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.rate_budget import RATE_BUDGET, SharedRateLimiter, rate_budget_table
from storage.store import Store


class Wall:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two processes' connections to one SQLite file."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Store(url), Store(url)
    first.migrate([RATE_BUDGET])
    second.migrate([RATE_BUDGET])
    yield first, second
    first.dispose()
    second.dispose()


def sent_at(limiter: SharedRateLimiter, wall: Wall, count: int) -> list[float]:
    """When each of `count` requests may go (seconds after the start)."""
    start = wall.now
    return [wall.now + limiter.reserve(0.0) - start for _ in range(count)]


def test_two_processes_share_one_budget(stores: tuple[Store, Store]) -> None:
    wall = Wall()
    first, second = (
        SharedRateLimiter(store, key="k" * 64, limit=20, window=30.0, block=5, hold=2.0, wall=wall)
        for store in stores
    )

    assert sent_at(first, wall, 10) == [0.0] * 10
    assert sent_at(second, wall, 10) == [0.0] * 10
    # The 20 requests of the window are spent: the next waits until the first blocks stop
    # counting (window + hold after them), whichever process asks.
    assert first.reserve(0.0) == pytest.approx(32.0)
    assert second.reserve(0.0) == pytest.approx(32.0)


def test_a_block_is_booked_once_for_its_requests_and_lapses_after_its_hold(
    stores: tuple[Store, Store],
) -> None:
    wall = Wall()
    store = stores[0]
    limiter = SharedRateLimiter(store, key="a", limit=200, block=10, hold=2.0, wall=wall)
    for _ in range(10):
        assert limiter.reserve(0.0) == 0.0
    wall.now += 3.0  # past the hold: the 10th request is the block's last; a new one is booked
    assert limiter.reserve(0.0) == 0.0
    with store.read() as conn:
        blocks = conn.execute(sa.select(sa.func.count()).select_from(rate_budget_table)).scalar()
    assert blocks == 2


def test_keys_have_their_own_budgets_and_old_blocks_are_cleared(
    stores: tuple[Store, Store],
) -> None:
    wall = Wall()
    store = stores[0]
    one = SharedRateLimiter(store, key="one", limit=10, block=10, wall=wall)
    other = SharedRateLimiter(store, key="other", limit=10, block=10, wall=wall)
    assert sent_at(one, wall, 10) == [0.0] * 10
    assert other.reserve(0.0) == 0.0, "another token's budget is untouched"
    wall.now += 40.0
    assert one.reserve(0.0) == 0.0
    with store.read() as conn:
        keys = conn.execute(sa.select(rate_budget_table.c.budget_key)).scalars().all()
    assert sorted(keys) == ["one", "other"], "the spent block of `one` was removed"


def test_bad_settings_are_refused() -> None:
    store = Store("sqlite://")
    with pytest.raises(ValueError, match="block <= limit"):
        SharedRateLimiter(store, key="k", limit=5, block=10)
    with pytest.raises(ValueError, match="hash of the token"):
        SharedRateLimiter(store, key="")
