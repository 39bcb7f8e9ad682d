"""Segments over many members, in one pass over an iterable of `MemberFacts`.

- `Lapsing()`: the lapse rule of `insights`; the program gap is measured in the same pass (each
  member's figures are kept, the percentile is taken at the end) unless it is given.
- `NearNextTier(within_percent)`: members short of their next tier by at most that share of its
  threshold (already qualified members are tier evaluation's business, not this segment's).
- `HighSpendNoRedemption(min_spend, months)`: spend of checked-out stays in the window (program
  currency) at or above `min_spend`, and no redemption in the last `months` (or ever).

Only memberships that are not Canceled or Declined count. Defaults come from `segments`.

`find_segment` judges every member it is given; `SegmentScan` does the same fed batch by batch
(a scan of Mews streams its members), keeping only what the segment needs, so a scan's memory
does not grow with the chain; `find_segment_among` judges only candidates a caller picked (the
member read model's SQL over its per-member totals) with the figures of the whole population
given (`Population`): each member is judged by the same code either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Final, Literal

from tools.loyalty._time import add_months
from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import money
from tools.loyalty.facts import Inputs, MemberFacts
from tools.loyalty.insights import (
    LapseProfile,
    assess_lapse,
    assess_profile,
    gap_percentile,
    lapse_profile,
    stay_gaps,
    stays_in_window,
)
from tools.loyalty.tiers import tier_progress

__all__ = [
    "HighSpendNoRedemption",
    "Lapsing",
    "NearNextTier",
    "Population",
    "SegmentMember",
    "SegmentQuery",
    "SegmentResult",
    "SegmentScan",
    "find_segment",
    "find_segment_among",
    "high_spend_settings",
    "near_tier_within",
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
    scan = SegmentScan(program, query, as_of=as_of, zone=zone)
    scan.add(members)
    return scan.result()


_LEAST_GAP: Final = Decimal(0)
"""The least program gap the lapse rule can measure (gaps are whole days, overlaps count 0)."""


class SegmentScan:
    """`find_segment` over members given batch by batch (`add`), judged when all are in
    (`result`). Kept meanwhile: the segment's entries, and for `Lapsing` every gap between
    stays and, of the members who lapse even at a program gap of 0 days (a longer gap, measured
    only once every member is in, only raises their threshold: no one else can lapse), what
    the rule reads (`LapseProfile`); the members' facts only with `keep_facts` (`members`)."""

    def __init__(
        self,
        program: ProgramConfig,
        query: SegmentQuery,
        *,
        as_of: datetime,
        zone: tzinfo | None = None,
        keep_facts: bool = False,
    ) -> None:
        self.program, self.query, self.as_of, self.zone = program, query, as_of, zone
        self.scanned = 0
        self._gaps: list[int] = []
        self._lapsers: list[tuple[SegmentMember, LapseProfile]] = []
        self._found: list[SegmentMember] = []
        self._facts: dict[str, MemberFacts] | None = {} if keep_facts else None

    def add(self, members: Iterable[MemberFacts]) -> None:
        """Judge these members (active ones only), or keep what the lapse rule reads."""
        program, query, as_of = self.program, self.query, self.as_of
        for member in _active_members(program, members):
            self.scanned += 1
            if isinstance(query, Lapsing):
                self._gaps.extend(stay_gaps(member))
                least = _LEAST_GAP if query.program_gap_days is None else query.program_gap_days
                profile = lapse_profile(member, as_of=as_of)
                if assess_profile(program, profile, as_of=as_of, program_gap=least).lapsing:
                    # who they are (the entry without figures), not their stays
                    self._lapsers.append((_entry(member, program, {}, ""), profile))
                    self._keep(member)
                continue
            found = _judge(program, (member,), query, as_of, None, self.zone)
            if found:
                self._found.extend(found)
                self._keep(member)

    def _keep(self, member: MemberFacts) -> None:
        if self._facts is not None:
            self._facts[member.customer_id] = member

    def result(self) -> SegmentResult:
        """The segment of every member added."""
        program, query, as_of = self.program, self.query, self.as_of
        if not isinstance(query, Lapsing):
            return _result(program, query, as_of, Population(self.scanned), self._found)
        population = Population(self.scanned, tuple(self._gaps))
        gap = _program_gap(program, query, population)
        found = []
        for who, profile in self._lapsers:
            lapse = assess_profile(program, profile, as_of=as_of, program_gap=gap)
            if lapse.lapsing:
                found.append(replace(who, metrics=lapse.inputs, reason=lapse.reasoning))
        return _result(program, query, as_of, population, found, gap)

    def members(self, result: SegmentResult) -> dict[str, MemberFacts]:
        """The facts of the result's members, by customer id (kept with `keep_facts`)."""
        if self._facts is None:
            raise ValueError("SegmentScan.members: the scan was made without keep_facts=True")
        return {m.customer_id: self._facts[m.customer_id] for m in result.members}


