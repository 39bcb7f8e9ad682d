"""Member insights: summary, recency/frequency/monetary scores, lapse risk.

RFM scoring (transparent, per member, no population statistics needed): each score runs 1..5
and is 1 plus the number of the program's `rfm` bands the member reaches.
- Recency: days from the last checked-out stay's departure to `as_of`; 5 within the first band
  (30 days by default), then one less per band passed (90, 180, 365); 1 beyond, or no stay.
- Frequency: checked-out stays departing within the window (12 months): +1 per band reached
  (1, 2, 4, 6 stays).
- Monetary: spend of those stays in the program currency: +1 per band reached (250, 750, 1500,
  3000). Spend in another currency is left out (and said so) rather than converted here.
- Member value = (R + F + M − 3) / 12, from 0 to 1.

Lapse rule: a member is lapsing when the days since their last stay exceed
max(1.5 × their median gap between stays, the program's 80th-percentile gap). A gap is the days
from one stay's departure to the next stay's arrival. With one stay only, the program gap alone
applies. A member with no stay, or with a stay in house or booked ahead, is not lapsing.
The program gap is the nearest-rank percentile of all members' gaps (`program_gap_days`).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from storage.rows import by_name, field_values
from tools.loyalty._time import add_months, days_between, utc_date
from tools.loyalty.config import ProgramConfig, ProgramFile
from tools.loyalty.display import day, money, plural, when
from tools.loyalty.facts import (
    Inputs,
    MemberFacts,
    MembershipFacts,
    Spend,
    StayFacts,
    spend_by_currency,
)
from tools.loyalty.ledger_model import BalanceSummary

__all__ = [
    "LapseAssessment",
    "LapseProfile",
    "MemberSummary",
    "MembershipSummary",
    "ProgramGap",
    "RfmScores",
    "assess_lapse",
    "assess_profile",
    "gap_percentile",
    "lapse_profile",
    "member_summary",
    "program_gap_days",
    "rfm_scores",
    "stay_gaps",
    "stays_in_window",
]


# ---------------------------------------------------------------------- RFM
@dataclass(frozen=True, slots=True)
class RfmScores:
    recency: int
    frequency: int
    monetary: int
    value: Decimal
    days_since_last_stay: int | None
    stays_in_window: int
    spend_in_window: Decimal
    currency: str
    inputs: Inputs
    reasoning: str


def stays_in_window(stays: Iterable[StayFacts], as_of: datetime, months: int) -> list[StayFacts]:
    """Checked-out stays whose departure falls in the `months` before `as_of`."""
    start = add_months(as_of, -months)
    return [stay for stay in stays if stay.checked_out and start < stay.departure <= as_of]


def rfm_scores(program: ProgramConfig, member: MemberFacts, *, as_of: datetime) -> RfmScores:
    bands = program.rfm
    completed = member.completed_stays()
    days_since = days_between(completed[-1].departure, as_of) if completed else None
    recency = (
        1 if days_since is None else 5 - sum(days_since > limit for limit in bands.recency_days)
    )
    window = stays_in_window(completed, as_of, bands.window_months)
    in_currency = [stay for stay in window if stay.currency == program.currency]
    spend = sum((stay.spend.total for stay in in_currency), Decimal(0))
    frequency = 1 + sum(len(window) >= band for band in bands.frequency_stays)
    monetary = 1 + sum(spend >= band for band in bands.monetary)
    value = (Decimal(recency + frequency + monetary - 3) / 12).quantize(Decimal("0.01"))
    skipped = len(window) - len(in_currency)
    note = f"; {skipped} stays in other currencies not counted" if skipped else ""
    recency_text = "no stay yet" if days_since is None else f"last stay {days_since} days ago"
    return RfmScores(
        recency=recency,
        frequency=frequency,
        monetary=monetary,
        value=value,
        days_since_last_stay=days_since,
        stays_in_window=len(window),
        spend_in_window=spend,
        currency=program.currency,
        inputs={
            "as_of": as_of,
            "days_since_last_stay": days_since,
            "stays_in_window": len(window),
            "spend_in_window": spend,
            "window_months": bands.window_months,
        },
        reasoning=(
            f"R{recency} ({recency_text}), F{frequency} ({len(window)} stays in "
            f"{bands.window_months} months), M{monetary} "
            f"({money(spend, program.currency)} spent{note}): member value {value}"
        ),
    )


# ---------------------------------------------------------------------- lapse
def stay_gaps(member: MemberFacts) -> tuple[int, ...]:
    """Days between consecutive checked-out stays (departure to next arrival; overlaps count 0)."""
    stays = member.completed_stays()
    ordered = sorted(stays, key=lambda stay: stay.arrival)
    return tuple(
        max(0, days_between(previous.departure, following.arrival))
        for previous, following in itertools.pairwise(ordered)
    )


@dataclass(frozen=True, slots=True)
class ProgramGap:
    days: Decimal
    percentile: int
    gaps_measured: int
    from_default: bool
    reasoning: str


def program_gap_days(program: ProgramConfig, members: Iterable[MemberFacts]) -> ProgramGap:
    """The program's typical gap between stays: nearest-rank percentile over all members' gaps."""
    gaps: list[int] = []
    for member in members:
        if member.active_membership(program.code) is not None:
            gaps.extend(stay_gaps(member))
    return gap_percentile(program, gaps)


def gap_percentile(program: ProgramConfig, gaps: list[int]) -> ProgramGap:
    percentile = program.lapse.program_gap_percentile
    if not gaps:
        days = Decimal(program.lapse.default_program_gap_days)
        return ProgramGap(
            days, percentile, 0, True, f"no gaps between stays yet: default of {days} days"
        )
    ordered = sorted(gaps)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    days = Decimal(ordered[rank - 1])
    return ProgramGap(
        days,
        percentile,
        len(ordered),
        False,
        f"{percentile}th percentile of {len(ordered)} gaps between stays: {days} days",
    )


@dataclass(frozen=True, slots=True)
class LapseAssessment:
    lapsing: bool
    days_since_last_stay: int | None
    member_median_gap_days: Decimal | None
    program_gap_days: Decimal
    threshold_days: Decimal | None
    has_upcoming_stay: bool
    inputs: Inputs
    reasoning: str


@dataclass(frozen=True, slots=True)
class LapseProfile:
    """What the lapse rule reads of a member's stays on a day (`lapse_profile`): a scan keeps
    this, not the member, until the program gap is known."""

    completed_stays: int
    days_since_last_stay: int | None
    member_median_gap_days: Decimal | None
    has_upcoming_stay: bool


def lapse_profile(member: MemberFacts, *, as_of: datetime) -> LapseProfile:
    completed = member.completed_stays()
    gaps = stay_gaps(member)
    return LapseProfile(
        completed_stays=len(completed),
        days_since_last_stay=days_between(completed[-1].departure, as_of) if completed else None,
        member_median_gap_days=Decimal(str(statistics.median(gaps))) if gaps else None,
        has_upcoming_stay=any(stay.is_upcoming(as_of) for stay in member.stays),
    )


def assess_lapse(
    program: ProgramConfig, member: MemberFacts, *, as_of: datetime, program_gap: Decimal
) -> LapseAssessment:
    profile = lapse_profile(member, as_of=as_of)
    return assess_profile(program, profile, as_of=as_of, program_gap=program_gap)


def assess_profile(
    program: ProgramConfig, profile: LapseProfile, *, as_of: datetime, program_gap: Decimal
) -> LapseAssessment:
    """`assess_lapse` from a member's `LapseProfile`."""
    completed = profile.completed_stays
    median = profile.member_median_gap_days
    upcoming = profile.has_upcoming_stay
    days_since = profile.days_since_last_stay
    threshold = None
    if completed:
        own = median * program.lapse.member_gap_multiplier if median is not None else None
        threshold = max(program_gap, own) if own is not None else program_gap
    lapsing = (
        days_since is not None and threshold is not None and not upcoming and days_since > threshold
    )
    return LapseAssessment(
        lapsing=lapsing,
        days_since_last_stay=days_since,
        member_median_gap_days=median,
        program_gap_days=program_gap,
        threshold_days=threshold,
        has_upcoming_stay=upcoming,
        inputs={
            "as_of": as_of,
            "days_since_last_stay": days_since,
            "member_median_gap_days": median,
            "member_gap_multiplier": program.lapse.member_gap_multiplier,
            "program_gap_days": program_gap,
            "completed_stays": completed,
        },
        reasoning=_lapse_reason(lapsing, days_since, median, threshold, upcoming, program),
    )


