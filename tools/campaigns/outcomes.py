"""What happened after a campaign: outcomes read in batches from Mews and the ledger, compared.

For every member of the campaign, treated and held out alike, over the validity window (up to
`as_of` while it is still open):

- `redeemed`: a redemption posted in the window and not reversed (of the offered reward, for a
  reward campaign; any, for a bonus campaign) - from the ledger, 1000 memberships per query;
- `stayed`: a reservation booked (created) in the window and not canceled - from Mews
  `reservations/getAll` by `AccountIds`, 1000 customers per request, never one call per member;
- `points_earned`: accruals posted in the window and not reversed - from the ledger.

The goal names the conversion the lift is measured on: `redemption` → redeemed, `win_back` →
stayed, `tier_push` → earned any points. When the window has closed the outcomes are written
to `campaign_members` and each treated member's `recommendation_log` row is settled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from storage.clock import naive_utc
from storage.store import Store, chunks
from tools.campaigns.model import CampaignGoal
from tools.campaigns.records import MemberRow, campaign_members, get_campaign
from tools.campaigns.stats import Group, compare
from tools.campaigns.tables import (
    campaign_members_table,
    campaigns_table,
    recommendation_log_table,
)
from tools.loyalty.ledger_schema import entries_table
from tools.mews import MewsClient

__all__ = ["CampaignReport", "GroupOutcome", "MemberOutcome", "measure_campaign"]

BATCH = 1000
PRIMARY: dict[CampaignGoal, str] = {
    "redemption": "redeemed",
    "win_back": "stayed",
    "tier_push": "earned_points",
}


class MemberOutcome(BaseModel):
    redeemed: bool = False
    stayed: bool = False
    points_earned: int = 0


class GroupOutcome(BaseModel):
    members: int
    redeemed: int
    stayed: int
    earned_points: int
    """Members who earned any points in the window."""
    points_earned_total: int
    conversion_rate: float | None
    """Share converted on the goal's metric."""


class CampaignReport(BaseModel):
    campaign_id: str
    name: str
    goal: CampaignGoal
    metric: str
    window: str
    as_of: str
    window_closed: bool
    treated: GroupOutcome
    holdout: GroupOutcome
    lift: float | None
    """Treated conversion rate minus holdout's, in proportion points (0.05 = 5 points)."""
    relative_lift: float | None
    confidence: float
    interval_low: float | None
    interval_high: float | None
    conclusive: bool
    verdict: str
    inputs: dict[str, int | str]


