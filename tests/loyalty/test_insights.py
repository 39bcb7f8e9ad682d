from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.loyalty.builders import AS_OF, DAY, member, membership, stay
from tools.loyalty import (
    MemberFacts,
    ProgramConfig,
    ProgramFile,
    assess_lapse,
    member_summary,
    rfm_scores,
)
from tools.loyalty.facts import Spend, StayFacts
from tools.loyalty.insights import program_gap_days, stay_gaps


def ago(
    days: int,
    *,
    nights: int = 2,
    spend: Spend | None = None,
    currency: str = "GBP",
    state: str = "Processed",
    canceled: bool = False,
) -> StayFacts:
    return stay(
        departure=AS_OF - days * DAY,
        nights=nights,
        spend=spend,
        currency=currency,
        state=state,
        canceled=canceled,
    )


def spending(amount: str) -> Spend:
    return Spend(accommodation=Decimal(amount))


def test_a_member_without_stays_scores_lowest(pc01: ProgramConfig) -> None:
    scores = rfm_scores(pc01, member(), as_of=AS_OF)
    assert (scores.recency, scores.frequency, scores.monetary, scores.value) == (
        1,
        1,
        1,
        Decimal(0),
    )
    assert "no stay yet" in scores.reasoning


@pytest.mark.parametrize(
    ("days", "recency"), [(0, 5), (30, 5), (31, 4), (90, 4), (91, 3), (365, 2), (366, 1)]
)
def test_recency_bands_at_and_past_each_limit(pc01: ProgramConfig, days: int, recency: int) -> None:
    assert rfm_scores(pc01, member(ago(days)), as_of=AS_OF).recency == recency


@pytest.mark.parametrize(("stays", "frequency"), [(1, 2), (2, 3), (3, 3), (4, 4), (6, 5)])
def test_frequency_counts_stays_in_the_window(
    pc01: ProgramConfig, stays: int, frequency: int
) -> None:
    guest = member(*(ago(10 + 20 * i, nights=1) for i in range(stays)), ago(400))
    assert rfm_scores(pc01, guest, as_of=AS_OF).frequency == frequency


@pytest.mark.parametrize(("amount", "monetary"), [("249.99", 1), ("250", 2), ("3000", 5)])
def test_monetary_bands_at_and_under_each_threshold(
    pc01: ProgramConfig, amount: str, monetary: int
) -> None:
    assert (
        rfm_scores(pc01, member(ago(5, spend=spending(amount))), as_of=AS_OF).monetary == monetary
    )


def test_spend_in_another_currency_is_left_out_and_said_so(pc01: ProgramConfig) -> None:
    guest = member(ago(5, spend=spending("5000"), currency="EUR"))
    scores = rfm_scores(pc01, guest, as_of=AS_OF)
    assert (scores.frequency, scores.monetary) == (2, 1)
    assert "1 stays in other currencies not counted" in scores.reasoning


def test_member_value_runs_from_zero_to_one(pc01: ProgramConfig) -> None:
    best = member(*(ago(5 + i, nights=1, spend=spending("600")) for i in range(6)))
    assert rfm_scores(pc01, best, as_of=AS_OF).value == Decimal(1)


def test_gaps_run_from_a_departure_to_the_next_arrival(pc01: ProgramConfig) -> None:
    guest = member(ago(100, nights=2), ago(50, nights=3), ago(10, nights=5))
    assert stay_gaps(guest) == (47, 35)


def test_an_empty_history_is_not_lapsing(pc01: ProgramConfig) -> None:
    lapse = assess_lapse(pc01, member(), as_of=AS_OF, program_gap=Decimal(100))
    assert not lapse.lapsing
    assert "no checked-out stay" in lapse.reasoning


@pytest.mark.parametrize(("days", "lapsing"), [(99, False), (100, False), (101, True)])
def test_with_one_stay_the_program_gap_decides(
    pc01: ProgramConfig, days: int, lapsing: bool
) -> None:
    lapse = assess_lapse(pc01, member(ago(days)), as_of=AS_OF, program_gap=Decimal(100))
    assert lapse.lapsing is lapsing
    assert lapse.member_median_gap_days is None


def test_a_member_with_long_gaps_is_measured_against_their_own_rhythm(
    pc01: ProgramConfig,
) -> None:
    # gaps of 98 and 118 days (median 108): threshold max(1.5 × 108, 30) = 162 days
    guest = member(ago(360, nights=2), ago(260, nights=2), ago(140, nights=2))
    assert assess_lapse(
        pc01, guest, as_of=AS_OF, program_gap=Decimal(30)
    ).threshold_days == Decimal("162.0")
    assert not assess_lapse(pc01, guest, as_of=AS_OF, program_gap=Decimal(30)).lapsing
    later = AS_OF + 30 * DAY
    assert assess_lapse(pc01, guest, as_of=later, program_gap=Decimal(30)).lapsing


def test_a_member_with_a_booking_ahead_is_not_lapsing(pc01: ProgramConfig) -> None:
    upcoming = stay(departure=AS_OF + 20 * DAY, state="Confirmed")
    lapse = assess_lapse(pc01, member(ago(500), upcoming), as_of=AS_OF, program_gap=Decimal(30))
    assert not lapse.lapsing
    assert lapse.has_upcoming_stay


def test_the_program_gap_is_the_80th_percentile_of_all_gaps(pc01: ProgramConfig) -> None:
    members = [member(ago(200 + gap, nights=1), ago(200, nights=0)) for gap in range(10, 101, 10)]
    gap = program_gap_days(pc01, members)
    assert (gap.days, gap.gaps_measured, gap.from_default) == (Decimal(80), 10, False)


def test_without_gaps_the_program_gap_is_the_configured_default(pc01: ProgramConfig) -> None:
    gap = program_gap_days(pc01, [member(ago(3))])
    assert (gap.days, gap.from_default) == (Decimal(365), True)


def test_the_summary_tells_staff_what_they_need_and_nothing_sensitive(
    programs: ProgramFile,
) -> None:
    guest = MemberFacts(
        customer_id="c-9",
        display_name="Ada Guest",
        email_present=True,
        memberships=(
            replace(
                membership(tier_code="G1", membership_id="m-9"),
                expiration=datetime(2026, 12, 24, 23, 30, tzinfo=UTC),  # the 25th in Prague
            ),
        ),
        stays=(
            ago(40, nights=2, spend=Spend(accommodation=Decimal(300), spa=Decimal(50))),
            ago(10, nights=3, spend=Spend(accommodation=Decimal(450))),
            ago(5, canceled=True, state="Canceled"),
            stay(departure=AS_OF + 9 * DAY, state="Confirmed"),
        ),
    )
    summary = member_summary(programs, guest, as_of=AS_OF, tz=ZoneInfo("Europe/Prague"))
    assert (summary.stays, summary.nights, summary.upcoming_stays) == (2, 5, 1)
    assert summary.last_stay == date(2026, 5, 22)
    assert summary.spend_by_currency["GBP"].accommodation == Decimal(750)
    (gold,) = summary.memberships
    assert (gold.program_name, gold.tier_name, gold.balance) == ("Platinum Club", "Gold", None)
    assert summary.reasoning == (  # the hotel's clock, the zone named; the fields stay UTC
        "Ada Guest: 2 stays, 5 nights, the last ended 22 May 2026; Platinum Club (Gold): no "
        "ledger account yet, membership expires 25 Dec 2026, 00:30 CET (times in Europe/Prague)"
    )
    assert not {"email", "document", "card", "phone", "address"} & set(summary.__slots__)
