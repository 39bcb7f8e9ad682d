"""Reading and writing campaign rows (synchronous, on a connection of the shared store).

`stage_snapshot` fixes a segment's members before the guarded write (nothing saved);
`save_snapshot` keeps it in the guard's transaction once the write is allowed or queued for
approval; `insert_campaign` is what the `create_campaign` executor runs inside the guard's
transaction: the campaign, each member's
group (holdout drawn from the seed), the treated members' drafts (through the copy guardrail)
and one `recommendation_log` row per treated member.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.clock import naive_utc
from storage.store import chunks
from tools.campaigns.copy import draft_copy
from tools.campaigns.holdout import assign_holdout
from tools.campaigns.model import CHANNELS, CampaignArgs, CampaignDraft, CampaignSummary, LeftOut
from tools.campaigns.tables import (
    campaign_drafts_table,
    campaign_members_table,
    campaign_segments_table,
    campaigns_table,
    recommendation_log_table,
)
from tools.loyalty.config import ProgramConfig
from tools.loyalty.errors import LoyaltyError

__all__ = [
    "SegmentMemberRef",
    "Snapshot",
    "UnknownCampaignError",
    "UnknownSnapshotError",
    "campaign_members",
    "get_campaign",
    "insert_campaign",
    "list_campaigns",
    "load_snapshot",
    "points_per_member",
    "save_snapshot",
    "stage_snapshot",
]


class UnknownCampaignError(LoyaltyError):
    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"campaign_id: no campaign {campaign_id!r} (see list_campaigns)")
        self.campaign_id = campaign_id


class UnknownSnapshotError(LoyaltyError):
    def __init__(self, snapshot_id: str) -> None:
        super().__init__(f"snapshot_id: no segment snapshot {snapshot_id!r}")
        self.snapshot_id = snapshot_id


_NOT_RECORDED = "consent not recorded in this segment snapshot"


@dataclass(frozen=True, slots=True)
class SegmentMemberRef:
    customer_id: str
    membership_id: str
    display_name: str
    refused: Mapping[str, str] = field(default_factory=dict)
    """Marketing channels the member has not agreed to, each with the reason
    (`MarketingConsent.reasons`, read from Mews when the segment was staged)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    snapshot_id: str
    program_code: str
    description: str
    members: tuple[SegmentMemberRef, ...]


def stage_snapshot(
    program_code: str, description: str, members: Sequence[SegmentMemberRef]
) -> Snapshot:
    """The snapshot of exactly these members, not saved yet (its id is their digest: staging
    the same segment twice gives the same id, so a retried `create_campaign` is the same
    write)."""
    digest = hashlib.sha256(program_code.encode())
    for member in sorted(members, key=lambda m: m.customer_id):
        digest.update(f"|{member.customer_id}:{member.membership_id}".encode())
        digest.update(repr(sorted(member.refused.items())).encode())  # consent changes: new id
    return Snapshot(f"seg_{digest.hexdigest()[:16]}", program_code, description, tuple(members))


def save_snapshot(conn: Connection, snapshot: Snapshot, *, now: datetime) -> None:
    """Keep the snapshot (once: the same members are the same row)."""
    t = campaign_segments_table
    if conn.execute(sa.select(t.c.id).where(t.c.id == snapshot.snapshot_id)).first() is not None:
        return
    conn.execute(
        t.insert().values(
            id=snapshot.snapshot_id,
            program_code=snapshot.program_code,
            description=snapshot.description,
            members=[
                [m.customer_id, m.membership_id, m.display_name, dict(m.refused)]
                for m in snapshot.members
            ],
            created_at=naive_utc(now),
        )
    )


def load_snapshot(conn: Connection, snapshot_id: str) -> Snapshot:
    t = campaign_segments_table
    row = conn.execute(sa.select(t).where(t.c.id == snapshot_id)).one_or_none()
    if row is None:
        raise UnknownSnapshotError(snapshot_id)
    members = tuple(_member_ref(item) for item in row.members)
    return Snapshot(row.id, row.program_code, row.description, members)