def _window(valid_from: date, valid_until: date, as_of: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(valid_from, time(), tzinfo=UTC)
    end = datetime.combine(valid_until + timedelta(days=1), time(), tzinfo=UTC)
    return start, min(end, as_of)


def _ledger_outcomes(
    conn: Connection,
    members: Sequence[MemberRow],
    start: datetime,
    end: datetime,
    reward_id: str | None,
) -> tuple[set[str], dict[str, int]]:
    e, rev = entries_table, entries_table.alias("rev")
    redeemed: set[str] = set()
    earned: dict[str, int] = {}
    lo, hi = naive_utc(start), naive_utc(end)
    for chunk in chunks(members, BATCH):
        ids = [m.membership_id for m in chunk]
        base = (
            sa.select(e.c.membership_id, e.c.kind, sa.func.sum(e.c.points))
            .select_from(e.outerjoin(rev, rev.c.reverses_entry_id == e.c.id))
            .where(
                e.c.membership_id.in_(ids),
                e.c.created_at >= lo,
                e.c.created_at < hi,
                rev.c.id.is_(None),
                e.c.kind.in_(("redemption", "accrual")),
            )
        )
        if reward_id is not None:
            base = base.where(
                (e.c.kind == "accrual")
                | ((e.c.source_type == "reward") & (e.c.source_id == reward_id))
            )
        for membership_id, kind, points in conn.execute(base.group_by(e.c.membership_id, e.c.kind)):
            if kind == "redemption":
                redeemed.add(membership_id)
            else:
                earned[membership_id] = int(points)
    return redeemed, earned


Progress = Callable[[float, float | None, str | None], Awaitable[None]]
"""`await progress(done, total, message)`: how far a report is (an MCP caller's progress)."""


async def _no_progress(_done: float, _total: float | None, _message: str | None) -> None:
    return None


async def _booked(
    mews: MewsClient,
    members: Sequence[MemberRow],
    start: datetime,
    end: datetime,
    progress: Progress = _no_progress,
) -> tuple[set[str], int]:
    """Customers with a reservation created in [start, end) and not canceled; requests made
    (one a batch, each reported to `progress`)."""
    booked: set[str] = set()
    batches = 0
    for chunk in chunks(members, BATCH):
        await progress(batches * BATCH, len(members), "members' reservations read from Mews")
        batches += 1
        ids = [m.customer_id for m in chunk]
        async for reservation in mews.reservations.get_all(account_ids=ids):
            created = reservation.created_utc
            if (
                created is not None
                and start <= created < end
                and str(reservation.state) != "Canceled"
                and reservation.account_id
            ):
                booked.add(reservation.account_id)
    return booked, batches


def _group(rows: list[MemberOutcome], metric: str) -> GroupOutcome:
    converted = sum(1 for r in rows if _converted(r, metric))
    return GroupOutcome(
        members=len(rows),
        redeemed=sum(r.redeemed for r in rows),
        stayed=sum(r.stayed for r in rows),
        earned_points=sum(1 for r in rows if r.points_earned > 0),
        points_earned_total=sum(r.points_earned for r in rows),
        conversion_rate=converted / len(rows) if rows else None,
    )


def _converted(outcome: MemberOutcome, metric: str) -> bool:
    if metric == "redeemed":
        return outcome.redeemed
    if metric == "stayed":
        return outcome.stayed
    return outcome.points_earned > 0


async def measure_campaign(
    store: Store,
    mews: MewsClient,
    campaign_id: str,
    *,
    as_of: datetime,
    progress: Progress = _no_progress,
) -> CampaignReport:
    """The campaign's report as of `as_of` (outcomes recorded once the window has closed);
    `progress` hears how many members' reservations have been read."""
    with store.read() as conn:
        campaign = get_campaign(conn, campaign_id)
        members = campaign_members(conn, campaign_id)
    start, end = _window(campaign.valid_from, campaign.valid_until, as_of)
    closed = as_of >= datetime.combine(campaign.valid_until + timedelta(days=1), time(), UTC)
    metric = PRIMARY[campaign.goal]
    outcomes: dict[str, MemberOutcome] = {m.customer_id: MemberOutcome() for m in members}
    requests = 0
    if end > start:
        with store.read() as conn:
            redeemed, earned = _ledger_outcomes(conn, members, start, end, campaign.reward_id)
        booked, requests = await _booked(mews, members, start, end, progress)
        await progress(len(members), len(members), "members' reservations read from Mews")
        for m in members:
            outcomes[m.customer_id] = MemberOutcome(
                redeemed=m.membership_id in redeemed,
                stayed=m.customer_id in booked,
                points_earned=earned.get(m.membership_id, 0),
            )
    treated = [outcomes[m.customer_id] for m in members if not m.holdout]
    held = [outcomes[m.customer_id] for m in members if m.holdout]
    comparison = compare(
        Group(sum(_converted(o, metric) for o in treated), len(treated)),
        Group(sum(_converted(o, metric) for o in held), len(held)),
    )
    verdict = comparison.verdict
    if not closed:
        verdict = f"the window is still open (measured so far); {verdict}"
    if closed:
        _record(store, campaign_id, members, outcomes, metric, as_of)
    return CampaignReport(
        campaign_id=campaign.campaign_id,
        name=campaign.name,
        goal=campaign.goal,
        metric=metric,
        window=f"{campaign.valid_from.isoformat()}..{campaign.valid_until.isoformat()}",
        as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        window_closed=closed,
        treated=_group(treated, metric),
        holdout=_group(held, metric),
        lift=_round(comparison.lift),
        relative_lift=_round(comparison.relative_lift),
        confidence=comparison.confidence,
        interval_low=_round(comparison.interval[0]) if comparison.interval else None,
        interval_high=_round(comparison.interval[1]) if comparison.interval else None,
        conclusive=comparison.conclusive,
        verdict=verdict,
        inputs={
            "holdout_share": str(campaign.holdout_share),
            "seed": campaign.seed,
            "mews_reservation_requests": requests,
        },
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _record(
    store: Store,
    campaign_id: str,
    members: Sequence[MemberRow],
    outcomes: dict[str, MemberOutcome],
    metric: str,
    as_of: datetime,
) -> None:
    m, log = campaign_members_table, recommendation_log_table
    at = naive_utc(as_of)
    with store.write(f"campaign:{campaign_id}") as conn:
        for member in members:
            outcome = outcomes[member.customer_id]
            conn.execute(
                m.update()
                .where(m.c.campaign_id == campaign_id, m.c.customer_id == member.customer_id)
                .values(
                    redeemed=outcome.redeemed,
                    stayed=outcome.stayed,
                    points_earned=outcome.points_earned,
                )
            )
            if not member.holdout:
                conn.execute(
                    log.update()
                    .where(
                        log.c.source == "campaign",
                        log.c.source_id == campaign_id,
                        log.c.customer_id == member.customer_id,
                    )
                    .values(
                        outcome="converted" if _converted(outcome, metric) else "not_converted",
                        outcome_at=at,
                    )
                )
        conn.execute(
            campaigns_table.update()
            .where(campaigns_table.c.id == campaign_id)
            .values(measured_at=at)
        )
