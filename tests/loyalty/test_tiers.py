from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.loyalty.builders import AS_OF, DAY, member, membership, shipped_program, stay
from tools.loyalty import MemberFacts, ProgramConfig, tier_progress
from tools.loyalty.errors import NotAMemberError
from tools.loyalty.facts import StayFacts
from tools.loyalty.ledger_model import DatedPoints
from tools.loyalty.tiers import evaluate_tiers, qualified_until, qualifying_value


def nights_ago(days: int, nights: int) -> StayFacts:
    return stay(departure=AS_OF - days * DAY, nights=nights)


def holding(tier: str | None, *stays: StayFacts, state: str = "Enrolled") -> MemberFacts:
    return member(*stays, memberships=(membership(tier_code=tier, state=state),))


@pytest.mark.parametrize(("nights", "qualified"), [(9, "B1"), (10, "S1"), (11, "S1"), (25, "G1")])
def test_a_tier_is_reached_at_its_threshold(
    pc01: ProgramConfig, nights: int, qualified: str
) -> None:
    progress = tier_progress(pc01, holding("B1", nights_ago(5, nights)), as_of=AS_OF)
    assert progress.qualified_tier == qualified


def test_progress_says_what_the_next_tier_takes(pc01: ProgramConfig) -> None:
    progress = tier_progress(pc01, holding("S1", nights_ago(5, 20)), as_of=AS_OF)
    assert (progress.next_tier, progress.next_threshold, progress.needed_for_next) == ("G1", 25, 5)
    assert progress.next_tier_name == "Gold"  # the model says the name, not the code
    assert str(progress.progress_percent) == "80.0"
    assert progress.reasoning.startswith(  # names, not codes
        "20 nights in 12 months; holds Silver; 5 more nights to reach Gold"
    )


def test_one_night_short_is_said_in_the_singular(pc01: ProgramConfig) -> None:
    progress = tier_progress(pc01, holding("S1", nights_ago(5, 24)), as_of=AS_OF)
    assert (progress.needed_for_next, progress.next_tier_name) == (1, "Gold")
    assert "; 1 more night to reach Gold (25)" in progress.reasoning


def test_the_top_tier_has_no_next_tier(pc01: ProgramConfig) -> None:
    progress = tier_progress(pc01, holding("P1", nights_ago(5, 60)), as_of=AS_OF)
    assert (progress.next_tier, progress.next_tier_name, progress.needed_for_next) == (None,) * 3
    assert "already the top tier" in progress.reasoning


def test_nights_leave_the_window_twelve_months_after_the_stay() -> None:
    events = [(date(2025, 6, 1), 10)]
    assert qualifying_value(events, date(2026, 5, 31), 12) == 10
    assert qualifying_value(events, date(2026, 6, 1), 12) == 0


def test_qualification_runs_out_when_the_event_that_carried_it_leaves() -> None:
    events = [(date(2025, 1, 10), 6), (date(2025, 3, 5), 3), (date(2025, 8, 1), 4)]
    # Newest first: 4 + 3 = 7, then the 6 of 2025-01-10 carries it to 13; it leaves a year later.
    assert qualified_until(events, 10, date(2026, 6, 1), 12) == date(2026, 1, 10)
    assert qualified_until(events, 7, date(2026, 6, 1), 12) == date(2026, 3, 5)
    assert qualified_until(events, 100, date(2026, 6, 1), 12) is None


def test_a_member_below_their_tier_keeps_it_during_the_grace_period(pc01: ProgramConfig) -> None:
    # 12 nights departed 400 days ago → S1 ran out ~35 days ago; grace is 90 days.
    progress = tier_progress(pc01, holding("S1", nights_ago(400, 12)), as_of=AS_OF)
    assert progress.downgrade_to == "B1"
    assert not progress.downgrade_due
    assert progress.grace_until is not None
    assert progress.grace_until > AS_OF.date()
    grace = progress.grace_until
    assert f"grace until {grace.day} {grace:%b %Y}" in progress.reasoning  # a date people read