def _member_ref(item: list[object]) -> SegmentMemberRef:
    customer_id, membership_id, name = (str(v) for v in item[:3])
    if len(item) > 3 and isinstance(item[3], dict):
        refused = {str(k): str(v) for k, v in item[3].items()}
    else:  # staged before consent was recorded: address nobody rather than guess
        refused = dict.fromkeys(CHANNELS, _NOT_RECORDED)
    return SegmentMemberRef(customer_id, membership_id, name, refused)


def points_per_member(program: ProgramConfig, args: CampaignArgs) -> int:
    """The points one treated member's offer commits: the bonus, or the reward's base price."""
    if args.bonus_points is not None:
        return args.bonus_points
    assert args.reward_id is not None  # CampaignArgs holds exactly one offer
    return program.reward(args.reward_id).base_points


def campaign_id_for(idempotency_key: str) -> str:
    """The campaign's id from its write's key: a replayed write names the same campaign."""
    return "cmp_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


_ARGS_KEPT: Final = {
    "name",
    "goal",
    "reward_id",
    "bonus_points",
    "valid_from",
    "valid_until",
    "seed",
}
"""The arguments a `campaigns` row keeps as they are, in columns of their names."""


def insert_campaign(
    conn: Connection,
    args: CampaignArgs,
    program: ProgramConfig,
    *,
    campaign_id: str,
    created_by: str,
    approved_by: str | None,
    now: datetime,
) -> CampaignSummary:
    snapshot = load_snapshot(conn, args.snapshot_id)
    held = assign_holdout(
        (m.customer_id for m in snapshot.members), share=args.holdout_share, seed=args.seed
    )
    per_member = points_per_member(program, args)
    treated = [m for m in snapshot.members if m.customer_id not in held]
    conn.execute(
        campaigns_table.insert().values(
            **args.model_dump(include=_ARGS_KEPT),
            id=campaign_id,
            program_code=program.code,
            segment=snapshot.description,
            points_per_member=per_member,
            channels=list(args.channels),
            holdout_share=str(args.holdout_share),
            treated=len(treated),
            held_out=len(held),
            liability=per_member * len(treated),
            created_by=created_by,
            approved_by=approved_by,
            created_at=naive_utc(now),
        )
    )
    _insert_many(
        conn,
        campaign_members_table,
        [
            {
                "campaign_id": campaign_id,
                "customer_id": m.customer_id,
                "membership_id": m.membership_id,
                "display_name": m.display_name[:200],
                "holdout": m.customer_id in held,
            }
            for m in snapshot.members
        ],
    )
    drafts = _drafts(campaign_id, treated, args, program, points=per_member)
    _insert_many(conn, campaign_drafts_table, drafts)
    _insert_many(conn, recommendation_log_table, _recommended(campaign_id, treated, args, now))
    return get_campaign(conn, campaign_id, drafts=5)


def _drafts(
    campaign_id: str,
    treated: Sequence[SegmentMemberRef],
    args: CampaignArgs,
    program: ProgramConfig,
    *,
    points: int,
) -> list[dict[str, object]]:
    """One row per treated member and channel: the drafted copy, its rejection by the
    guardrail, or, without the member's consent, the reason nothing was drafted."""
    reward_name = program.reward(args.reward_id).name if args.reward_id else None
    known = tuple(reward.name for reward in program.rewards.values())
    drafts: list[dict[str, object]] = []
    for member in treated:
        for channel in args.channels:
            if channel in member.refused:  # no consent: nothing is drafted, the reason is kept
                reason = member.refused[channel]
                drafts.append(_draft(campaign_id, member, channel, "withheld", None, reason))
                continue
            copy = draft_copy(
                member_name=member.display_name,
                points=points,
                reward_name=reward_name,
                valid_from=args.valid_from,
                valid_until=args.valid_until,
                channel=channel,
                brand=program.name,
                known_rewards=known,
            )
            status = "drafted" if copy.text is not None else "rejected"
            drafts.append(_draft(campaign_id, member, channel, status, copy.text, copy.problems))
    return drafts


