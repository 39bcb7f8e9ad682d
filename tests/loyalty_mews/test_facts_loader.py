"""The facts loader reads Mews in batches and builds the facts the rules use."""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.loyalty_mews.conftest import CUSTOMERS, World
from tools.loyalty import Lapsing, find_segment, mews_facts
from tools.loyalty.errors import MewsIdError
from tools.loyalty.facts import MemberFacts
from tools.loyalty.mews_facts import MewsFactsLoader, split_interval
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

UNKNOWN = "00000000-0000-4000-8000-000000000001"


async def test_members_builds_facts_from_mews_and_leaves_unknown_ids_out(world: World) -> None:
    facts = await world.loader.members([STORY.emma_novak, UNKNOWN])

    assert set(facts) == {STORY.emma_novak}
    emma = facts[STORY.emma_novak]
    assert emma.display_name == "Emma Novak"
    membership = emma.membership("PC01")
    assert membership is not None
    assert (membership.tier_code, membership.mews_points) == ("S1", 6240)
    assert not membership.ledger_opened
    assert emma.completed_stays(), "Emma has checked-out stays"
    assert all(s.currency == "GBP" and s.nights >= 1 for s in emma.completed_stays())
    assert any(s.spend.spa > 0 for s in emma.completed_stays()), "a spa guest"
    assert any(s.is_upcoming(world.clock.now()) for s in emma.stays)


async def test_an_unopened_membership_reads_its_mews_points_as_its_balance_everywhere(
    world: World,
) -> None:
    emma = (await world.loader.members([STORY.emma_novak]))[STORY.emma_novak]
    everyone = {m.customer_id: m for m in await world.loader.all_members("PC01")}

    for member in (emma, everyone[STORY.emma_novak]):
        membership = member.membership("PC01")
        assert membership is not None
        assert membership.balance is not None
        assert not membership.ledger_opened
        summary = membership.balance
        assert (summary.total, summary.available, summary.pending, summary.owed) == (
            6240,
            6240,
            0,
            0,
        )
        assert summary.expiring_90_days.points == 0
    assert world.ledger_balances() == {}, "reading opens no account"


async def test_members_costs_one_request_per_endpoint_whatever_the_number_of_ids(
    world: World,
) -> None:
    everyone = [c.id for c in world.sandbox.state.customers]
    facts = await world.loader.members(everyone)

    assert len(facts) == len(everyone)
    requests = world.mews.stats.requests
    assert requests["customers/getAll"] == 1
    assert requests["loyaltyMemberships/getAll"] == 1
    reservations = sum(len(f.stays) for f in facts.values())
    assert requests["reservations/getAll/2023-06-06"] == math.ceil(reservations / 1000)
    assert requests["accountingCategories/getAll"] == 1


async def test_all_members_of_a_program_feeds_a_segment_without_per_member_calls(
    world: World,
) -> None:
    members = await world.loader.all_members("PC01")
    result = find_segment(
        world.programs.program("PC01"), members, Lapsing(), as_of=world.clock.now()
    )

    assert members
    assert all(m.membership("PC01") for m in members)
    assert result.members, "the seeded chain has lapsing members"
    requests = world.mews.stats.requests
    assert requests["loyaltyMemberships/getAll"] == 1
    assert requests["customers/getAll"] == 1
    assert max(requests.values()) < len(members), "never one call per member"
    assert len(members) < CUSTOMERS


