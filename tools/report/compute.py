"""The program health report, computed from rows already read (no I/O here).

`build_report(inputs)` classifies each ledger movement of the period:

- **issued**: accruals and positive adjustments (stay points, bonuses, goodwill), less the
  reversals of such entries;
- **redeemed**: redemptions, less the reversals of redemptions;
- **expired**: expiry entries;
- **adjusted down**: negative adjustments (corrections), less their reversals.

Opening balances (points a membership held in Mews before the ledger saw it) are not issued in
the period: they were issued before the ledger existed. The liability is the sum of positive
balances at the period end, valued at the program's `point_value`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ConfigDict

from tools.campaigns.stats import Group, compare
from tools.loyalty import Lapsing, find_segment
from tools.loyalty._time import add_months
from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import MemberFacts
from tools.loyalty.ledger_model import EntryKind
from tools.loyalty.tiers import evaluate_tiers
from tools.report.model import (
    Campaign,
    CampaignFigures,
    Liability,
    MemberActivity,
    MonthFigures,
    ProgramReport,
    RewardUse,
    TierMix,
    TierMovement,
    Totals,
)

__all__ = [
    "CampaignRow",
    "EntryRow",
    "ReportInputs",
    "build_report",
    "month_keys",
    "period_bounds",
]

TOP_REWARDS = 10
_CENT = Decimal("0.01")
_GOAL_METRIC = {"win_back": "stayed", "redemption": "redeemed", "tier_push": "earned_points"}


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One ledger entry of the period, with the kind of the entry it reverses (if any)."""

    kind: EntryKind
    points: int
    created_at: datetime
    source_type: str
    source_id: str | None
    reverses_kind: EntryKind | None = None
    reverses_points: int | None = None
    reverses_source_type: str | None = None
    reverses_source_id: str | None = None


class CampaignRow(Campaign):
    """A campaign of the period as loaded, with its conversions per group once measured
    (keywords only, as a pydantic model: a misspelt one is an error, not left out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measured: bool
    treated_converted: int = 0
    holdout_converted: int = 0


@dataclass(frozen=True, slots=True)
class ReportInputs:
    program: ProgramConfig
    period_from: date
    period_to: date
    as_of: datetime
    entries: Sequence[EntryRow]
    balances: Sequence[int]
    """Each membership's balance at the period end (one number per account of the program)."""
    members: Sequence[MemberFacts] = ()
    campaigns: Sequence[CampaignRow] = ()
    extra_definitions: dict[str, str] = field(default_factory=dict)
    qualification_zone: tzinfo | None = None
    """Where a calendar qualification year starts (`MewsFactsLoader.qualification_zone`)."""


