"""The membership directory reuses a read for a short time, and forgets it when it changes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from policies import open_store
from tools.actions import MembershipDirectory
from tools.loyalty import load_program_file
from tools.runtime import sandbox_client
from tools.sandbox import PORTFOLIO, STORY, Sandbox

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership


@dataclass
class Ticks:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def directory(tmp_path: Path, ticks: Ticks) -> MembershipDirectory:
    mews = sandbox_client(Sandbox.seeded(), PORTFOLIO)
    store = open_store(f"sqlite:///{tmp_path / 'd.db'}")
    return MembershipDirectory(mews, store, load_program_file(), max_age=30, clock=ticks)


def reads(directory: MembershipDirectory) -> int:
    return directory._mews.stats.requests["loyaltyMemberships/getAll"]


async def test_a_membership_read_is_reused_until_it_is_older_than_the_cache_age(
    directory: MembershipDirectory, ticks: Ticks
) -> None:
    first = await directory.lookup(EMMA)
    ticks.now += 29
    assert await directory.lookup(EMMA) == first
    assert reads(directory) == 1
    ticks.now += 2
    await directory.lookup(EMMA)
    assert reads(directory) == 2


async def test_a_fresh_lookup_and_a_forgotten_membership_read_mews_again(
    directory: MembershipDirectory,
) -> None:
    ref = await directory.lookup(EMMA)
    await directory.lookup(EMMA, fresh=True)
    assert reads(directory) == 2
    directory.forget(EMMA)
    await directory.lookup(EMMA)
    assert reads(directory) == 3
    directory.forget_customer(ref.customer_id)
    await directory.lookup(EMMA)
    assert reads(directory) == 4
    assert directory.remembered(EMMA) == ref, "the executor still finds the last read"


async def test_a_webhook_about_the_customer_makes_the_next_write_read_the_membership(
    tmp_path: Path,
) -> None:
    from tools.runtime import LoyaltyRuntime

    @dataclass
    class Event:
        discriminator: str
        entity_id: str

    async with await LoyaltyRuntime.open(
        database_url=f"sqlite:///{tmp_path / 'r.db'}", sandbox=Sandbox.seeded()
    ) as runtime:
        ref = await runtime.directory.lookup(EMMA)
        runtime.changed_in_mews([Event("ServiceOrderUpdated", ref.customer_id)])
        await runtime.directory.lookup(EMMA)
        assert reads(runtime.directory) == 1
        runtime.changed_in_mews([Event("CustomerUpdated", ref.customer_id)])
        await runtime.directory.lookup(EMMA)
        assert reads(runtime.directory) == 2
