"""The member read model: filled by one scan, kept current by webhooks and `UpdatedUtc` windows,
and giving the same facts as a read from Mews."""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from storage.progress import counting
from tests.loyalty_mews.conftest import World, set_mews_points
from tools.loyalty.facts import MemberFacts
from tools.loyalty.ledger import ensure_account, post_entry, reverse_entry
from tools.loyalty.ledger_model import PostableKind, Source
from tools.loyalty.member_store import ENTITY_TYPES, MemberStore
from tools.loyalty.mews_facts import BATCH_SIZE
from tools.loyalty.segments import (
    HighSpendNoRedemption,
    Lapsing,
    NearNextTier,
    SegmentQuery,
    find_segment,
)
from tools.mews.models import (
    LoyaltyMembershipParameters,
    LoyaltyMembershipUpdateParameters,
    UpdateValue,
)
from tools.sandbox import STORY
from tools.sandbox.clock import Duration

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Event:
    discriminator: str
    entity_id: str


def _model(world: World) -> MemberStore:
    from tools.loyalty.member_store_schema import MEMBER_FACTS

    world.store.migrate([MEMBER_FACTS])
    return MemberStore(world.loader, max_age=timedelta(hours=1))


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


async def test_batch_writes_totals_and_member_builds_run_off_the_event_loop(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chain's scan writes thousands of rows and builds thousands of members: in worker
    threads, so the loop keeps answering other MCP sessions (pings, cancels) meanwhile."""
    ran_on: list[tuple[str, int]] = []

    def watch(name: str) -> None:
        original = getattr(MemberStore, name)

        def run(self: MemberStore, *args: Any) -> Any:
            ran_on.append((name, threading.get_ident()))
            return original(self, *args)

        monkeypatch.setattr(MemberStore, name, run)

    for name in ("_replace", "_derive_totals", "_build"):
        watch(name)

    await _model(world).all_members("PC01")

    assert {name for name, _ in ran_on} == {"_replace", "_derive_totals", "_build"}
    assert threading.get_ident() not in {thread for _, thread in ran_on}


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
    await set_mews_points(world, changed)  # no webhook: Mews sends no loyalty events
    world.sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")
    _later(world)

    report = await model.refresh()

    assert not report.full
    for entity in ENTITY_TYPES:
        assert report.queries.get(entity, 0) <= math.ceil(len(changed) / BATCH_SIZE), entity
    assert report.queries["deleted_memberships"] == 1
    assert sum(report.queries.values()) == sum(report.requests.values()) - 1, "and the mark"
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
    await set_mews_points(world, {membership.membership_id: 4321})
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


def _post_ledger(world: World, members: list[MemberFacts], rng: random.Random) -> None:
    """Accruals and redemptions (some reversed) over the last 18 months for some members."""
    program = world.programs.program("PC01")
    now = world.clock.now()
    with world.store.write() as conn:
        for n, member in enumerate(rng.sample(members, len(members) // 2)):
            membership = member.membership("PC01")
            assert membership is not None
            ensure_account(
                conn,
                membership_id=membership.membership_id,
                chain_id=STORY.chain_id,
                program_id=membership.program_id,
                program=program,
                customer_id=member.customer_id,
                mews_points=None,
                now=now - timedelta(days=600),
            )
            entries = []
            for k in range(rng.randint(1, 4)):
                kind: PostableKind = "accrual" if k == 0 or rng.random() < 0.6 else "redemption"
                entries.append(
                    post_entry(
                        conn,
                        membership_id=membership.membership_id,
                        kind=kind,
                        points=rng.choice([50, 400, 1500, 4000])
                        if kind == "accrual"
                        else -rng.choice([5, 40, 150]),
                        reason=f"test {kind}",
                        actor="tester",
                        source=Source("reward", "spa-credit")
                        if kind == "redemption"
                        else Source("manual"),
                        idempotency_key=f"totals-{n}-{k}",
                        program=program,
                        now=now - timedelta(days=rng.randint(0, 540), hours=rng.randint(0, 23)),
                        allow_negative=True,
                        queue_push=False,
                    )
                )
            if rng.random() < 0.3:
                reverse_entry(
                    conn,
                    membership_id=membership.membership_id,
                    entry_id=entries[-1].id,
                    reason="test reversal",
                    actor="tester",
                    idempotency_key=f"totals-{n}-reversal",
                    now=now,
                    allow_negative=True,
                )


def _random_rule(rng: random.Random) -> SegmentQuery:
    kind = rng.choice(["lapsing", "near_next_tier", "high_spend_no_redemption"])
    if kind == "lapsing":
        gap = rng.choice([None, None, Decimal(rng.randint(0, 400)), Decimal("90.5")])
        return Lapsing(program_gap_days=gap)
    if kind == "near_next_tier":
        return NearNextTier(within_percent=rng.choice([None, Decimal(rng.randint(1, 100))]))
    return HighSpendNoRedemption(
        min_spend=rng.choice([None, Decimal(0), Decimal(rng.randint(1, 4000)), Decimal("250.5")]),
        months=rng.choice([None, rng.randint(1, 24)]),
    )


async def test_segments_from_the_totals_are_the_rules_over_every_member(world: World) -> None:
    await segments_equal_the_rules(world)


async def segments_equal_the_rules(world: World) -> None:
    """Property: for random rule sets, program settings and moments, the read model's segment
    (counted and paged by SQL over its totals, the page built and judged by the rule) equals
    the rule over every member."""
    rng = random.Random(18)
    model = _model(world)
    await model.refresh(full=True)
    _post_ledger(world, await world.loader.all_members("PC01"), rng)
    everyone = await world.loader.all_members("PC01")
    base = world.programs.program("PC01")
    programs = [
        base,
        base.model_copy(
            update={"qualification": base.qualification.model_copy(update={"basis": "points"})}
        ),
        base.model_copy(
            update={
                "qualification": base.qualification.model_copy(update={"window_months": 1}),
                "lapse": base.lapse.model_copy(update={"member_gap_multiplier": Decimal("1.3")}),
                "segments": base.segments.model_copy(update={"high_spender_window_months": 7}),
            }
        ),
    ]
    now = world.clock.now()
    found = Counter[str]()
    built: list[int] = []
    build = model._build

    def counting(ids: list[str] | None, program_id: str | None, look_ups: Any) -> Any:
        built.append(len(ids or ()))
        return build(ids, program_id, look_ups)

    model._build = counting  # type: ignore[method-assign]
    for _ in range(60):
        program = rng.choice(programs)
        query = _random_rule(rng)
        as_of = now + timedelta(days=rng.randint(-500, 60), seconds=rng.randint(0, 86399))
        expected = find_segment(program, everyone, query, as_of=as_of)
        world.mews.stats.reset()
        built.clear()

        got, size = await model.segment(program, query, as_of=as_of)

        assert (got, size) == (expected, len(expected.members)), (query, as_of)
        assert world.mews.stats.total_requests == 0
        exact = query.kind != "near_next_tier" or program.qualification.basis == "nights"
        if exact:
            assert sum(built) == len(expected.members), "only the segment's members are built"
        built.clear()
        first, size = await model.segment(program, query, as_of=as_of, limit=3)
        assert world.mews.stats.total_requests == 0
        assert size == len(expected.members)
        assert first.members == expected.members[: 3 if exact else None]
        assert replace(first, members=()) == replace(expected, members=())
        if exact:
            assert sum(built) <= 3, "with a limit, only the first members are built"
        found[query.kind] += bool(expected.members)
    assert min(found.values()) >= 3, found


async def test_new_members_are_read_once_and_accounts_without_a_customer_not_again(
    world: World,
) -> None:
    model = _model(world)
    state = world.sandbox.state
    gone = next(m.account_id for m in state.memberships if m.account_id != STORY.emma_novak)
    state.customers.rows[gone].active = False  # merged away in Mews: getAll no longer has it
    orphans = [m.id for m in state.memberships if m.account_id == gone]
    await model.refresh(full=True)
    members = {m.account_id for m in state.memberships}
    newcomer = next(c.id for c in state.customers if c.active and c.id not in members)
    _later(world)
    await set_mews_points(world, dict.fromkeys(orphans, 5))
    await world.mews.loyalty_memberships.add(
        [
            LoyaltyMembershipParameters(
                account_id=newcomer,
                loyalty_program_id=next(iter(state.memberships)).program_id,
                is_primary=True,
            )
        ],
        chain_id=STORY.chain_id,
    )
    _later(world)

    report = await model.refresh()

    assert newcomer in {m.customer_id for m in await model.all_members()}
    # the newcomer: its customer, stays, orders and items once; its membership came with the
    # window, and no account Mews returned no customer for is asked for again
    assert report.requests["loyaltyMemberships/getAll"] == 2, "the window and the deleted"
    assert report.requests["customers/getAll"] == 2, "the window and the newcomer"
    assert report.queries["new_members"] <= 4
    world.mews.stats.reset()
    _later(world)
    await set_mews_points(world, dict.fromkeys(orphans, 6))
    _later(world)
    again = await model.refresh()
    assert again.queries.get("new_members", 0) == 0
    assert again.requests["customers/getAll"] == 1, "the window only: the orphan is not retried"


async def test_memberships_deleted_in_mews_leave_on_an_incremental_refresh(world: World) -> None:
    model = _model(world)
    programs = {m.program_id for m in world.sandbox.state.memberships}
    assert len(programs) == 2
    await world.mews.loyalty_memberships.add(  # a guest in both programs
        [
            LoyaltyMembershipParameters(
                account_id=STORY.emma_novak, loyalty_program_id=p, is_primary=False
            )
            for p in sorted(programs)
            if p not in {m.program_id for m in world.sandbox.state.memberships
                         if m.account_id == STORY.emma_novak}
        ],
        chain_id=STORY.chain_id,
    )  # fmt: skip
    await model.refresh(full=True)
    held = {m.customer_id: m for m in await model.all_members()}
    one = next(m for m in held.values() if len(m.memberships) == 1)
    two = held[STORY.emma_novak]
    assert len(two.memberships) == 2
    _later(world)
    await world.mews.loyalty_memberships.delete(
        [one.memberships[0].membership_id, two.memberships[0].membership_id],
        chain_id=STORY.chain_id,
    )
    _later(world)

    report = await model.refresh()

    after = {m.customer_id: m for m in await model.all_members()}
    assert one.customer_id not in after, "no membership left: no member"
    assert [m.membership_id for m in after[two.customer_id].memberships] == [
        m.membership_id for m in two.memberships[1:]
    ]
    assert report.queries["deleted_memberships"] == 1
    assert report.queries["memberships"] == 1
    assert _live(after.values()) == _live(await world.loader.all_members())


async def test_memberships_changed_in_mews_change_the_segments_at_the_next_refresh(
    world: World,
) -> None:
    """Which membership a segment judges (state, tier, primary) is kept per member and
    program: a membership canceled, one moved to another tier and one no longer primary in
    Mews show in the next incremental refresh's segments."""
    model = _model(world)
    await model.refresh(full=True)
    program = world.programs.program("PC01")
    now = world.clock.now()
    before = find_segment(program, await world.loader.all_members("PC01"), Lapsing(), as_of=now)
    canceled, unprimary = (m.membership_id for m in before.members[:2])
    tier_ids = {code: tier_id for tier_id, code in (await world.loader.tier_codes()).items()}
    lowest = program.tiers_by_rank()[0].code
    moved = next(
        ms.membership_id
        for m in await world.loader.all_members("PC01")
        if (ms := m.membership("PC01")) is not None
        and ms.membership_id not in (canceled, unprimary)
        and ms.tier_code in tier_ids
        and ms.tier_code != lowest
    )
    _later(world)
    await world.mews.loyalty_memberships.update(
        [
            LoyaltyMembershipUpdateParameters(
                loyalty_membership_id=canceled, state=UpdateValue(value="Canceled")
            ),
            LoyaltyMembershipUpdateParameters(
                loyalty_membership_id=unprimary, is_primary=UpdateValue(value=False)
            ),
            LoyaltyMembershipUpdateParameters(
                loyalty_membership_id=moved, loyalty_tier_id=UpdateValue(value=tier_ids[lowest])
            ),
        ],
        chain_id=STORY.chain_id,
    )
    _later(world)
    report = await model.refresh()
    assert not report.full
    after = await world.loader.all_members("PC01")
    for query in (Lapsing(), NearNextTier(), HighSpendNoRedemption()):
        expected = find_segment(program, after, query, as_of=now)
        got, size = await model.segment(program, query, as_of=now, limit=5)
        assert (got.members, got.scanned, size) == (
            expected.members[:5],
            expected.scanned,
            len(expected.members),
        ), query
    assert got.scanned == before.scanned - 1, "the canceled membership no longer counts"
