"""Tier progress and tier evaluation.

A member qualifies for a tier when the qualifying value in the rolling window (checked-out nights
by departure date, or accrual points by posting date, per `qualification.basis`) reaches the
tier's threshold (at the threshold counts). An event counts on dates from its own date until
`window_months` later (exclusive).

Upgrades are due at once. A downgrade is due only when the member has not qualified for their
current tier for `downgrade_grace_days`: the grace runs from the date their qualification ran out
(the date the event that last carried them over the threshold left the window). A member with no
qualifying activity on record for their tier is due at once. With `downgrade = "one_down"` (the
default, Talon.One's soft landing) a due downgrade takes the member one tier down per
evaluation; with "to_qualified" it goes straight to the highest tier they qualify for. Never
below the lowest tier: evaluation never removes a member's tier altogether.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from tools.loyalty._time import add_months, utc_date
from tools.loyalty.config import ProgramConfig, TierConfig
from tools.loyalty.display import plural, points
from tools.loyalty.errors import NotAMemberError
from tools.loyalty.facts import Inputs, MemberFacts, MembershipFacts

__all__ = [
    "TierChange",
    "TierEvaluation",
    "TierProgress",
    "evaluate_tiers",
    "qualified_until",
    "qualifying_events",
    "qualifying_value",
    "tier_progress",
]

QualifyingEvent = tuple[date, int]


def qualifying_events(
    program: ProgramConfig, member: MemberFacts, membership: MembershipFacts
) -> list[QualifyingEvent]:
    """Dated amounts that count toward tiers: nights of checked-out stays, or accrued points."""
    if program.qualification.basis == "nights":
        return [(utc_date(stay.departure), stay.nights) for stay in member.completed_stays()]
    return [(accrual.on, accrual.points) for accrual in membership.accruals]


def qualifying_value(events: Iterable[QualifyingEvent], on: date, window_months: int) -> int:
    """What counts on `on`: events dated on or before it and less than the window ago."""
    return sum(amount for when, amount in events if when <= on < add_months(when, window_months))


def qualified_until(
    events: Iterable[QualifyingEvent], threshold: int, on: date, window_months: int
) -> date | None:
    """The date a qualification for `threshold` ran (or runs) out, counting events up to `on`.

    Walking back from the newest event, the one that brings the sum to the threshold is the last
    to leave the window still holding the member over it. None: never qualified on record.
    """
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
    window_months: int
    value: int
    current_tier: str | None
    qualified_tier: str | None
    next_tier: str | None
    next_threshold: int | None
    needed_for_next: int | None
    progress_percent: Decimal | None
    downgrade_due: bool
    downgrade_to: str | None
    grace_until: date | None
    inputs: Inputs
    reasoning: str


def tier_progress(program: ProgramConfig, member: MemberFacts, *, as_of: datetime) -> TierProgress:
    """Where the member stands: the next tier and what it takes, and whether a downgrade is due."""
    membership = member.membership(program.code)
    if membership is None:
        raise NotAMemberError(member.customer_id, program.code)
    window = program.qualification.window_months
    today = utc_date(as_of)
    events = qualifying_events(program, member, membership)
    value = qualifying_value(events, today, window)
    current = program.tier(membership.tier_code) if membership.tier_code else None
    qualified = _highest_qualified(program, value)
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
        window_months=window,
        value=value,
        current_tier=current.code if current else None,
        qualified_tier=qualified.code if qualified else None,
        next_tier=following.code if following else None,
        next_threshold=following.threshold if following else None,
        needed_for_next=needed,
        progress_percent=percent,
        downgrade_due=downgrade.due,
        downgrade_to=downgrade.to,
        grace_until=downgrade.grace_until,
        inputs={
            "as_of": as_of,
            "basis": unit,
            "window_months": window,
            "value": value,
            "current_threshold": current.threshold if current else None,
            "downgrade_grace_days": program.qualification.downgrade_grace_days,
        },
        reasoning=_progress_reason(program, value, current, following, needed, downgrade),
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
    window = program.qualification.window_months
    ran_out = qualified_until(events, current.threshold, today, window)
    if ran_out is None:
        return _Downgrade(True, target.code, None, f"no qualifying activity for {current.name}")
    grace_until = ran_out + timedelta(days=program.qualification.downgrade_grace_days)
    due = today >= grace_until
    why = f"qualification for {current.name} ran out on {ran_out}, grace until {grace_until}"
    return _Downgrade(due, target.code, grace_until, why)


def _progress_reason(
    program: ProgramConfig,
    value: int,
    current: TierConfig | None,
    following: TierConfig | None,
    needed: int | None,
    downgrade: _Downgrade,
) -> str:
    many = program.qualification.basis
    one = many.removesuffix("s")
    window = program.qualification.window_months
    held = f"holds {current.name}" if current else "holds no tier"
    text = f"{plural(value, one, many)} in {window} months; {held}"
    if following is not None and needed is not None:
        if needed == 0:
            text += f"; qualifies for {following.name} ({points(following.threshold)}) now"
        else:
            more = plural(needed, f"more {one}", f"more {many}")
            text += f"; {more} for {following.name} ({points(following.threshold)})"
    elif current is not None:
        text += "; already the top tier"
    if downgrade.why:
        verdict = "downgrade due" if downgrade.due else "no downgrade yet"
        text += f"; below {current.name if current else ''}: {downgrade.why}: {verdict}"
        if downgrade.due:
            text += f" to {program.tier_name(downgrade.to)}"
    return text


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
    program: ProgramConfig, members: Iterable[MemberFacts], *, as_of: datetime
) -> TierEvaluation:
    """The tier each active member should hold, as proposed changes (nothing is written)."""
    changes: list[TierChange] = []
    evaluated = 0
    if not program.tiers:
        return TierEvaluation(program.code, as_of, 0, (), f"{program.name} has no tiers")
    for member in members:
        if member.active_membership(program.code) is None:
            continue
        evaluated += 1
        change = _proposed_change(program, member, as_of)
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
    program: ProgramConfig, member: MemberFacts, as_of: datetime
) -> TierChange | None:
    progress = tier_progress(program, member, as_of=as_of)
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
    return TierChange(
        customer_id=member.customer_id,
        display_name=member.display_name,
        membership_id=progress.membership_id,
        direction=direction,
        from_tier=current,
        to_tier=target,
        value=progress.value,
        reasoning=progress.reasoning,
    )