def _lapse_reason(
    lapsing: bool,
    days_since: int | None,
    median: Decimal | None,
    threshold: Decimal | None,
    upcoming: bool,
    program: ProgramConfig,
) -> str:
    if days_since is None or threshold is None:
        return "no checked-out stay on record: nothing to lapse from"
    if upcoming:
        return f"last stay {days_since} days ago, but a stay is in house or booked: not lapsing"
    basis = (
        f"max({program.lapse.member_gap_multiplier} × median gap {median}, program gap)"
        if median is not None
        else "the program gap (one stay only)"
    )
    verdict = "lapsing" if lapsing else "not lapsing"
    return f"{days_since} days since the last stay vs {threshold} days = {basis}: {verdict}"


# ---------------------------------------------------------------------- summary
@dataclass(frozen=True, slots=True)
class MembershipSummary:
    membership_id: str
    program_code: str
    program_name: str | None
    state: str
    is_primary: bool
    membership_number: str | None
    tier_code: str | None
    tier_name: str | None
    tier_benefits: tuple[str, ...] | None
    """What the tier gives, in the program file's words (None: no tier the file knows)."""
    balance: BalanceSummary | None
    mews_points: int | None
    expiration: datetime | None


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """What staff may see about a member: no documents, no cards, no contact details."""

    customer_id: str
    display_name: str
    email_on_file: bool
    consent: dict[str, bool]
    """Per channel, whether an offer may be drafted (Mews customer `Options`, program file);
    `draft_offer` and campaigns say why a channel is refused (no e-mail on file among them)."""
    memberships: tuple[MembershipSummary, ...]
    stays: int
    nights: int
    first_stay: date | None
    last_stay: date | None
    upcoming_stays: int
    spend_by_currency: dict[str, Spend]
    inputs: Inputs
    reasoning: str


