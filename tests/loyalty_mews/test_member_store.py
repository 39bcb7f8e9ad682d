"""The member read model: filled by one scan, kept current by webhooks and `UpdatedUtc` windows,
and giving the same facts as a read from Mews."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from storage.progress import counting
from tests.loyalty_mews.conftest import World
from tools.loyalty.facts import MemberFacts
from tools.loyalty.member_store import ENTITY_TYPES, MemberStore
from tools.loyalty.mews_facts import BATCH_SIZE
from tools.mews.models import LoyaltyMembershipUpdateParameters, UpdateValue
from tools.sandbox import STORY
from tools.sandbox.clock import Duration

pytestmark = pytest.mark.anyio

WINDOW_PATHS = {
    "memberships": "loyaltyMemberships/getAll",
    "customers": "customers/getAll",
    "reservations": "reservations/getAll/2023-06-06",
    "product_orders": "productServiceOrders/getAll",
    "order_items": "orderItems/getAll",
}


@dataclass(frozen=True)
class Event:
    discriminator: str
    entity_id: str


def _model(world: World) -> MemberStore:
    from tools.loyalty.member_store_schema import MEMBER_FACTS

    world.store.migrate([MEMBER_FACTS])
    return MemberStore(world.loader, max_age=timedelta(hours=1))


async def _set_points(world: World, points: dict[str, int]) -> None:
    await world.mews.loyalty_memberships.update(
        [
            LoyaltyMembershipUpdateParameters(
                loyalty_membership_id=m, points=UpdateValue[int](value=p)
            )
            for m, p in points.items()
        ],
        chain_id=STORY.chain_id,
    )


def _live(members: Iterable[MemberFacts]) -> list[MemberFacts]:
    """The facts as a read from Mews gives them (no `as_of`), by customer."""
    return sorted((replace(m, as_of=None) for m in members), key=lambda m: m.customer_id)


def _later(world: World) -> None:
    """Mews' clock moves on (its `UpdatedUtc` windows are half-open and in whole seconds)."""
    world.sandbox.clock.advance(Duration(seconds=2))


def _rename(world: World, customer_id: str, first_name: str) -> None:
    """Staff rename a guest in Mews Operations (a portfolio token cannot update customers)."""
    customer = world.sandbox.state.customers.get(customer_id)
    assert customer is not None
    customer.first_name, customer.updated = first_name, world.sandbox.now()


async def test_a_filled_model_gives_the_facts_a_read_from_mews_gives(world: World) -> None:
    model = _model(world)
    assert model.as_of() is None

    report = await model.refresh(full=True)

    assert report.full
    assert report.members > 20
    assert model.as_of() == report.as_of
    world.mews.stats.reset()
    from_store = await model.all_members("PC01")
    assert world.mews.stats.total_requests == 0, "a filled model answers without Mews"
    from_mews = await world.loader.all_members("PC01")
    assert {m.as_of for m in from_store} == {report.as_of}, "staleness is visible"
    assert _live(from_store) == _live(from_mews)
    ids = [STORY.emma_novak, STORY.john_smith, STORY.zoe]
    for with_stays in (True, False):
        stored = await model.members(ids, with_stays=with_stays)
        live = await world.loader.members(ids, with_stays=with_stays)
        assert _live(stored.values()) == _live(live.values())


async def test_the_first_segment_query_fills_an_empty_model(world: World) -> None:
    model = _model(world)

    members = await model.all_members("PC01")

    assert model.filled()
    assert members
    world.mews.stats.reset()
    assert len(await model.all_members("PC01")) == len(members)
    assert world.mews.stats.total_requests == 0


async def test_an_empty_model_reads_one_member_from_mews_without_filling(world: World) -> None:
    model = _model(world)

    found = await model.members([STORY.emma_novak])

    assert found == await world.loader.members([STORY.emma_novak])
    assert not model.filled()


