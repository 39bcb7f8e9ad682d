"""The `campaigns` toolset: campaigns with a measured holdout, and points-plus-cash upsell.

- `create_campaign`: resolves the segment (a `find_member_segment` kind, every active member,
  or explicit customer ids; optionally narrowed to tiers) in batched Mews reads, stages it as a
  snapshot and submits the guarded `create_campaign` write (liability above the policy's
  `campaign_budget` → pending approval). Drafts only: nothing is sent.
- `get_campaign_report`: outcomes read now in batches (ledger and Mews), treated versus
  holdout, lift with a 95 % two-proportion interval, and a sample of the drafts.
- `list_campaigns`: the campaigns, newest first.
- `suggest_upsell` / `accept_upsell`: upgrades and experiences for a stay priced in cash, points
  and points plus cash (`tools.campaigns.upsell`); accepting is a guarded redemption
  (`tools.actions.upsell`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from policies import Outcome
from tools.actions.outcome import WriteOutcome
from tools.actions.upsell import AcceptUpsellArgs, UpsellAccepted
from tools.campaigns import (
    CampaignArgs,
    CampaignDraft,
    CampaignGoal,
    CampaignReport,
    CampaignSummary,
    SegmentMemberRef,
    ensure_snapshot,
    get_campaign,
    list_campaigns,
    measure_campaign,
)
from tools.campaigns.model import CampaignChannel, check_offer_and_window
from tools.campaigns.tables import recommendation_log_table
from tools.campaigns.upsell import price_upsell, rank_score
from tools.loyalty import (
    HighSpendNoRedemption,
    Lapsing,
    MemberFacts,
    NearNextTier,
    ProgramConfig,
    SegmentQuery,
)
from tools.loyalty import find_segment as run_segment
from tools.loyalty.categories import RevenueCategory
from tools.server.tooling import ToolDef, ToolEnv, ToolRefusal

__all__ = ["CAMPAIGN_TOOLS"]

MewsId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]
MAX_MEMBERS = 50_000


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateCampaignInput(_Args):
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
    idempotency_key: Annotated[str | None, StringConstraints(min_length=1, max_length=200)] = None

    @model_validator(mode="after")
    def _one_segment(self) -> Self:
        if (self.segment is None) == (self.customer_ids is None):
            raise ValueError("segment / customer_ids: give exactly one of them")
        if (self.reward_id is None) == (self.bonus_points is None):
            raise ValueError("reward_id / bonus_points: give exactly one of them (the offer)")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel at most once")
        return self


def _query(kind: str) -> SegmentQuery:
    queries: dict[str, SegmentQuery] = {
        "lapsing": Lapsing(),
        "near_next_tier": NearNextTier(),
        "high_spend_no_redemption": HighSpendNoRedemption(),
    }
    return queries[kind]


async def _program_members(env: ToolEnv, program: ProgramConfig) -> list[MemberFacts]:
    """Every customer with a membership in `program`, without stays: memberships paged once,
    then customers and memberships by 1000 ids (`MewsFactsLoader.members`)."""
    loader = env.runtime.loader
    program_id = await loader.program_id(program.code)
    ids = list(
        dict.fromkeys(
            [
                m.account_id
                async for m in env.runtime.mews.loyalty_memberships.get_all(
                    loyalty_program_ids=[program_id]
                )
            ]
        )
    )
    members: list[MemberFacts] = []
    for start in range(0, len(ids), 1000):
        found = await loader.members(ids[start : start + 1000], with_stays=False)
        members.extend(found.values())
    return members


async def _segment(
    env: ToolEnv, args: CreateCampaignInput, program: ProgramConfig
) -> tuple[str, list[SegmentMemberRef]]:
    loader, now = env.runtime.loader, env.runtime.clock.now()
    members: list[MemberFacts]
    if args.customer_ids is not None:
        found = await loader.members(args.customer_ids, with_stays=False)
        missing = [c for c in args.customer_ids if c not in found]
        if missing:
            raise ToolRefusal(
                f"customer_ids: {len(missing)} unknown in Mews (first: {missing[0]})",
                field="customer_ids",
            )
        members, description = list(found.values()), f"{len(found)} chosen customers"
    elif args.segment == "all":  # memberships and names only: no stays, no spend
        members = await _program_members(env, program)
        description = f"all members of {program.code}"
    else:
        assert args.segment is not None
        members = await loader.all_members(program.code)
        description = f"{args.segment} members of {program.code}"
        if args.segment is not None:
            kept = run_segment(program, members, _query(args.segment), as_of=now)
            wanted = {m.customer_id for m in kept.members}
            members = [m for m in members if m.customer_id in wanted]
    refs: list[SegmentMemberRef] = []
    tiers = set(args.tier_codes or ())
    for member in members:
        membership = member.active_membership(program.code)
        if membership is None or (tiers and membership.tier_code not in tiers):
            continue
        refs.append(
            SegmentMemberRef(
                member.customer_id,
                membership.membership_id,
                member.display_name,
                {c: why for c in args.channels if (why := member.consent.reason(c)) is not None},
            )
        )
    if tiers:
        description += f" in tiers {', '.join(sorted(tiers))}"
    return description, refs


async def create_campaign(env: ToolEnv, args: CreateCampaignInput) -> Outcome:
    program = env.runtime.program(args.program_code)
    if args.reward_id is not None and args.reward_id not in program.rewards:
        raise ToolRefusal(
            f"reward_id: {args.reward_id!r} is not in the rewards of {program.code} (list_rewards)",
            field="reward_id",
        )
    valid_from = env.runtime.clock.now().date()
    valid_until = valid_from + timedelta(days=args.valid_days - 1)
    check_offer_and_window(args.reward_id, args.bonus_points, valid_from, valid_until)
    description, refs = await _segment(env, args, program)
    if len(refs) < 2:
        raise ToolRefusal(
            f"the segment ({description}) has {len(refs)} active members: a campaign with a "
            "holdout needs at least 2",
            field="segment" if args.segment else "customer_ids",
        )
    with env.runtime.store.write() as conn:
        snapshot_id = ensure_snapshot(
            conn,
            program_code=program.code,
            description=description,
            members=refs,
            now=env.runtime.clock.now(),
        )
    seed = args.seed
    if seed is None:  # reproducible: the same name over the same segment draws the same holdout
        digest = hashlib.sha256(f"{args.name}|{snapshot_id}".encode()).digest()
        seed = int.from_bytes(digest[:6], "big")
    action = CampaignArgs(
        name=args.name,
        goal=args.goal,
        snapshot_id=snapshot_id,
        reward_id=args.reward_id,
        bonus_points=args.bonus_points,
        valid_from=valid_from,
        valid_until=valid_until,
        channels=tuple(args.channels),
        holdout_share=args.holdout_share,
        seed=seed,
    )
    return await env.runtime.guard.submit(
        env.principal, "create_campaign", action.model_dump(mode="json"), args.idempotency_key
    )


class ReportArgs(_Args):
    campaign_id: Annotated[str, StringConstraints(pattern=r"^cmp_[0-9a-f]{16}$")]
    drafts: Annotated[int, Field(ge=0, le=50, description="how many drafts to show")] = 3


class CampaignReportOut(CampaignReport):
    drafts: list[CampaignDraft] = Field(default_factory=list)


async def get_campaign_report(env: ToolEnv, args: ReportArgs) -> Any:
    async def run() -> CampaignReportOut:
        runtime = env.runtime
        report = await measure_campaign(
            runtime.store, runtime.mews, args.campaign_id, as_of=runtime.clock.now()
        )
        with runtime.store.read() as conn:
            shown = get_campaign(conn, args.campaign_id, drafts=args.drafts).drafts
        return CampaignReportOut(**report.model_dump(), drafts=shown)

    return await env.runtime.guard.read(
        env.principal, "get_campaign_report", args.model_dump(mode="json"), run
    )


class ListCampaignsArgs(_Args):
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class CampaignList(BaseModel):
    campaigns: list[CampaignSummary]


async def list_campaigns_tool(env: ToolEnv, args: ListCampaignsArgs) -> Any:
    async def run() -> CampaignList:
        with env.runtime.store.read() as conn:
            return CampaignList(campaigns=list_campaigns(conn, limit=args.limit))

    return await env.runtime.guard.read(
        env.principal, "list_campaigns", args.model_dump(mode="json"), run
    )


_READ: Any = {"toolset": "campaigns", "needs": ("read",)}
_WRITE: Any = {"toolset": "campaigns", "needs": ("write",), "read_only": False}


# ---------------------------------------------------------------------------- upsell
_UPCOMING = {"Confirmed", "Optional", "Inquired", "Requested", "Started"}
_PER_NIGHT = {"PerTimeUnit", "PerPersonPerTimeUnit"}
_INACTIVE = {"Canceled", "Declined"}
_ROOMS = {"Room", "Suite", "Apartment"}  # a room may be upgraded to a suite; a bed or a
# parking spot only to its own type


def _same_kind(candidate: str | None, booked: str | None) -> bool:
    return candidate == booked or (candidate in _ROOMS and booked in _ROOMS)


@dataclass(frozen=True, slots=True)
class _Candidate:
    item_id: str
    kind: Literal["upgrade", "experience"]
    name: str
    cash: Decimal
    revenue: RevenueCategory
    why: str


class UpsellArgs(_Args):
    reservation_id: MewsId


class UpsellItem(BaseModel):
    item_id: str
    kind: Literal["upgrade", "experience"]
    name: str
    cash: Decimal
    base_points: int = Field(description="⌈cash ÷ point_value⌉, as a catalogue reward's base")
    points: int = Field(description="the base moved by the day's demand, inside the band")
    floor_points: int
    mix_points: int | None
    mix_cash: Decimal | None
    affordable_in_points: bool
    score: Decimal
    reason: str


class UpsellSuggestions(BaseModel):
    reservation_id: str
    customer_id: str
    membership_id: str
    currency: str
    available_points: int
    point_value: Decimal = Field(description="cash per point: the program's point_value")
    priced_on: date = Field(description="the day whose demand moves the points prices")
    occupancy: Decimal = Field(description="occupancy of that day (0..1)")
    nights: int
    items: list[UpsellItem]


def _name(names: dict[str, str], fallback: str | None) -> str:
    return next(iter(names.values()), None) or fallback or "(unnamed)"


def _category(product: Any) -> RevenueCategory:
    flags = product.classifications
    if flags is not None and (flags.food or flags.beverage):
        return "food_and_beverage"
    if flags is not None and flags.wellness:
        return "spa"
    return "accommodation"


async def _suggest(env: ToolEnv, reservation_id: str) -> UpsellSuggestions:
    runtime = env.runtime
    found = await runtime.loader.reservations([reservation_id])
    if not found:
        raise ToolRefusal(
            f"reservation_id: no reservation {reservation_id!r} in Mews", field="reservation_id"
        )
    stay = found[0]
    now = runtime.clock.now()
    end = stay.actual_end_utc or stay.scheduled_end_utc
    start = stay.actual_start_utc or stay.scheduled_start_utc
    if str(stay.state) not in _UPCOMING or end is None or start is None or end <= now:
        raise ToolRefusal(
            f"reservation_id: the stay is {stay.state}, not upcoming or in house",
            field="reservation_id",
        )
    if not stay.account_id:
        raise ToolRefusal("reservation_id: the reservation has no guest", field="reservation_id")
    members = await runtime.loader.members([stay.account_id], with_stays=True)
    member = members.get(stay.account_id)
    configured = runtime.programs.programs
    held = [] if member is None else [m for m in member.memberships if m.program_code in configured]
    membership = next(
        (m for m in sorted(held, key=lambda m: not m.is_primary) if m.state not in _INACTIVE), None
    )
    if member is None or membership is None:
        raise ToolRefusal(
            "reservation_id: the guest has no active loyalty membership", field="reservation_id"
        )
    program = configured[membership.program_code]
    # A membership the ledger has not opened yet starts from its Mews points.
    available = (
        membership.balance.available
        if membership.balance is not None
        else max(membership.mews_points or 0, 0)
    )
    nights = max(1, (end.date() - start.date()).days)
    services = [s async for s in runtime.mews.services.get_all()]
    enterprise = next((s.enterprise_id for s in services if s.id == stay.service_id), None)
    service_ids = [s.id for s in services if s.enterprise_id == enterprise and s.is_active]
    products = [
        p
        async for p in runtime.mews.products.get_all(service_ids=service_ids)
        if p.is_active and p.price is not None
    ]
    prices: dict[str, Decimal] = {}
    for p in products:
        assert p.price is not None
        value = p.price.gross_value if p.price.gross_value is not None else p.price.net_value
        if value:
            prices[p.id] = prices[_name(p.names, None)] = Decimal(value)
    currency = next((p.price.currency for p in products if p.price is not None), program.currency)
    # Priced on the first day the stay can use an item, with the occupancy `recommend_rewards`
    # reads for that day: one item, one price, on one day.
    priced_on = max(now.date(), start.date())
    occupancy = await runtime.loader.occupancy(priced_on)
    with runtime.store.read() as conn:
        accepted = _accepted_before(conn, member.customer_id)
    spend = [s.spend for s in member.stays]
    candidates: list[_Candidate] = []
    upgrade = next((p for p in products if "upgrade" in _name(p.names, "").lower()), None)
    categories = [
        c
        async for c in runtime.mews.resource_categories.get_all(service_ids=[stay.service_id])
        if c.is_active
    ]
    booked = next((c for c in categories if c.id == stay.requested_resource_category_id), None)
    if upgrade is not None and booked is not None and booked.ordering is not None:
        rank = booked.ordering
        higher = sorted(
            (c for c in categories if (c.ordering or 0) > rank and _same_kind(c.type, booked.type)),
            key=lambda c: c.ordering or 0,
        )
        for step, room in enumerate(higher, start=1):
            candidates.append(
                _Candidate(
                    room.id,
                    "upgrade",
                    f"Upgrade to {_name(room.names, None)}",
                    prices[upgrade.id] * nights * step,
                    "accommodation",
                    f"{step} category step(s) x {nights} night(s) at the Mews upgrade price",
                )
            )
    for p in products:
        label = _name(p.names, None)
        if p.id not in prices or p.id == getattr(upgrade, "id", None):
            continue
        if p.classifications is not None and p.classifications.city_tax:
            continue
        per_night = str(p.charging_mode) in _PER_NIGHT
        cash = prices[p.id] * (nights if per_night else 1)
        why = f"Mews price{' per night' if per_night else ''}"
        candidates.append(_Candidate(p.id, "experience", label, cash, _category(p), why))
    items: list[UpsellItem] = []
    for c in candidates:
        price = price_upsell(program, cash=c.cash, occupancy=occupancy, available=available)
        score = rank_score(c.revenue, spend, accepted.get(c.item_id, 0))
        items.append(
            UpsellItem(
                item_id=c.item_id,
                kind=c.kind,
                name=c.name,
                cash=price.cash,
                base_points=price.base_points,
                points=price.points,
                floor_points=price.floor_points,
                mix_points=price.mix_points,
                mix_cash=price.mix_cash,
                affordable_in_points=price.affordable_in_points,
                score=score,
                reason=f"{c.why}; {price.base_points} points at {program.point_value} "
                f"{program.currency} a point × demand factor {price.factor}; history score "
                f"{score} ({c.revenue} share of spend, plus earlier acceptances)",
            )
        )
    items.sort(key=lambda i: (-i.score, i.cash, i.item_id))
    with runtime.store.write() as conn:
        _log_suggestions(
            conn, reservation_id, member.customer_id, membership.membership_id, items, now
        )
    return UpsellSuggestions(
        reservation_id=reservation_id,
        customer_id=member.customer_id,
        membership_id=membership.membership_id,
        currency=currency,
        available_points=available,
        point_value=program.point_value,
        priced_on=priced_on,
        occupancy=occupancy,
        nights=nights,
        items=items,
    )


def _accepted_before(conn: Any, customer_id: str) -> dict[str, int]:
    log = recommendation_log_table
    rows = conn.execute(
        sa.select(log.c.item_id, sa.func.count())
        .where(
            log.c.customer_id == customer_id, log.c.source == "upsell", log.c.outcome == "converted"
        )
        .group_by(log.c.item_id)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def _log_suggestions(
    conn: Any,
    reservation_id: str,
    customer_id: str,
    membership_id: str,
    items: list[UpsellItem],
    now: Any,
) -> None:
    log = recommendation_log_table
    known = {
        row[0]
        for row in conn.execute(
            sa.select(log.c.item_id).where(
                log.c.source == "upsell", log.c.source_id == reservation_id
            )
        )
    }
    rows = [
        {
            "source": "upsell",
            "source_id": reservation_id,
            "customer_id": customer_id,
            "membership_id": membership_id,
            "item_kind": item.kind,
            "item_id": item.item_id,
            "context": "upsell",
            "recommended_at": now.replace(tzinfo=None),
            "outcome": "pending",
            "outcome_at": None,
        }
        for item in items
        if item.item_id not in known
    ]
    if rows:
        conn.execute(log.insert(), rows)


async def suggest_upsell(env: ToolEnv, args: UpsellArgs) -> Any:
    async def run() -> UpsellSuggestions:
        return await _suggest(env, args.reservation_id)

    return await env.runtime.guard.read(
        env.principal, "suggest_upsell", args.model_dump(mode="json"), run
    )


class AcceptUpsellInput(_Args):
    reservation_id: MewsId
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    payment: Literal["points", "mix"] = Field(description="all points, or the points-plus-cash mix")
    idempotency_key: Annotated[str | None, StringConstraints(min_length=1, max_length=200)] = None


async def accept_upsell(env: ToolEnv, args: AcceptUpsellInput) -> Outcome:
    offer = await _suggest(env, args.reservation_id)
    item = next((i for i in offer.items if i.item_id == args.item_id), None)
    if item is None:
        raise ToolRefusal(
            f"item_id: {args.item_id!r} is not offered for this stay (suggest_upsell)",
            field="item_id",
        )
    if args.payment == "mix":
        if item.mix_points is None or item.mix_cash is None:
            raise ToolRefusal(
                f"payment: no points-plus-cash mix for {item.name} (the member has "
                f"{offer.available_points} points available)",
                field="payment",
            )
        points, cash = item.mix_points, item.mix_cash
    else:
        if not item.affordable_in_points:
            raise ToolRefusal(
                f"payment: {item.name} costs {item.points} points; "
                f"{offer.available_points} are available (try the mix)",
                field="payment",
            )
        points, cash = item.points, Decimal("0.00")
    action = AcceptUpsellArgs(
        membership_id=offer.membership_id,
        reservation_id=offer.reservation_id,
        item_id=item.item_id,
        item_name=item.name,
        payment=args.payment,
        points=points,
        cash=cash,
        currency=offer.currency,
    )
    return await env.runtime.guard.submit(
        env.principal, "accept_upsell", action.model_dump(mode="json"), args.idempotency_key
    )


UPSELL_TOOLS: tuple[ToolDef, ...] = (
    ToolDef(
        "suggest_upsell",
        "Suggest upsell",
        "Upgrades and experiences for a stay, in cash, points and points+cash, best fit first.",
        UpsellArgs,
        UpsellSuggestions,
        handler=suggest_upsell,
        open_world=True,
        **_READ,
    ),
    ToolDef(
        "accept_upsell",
        "Accept upsell",
        "Redeem points (or points+cash) for a suggested upsell; the property charges the cash.",
        AcceptUpsellInput,
        WriteOutcome[UpsellAccepted],
        handler=accept_upsell,
        open_world=True,  # idempotent: one acceptance per reservation and item
        **_WRITE,
    ),
)

CAMPAIGN_TOOLS: tuple[ToolDef, ...] = (
    ToolDef(
        "create_campaign",
        "Create campaign",
        "Draft a campaign for a segment with a randomised holdout; drafts only, never sent.",
        CreateCampaignInput,
        WriteOutcome[CampaignSummary],
        handler=create_campaign,  # drafts only, in our store: not open-world
        **_WRITE,
    ),
    ToolDef(
        "get_campaign_report",
        "Campaign report",
        "Treated vs holdout outcomes of a campaign: lift, 95% interval, verdict, drafts.",
        ReportArgs,
        CampaignReportOut,
        handler=get_campaign_report,
        open_world=True,
        **_READ,
    ),
    ToolDef(
        "list_campaigns",
        "List campaigns",
        "Campaigns, newest first, with their groups and point liability.",
        ListCampaignsArgs,
        CampaignList,
        handler=list_campaigns_tool,
        **_READ,
    ),
    *UPSELL_TOOLS,
)