def _draft(
    campaign_id: str,
    member: SegmentMemberRef,
    channel: str,
    status: str,
    text: str | None,
    problems: str | None,
) -> dict[str, object]:
    """A `campaign_drafts` row: drafted (text), rejected (no text, the guardrail's problems) or
    withheld (no text, the consent reason)."""
    return {
        "campaign_id": campaign_id,
        "customer_id": member.customer_id,
        "channel": channel,
        "status": status,
        "copy": text,
        "problems": problems,
    }


def _recommended(
    campaign_id: str, treated: Sequence[SegmentMemberRef], args: CampaignArgs, now: datetime
) -> list[dict[str, object]]:
    """The `recommendation_log` rows of the offer, one per treated member, outcome pending."""
    item_kind, item_id = (
        ("reward", args.reward_id) if args.reward_id else ("bonus", str(args.bonus_points))
    )
    return [
        {
            "source": "campaign",
            "source_id": campaign_id,
            "customer_id": m.customer_id,
            "membership_id": m.membership_id,
            "item_kind": item_kind,
            "item_id": item_id,
            "context": args.goal,
            "recommended_at": naive_utc(now),
            "outcome": "pending",
            "outcome_at": None,
        }
        for m in treated
    ]


def _insert_many(conn: Connection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    for chunk in chunks(rows, 500):
        conn.execute(table.insert(), list(chunk))


def _summary(conn: Connection, row: sa.Row[tuple[object, ...]], drafts: int) -> CampaignSummary:
    d = campaign_drafts_table
    rejected = conn.execute(
        sa.select(sa.func.count()).where(d.c.campaign_id == row.id, d.c.status == "rejected")
    ).scalar_one()
    m = campaign_members_table
    listed = conn.execute(
        sa.select(d, d.c.copy.label("text"), m.c.display_name)
        .join(m, (m.c.campaign_id == d.c.campaign_id) & (m.c.customer_id == d.c.customer_id))
        .where(d.c.campaign_id == row.id, d.c.status != "withheld")
        .order_by(m.c.display_name, d.c.customer_id, d.c.channel)
        .limit(drafts)
    ).all()
    created: datetime = row.created_at
    return CampaignSummary.model_validate(
        {
            **row._mapping,  # the columns of the summary's fields are named as they are
            "campaign_id": row.id,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "drafts_rejected": int(rejected),
            "left_out": _left_out(conn, row.id),
            "drafts": [CampaignDraft.model_validate(r._mapping) for r in listed],
        }
    )


def _left_out(conn: Connection, campaign_id: str) -> list[LeftOut]:
    d = campaign_drafts_table
    rows = conn.execute(
        sa.select(d.c.channel, d.c.problems).where(
            d.c.campaign_id == campaign_id, d.c.status == "withheld"
        )
    ).all()
    counts = Counter((r.channel, r.problems or "") for r in rows)
    return [
        LeftOut(channel=channel, reason=reason, members=n)
        for (channel, reason), n in sorted(counts.items())
    ]


def get_campaign(conn: Connection, campaign_id: str, *, drafts: int = 0) -> CampaignSummary:
    t = campaigns_table
    row = conn.execute(sa.select(t).where(t.c.id == campaign_id)).one_or_none()
    if row is None:
        raise UnknownCampaignError(campaign_id)
    return _summary(conn, row, drafts)


def list_campaigns(conn: Connection, *, limit: int = 50) -> list[CampaignSummary]:
    t = campaigns_table
    rows = conn.execute(
        sa.select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
    ).all()
    return [_summary(conn, row, 0) for row in rows]


@dataclass(frozen=True, slots=True)
class MemberRow:
    customer_id: str
    membership_id: str
    holdout: bool


def campaign_members(conn: Connection, campaign_id: str) -> list[MemberRow]:
    m = campaign_members_table
    rows = conn.execute(
        sa.select(m.c.customer_id, m.c.membership_id, m.c.holdout).where(
            m.c.campaign_id == campaign_id
        )
    ).all()
    return [MemberRow(r.customer_id, r.membership_id, bool(r.holdout)) for r in rows]