async def test_a_webhook_announced_change_lands_on_the_next_read(world: World) -> None:
    model = _model(world)
    await model.refresh(full=True)
    _rename(world, STORY.emma_novak, "Emmy")
    stay = STORY.emma_novak_upcoming_stay
    world.sandbox.transition(stay, "Started")

    before = await model.members([STORY.emma_novak])
    assert before[STORY.emma_novak].display_name == "Emma Novak", "not announced yet"
    model.note_events(
        [Event("CustomerUpdated", STORY.emma_novak), Event("ServiceOrderUpdated", stay)]
    )
    after = (await model.members([STORY.emma_novak]))[STORY.emma_novak]

    assert after.display_name == "Emmy Novak"
    assert {s.reservation_id: s.state for s in after.stays}[stay] == "Started"
    assert _live([after]) == _live((await world.loader.members([STORY.emma_novak])).values())
    world.mews.stats.reset()
    await model.members([STORY.emma_novak])
    assert world.mews.stats.total_requests == 0, "applied once"


async def test_an_updated_utc_change_lands_with_one_request_per_entity_type(world: World) -> None:
    model = _model(world)
    await model.refresh(full=True)
    _later(world)
    everyone = await world.loader.all_members("PC01")
    changed = {
        membership.membership_id: 1000 + n
        for n, member in enumerate(everyone[:40])
        if (membership := member.membership("PC01")) is not None
    }
    await _set_points(world, changed)  # no webhook: Mews sends no loyalty events
    world.sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")
    _later(world)

    report = await model.refresh()

    assert not report.full
    for entity in ENTITY_TYPES:
        assert report.requests.get(WINDOW_PATHS[entity], 0) <= math.ceil(
            len(changed) / BATCH_SIZE
        ), entity
    assert report.requests.get("configuration/get") == 1, "the mark is Mews' own NowUtc"
    assert report.members_changed >= len(changed)
    world.mews.stats.reset()
    after = {m.customer_id: m for m in await model.all_members("PC01")}
    assert world.mews.stats.total_requests == 0
    points = {
        ms.membership_id: ms.mews_points
        for member in after.values()
        for ms in member.memberships
        if ms.membership_id in changed
    }
    assert points == changed
    emma = after[STORY.emma_novak]
    assert {s.reservation_id: s.state for s in emma.stays}[
        STORY.emma_novak_upcoming_stay
    ] == "Started"


async def test_a_stale_model_refreshes_before_it_answers(world: World) -> None:
    model = _model(world)
    await model.refresh(full=True)
    emma = (await model.members([STORY.emma_novak]))[STORY.emma_novak]
    membership = emma.membership("PC01")
    assert membership is not None
    _later(world)
    await _set_points(world, {membership.membership_id: 4321})
    _later(world)

    world.clock.advance(timedelta(hours=2))
    fresh = (await model.members([STORY.emma_novak]))[STORY.emma_novak]

    refreshed = fresh.membership("PC01")
    assert refreshed is not None
    assert refreshed.mews_points == 4321


async def test_a_full_refresh_drops_members_gone_from_mews(world: World) -> None:
    model = _model(world)
    await model.refresh(full=True)
    gone = [m.id for m in world.sandbox.state.memberships if m.account_id == STORY.zoe]
    for membership_id in gone:
        del world.sandbox.state.memberships.rows[membership_id]

    report = await model.refresh(full=True)

    assert STORY.zoe not in {m.customer_id for m in await model.all_members()}
    assert report.members >= 1


async def test_a_full_refresh_counts_the_members_it_reads(world: World) -> None:
    seen: list[tuple[int, int | None, str]] = []
    with counting(lambda done, total, what: seen.append((done, total, what))):
        report = await _model(world).refresh(full=True)
    read = [(done, total) for done, total, what in seen if what == "members read from Mews"]
    assert read[0] == (0, report.members)
    assert read[-1] == (report.members, report.members)
