from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from tests.loyalty.builders import AS_OF, DAY, member, membership, stay
from tools.loyalty import (
    HighSpendNoRedemption,
    Lapsing,
    MemberFacts,
    NearNextTier,
    ProgramConfig,
    find_segment,
)
from tools.loyalty.facts import Spend, StayFacts
from tools.loyalty.segments import SegmentScan


def once(members: list[MemberFacts]) -> Iterator[MemberFacts]:
    """A one-shot iterable: a segment must not need a second pass."""
    yield from members


def named(
    name: str,
    *stays: StayFacts,
    tier: str = "B1",
    state: str = "Enrolled",
    last_redemption_at: datetime | None = None,
) -> MemberFacts:
    held = membership(tier_code=tier, state=state, last_redemption_at=last_redemption_at)
    return member(*stays, memberships=(held,), name=name)


def ago(days: int, nights: int = 1, spend: str = "100") -> StayFacts:
    return stay(
        departure=AS_OF - days * DAY, nights=nights, spend=Spend(accommodation=Decimal(spend))
    )


def test_lapsing_members_are_found_in_one_pass_with_the_program_gap(pc01: ProgramConfig) -> None:
    members = [
        named("Regular", ago(70), ago(40), ago(10)),  # gaps 29, 29
        named("Gone", ago(400), ago(370)),  # gap 29, 370 days since
        named("Never stayed"),
        named("Canceled", ago(900), ago(870), state="Canceled"),
    ]
    result = find_segment(pc01, once(members), Lapsing(), as_of=AS_OF)
    assert [m.display_name for m in result.members] == ["Gone"]
    assert result.scanned == 3
    assert result.inputs["program_gap_days"] == Decimal(29)
    assert "370 days since the last stay" in result.members[0].reason


def test_a_given_program_gap_is_used_as_is(pc01: ProgramConfig) -> None:
    members = [named("Gone", ago(400))]
    assert find_segment(pc01, members, Lapsing(Decimal(500)), as_of=AS_OF).members == ()


def test_members_within_the_percentage_of_their_next_tier_are_near_it(pc01: ProgramConfig) -> None:
    members = [
        named("Nine", ago(5, nights=9)),  # 1 short of S1 (10): within 10 %
        named("Eight", ago(5, nights=8)),  # 2 short: not within
        named("Ten", ago(5, nights=10)),  # already qualifies: tier evaluation's business
        named("Gold 23", ago(5, nights=23), tier="S1"),  # 2 short of G1 (25): within 10 %
    ]
    result = find_segment(pc01, once(members), NearNextTier(), as_of=AS_OF)
    assert [m.display_name for m in result.members] == ["Nine", "Gold 23"]
    wider = find_segment(pc01, members, NearNextTier(Decimal(20)), as_of=AS_OF)
    assert [m.display_name for m in wider.members] == ["Nine", "Eight", "Gold 23"]


def test_high_spenders_without_a_recent_redemption(pc01: ProgramConfig) -> None:
    members = [
        named("Never redeemed", ago(20, spend="2000")),
        named("Redeemed long ago", ago(20, spend="2500"), last_redemption_at=AS_OF - 200 * DAY),
        named("Redeemed lately", ago(20, spend="2500"), last_redemption_at=AS_OF - 45 * DAY),
        named("Small spender", ago(20, spend="1999.99")),
        named("Spent long ago", ago(400, spend="9000")),
    ]
    result = find_segment(pc01, once(members), HighSpendNoRedemption(), as_of=AS_OF)
    assert [m.display_name for m in result.members] == ["Never redeemed", "Redeemed long ago"]
    assert "never redeemed" in result.members[0].reason
    stricter = find_segment(pc01, members, HighSpendNoRedemption(months=1), as_of=AS_OF)
    assert len(stricter.members) == 3


def test_members_of_other_programs_are_not_scanned(pc01: ProgramConfig) -> None:
    other = member(ago(500), memberships=(membership(program_code="GEC07", tier_code=None),))
    result = find_segment(pc01, [other], HighSpendNoRedemption(min_spend=Decimal(0)), as_of=AS_OF)
    assert (result.scanned, result.members) == (0, ())


def test_a_scan_fed_batch_by_batch_keeps_only_the_members_the_segment_may_hold(
    pc01: ProgramConfig,
) -> None:
    """A scan of Mews streams members: judged batch by batch, the segment is the one pass's,
    and what is held meanwhile is the segment's entries (for the lapse rule, what it reads of
    those who lapse even at a program gap of 0 days), not every member; their facts only when
    asked for."""
    members = [
        named("Regular", ago(70), ago(40), ago(10)),  # gaps 29, 29: 10 days is within
        named("Gone", ago(400), ago(370)),  # lapses at any gap under 370 days
        named("Booked", ago(300), stay(departure=AS_OF + 9 * DAY, state="Confirmed")),
        named("Recent", ago(20)),  # one stay: lapses at a gap of 0, not at the measured 29
        named("Never stayed"),
    ]
    for query in (Lapsing(), NearNextTier(), HighSpendNoRedemption(min_spend=Decimal(150))):
        scan = SegmentScan(pc01, query, as_of=AS_OF, keep_facts=True)
        for start in range(0, len(members), 2):
            scan.add(members[start : start + 2])
        result = scan.result()

        assert result == find_segment(pc01, members, query, as_of=AS_OF)
        facts = scan.members(result)
        assert [facts[m.customer_id] for m in result.members] == [
            m for m in members if m.customer_id in facts
        ]
    lapsing = SegmentScan(pc01, Lapsing(), as_of=AS_OF)
    lapsing.add(members)
    assert [m.display_name for m in lapsing.result().members] == ["Gone"]
    assert [who.display_name for who, _profile in lapsing._lapsers] == ["Gone", "Recent"]
    with pytest.raises(ValueError, match="keep_facts"):
        lapsing.members(lapsing.result())
