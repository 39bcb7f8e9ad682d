"""Tier progress and tier evaluation.

A member qualifies for a tier when the qualifying value of the qualification period (checked-out
nights by departure date, or accrual points by posting date, per `qualification.basis`) reaches
the tier's threshold (at the threshold counts). Two periods (`qualification.period`):

- `rolling`: an event counts on dates from its own date until `window_months` later (exclusive).
- `calendar_year`: an event counts toward the calendar year of its date (departure dates in the
  qualification zone: the program file's `time_zone`, else the hotel's), and a tier reached in a
  year is held through the end of the next year: the status value is the larger of this year's
  value so far and last year's total.

Upgrades are due at once. A downgrade is due only when the member has not qualified for their
current tier for `downgrade_grace_days`: the grace runs from the date their qualification ran out
(rolling: the date the event that last carried them over the threshold left the window; calendar
year: 1 January two years after the last year that reached the threshold). A member with no
qualifying activity on record for their tier is due at once. With `downgrade = "one_down"` (the
default, Talon.One's soft landing) a due downgrade takes the member one tier down per
evaluation; with "to_qualified" it goes straight to the highest tier they qualify for. Never
below the lowest tier: evaluation never removes a member's tier altogether.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Literal

from storage.clock import utc
from storage.rows import by_name, field_values
from tools.loyalty._time import add_months, utc_date
from tools.loyalty.config import ProgramConfig, TierConfig
from tools.loyalty.display import day, plural, points
from tools.loyalty.errors import NotAMemberError
from tools.loyalty.facts import Inputs, MemberFacts, MembershipFacts

__all__ = [
    "BenefitChanges",
    "TierChange",
    "TierEvaluation",
    "TierProgress",
    "benefit_changes",
    "evaluate_tiers",
    "qualified_until",
    "qualifying_events",
    "qualifying_value",
    "tier_progress",
    "year_value",
]

QualifyingEvent = tuple[date, int]


def qualifying_events(
    program: ProgramConfig,
    member: MemberFacts,
    membership: MembershipFacts,
    zone: tzinfo = UTC,
) -> list[QualifyingEvent]:
    """Dated amounts that count toward tiers: nights of checked-out stays (dated by departure in
    `zone`), or accrued points (by their UTC posting day)."""
    if program.qualification.basis == "nights":
        return [
            (stay.departure.astimezone(zone).date(), stay.nights)
            for stay in member.completed_stays()
        ]
    return [(accrual.on, accrual.points) for accrual in membership.accruals]


def qualifying_value(events: Iterable[QualifyingEvent], on: date, window_months: int) -> int:
    """What counts on `on`: events dated on or before it and less than the window ago."""
    return sum(amount for when, amount in events if when <= on < add_months(when, window_months))


def year_value(events: Iterable[QualifyingEvent], year: int, on: date) -> int:
    """What counts toward calendar year `year`: its events dated on or before `on`."""
    return sum(amount for when, amount in events if when.year == year and when <= on)


def qualified_until(
    events: Iterable[QualifyingEvent],
    threshold: int,
    on: date,
    window_months: int,
    *,
    calendar_year: bool = False,
) -> date | None:
    """The date a qualification for `threshold` ran (or runs) out, counting events up to `on`.

    Rolling: walking back from the newest event, the one that brings the sum to the threshold is
    the last to leave the window still holding the member over it. Calendar year: the status
    earned in the last year that reached the threshold lasts through the next year, so it runs
    out on 1 January two years later. None: never qualified on record.
    """
    if calendar_year:
        totals: dict[int, int] = {}
        for when, amount in events:
            if when <= on:
                totals[when.year] = totals.get(when.year, 0) + amount
        reached = [year for year, total in totals.items() if total >= threshold]
        return date(max(reached) + 2, 1, 1) if reached else None
    total = 0
    for when, amount in sorted((e for e in events if e[0] <= on), reverse=True):
        total += amount
        if total >= threshold:
            return add_months(when, window_months)
    return None


@dataclass(frozen=True, slots=True)
class TierProgress:
    customer_id: str
    membership_id: str
    program_code: str
    basis: Literal["nights", "points"]
    value: int
    """Rolling: the window's value. Calendar year: this year's value so far (last year's total,
    which holds a tier through this year, is `inputs["previous_year_value"]`)."""
    period_label: str
    """What `value` covers, for a sentence: "the last 12 months" or "2026 so far"."""
    current_tier: str | None
    qualified_tier: str | None
    next_tier: str | None
    next_tier_name: str | None
    """The next tier as people call it ("Gold"): what the assistant says, not the code."""
    next_threshold: int | None
    needed_for_next: int | None
    progress_percent: Decimal | None
    downgrade_due: bool
    downgrade_to: str | None
    grace_until: date | None
    inputs: Inputs
    reasoning: str


def tier_progress(
    program: ProgramConfig, member: MemberFacts, *, as_of: datetime, zone: tzinfo | None = None
) -> TierProgress:
    """Where the member stands: the next tier and what it takes, and whether a downgrade is due.

    `zone` starts the calendar year (`MewsFactsLoader.qualification_zone`); unset, the program
    file's `qualification.time_zone`, else UTC."""
    membership = member.membership(program.code)
    if membership is None:
        raise NotAMemberError(member.customer_id, program.code)
    rules = program.qualification
    zone = zone or rules.zone() or UTC
    window = rules.window_months
    calendar = rules.period == "calendar_year"
    today = utc(as_of).astimezone(zone).date() if calendar else utc_date(as_of)
    events = qualifying_events(program, member, membership, zone if calendar else UTC)
    previous: int | None = None
    if calendar:
        value = year_value(events, today.year, today)
        previous = year_value(events, today.year - 1, today)
        status_value = max(value, previous)
    else:
        value = status_value = qualifying_value(events, today, window)
    current = program.tier(membership.tier_code) if membership.tier_code else None
    qualified = _highest_qualified(program, status_value)
    following = program.next_tier(current.code if current else None)
    downgrade = _downgrade(program, current, qualified, events, today)
    needed = None if following is None else max(0, following.threshold - value)
    percent = None
    if following is not None and following.threshold > 0:
        ratio = min(Decimal(value) / following.threshold, Decimal(1))
        percent = (ratio * 100).quantize(Decimal("0.1"))
    unit = program.qualification.basis
    return TierProgress(
        customer_id=member.customer_id,
        membership_id=membership.membership_id,
        program_code=program.code,
        basis=unit,
        value=value,
        period_label=f"{today.year} so far" if calendar else f"the last {window} months",
        current_tier=current.code if current else None,
        qualified_tier=qualified.code if qualified else None,
        next_tier=following.code if following else None,
        next_tier_name=following.name if following else None,
        next_threshold=following.threshold if following else None,
        needed_for_next=needed,
        progress_percent=percent,
        downgrade_due=downgrade.due,
        downgrade_to=downgrade.to,
        grace_until=downgrade.grace_until,
        inputs={
            "as_of": as_of,
            "basis": unit,
            "period": rules.period,
            "window_months": window,
            "value": value,
            "previous_year_value": previous,
            "time_zone": str(zone) if calendar else None,
            "current_threshold": current.threshold if current else None,
            "downgrade_grace_days": program.qualification.downgrade_grace_days,
        },
        reasoning=_progress_reason(
            program, value, previous, today, current, following, needed, downgrade
        ),
    )