@dataclass(frozen=True, slots=True)
class Population:
    """What a segment needs of all the program's active members, not only of those in it: how
    many there are, and (for `Lapsing` without a given gap) every gap between their stays."""

    scanned: int
    gaps: tuple[int, ...] = ()


def find_segment_among(
    program: ProgramConfig,
    candidates: Iterable[MemberFacts],
    query: SegmentQuery,
    *,
    as_of: datetime,
    population: Population,
    size: int | None = None,
    zone: tzinfo | None = None,
) -> SegmentResult:
    """As `find_segment`, judging only `candidates`: active members of `program` that include
    every member of the segment (the member read model picks them with SQL over its totals), in
    the order the segment lists them; `population` holds the figures of all active members.
    `size`: the candidates are only the first members of a segment of this size (the caller
    knows every one of them is in it); the result counts them all and lists those."""
    gap = _program_gap(program, query, population) if isinstance(query, Lapsing) else None
    found = _judge(program, _active_members(program, candidates), query, as_of, gap, zone)
    return _result(program, query, as_of, population, found, gap, size)


def _program_gap(program: ProgramConfig, query: Lapsing, population: Population) -> Decimal:
    """The lapse rule's program gap: the query's, else the percentile of the population's."""
    if query.program_gap_days is not None:
        return query.program_gap_days
    return gap_percentile(program, list(population.gaps)).days


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


def _judge(
    program: ProgramConfig,
    members: Iterable[MemberFacts],
    query: SegmentQuery,
    as_of: datetime,
    gap: Decimal | None,
    zone: tzinfo | None = None,
) -> list[SegmentMember]:
    """The members in the segment, each judged alone (`gap`: the lapse rule's program gap)."""
    found: list[SegmentMember] = []
    if isinstance(query, Lapsing):
        assert gap is not None
        for member in members:
            lapse = assess_lapse(program, member, as_of=as_of, program_gap=gap)
            if lapse.lapsing:
                found.append(_entry(member, program, lapse.inputs, lapse.reasoning))
    elif isinstance(query, NearNextTier):
        within = near_tier_within(program, query)
        for member in members:
            progress = tier_progress(program, member, as_of=as_of, zone=zone)
            threshold = progress.next_threshold
            needed = progress.needed_for_next
            if threshold is None or needed is None or needed == 0:
                continue
            if Decimal(needed) <= threshold * within / 100:
                found.append(_entry(member, program, progress.inputs, progress.reasoning))
    else:
        settings = program.segments
        min_spend, months = high_spend_settings(program, query)
        since = add_months(as_of, -months)
        for member in members:
            window = stays_in_window(member.stays, as_of, settings.high_spender_window_months)
            spend = sum(
                (s.spend.total for s in window if s.currency == program.currency), Decimal(0)
            )
            last = member.last_redemption_at
            if spend < min_spend or (last is not None and last >= since):
                continue
            redeemed = "never redeemed" if last is None else f"last redeemed {last.date()}"
            found.append(
                _entry(
                    member,
                    program,
                    {"spend_in_window": spend, "last_redemption_at": last},
                    f"{money(spend, program.currency)} spent in "
                    f"{settings.high_spender_window_months} months "
                    f"(≥ {money(min_spend, program.currency)}); {redeemed}, "
                    f"not within {months} months",
                )
            )
    return found


def near_tier_within(program: ProgramConfig, query: NearNextTier) -> Decimal:
    """The share of the next tier's threshold a member may still be short of (percent)."""
    return query.within_percent or program.segments.near_tier_within_percent


def high_spend_settings(
    program: ProgramConfig, query: HighSpendNoRedemption
) -> tuple[Decimal, int]:
    """The minimum spend in the window, and the months without a redemption."""
    settings = program.segments
    min_spend = settings.high_spender_min_spend if query.min_spend is None else query.min_spend
    return min_spend, query.months or settings.no_redemption_months


def _result(
    program: ProgramConfig,
    query: SegmentQuery,
    as_of: datetime,
    population: Population,
    found: list[SegmentMember],
    gap: Decimal | None = None,
    size: int | None = None,
) -> SegmentResult:
    n, scanned = len(found) if size is None else size, population.scanned
    inputs: Inputs
    if isinstance(query, Lapsing):
        inputs = {"program_gap_days": gap, "gaps_measured": len(population.gaps)}
        reasoning = f"{n} of {scanned} members lapsing (program gap {gap} days)"
    elif isinstance(query, NearNextTier):
        within = near_tier_within(program, query)
        inputs = {"within_percent": within}
        reasoning = f"{n} of {scanned} members within {within}% of their next tier"
    else:
        min_spend, months = high_spend_settings(program, query)
        inputs = {"min_spend": min_spend, "no_redemption_months": months}
        reasoning = (
            f"{n} of {scanned} members spent ≥ {money(min_spend, program.currency)} "
            f"and have not redeemed in {months} months"
        )
    return SegmentResult(query.kind, program.code, as_of, scanned, tuple(found), inputs, reasoning)
