"""Segments over many members, in one pass over an iterable of `MemberFacts`.

- `Lapsing()`: the lapse rule of `insights`; the program gap is measured in the same pass (each
  member's figures are kept, the percentile is taken at the end) unless it is given.
- `NearNextTier(within_percent)`: members short of their next tier by at most that share of its
  threshold (already qualified members are tier evaluation's business, not this segment's).
- `HighSpendNoRedemption(min_spend, months)`: spend of checked-out stays in the window (program
  currency) at or above `min_spend`, and no redemption in the last `months` (or ever).

Only memberships that are not Canceled or Declined count. Defaults come from `segments`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Literal

from tools.loyalty._time import add_months
from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import money
from tools.loyalty.facts import Inputs, MemberFacts
from tools.loyalty.insights import (
    assess_lapse,
    gap_percentile,
    stay_gaps,
    stays_in_window,
)
from tools.loyalty.tiers import tier_progress

__all__ = [
    "HighSpendNoRedemption",
    "Lapsing",
    "NearNextTier",
    "SegmentMember",
    "SegmentQuery",
    "SegmentResult",
    "find_segment",
]


@dataclass(frozen=True, slots=True)
class Lapsing:
    program_gap_days: Decimal | None = None
    kind: Literal["lapsing"] = "lapsing"


@dataclass(frozen=True, slots=True)
class NearNextTier:
    within_percent: Decimal | None = None
    kind: Literal["near_next_tier"] = "near_next_tier"


@dataclass(frozen=True, slots=True)
class HighSpendNoRedemption:
    min_spend: Decimal | None = None
    months: int | None = None
    kind: Literal["high_spend_no_redemption"] = "high_spend_no_redemption"


SegmentQuery = Lapsing | NearNextTier | HighSpendNoRedemption


@dataclass(frozen=True, slots=True)
class SegmentMember:
    customer_id: str
    display_name: str
    membership_id: str
    metrics: Inputs
    reason: str


@dataclass(frozen=True, slots=True)
class SegmentResult:
    kind: str
    program_code: str
    as_of: datetime
    scanned: int
    members: tuple[SegmentMember, ...]
    inputs: Inputs
    reasoning: str


def find_segment(
    program: ProgramConfig,
    members: Iterable[MemberFacts],
    query: SegmentQuery,
    *,
    as_of: datetime,
    zone: tzinfo | None = None,
) -> SegmentResult:
    """The active members of `program` in the segment, each with its reason in data terms
    (`zone`: where a calendar qualification year starts, as in `tier_progress`)."""
    active = _active_members(program, members)
    if isinstance(query, Lapsing):
        return _lapsing(program, active, query, as_of)
    if isinstance(query, NearNextTier):
        return _near_next_tier(program, active, query, as_of, zone)
    return _high_spend_no_redemption(program, active, query, as_of)


def _active_members(
    program: ProgramConfig, members: Iterable[MemberFacts]
) -> Iterable[MemberFacts]:
    return (member for member in members if member.active_membership(program.code))


def _entry(
    member: MemberFacts, program: ProgramConfig, metrics: Inputs, reason: str
) -> SegmentMember:
    membership = member.membership(program.code)
    assert membership is not None  # _active_members only yields members
    return SegmentMember(
        member.customer_id, member.display_name, membership.membership_id, metrics, reason
    )


def _lapsing(
    program: ProgramConfig, members: Iterable[MemberFacts], query: Lapsing, as_of: datetime
) -> SegmentResult:
    kept: list[MemberFacts] = []
    gaps: list[int] = []
    scanned = 0
    for member in members:  # the one pass: remember members with a stay, pool their gaps
        scanned += 1
        member_gaps = stay_gaps(member)
        gaps.extend(member_gaps)
        if member.completed_stays():
            kept.append(member)
    gap = (
        query.program_gap_days
        if query.program_gap_days is not None
        else gap_percentile(program, gaps).days
    )
    found = []
    for member in kept:
        lapse = assess_lapse(program, member, as_of=as_of, program_gap=gap)
        if lapse.lapsing:
            found.append(_entry(member, program, lapse.inputs, lapse.reasoning))
    return SegmentResult(
        "lapsing",
        program.code,
        as_of,
        scanned,
        tuple(found),
        {"program_gap_days": gap, "gaps_measured": len(gaps)},
        f"{len(found)} of {scanned} members lapsing (program gap {gap} days)",
    )


def _near_next_tier(
    program: ProgramConfig,
    members: Iterable[MemberFacts],
    query: NearNextTier,
    as_of: datetime,
    zone: tzinfo | None,
) -> SegmentResult:
    within = query.within_percent or program.segments.near_tier_within_percent
    found = []
    scanned = 0
    for member in members:
        scanned += 1
        progress = tier_progress(program, member, as_of=as_of, zone=zone)
        threshold = progress.next_threshold
        needed = progress.needed_for_next
        if threshold is None or needed is None or needed == 0:
            continue
        if Decimal(needed) <= threshold * within / 100:
            found.append(_entry(member, program, progress.inputs, progress.reasoning))
    return SegmentResult(
        "near_next_tier",
        program.code,
        as_of,
        scanned,
        tuple(found),
        {"within_percent": within},
        f"{len(found)} of {scanned} members within {within}% of their next tier",
    )


def _high_spend_no_redemption(
    program: ProgramConfig,
    members: Iterable[MemberFacts],
    query: HighSpendNoRedemption,
    as_of: datetime,
) -> SegmentResult:
    settings = program.segments
    min_spend = settings.high_spender_min_spend if query.min_spend is None else query.min_spend
    months = query.months or settings.no_redemption_months
    since = add_months(as_of, -months)
    found = []
    scanned = 0
    for member in members:
        scanned += 1
        window = stays_in_window(member.stays, as_of, settings.high_spender_window_months)
        spend = sum((s.spend.total for s in window if s.currency == program.currency), Decimal(0))
        last = member.last_redemption_at
        if spend < min_spend or (last is not None and last >= since):
            continue
        redeemed = "never redeemed" if last is None else f"last redeemed {last.date()}"
        found.append(
            _entry(
                member,
                program,
                {"spend_in_window": spend, "last_redemption_at": last},
                f"{money(spend, program.currency)} spent in {settings.high_spender_window_months} "
                f"months (≥ {money(min_spend, program.currency)}); {redeemed}, "
                f"not within {months} months",
            )
        )
    return SegmentResult(
        "high_spend_no_redemption",
        program.code,
        as_of,
        scanned,
        tuple(found),
        {"min_spend": min_spend, "no_redemption_months": months},
        f"{len(found)} of {scanned} members spent ≥ {money(min_spend, program.currency)} "
        f"and have not redeemed in {months} months",
    )