def test_a_downgrade_is_due_once_the_grace_period_is_over(pc01: ProgramConfig) -> None:
    guest = holding("G1", nights_ago(500, 26), nights_ago(10, 12))
    progress = tier_progress(pc01, guest, as_of=AS_OF)
    assert (progress.downgrade_due, progress.downgrade_to) == (True, "S1")
    assert "downgrade due to Silver" in progress.reasoning


def test_grace_ends_exactly_grace_days_after_qualification_ran_out(pc01: ProgramConfig) -> None:
    departed = AS_OF - 400 * DAY
    guest = holding("S1", stay(departure=departed, nights=12))
    ran_out = date(departed.year + 1, departed.month, departed.day)
    end = ran_out + timedelta(days=90)
    at_end = datetime(end.year, end.month, end.day, tzinfo=UTC)
    assert not tier_progress(pc01, guest, as_of=at_end - DAY).downgrade_due
    assert tier_progress(pc01, guest, as_of=at_end).downgrade_due


def test_a_tier_without_any_qualifying_activity_is_due_for_downgrade(pc01: ProgramConfig) -> None:
    progress = tier_progress(pc01, holding("P1"), as_of=AS_OF)
    # The shipped soft landing: one tier down per evaluation, Platinum to Gold (not to Bronze).
    assert (progress.downgrade_due, progress.downgrade_to, progress.grace_until) == (
        True,
        "G1",
        None,
    )


def test_without_the_soft_landing_a_downgrade_goes_to_the_tier_the_member_qualifies_for(
    pc01: ProgramConfig,
) -> None:
    qualification = pc01.qualification.model_copy(update={"downgrade": "to_qualified"})
    straight = pc01.model_copy(update={"qualification": qualification})
    assert tier_progress(straight, holding("P1"), as_of=AS_OF).downgrade_to == "B1"
    assert (
        tier_progress(straight, holding("P1", nights_ago(5, 12)), as_of=AS_OF).downgrade_to == "S1"
    )
    soft = tier_progress(pc01, holding("P1", nights_ago(5, 12)), as_of=AS_OF)
    assert soft.downgrade_to == "G1"  # qualifies for Silver, lands on Gold this time


def test_the_lowest_tier_is_never_downgraded(pc01: ProgramConfig) -> None:
    progress = tier_progress(pc01, holding("B1"), as_of=AS_OF)
    assert not progress.downgrade_due


def test_points_basis_counts_accrued_points() -> None:
    program = shipped_program(('basis = "nights"', 'basis = "points"'))
    earned = (DatedPoints(date(2026, 5, 1), 8), DatedPoints(date(2025, 1, 1), 50))
    guest = member(memberships=(membership(tier_code="B1", accruals=earned),))
    progress = tier_progress(program, guest, as_of=AS_OF)
    assert (progress.basis, progress.value, progress.needed_for_next) == ("points", 8, 2)


def test_progress_needs_a_membership_in_the_program(pc01: ProgramConfig) -> None:
    with pytest.raises(NotAMemberError):
        tier_progress(pc01, member(memberships=()), as_of=AS_OF)


def test_tier_evaluation_proposes_upgrades_downgrades_and_assignments(pc01: ProgramConfig) -> None:
    members = [
        holding("S1", nights_ago(5, 30)),  # upgrade to G1
        holding("G1", nights_ago(500, 30), nights_ago(5, 11)),  # grace over: down to S1
        holding("S1", nights_ago(5, 12)),  # stays
        holding(None, nights_ago(5, 3)),  # assign B1
        holding("P1", state="Canceled"),  # not evaluated
        member(memberships=(membership(program_code="GEC07", tier_code=None),)),
    ]
    evaluation = evaluate_tiers(pc01, members, as_of=AS_OF)
    assert evaluation.evaluated == 4
    assert [(c.direction, c.from_tier, c.to_tier) for c in evaluation.changes] == [
        ("upgrade", "S1", "G1"),
        ("downgrade", "G1", "S1"),
        ("assign", None, "B1"),
    ]
    assert evaluation.reasoning.endswith("1 upgrade, 1 downgrade, 1 assignment")


def test_a_program_without_tiers_has_nothing_to_evaluate(gec07: ProgramConfig) -> None:
    guest = member(memberships=(membership(program_code="GEC07", tier_code=None),))
    assert evaluate_tiers(gec07, [guest], as_of=AS_OF).changes == ()
