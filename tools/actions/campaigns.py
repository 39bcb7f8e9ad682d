"""`create_campaign`: the guarded write that creates a campaign (kind `offer`: it drafts, it
sends nothing).

`prepare` resolves the segment (a `find_member_segment` kind, every active member, or explicit
customer ids; optionally narrowed to tiers) in batched Mews reads and fixes it as a snapshot
(its id is the members' digest), so the write and its approval are bound to one fixed member
list. The snapshot is saved by `stage`, in the guard's transaction, only once the policy lets
the write run or queues it for approval: a denied request leaves nothing behind. (From
`prepare` to `stage` it travels in this call's context, `_STAGED`.) The facts carry the
campaign's point liability (points per treated member times the treated members of the
snapshot), which the policy's `campaign_budget` threshold turns into an approval request; an
approved request creates the same campaign from the same snapshot. The executor writes the
campaign, the groups, the drafts and the recommendation log in the guard's transaction
(`tools.campaigns.records.insert_campaign`).
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy.engine import Connection

from policies import ExecContext, Facts
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.models import IdempotencyKey, MewsId
from tools.actions.progress import report
from tools.actions.write import GuardedWrite, InTransaction, WriteDeps
from tools.campaigns.holdout import holdout_size
from tools.campaigns.model import (
    CampaignArgs,
    CampaignChannel,
    CampaignGoal,
    CampaignSummary,
    check_offer_and_window,
)
from tools.campaigns.records import (
    SegmentMemberRef,
    Snapshot,
    campaign_id_for,
    insert_campaign,
    load_snapshot,
    points_per_member,
    save_snapshot,
    stage_snapshot,
)
from tools.loyalty import (
    HighSpendNoRedemption,
    Lapsing,
    MemberFacts,
    NearNextTier,
    ProgramConfig,
    SegmentQuery,
)
from tools.loyalty.errors import RefusedRequestError, UnknownRewardError
from tools.loyalty.member_store import segment_with_members

__all__ = ["CREATE_CAMPAIGN", "MAX_MEMBERS", "CreateCampaignInput"]

MAX_MEMBERS = 50_000
_STAGED: ContextVar[Snapshot | None] = ContextVar("staged_campaign_segment", default=None)


class CreateCampaignInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    goal: CampaignGoal
    segment: Literal["lapsing", "near_next_tier", "high_spend_no_redemption", "all"] | None = Field(
        default=None, description="a find_member_segment kind, or all active members"
    )
    customer_ids: Annotated[list[MewsId], Field(min_length=1, max_length=MAX_MEMBERS)] | None = (
        Field(default=None, description="an explicit segment instead of `segment`")
    )
    tier_codes: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] | None = Field(
        default=None, description="keep only members in these tiers"
    )
    program_code: Annotated[str | None, StringConstraints(max_length=50)] = None
    reward_id: Annotated[str | None, StringConstraints(min_length=1, max_length=64)] = None
    bonus_points: Annotated[int | None, Field(gt=0, le=100_000)] = None
    valid_days: Annotated[int, Field(ge=1, le=366)] = 30
    channels: Annotated[list[CampaignChannel], Field(min_length=1, max_length=3)] = ["email"]
    holdout_share: Annotated[Decimal, Field(ge=Decimal("0.05"), le=Decimal("0.5"))] = Decimal("0.2")
    seed: Annotated[int | None, Field(ge=0, le=2**53)] = None
    idempotency_key: IdempotencyKey = None

    @model_validator(mode="after")
    def _one_segment(self) -> Self:
        if (self.segment is None) == (self.customer_ids is None):
            raise ValueError("segment / customer_ids: give exactly one of them")
        if (self.reward_id is None) == (self.bonus_points is None):
            raise ValueError("reward_id / bonus_points: give exactly one of them (the offer)")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel at most once")
        return self


# ---------------------------------------------------------------------------- the segment
def _query(kind: str) -> SegmentQuery:
    queries: dict[str, SegmentQuery] = {
        "lapsing": Lapsing(),
        "near_next_tier": NearNextTier(),
        "high_spend_no_redemption": HighSpendNoRedemption(),
    }
    return queries[kind]


async def _program_members(deps: WriteDeps, program: ProgramConfig) -> list[MemberFacts]:
    """Every customer with a membership in `program`, without stays: memberships paged once,
    then customers and memberships by 1000 ids (`MewsFactsLoader.members`)."""
    program_id = await deps.loader.program_id(program.code)
    ids = list(
        dict.fromkeys(
            [
                m.account_id
                async for m in deps.mews.loyalty_memberships.get_all(
                    loyalty_program_ids=[program_id]
                )
            ]
        )
    )
    members: list[MemberFacts] = []
    for start in range(0, len(ids), 1000):
        found = await deps.loader.members(ids[start : start + 1000], with_stays=False)
        members.extend(found.values())
    return members


STEPS = 3
"""Progress steps of a campaign: reading the members, choosing the segment, drafting."""


async def _segment(
    deps: WriteDeps, given: CreateCampaignInput, program: ProgramConfig
) -> tuple[str, list[SegmentMemberRef]]:
    loader, now = deps.member_source, deps.clock.now()
    members: list[MemberFacts]
    await report(0, STEPS, f"reading the members of {program.name}")
    if given.customer_ids is not None:
        found = await loader.members(given.customer_ids, with_stays=False)
        missing = [c for c in given.customer_ids if c not in found]
        if missing:
            raise RefusedRequestError(
                f"customer_ids: {len(missing)} unknown in Mews (first: {missing[0]})",
                field="customer_ids",
            )
        members, description = list(found.values()), f"{len(found)} chosen customers"
        await report(1, STEPS, f"checking the memberships of {len(members)} customers")
    elif given.segment == "all" and deps.members is None:  # memberships, names: no stays
        members = await _program_members(deps, program)
        description = f"all members of {program.name}"
        await report(1, STEPS, f"checking the memberships of {len(members)} members")
    elif given.segment == "all":  # the read model holds them all: no Mews scan
        members = await loader.all_members(program.code)
        description = f"all members of {program.name}"
        await report(1, STEPS, f"checking the memberships of {len(members)} members")
    else:
        assert given.segment is not None
        description = f"{given.segment} members of {program.name}"
        await report(1, STEPS, f"choosing the {given.segment} members of {program.name}")
        # the read model: SQL over its totals, only the segment's members built; Mews: every
        # member judged off the loop (a cancelled call stops waiting: nothing written yet)
        kept, found = await segment_with_members(loader, program, _query(given.segment), as_of=now)
        members = [found[m.customer_id] for m in kept.members if m.customer_id in found]
    refs: list[SegmentMemberRef] = []
    tiers = set(given.tier_codes or ())
    for member in members:
        membership = member.active_membership(program.code)
        if membership is None or (tiers and membership.tier_code not in tiers):
            continue
        refs.append(
            SegmentMemberRef(
                member.customer_id,
                membership.membership_id,
                member.display_name,
                {c: why for c in given.channels if (why := member.consent.reason(c)) is not None},
            )
        )
    if tiers:
        description += f" in tiers {', '.join(sorted(tiers))}"
    return description, refs


async def stage_campaign(deps: WriteDeps, given: CreateCampaignInput) -> CampaignArgs:
    """The campaign over a snapshot of its segment, refused if the offer or segment is wrong."""
    program = deps.program(given.program_code)
    if given.reward_id is not None and given.reward_id not in program.rewards:
        raise RefusedRequestError(
            f"reward_id: {given.reward_id!r} is not in the rewards of {program.code} "
            "(list_rewards)",
            field="reward_id",
        )
    valid_from = deps.clock.now().date()
    valid_until = valid_from + timedelta(days=given.valid_days - 1)
    check_offer_and_window(given.reward_id, given.bonus_points, valid_from, valid_until)
    description, refs = await _segment(deps, given, program)
    if len(refs) < 2:
        raise RefusedRequestError(
            f"the segment ({description}) has {len(refs)} active members: a campaign with a "
            "holdout needs at least 2",
            field="segment" if given.segment else "customer_ids",
        )
    snapshot = stage_snapshot(program.code, description, refs)
    _STAGED.set(snapshot)
    await report(2, STEPS, f"drafting the campaign for {len(refs)} members")
    snapshot_id = snapshot.snapshot_id
    seed = given.seed
    if seed is None:  # reproducible: the same name over the same segment draws the same holdout
        digest = hashlib.sha256(f"{given.name}|{snapshot_id}".encode()).digest()
        seed = int.from_bytes(digest[:6], "big")
    return CampaignArgs(
        name=given.name,
        goal=given.goal,
        snapshot_id=snapshot_id,
        reward_id=given.reward_id,
        bonus_points=given.bonus_points,
        valid_from=valid_from,
        valid_until=valid_until,
        channels=tuple(given.channels),
        holdout_share=given.holdout_share,
        seed=seed,
    )


# ---------------------------------------------------------------------------- the write
def _per_member(args: CampaignArgs, program: ProgramConfig) -> int:
    try:
        return points_per_member(program, args)
    except UnknownRewardError:
        raise InvalidActionArgumentsError(
            "reward_id", f"{args.reward_id!r} is not in the rewards catalogue of {program.code}"
        ) from None


def _staged(snapshot_id: str) -> Snapshot | None:
    staged = _STAGED.get()
    return staged if staged is not None and staged.snapshot_id == snapshot_id else None


async def describe_campaign(deps: WriteDeps, args: CampaignArgs) -> Facts:
    snapshot = _staged(args.snapshot_id)
    if snapshot is None:  # an approved request: saved when it was queued
        with deps.store.read() as conn:
            snapshot = load_snapshot(conn, args.snapshot_id)
    per_member = _per_member(args, deps.programs.program(snapshot.program_code))
    members = len(snapshot.members)
    treated = members - holdout_size(members, args.holdout_share)
    offer = args.reward_id or f"{args.bonus_points} bonus points"
    return Facts(
        liability=per_member * treated,
        note=(
            f"campaign {args.name!r} ({args.goal}, {offer}) for {treated} members "
            f"and {members - treated} held out; drafts only, nothing is sent"
        ),
    )


def keep_snapshot(_deps: WriteDeps, conn: Connection, args: CampaignArgs, ctx: ExecContext) -> None:
    """Save the snapshot this call staged (an approved request's was saved when queued)."""
    staged = _staged(args.snapshot_id)
    if staged is not None:
        save_snapshot(conn, staged, now=ctx.now)


def create(
    deps: WriteDeps, conn: Connection, args: CampaignArgs, ctx: ExecContext
) -> CampaignSummary:
    snapshot = load_snapshot(conn, args.snapshot_id)
    program = deps.programs.program(snapshot.program_code)
    _per_member(args, program)
    return insert_campaign(
        conn,
        args,
        program,
        campaign_id=campaign_id_for(ctx.idempotency_key),
        created_by=ctx.principal.name,
        approved_by=ctx.approved_by,
        now=ctx.now,
    )


CREATE_CAMPAIGN = GuardedWrite(
    name="create_campaign",
    title="Create campaign",
    description="Draft a campaign for a segment with a randomised holdout; drafts only, never "
    "sent.",
    kind="offer",
    input=CreateCampaignInput,
    args=CampaignArgs,
    result=CampaignSummary,
    prepare=stage_campaign,
    describe=describe_campaign,
    stage=keep_snapshot,
    execute=InTransaction(create),  # drafts only, in our store: not open-world
)