@dataclass(frozen=True, slots=True)
class _Downgrade:
    due: bool
    to: str | None
    grace_until: date | None
    why: str


def _highest_qualified(program: ProgramConfig, value: int) -> TierConfig | None:
    met = [tier for tier in program.tiers_by_rank() if value >= tier.threshold]
    return met[-1] if met else None


def _downgrade(
    program: ProgramConfig,
    current: TierConfig | None,
    qualified: TierConfig | None,
    events: list[QualifyingEvent],
    today: date,
) -> _Downgrade:
    if current is None or (qualified is not None and qualified.rank >= current.rank):
        return _Downgrade(False, None, None, "")
    target = qualified or program.tiers_by_rank()[0]
    if target.code == current.code:  # already the lowest tier
        return _Downgrade(False, None, None, "")
    if program.qualification.downgrade == "one_down":  # soft landing: one tier per evaluation
        target = [tier for tier in program.tiers_by_rank() if tier.rank < current.rank][-1]
    rules = program.qualification
    ran_out = qualified_until(
        events,
        current.threshold,
        today,
        rules.window_months,
        calendar_year=rules.period == "calendar_year",
    )
    if ran_out is None:
        return _Downgrade(True, target.code, None, f"no qualifying activity for {current.name}")
    grace_until = ran_out + timedelta(days=program.qualification.downgrade_grace_days)
    due = today >= grace_until
    why = (
        f"qualification for {current.name} ran out on {day(ran_out)}, grace until "
        f"{day(grace_until)}"
    )
    return _Downgrade(due, target.code, grace_until, why)