def period_bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The period as a half-open UTC interval [from 00:00, day after `to` 00:00)."""
    if period_to < period_from:
        raise ValueError(f"to: {period_to} is before from ({period_from})")
    start = datetime.combine(period_from, time(), tzinfo=UTC)
    return start, datetime.combine(period_to + timedelta(days=1), time(), tzinfo=UTC)


def month_keys(period_from: date, period_to: date) -> list[str]:
    """Every month the period touches, as YYYY-MM, oldest first."""
    keys: list[str] = []
    cursor = period_from.replace(day=1)
    while cursor <= period_to:
        keys.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = add_months(cursor, 1)
    return keys


def _money(points: int, point_value: Decimal) -> Decimal:
    return (points * point_value).quantize(_CENT, rounding=ROUND_HALF_UP)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ---------------------------------------------------------------------- ledger movements
def _bucket(row: EntryRow) -> tuple[str, int] | None:
    """Which figure an entry moves, and by how much (signed: reversals subtract)."""
    if row.kind == "accrual" or (row.kind == "adjustment" and row.points > 0):
        return "issued", row.points
    if row.kind == "adjustment":
        return "adjusted_down", -row.points
    if row.kind == "redemption":
        return "redeemed", -row.points
    if row.kind == "expiry":
        return "expired", -row.points
    if row.kind == "reversal" and row.reverses_kind is not None:
        reversed_row = EntryRow(
            kind=row.reverses_kind,
            points=row.reverses_points or 0,
            created_at=row.created_at,
            source_type=row.reverses_source_type or "",
            source_id=row.reverses_source_id,
        )
        undone = _bucket(reversed_row)
        return None if undone is None else (undone[0], -abs(row.points))
    return None  # opening balances: issued before the ledger existed


def _months(inputs: ReportInputs) -> list[MonthFigures]:
    sums: dict[str, Counter[str]] = {key: Counter() for key in month_keys(*_period(inputs))}
    for row in inputs.entries:
        moved = _bucket(row)
        key = f"{row.created_at.year:04d}-{row.created_at.month:02d}"
        if moved is not None and key in sums:
            sums[key][moved[0]] += moved[1]
    return [
        MonthFigures(
            month=key,
            issued=c["issued"],
            redeemed=c["redeemed"],
            expired=c["expired"],
            adjusted_down=c["adjusted_down"],
        )
        for key, c in sums.items()
    ]


def _period(inputs: ReportInputs) -> tuple[date, date]:
    return inputs.period_from, inputs.period_to


def _totals(months: Iterable[MonthFigures], point_value: Decimal) -> Totals:
    rows = list(months)
    issued = sum(m.issued for m in rows)
    redeemed = sum(m.redeemed for m in rows)
    expired = sum(m.expired for m in rows)
    return Totals(
        issued=issued,
        issued_value=_money(issued, point_value),
        redeemed=redeemed,
        redeemed_value=_money(redeemed, point_value),
        expired=expired,
        adjusted_down=sum(m.adjusted_down for m in rows),
        redemption_rate=_ratio(redeemed, issued),
        breakage_rate=_ratio(expired, redeemed + expired),
    )


def _liability(balances: Iterable[int], point_value: Decimal) -> Liability:
    values = list(balances)
    held = [b for b in values if b > 0]
    return Liability(
        outstanding_points=sum(held),
        outstanding_value=_money(sum(held), point_value),
        members_with_points=len(held),
        owed_points=-sum(b for b in values if b < 0),
    )


def _top_rewards(inputs: ReportInputs) -> list[RewardUse]:
    counts: Counter[str] = Counter()
    points: Counter[str] = Counter()
    for row in inputs.entries:
        if row.kind == "redemption" and row.source_type == "reward" and row.source_id:
            counts[row.source_id] += 1
            points[row.source_id] += -row.points
        elif (
            row.kind == "reversal"
            and row.reverses_kind == "redemption"
            and row.reverses_source_type == "reward"
            and row.reverses_source_id
        ):
            counts[row.reverses_source_id] -= 1
            points[row.reverses_source_id] -= abs(row.points)
    program = inputs.program
    ranked = sorted((rid for rid in counts if counts[rid] > 0), key=lambda r: (-points[r], r))
    return [
        RewardUse(
            reward_id=rid,
            name=program.rewards[rid].name if rid in program.rewards else rid,
            redemptions=counts[rid],
            points=points[rid],
            value=_money(points[rid], program.point_value),
        )
        for rid in ranked[:TOP_REWARDS]
    ]


# ---------------------------------------------------------------------- members and tiers
def _period_end(inputs: ReportInputs) -> datetime:
    end = period_bounds(*_period(inputs))[1]
    return min(end, inputs.as_of)


def _activity(inputs: ReportInputs, members: list[MemberFacts]) -> MemberActivity:
    program = inputs.program
    end = _period_end(inputs)
    window = program.rfm.window_months
    since = add_months(end, -window)
    active = 0
    for member in members:
        stays = member.completed_stays()
        if any(since <= stay.departure <= end for stay in stays) or any(
            stay.is_upcoming(end) for stay in member.stays
        ):
            active += 1
    lapsing = len(find_segment(program, members, Lapsing(), as_of=end).members)
    return MemberActivity(
        members=len(members),
        active=active,
        lapsing=lapsing,
        inactive=len(members) - active,
        activity_window_months=window,
    )


def _tier_mix(program: ProgramConfig, members: list[MemberFacts]) -> list[TierMix]:
    counts: Counter[str | None] = Counter()
    for member in members:
        membership = member.active_membership(program.code)
        if membership is not None:
            counts[membership.tier_code] += 1
    total = sum(counts.values())
    rows: list[TierMix] = []
    for tier in program.tiers_by_rank():
        count = counts.pop(tier.code, 0)
        rows.append(
            TierMix(
                tier_code=tier.code, tier_name=tier.name, members=count, share=_ratio(count, total)
            )
        )
    for code, count in sorted(counts.items(), key=lambda kv: str(kv[0])):
        name = "No tier" if code is None else f"{code} (not in the program file)"
        rows.append(
            TierMix(tier_code=code, tier_name=name, members=count, share=_ratio(count, total))
        )
    return rows


def _movements(inputs: ReportInputs, members: list[MemberFacts]) -> list[TierMovement]:
    evaluation = evaluate_tiers(
        inputs.program, members, as_of=_period_end(inputs), zone=inputs.qualification_zone
    )
    grouped: Counter[tuple[str, str | None, str]] = Counter(
        (change.direction, change.from_tier, change.to_tier) for change in evaluation.changes
    )
    return [
        TierMovement(direction=direction, from_tier=source, to_tier=target, members=count)
        for (direction, source, target), count in sorted(
            grouped.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][1]), kv[0][2])
        )
    ]


# ---------------------------------------------------------------------- campaigns
def _campaign(row: CampaignRow, point_value: Decimal) -> CampaignFigures:
    lift: float | None = None
    treated_rate = holdout_rate = None
    if row.measured:
        comparison = compare(
            Group(row.treated_converted, row.treated), Group(row.holdout_converted, row.held_out)
        )
        treated_rate = _ratio(row.treated_converted, row.treated)
        holdout_rate = _ratio(row.holdout_converted, row.held_out)
        lift = None if comparison.lift is None else round(comparison.lift, 4)
    # The row's own figures by name; its conversion counts are shown as the rates.
    return CampaignFigures(
        **row.model_dump(exclude={"treated_converted", "holdout_converted"}),
        cost_value=_money(row.liability_points, point_value),
        treated_rate=treated_rate,
        holdout_rate=holdout_rate,
        lift=lift,
    )


# ---------------------------------------------------------------------- the report
def _definitions(inputs: ReportInputs) -> dict[str, str]:
    program = inputs.program
    return {
        "point_value": f"1 point = {program.point_value} {program.currency} (program file)",
        "liability": "positive balances at the period end × point_value; pending points count",
        "issued": "accruals and positive adjustments, less their reversals",
        "redeemed": "redemptions, less their reversals",
        "expired": "points removed by the expiry sweep",
        "redemption_rate": "redeemed ÷ issued in the period",
        "breakage_rate": "expired ÷ (redeemed + expired) in the period",
        "active": (
            f"a checked-out stay in the {program.rfm.window_months} months before the period "
            "end, or a stay upcoming"
        ),
        "lapsing": "flagged by the lapse rule (the `lapsing` segment) at the period end",
        "tier_movements_due": "changes tier evaluation proposes at the period end (not applied; "
        f"{program.qualification.summary()})",
        "campaign cost": "liability points × point_value: the cost if every treated member "
        "takes the offer",
        "campaign lift": "treated conversion minus holdout conversion, once measured",
        **inputs.extra_definitions,
    }


def build_report(inputs: ReportInputs) -> ProgramReport:
    """The program health report for `inputs.program` over the period (pure)."""
    period_bounds(inputs.period_from, inputs.period_to)  # validates the order
    program = inputs.program
    members = [m for m in inputs.members if m.active_membership(program.code) is not None]
    months = _months(inputs)
    return ProgramReport(
        program_code=program.code,
        program_name=program.name,
        currency=program.currency,
        point_value=program.point_value,
        period_from=inputs.period_from,
        period_to=inputs.period_to,
        as_of=inputs.as_of,
        liability=_liability(inputs.balances, program.point_value),
        totals=_totals(months, program.point_value),
        months=months,
        members=_activity(inputs, members),
        tiers=_tier_mix(program, members),
        tier_movements_due=_movements(inputs, members),
        top_rewards=_top_rewards(inputs),
        campaigns=[_campaign(row, program.point_value) for row in inputs.campaigns],
        definitions=_definitions(inputs),
    )