async def test_a_scan_streams_members_in_batches_holding_only_the_batches_in_flight(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    everyone = await world.loader.all_members("PC01")
    monkeypatch.setattr(mews_facts, "BATCH_SIZE", 10)

    batches = [batch async for batch in world.loader.scan_members("PC01")]

    assert [len(b) for b in batches[:-1]] == [10] * (len(batches) - 1)
    assert [m for batch in batches for m in batch] == everyone


async def test_a_large_batch_is_assembled_off_the_event_loop_into_the_same_facts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    everyone = [c.id for c in world.sandbox.state.customers]
    assert len(everyone) >= mews_facts._OFF_LOOP_MEMBERS
    one_by_one = {i: (await world.loader.members([i]))[i] for i in everyone[:5]}
    loop_thread = threading.get_ident()
    threads: list[int] = []
    assemble = mews_facts.MewsFactsLoader._assemble

    def spy(self: mews_facts.MewsFactsLoader, *args: Any) -> dict[str, MemberFacts]:
        threads.append(threading.get_ident())
        return assemble(self, *args)

    monkeypatch.setattr(mews_facts.MewsFactsLoader, "_assemble", spy)
    together = await world.loader.members(everyone)

    assert threads
    assert all(thread != loop_thread for thread in threads)
    assert {i: together[i] for i in one_by_one} == one_by_one


async def test_a_malformed_customer_id_is_refused_before_any_request(world: World) -> None:
    with pytest.raises(ValueError, match="customer_ids"):
        await world.loader.members(["not-a-guid"])
    assert world.mews.stats.total_requests == 0


async def test_an_unknown_program_code_is_named(world: World) -> None:
    with pytest.raises(ValueError, match=r"program_code.*XX99"):
        await world.loader.all_members("XX99")


async def test_occupancy_is_a_share_of_rooms_per_hotel_and_chain(world: World) -> None:
    today = world.clock.now().date()
    chain = await world.loader.occupancy(today)
    uk = await world.loader.occupancy(today, STORY.enterprise_uk)

    assert Decimal(0) < chain <= 1
    assert Decimal(0) <= uk <= 1
    assert await world.loader.occupancy(date(2000, 1, 1)) == 0
    assert world.mews.stats.requests["configuration/get"] <= 3, "each hotel's zone, once"


def test_a_long_window_is_split_into_intervals_of_at_most_three_months() -> None:
    start = datetime(2027, 1, 31, tzinfo=UTC)
    end = datetime(2027, 5, 1, tzinfo=UTC)

    intervals = split_interval(start, end)

    assert [(i.start_utc, i.end_utc) for i in intervals] == [
        (start, datetime(2027, 4, 30, tzinfo=UTC)),
        (datetime(2027, 4, 30, tzinfo=UTC), end),
    ]
    assert len(split_interval(start, datetime(2027, 3, 1, tzinfo=UTC))) == 1
    with pytest.raises(ValueError, match="before start"):
        split_interval(end, start)


async def test_occupancy_of_a_day_whose_window_exceeds_three_months_is_read_in_two_requests(
    world: World,
) -> None:
    for day in (date(2027, 3, 17), date(2025, 3, 17)):
        world.mews.stats.reset()
        assert Decimal(0) <= await world.loader.occupancy(day) <= 1
        assert world.mews.stats.requests["reservations/getAll/2023-06-06"] == 2


async def test_the_sandbox_product_orders_parse_through_the_typed_client_by_guest_or_stay(
    world: World,
) -> None:
    services = [s.id async for s in world.mews.services.get_all()]
    stays = [r.id async for r in world.mews.reservations.get_all(account_ids=[STORY.emma_novak])]

    by_guest = await world.mews.product_service_orders.get_all(
        service_ids=services, account_ids=[STORY.emma_novak]
    ).to_list()
    by_stay = await world.mews.product_service_orders.get_all(
        service_ids=services, linked_reservation_ids=stays
    ).to_list()

    assert by_guest, "Emma has spa or restaurant orders"
    assert {o.id for o in by_guest} == {o.id for o in by_stay}
    assert all(o.account_id == STORY.emma_novak for o in by_guest)
    assert {o.linked_reservation_id for o in by_guest} <= set(stays)
    assert all(o.service_id in services and o.state is not None for o in by_guest)


async def test_programs_and_tiers_are_found_by_configured_id_first(world: World) -> None:
    pc01 = world.programs.program("PC01")
    tiers = await world.mews.loyalty_tiers.get_all(
        loyalty_program_ids=[STORY.program_pc01]
    ).to_list()
    gold = next(t for t in tiers if t.code == "G1")
    configured = pc01.model_copy(
        update={
            "id": STORY.program_pc01,
            "tiers": {**pc01.tiers, "G1": pc01.tiers["G1"].model_copy(update={"id": gold.id})},
        }
    )
    by_id = world.programs.model_copy(
        update={"programs": {**world.programs.programs, "PC01": configured}}
    )
    loader = MewsFactsLoader(world.mews, world.store, by_id, clock=world.clock)

    assert (await loader.program_codes())[STORY.program_pc01] == "PC01"
    assert (await loader.tier_codes())[gold.id] == "G1"
    assert await loader.program_id("PC01") == STORY.program_pc01


async def test_a_configured_program_id_unknown_in_mews_is_a_clear_error(world: World) -> None:
    pc01 = world.programs.program("PC01").model_copy(update={"id": "no-such-program"})
    wrong = world.programs.model_copy(
        update={"programs": {**world.programs.programs, "PC01": pc01}}
    )
    loader = MewsFactsLoader(world.mews, world.store, wrong, clock=world.clock)

    with pytest.raises(MewsIdError, match=r"programs\.PC01\.id: no loyalty program with id "):
        await loader.program_codes()


async def test_occupancy_counts_the_nights_of_the_hotels_own_calendar(world: World) -> None:
    """A night is a date in the hotel's time zone. The London hotel's guests arrive at 15:00
    and leave at 11:00 local time: the same dates in UTC. Moved to Kiritimati (UTC+14), the
    same instants fall a day later there, so its nights shift by one day; UTC dates would not
    move."""
    uk = STORY.enterprise_uk
    day = world.clock.now().date()
    in_london = await world.loader.occupancy(day, uk)
    assert in_london > 0

    enterprises = world.sandbox.state.world.enterprises
    enterprises[uk] = replace(enterprises[uk], time_zone="Pacific/Kiritimati")
    loader = MewsFactsLoader(world.mews, world.store, world.programs, clock=world.clock)
    on_kiritimati = await loader.occupancy(day + timedelta(days=1), uk)

    assert on_kiritimati == in_london, "the same stays, a day later on the hotel's calendar"
    assert await loader.occupancy(day, uk) != in_london