def _progress_reason(
    program: ProgramConfig,
    value: int,
    previous: int | None,
    today: date,
    current: TierConfig | None,
    following: TierConfig | None,
    needed: int | None,
    downgrade: _Downgrade,
) -> str:
    many = program.qualification.basis
    one = many.removesuffix("s")
    window = program.qualification.window_months
    held = f"holds {current.name}" if current else "holds no tier"
    if previous is None:
        text = f"{plural(value, one, many)} in {window} months; {held}"
    else:
        text = (
            f"{plural(value, one, many)} in {today.year} so far, {points(previous)} in "
            f"{today.year - 1} (calendar-year qualification: a tier reached in a year is kept "
            f"through the next); {held}"
        )
    if following is not None and needed is not None:
        if needed == 0:
            text += f"; qualifies for {following.name} ({points(following.threshold)}) now"
        else:
            more = plural(needed, f"more {one}", f"more {many}")
            text += f"; {more} to reach {following.name} ({points(following.threshold)})"
    elif current is not None:
        text += "; already the top tier"
    if downgrade.why:
        verdict = "downgrade due" if downgrade.due else "no downgrade yet"
        text += f"; below {current.name if current else ''}: {downgrade.why}: {verdict}"
        if downgrade.due:
            text += f" to {program.tier_name(downgrade.to)}"
    return text


# ---------------------------------------------------------------------- benefits
@dataclass(frozen=True, slots=True)
class BenefitChanges:
    """What a move from one tier to another changes, in the program file's words: a benefit
    whose key both tiers have at different levels is lost at the old level, gained at the new."""

    gained: tuple[str, ...]
    lost: tuple[str, ...]
    kept: tuple[str, ...]


def benefit_changes(old: TierConfig | None, new: TierConfig | None) -> BenefitChanges:
    before = old.all_benefits() if old else {}
    after = new.all_benefits() if new else {}
    return BenefitChanges(
        gained=tuple(text for key, text in after.items() if before.get(key) != text),
        lost=tuple(text for key, text in before.items() if after.get(key) != text),
        kept=tuple(text for key, text in after.items() if before.get(key) == text),
    )


# ---------------------------------------------------------------------- many members
@dataclass(frozen=True, slots=True)
class TierChange:
    customer_id: str
    display_name: str
    membership_id: str
    direction: Literal["upgrade", "downgrade", "assign"]
    from_tier: str | None
    to_tier: str
    value: int
    reasoning: str


@dataclass(frozen=True, slots=True)
class TierEvaluation:
    program_code: str
    as_of: datetime
    evaluated: int
    changes: tuple[TierChange, ...]
    reasoning: str


def evaluate_tiers(
    program: ProgramConfig,
    members: Iterable[MemberFacts],
    *,
    as_of: datetime,
    zone: tzinfo | None = None,
) -> TierEvaluation:
    """The tier each active member should hold, as proposed changes (nothing is written);
    `zone` as in `tier_progress`."""
    changes: list[TierChange] = []
    evaluated = 0
    if not program.tiers:
        return TierEvaluation(program.code, as_of, 0, (), f"{program.name} has no tiers")
    for member in members:
        if member.active_membership(program.code) is None:
            continue
        evaluated += 1
        change = _proposed_change(program, member, as_of, zone)
        if change is not None:
            changes.append(change)
    nouns = {"upgrade": "upgrade", "downgrade": "downgrade", "assign": "assignment"}
    summary = ", ".join(plural(sum(c.direction == d for c in changes), n) for d, n in nouns.items())
    return TierEvaluation(
        program.code,
        as_of,
        evaluated,
        tuple(changes),
        f"{plural(evaluated, 'active member')} of {program.name} evaluated: {summary}",
    )


def _proposed_change(
    program: ProgramConfig, member: MemberFacts, as_of: datetime, zone: tzinfo | None
) -> TierChange | None:
    progress = tier_progress(program, member, as_of=as_of, zone=zone)
    current = progress.current_tier
    qualified = progress.qualified_tier
    direction: Literal["upgrade", "downgrade", "assign"] | None = None
    target: str | None = None
    if current is None:
        direction, target = "assign", qualified or program.tiers_by_rank()[0].code
    elif qualified is not None and program.tier(qualified).rank > program.tier(current).rank:
        direction, target = "upgrade", qualified
    elif progress.downgrade_due and progress.downgrade_to is not None:
        direction, target = "downgrade", progress.downgrade_to
    if direction is None or target is None:
        return None
    return by_name(
        TierChange,
        field_values(progress),  # whose member, membership, value and reasoning
        display_name=member.display_name,
        direction=direction,
        from_tier=current,
        to_tier=target,
    )
