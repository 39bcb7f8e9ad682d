"""Fixtures of the policy tests: a migrated SQLite file, a fixed clock, a guard in automate mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from policies import Guard, Policy
from storage.clock import FixedClock
from storage.store import Store
from tests.policies.support import ADJUST, AWARD, DELETE, T0, FakeMews, make_policy, migrated


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = migrated(f"sqlite:///{tmp_path / 'policies.sqlite3'}")
    yield store
    store.dispose()


@pytest.fixture
def policy() -> Policy:
    """The shipped policy in automate mode (thresholds decide; most tests want that)."""
    return make_policy(mode="automate")


@pytest.fixture
def mews() -> FakeMews:
    return FakeMews()


@pytest.fixture
def guard(store: Store, policy: Policy, clock: FixedClock, mews: FakeMews) -> Guard:
    return Guard(store, policy, [AWARD, ADJUST, DELETE, mews.spec()], clock=clock, audit_key=None)