def member_summary(
    programs: ProgramFile, member: MemberFacts, *, as_of: datetime, tz: tzinfo = UTC
) -> MemberSummary:
    """The member at a glance; `reasoning` tells dates and times in `tz` (the enterprise's zone,
    named), the fields stay UTC."""
    completed = member.completed_stays()
    memberships = tuple(
        _membership_summary(programs, membership) for membership in member.memberships
    )
    nights = sum(stay.nights for stay in completed)
    last = utc_date(completed[-1].departure) if completed else None
    return MemberSummary(
        customer_id=member.customer_id,
        display_name=member.display_name,
        email_on_file=member.email_present,
        consent=member.consent.as_dict(),
        memberships=memberships,
        stays=len(completed),
        nights=nights,
        first_stay=utc_date(completed[0].arrival) if completed else None,
        last_stay=last,
        upcoming_stays=sum(stay.is_upcoming(as_of) for stay in member.stays),
        spend_by_currency=spend_by_currency(completed),
        # facts_as_of: how current the member read model's stays, tier and Mews points are
        # (None: read from Mews for this answer)
        inputs={"as_of": as_of, "stays_on_record": len(member.stays), "facts_as_of": member.as_of},
        reasoning=_summary_reason(
            member.display_name,
            len(completed),
            nights,
            completed[-1].departure if completed else None,
            memberships,
            tz,
        ),
    )


def _membership_summary(programs: ProgramFile, membership: MembershipFacts) -> MembershipSummary:
    program = programs.programs.get(membership.program_code)
    tier = program.tiers.get(membership.tier_code) if program and membership.tier_code else None
    return by_name(
        MembershipSummary,
        field_values(membership),  # the membership's own fields
        program_name=program.name if program else None,
        tier_name=tier.name if tier else None,
        tier_benefits=tuple(tier.all_benefits().values()) if tier else None,
    )


def _summary_reason(
    name: str,
    stays: int,
    nights: int,
    last: datetime | None,
    memberships: tuple[MembershipSummary, ...],
    tz: tzinfo,
) -> str:
    stay_text = f"{plural(stays, 'stay')}, {plural(nights, 'night')}" + (
        f", the last ended {day(last, tz)}" if last else ""
    )
    parts = []
    for membership in memberships:
        tier = f" ({membership.tier_name or membership.tier_code})" if membership.tier_code else ""
        points = (
            f"{plural(membership.balance.available, 'point')} available"
            if membership.balance
            else "no ledger account yet"
        )
        expiry = (
            f", membership expires {when(membership.expiration, tz)}"
            if membership.expiration
            else ""
        )
        parts.append(
            f"{membership.program_name or membership.program_code}{tier}: {points}{expiry}"
        )
    zone = f" (times in {getattr(tz, 'key', None) or tz})"
    return f"{name}: {stay_text}; " + ("; ".join(parts) or "no memberships") + zone
