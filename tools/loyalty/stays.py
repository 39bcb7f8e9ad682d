"""Stay accrual from Mews: plan what checked-out and canceled reservations mean for the ledger,
then post it through the policy layer, exactly once per reservation.

    plans = await plan_stay_accruals(loader, reservation_ids)       # batched reads, no writes
    results = await submit_stay_plans(guard, principal, plans)      # guarded writes

Planning reads the reservations (`ReservationIds`), their order items (`ServiceOrderIds`) and the
guests' memberships in batches, and the ledger for what was posted already:

- a `Processed` reservation not accrued yet → `PlannedAccrual` (points from `quote_stay_accrual`
  with the member's tier multiplier, into the primary active membership of a configured program);
- a `Canceled` reservation that was accrued and not reversed yet → `PlannedReversal`;
- anything else → `Skipped`, with the reason in plain words.

Exactly once, whatever happens (retries after 429/500, a crash, two runs racing): the ledger
posts the accrual under `accrual_idempotency_key(reservation_id)` and the reversal under
`accrual_reversal_key(reservation_id)`, and the guard is given the same keys, so a repeated
submission replays the first outcome (posted, or pending approval) instead of acting twice.

What the guard is told and runs for each (`accrue_stay`, `reverse_stay_accrual`,
`award_stay_bonus`) is in `tools.actions.ledger_sync`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policies import Guard, Outcome, Principal
from policies.errors import InvalidRequestError, PolicyError
from storage.canonical import JSONObject
from storage.clock import utc
from storage.progress import counted, step
from storage.rows import field_values
from tools.loyalty import _ledger_sql as sql
from tools.loyalty._time import hotel_nights
from tools.loyalty.accrual import (
    AccrualQuote,
    accrual_idempotency_key,
    accrual_reversal_key,
    quote_stay_accrual,
)
from tools.loyalty.categories import REVENUE_CATEGORIES
from tools.loyalty.config import ProgramConfig, ProgramFile
from tools.loyalty.display import plural
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.facts import CHECKED_OUT, MemberFacts, MembershipFacts, StayFacts
from tools.loyalty.future_value import predict_future_value
from tools.loyalty.insights import assess_lapse
from tools.loyalty.ledger_model import LedgerEntry
from tools.loyalty.ledger_schema import accounts_table
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.loyalty.valuation import BonusProposal, propose_bonus
from tools.mews import MewsError

__all__ = [
    "ACCRUE_STAY",
    "AWARD_BOOKING_BONUS",
    "AWARD_STAY_BONUS",
    "REVERSE_STAY_ACCRUAL",
    "AccrueStayArgs",
    "AwardStayBonusArgs",
    "GuardArgs",
    "MembershipArgs",
    "PlannedAccrual",
    "PlannedBonus",
    "PlannedReversal",
    "ReverseStayArgs",
    "Skipped",
    "StayPlan",
    "StayResult",
    "booking_bonus_key",
    "booking_bonus_reversal_key",
    "earning_membership",
    "plan_stay_accruals",
    "plan_stay_bonuses",
    "stay_bonus_key",
    "stay_nights",
    "submit_stay_plans",
]

ACCRUE_STAY = "accrue_stay"
REVERSE_STAY_ACCRUAL = "reverse_stay_accrual"
AWARD_STAY_BONUS = "award_stay_bonus"
AWARD_BOOKING_BONUS = "award_booking_bonus"
_T = TypeVar("_T")


def stay_bonus_key(reservation_id: str) -> str:
    """The ledger's and the guard's idempotency key of a stay's bonus: one per reservation."""
    return f"stay-bonus:{reservation_id}"


def stay_bonus_reversal_key(reservation_id: str) -> str:
    """The ledger's key of the reversal of a canceled stay's bonus (with its accrual's)."""
    return f"stay-bonus-reversal:{reservation_id}"


def booking_bonus_key(reservation_id: str) -> str:
    """The ledger's and the guard's key of the bonus a booking-time offer promised the stay."""
    return f"booking-bonus:{reservation_id}"


def booking_bonus_reversal_key(reservation_id: str) -> str:
    """The ledger's key of the reversal of a canceled stay's booking bonus."""
    return f"booking-bonus-reversal:{reservation_id}"


# ---------------------------------------------------------------------- arguments
class GuardArgs(BaseModel):
    """Arguments of an automated write as the guard stores them: strict, and a bad one is an
    `InvalidRequestError` naming its field."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @classmethod
    def parse(cls, args: JSONObject) -> Any:
        try:
            return cls.model_validate(args)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "arguments"
            raise InvalidRequestError(f"{where}: {first['msg']}") from None


_Id = Field(min_length=1, max_length=64)


class MembershipArgs(GuardArgs):
    """The membership an automated write moves points of: with its customer, chain and program,
    what opens its ledger account (`tools.actions.accounts.open_account`)."""

    membership_id: str = _Id
    customer_id: str = _Id
    chain_id: str = _Id
    program_id: str = _Id
    program_code: str = Field(min_length=1, max_length=50)


class _StayPoints(MembershipArgs):
    """Points a stay earns a membership (its accrual, its bonus), as planned."""

    reservation_id: str = _Id
    points: int = Field(gt=0)
    mews_points: int | None = None
    """The membership's Mews `Points` when planned: its opening balance if it has no account."""
    enterprise_id: str | None = Field(default=None, min_length=1, max_length=64)
    """The stay's hotel: an approval request for these points is announced there."""


class AccrueStayArgs(_StayPoints):
    """What `accrue_stay` posts: the planned points of one checked-out reservation."""

    pending_until: str | None = None
    reason: str = Field(min_length=1, max_length=2000)


class ReverseStayArgs(GuardArgs):
    """What `reverse_stay_accrual` takes back: the accrual entry of a canceled reservation."""

    reservation_id: str = _Id
    customer_id: str = _Id
    membership_id: str = _Id
    program_id: str = _Id
    entry_id: int = Field(gt=0)
    points: int = Field(gt=0)
    """The points of the accrual (for the policy's facts; the ledger derives the reversal)."""
    bonus_entry_id: int | None = Field(default=None, gt=0)
    bonus_points: int = Field(default=0, ge=0)
    """The stay's checkout bonus, taken back with its accrual (the bonus was for this stay)."""
    enterprise_id: str | None = Field(default=None, min_length=1, max_length=64)
    """The stay's hotel (as for `_StayPoints`)."""
    offer_entry_id: int | None = Field(default=None, gt=0)
    offer_points: int = Field(default=0, ge=0)
    """The bonus a booking-time offer gave the stay, taken back with it too."""


class AwardStayBonusArgs(_StayPoints):
    """What `award_stay_bonus` posts: the dynamic bonus on top of a stay's accrual."""

    base_points: int = Field(gt=0)
    multiplier: str = Field(min_length=1, max_length=16)
    """The proposed multiplier (a decimal string, e.g. "1.15"); the policy judges the variance
    `points / base_points`: the bonus over the stay points at the member's tier."""
    pending_until: str | None = None
    reason: str = Field(min_length=1, max_length=2000)


# ---------------------------------------------------------------------- plans
@dataclass(frozen=True, slots=True)
class PlannedAccrual:
    reservation_id: str
    customer_id: str
    membership: MembershipFacts
    chain_id: str
    quote: AccrualQuote
    enterprise_id: str | None = None
    """The stay's hotel (Mews enterprise)."""

    @property
    def action(self) -> str:
        return ACCRUE_STAY

    @property
    def idempotency_key(self) -> str:
        return accrual_idempotency_key(self.reservation_id)

    def stay_fields(self) -> dict[str, Any]:
        """The arguments the stay's accrual and its bonuses share: the stay, its membership
        and when the points become available."""
        membership, pending = self.membership, self.quote.pending_until
        return {
            "reservation_id": self.reservation_id,
            "customer_id": self.customer_id,
            "membership_id": membership.membership_id,
            "chain_id": self.chain_id,
            "program_id": membership.program_id,
            "program_code": membership.program_code,
            "mews_points": None if membership.ledger_opened else membership.mews_points,
            "pending_until": None if pending is None else utc(pending).isoformat(),
            "enterprise_id": self.enterprise_id,
        }

    def args(self) -> JSONObject:
        return AccrueStayArgs(
            **self.stay_fields(),
            points=self.quote.points,
            reason=f"stay {self.reservation_id}: {self.quote.reasoning}"[:2000],
        ).model_dump()


@dataclass(frozen=True, slots=True)
class PlannedReversal:
    reservation_id: str
    customer_id: str
    membership_id: str
    program_id: str
    entry_id: int
    points: int
    bonus: LedgerEntry | None = None  # the stay's bonus, posted and not reversed
    enterprise_id: str | None = None
    offer_bonus: LedgerEntry | None = None  # its booking-offer bonus, posted and not reversed

    @property
    def action(self) -> str:
        return REVERSE_STAY_ACCRUAL

    @property
    def idempotency_key(self) -> str:
        return accrual_reversal_key(self.reservation_id)

    def args(self) -> JSONObject:
        planned = field_values(self)  # the arguments' fields of the same names
        bonus, offer = planned.pop("bonus"), planned.pop("offer_bonus")  # by id and points
        return ReverseStayArgs(
            **planned,
            bonus_entry_id=None if bonus is None else bonus.id,
            bonus_points=0 if bonus is None else bonus.points,
            offer_entry_id=None if offer is None else offer.id,
            offer_points=0 if offer is None else offer.points,
        ).model_dump()


@dataclass(frozen=True, slots=True)
class Skipped:
    reservation_id: str
    reason: str


StayPlan = PlannedAccrual | PlannedReversal | Skipped


async def plan_stay_accruals(
    loader: MewsFactsLoader, reservation_ids: Sequence[str]
) -> list[StayPlan]:
    """What each reservation means for the ledger (one plan per id, in the order given).

    Reads in batches only: reservations by id, order items by reservation id, the guests and
    their memberships by id, and the ledger entries under the reservations' keys.
    """
    wanted = list(dict.fromkeys(reservation_ids))
    step(0, None, f"reading {plural(len(wanted), 'reservation')} from Mews")
    reservations = await loader.reservations(wanted)
    stays = {stay.reservation_id: stay for stay in await loader.stays(reservations)}
    customers = sorted({stay.customer_id for stay in stays.values()})
    members = await loader.members(customers, with_stays=False) if customers else {}
    chain_id = await loader.chain_id()
    posted = _posted_entries(loader, list(stays))
    opened = _opened(loader, members.values())
    plans: list[StayPlan] = []
    for reservation_id in (r.strip() for r in wanted):
        stay = stays.get(reservation_id)
        if stay is None:
            plans.append(Skipped(reservation_id, "no such customer reservation in Mews"))
            continue
        member = members.get(stay.customer_id)
        plans.append(_plan(loader.programs, stay, member, chain_id, posted, opened))
    return plans


def _opened(loader: MewsFactsLoader, members: Iterable[MemberFacts]) -> dict[str, datetime]:
    """When each membership's ledger account was opened (its opening balance taken)."""
    ids = [m.membership_id for member in members for m in member.memberships]
    t = accounts_table
    with loader.store.read() as conn:
        rows = conn.execute(
            sa.select(t.c.membership_id, t.c.created_at).where(t.c.membership_id.in_(ids))
        ).all()
    return {row.membership_id: utc(row.created_at) for row in rows}


def _cut_over(
    programs: ProgramFile, stay: StayFacts, membership_id: str, opened: dict[str, datetime]
) -> str | None:
    """Why a stay is before the cut-over (counted by the previous system), else None."""
    ended = stay.departure
    if programs.go_live is not None and ended.date() < programs.go_live:
        return (
            f"ended {ended.date()}, before the go-live date {programs.go_live} (program file "
            "go_live): the previous system counted it"
        )
    since = opened.get(membership_id)
    if since is not None and ended < since:
        return (
            f"ended {ended.date()}, before the ledger opened with the Mews balance on "
            f"{since.date()}: that balance counts it already"
        )
    return None


def _posted_entries(loader: MewsFactsLoader, reservation_ids: list[str]) -> dict[str, LedgerEntry]:
    """Ledger entries already posted under the accrual, reversal and bonus keys, by key."""
    found: dict[str, LedgerEntry] = {}
    with loader.store.read() as conn:
        for reservation_id in reservation_ids:
            for key in (
                accrual_idempotency_key(reservation_id),
                accrual_reversal_key(reservation_id),
                stay_bonus_key(reservation_id),
                booking_bonus_key(reservation_id),
            ):
                entry = sql.entry_by_key(conn, key)
                if entry is not None:
                    found[key] = entry
    return found


def _plan(
    programs: ProgramFile,
    stay: StayFacts,
    member: MemberFacts | None,
    chain_id: str,
    posted: dict[str, LedgerEntry],
    opened: dict[str, datetime],
) -> StayPlan:
    rid = stay.reservation_id
    accrued = posted.get(accrual_idempotency_key(rid))
    reversed_ = posted.get(accrual_reversal_key(rid))
    bonus = posted.get(stay_bonus_key(rid))
    offer_bonus = posted.get(booking_bonus_key(rid))
    if stay.canceled:
        if accrued is None:
            return Skipped(rid, "canceled and never accrued: nothing to reverse")
        if reversed_ is not None or accrued.reversed_by_entry_id is not None:
            return Skipped(rid, f"canceled; its accrual (entry {accrued.id}) is reversed already")
        return PlannedReversal(
            reservation_id=rid,
            customer_id=stay.customer_id,
            membership_id=accrued.membership_id,
            program_id=_program_id_of(member, accrued.membership_id),
            entry_id=accrued.id,
            points=accrued.points,
            bonus=bonus if bonus is not None and bonus.reversed_by_entry_id is None else None,
            enterprise_id=stay.enterprise_id or None,
            offer_bonus=offer_bonus
            if offer_bonus is not None and offer_bonus.reversed_by_entry_id is None
            else None,
        )
    if accrued is not None:
        return Skipped(rid, f"accrued already: {accrued.points} points (entry {accrued.id})")
    if stay.state != CHECKED_OUT:
        return Skipped(rid, f"is {stay.state}: points accrue after checkout ({CHECKED_OUT})")
    membership = earning_membership(programs, member)
    if member is None or membership is None:
        return Skipped(rid, f"guest {stay.customer_id} has no active membership in a program")
    before = _cut_over(programs, stay, membership.membership_id, opened)
    if before is not None:
        return Skipped(rid, before)
    program = programs.program(membership.program_code)
    quote = _quote(program, stay, membership)
    if not quote.eligible or quote.points <= 0:
        return Skipped(rid, quote.reasoning)
    return PlannedAccrual(
        rid, stay.customer_id, membership, chain_id, quote, stay.enterprise_id or None
    )


def _quote(program: ProgramConfig, stay: StayFacts, membership: MembershipFacts) -> AccrualQuote:
    tier = membership.tier_code if membership.tier_code in program.tiers else None
    return quote_stay_accrual(program, stay, tier_code=tier)


def earning_membership(programs: ProgramFile, member: MemberFacts | None) -> MembershipFacts | None:
    """The primary active membership in a configured program (else the first active one)."""
    if member is None:
        return None
    candidates = [
        m
        for m in member.memberships
        if m.program_code in programs.programs and m.state not in ("Canceled", "Declined")
    ]
    candidates.sort(key=lambda m: (not m.is_primary, m.program_code, m.membership_id))
    return candidates[0] if candidates else None


def _program_id_of(member: MemberFacts | None, membership_id: str) -> str:
    if member is not None:
        for membership in member.memberships:
            if membership.membership_id == membership_id:
                return membership.program_id
    return "unknown"


@dataclass(frozen=True, slots=True)
class PlannedBonus:
    """A dynamic bonus for a stay whose accrual was posted (`propose_bonus` on its points)."""

    accrual: PlannedAccrual
    proposal: BonusProposal
    offer: bool = False
    """True: the bonus a booking-time offer promised (`award_booking_bonus`), not the checkout
    bonus (`award_stay_bonus`)."""

    @property
    def reservation_id(self) -> str:
        return self.accrual.reservation_id

    @property
    def action(self) -> str:
        return AWARD_BOOKING_BONUS if self.offer else AWARD_STAY_BONUS

    @property
    def idempotency_key(self) -> str:
        key = booking_bonus_key if self.offer else stay_bonus_key
        return key(self.reservation_id)

    @property
    def label(self) -> str:
        return "booking offer bonus" if self.offer else "stay bonus"

    def args(self) -> JSONObject:
        return AwardStayBonusArgs(
            **self.accrual.stay_fields(),
            points=self.proposal.bonus_points,
            base_points=self.proposal.base_points,
            multiplier=str(self.proposal.multiplier),
            reason=f"{self.label} {self.reservation_id}: {self.proposal.reasoning}"[:2000],
        ).model_dump()


async def stay_nights(
    loader: MewsFactsLoader,
    stay: StayFacts,
    read: Callable[[date, str | None], Awaitable[_T]],
    known: dict[tuple[date, str], _T],
) -> tuple[tzinfo, list[date], list[_T]]:
    """The stay's hotel time zone, its nights there (`hotel_nights`) and what `read` answers
    for each night at that hotel, asked once per night and hotel for calls sharing `known`."""
    zone = await loader.time_zone(stay.enterprise_id or None)
    nights = hotel_nights(stay.arrival, stay.departure, zone)
    for night in nights:
        if (night, stay.enterprise_id) not in known:
            known[night, stay.enterprise_id] = await read(night, stay.enterprise_id or None)
    return zone, nights, [known[night, stay.enterprise_id] for night in nights]


async def plan_stay_bonuses(
    loader: MewsFactsLoader, accruals: Sequence[PlannedAccrual]
) -> list[PlannedBonus | Skipped]:
    """A bonus proposal for each submitted accrual (one plan per accrual, in the order given),
    to bring the member back: priced from the member's predicted value and the demand on the
    nights they actually stayed.

    - Predicted value (`future_value`): the member's expected stays in the next 12 months
      from their stay history (Gamma-Poisson rate), × this stay's net spend.
    - Demand: the mean occupancy of the stay's own nights, as the hotel counts them (local
      dates in the hotel's time zone, `hotel_nights`), never today's.
    - Lapse: judged as of the stay's arrival without the stay itself (a member who came back
      after a long gap is the win-back case).

    Batched reads: the guests' facts with their stays in one `members` call (without their
    order items: a burst of checkouts would otherwise read every item of the guests' history),
    each hotel's time zone once, and the occupancy once per (night, hotel). A proposal without
    bonus points (multiplier 1.0) is skipped.
    """
    if not accruals:
        return []
    customers = sorted({a.customer_id for a in accruals})
    members = await loader.members(customers, with_spend=False)
    now = loader.clock.now()
    occupancy: dict[tuple[date, str], Decimal] = {}
    plans: list[PlannedBonus | Skipped] = []
    for accrual in accruals:
        rid = accrual.reservation_id
        member = members.get(accrual.customer_id)
        stay = None if member is None else _stay_of(member, rid)
        if member is None or stay is None:
            plans.append(Skipped(rid, "no bonus: the guest's stay could not be read"))
            continue
        program = loader.programs.program(accrual.membership.program_code)
        zone, nights, shares = await stay_nights(loader, stay, loader.occupancy, occupancy)
        demand = (sum(shares, Decimal(0)) / len(shares)).quantize(Decimal("0.0001"))
        before = replace(member, stays=tuple(s for s in member.stays if s.reservation_id != rid))
        lapse = assess_lapse(
            program,
            before,
            as_of=stay.arrival,
            program_gap=Decimal(program.lapse.default_program_gap_days),
        )
        value = predict_future_value(
            program, member, stay_spend=_net_spend(accrual.quote), as_of=now
        )
        tier = program.tiers.get(accrual.quote.tier_code or "")
        proposal = propose_bonus(
            program,
            base_points=accrual.quote.points,
            member_value=value.score,
            occupancy=demand,
            lapsing=lapse.lapsing,
            signals={
                **value.inputs,
                "nights": ", ".join(night.isoformat() for night in nights),
                "night_occupancy": ", ".join(str(share) for share in shares),
                "time_zone": str(zone),
                "tier": None if tier is None else tier.name,
                "tier_multiplier": accrual.quote.multiplier,
                "lapse": lapse.reasoning,
            },
            context=(
                f"predicted value: {value.reasoning}; demand on the nights stayed "
                f"({_nights_text(nights, shares, zone)}): mean {demand:.0%}; "
                f"{'lapsed before this stay' if lapse.lapsing else 'not lapsing'}; "
                f"on the {tier.name if tier else 'base'} rate "
                f"(×{accrual.quote.multiplier.normalize():f}): "
            ),
        )
        if proposal.bonus_points <= 0:
            plans.append(Skipped(rid, f"no bonus: {proposal.reasoning}"))
            continue
        plans.append(PlannedBonus(accrual, proposal))
    return plans


def _net_spend(quote: AccrualQuote) -> Decimal:
    """The stay's net spend across the revenue categories (the accrual's own inputs)."""
    return sum(
        (Decimal(str(quote.inputs.get(f"spend_{c}") or 0)) for c in REVENUE_CATEGORIES),
        Decimal(0),
    )


def _nights_text(nights: Sequence[date], shares: Sequence[Decimal], zone: tzinfo) -> str:
    shown = ", ".join(f"{n:%d %b} {s:.0%}" for n, s in zip(nights[:7], shares[:7], strict=True))
    more = f" and {len(nights) - 7} more" if len(nights) > 7 else ""
    return f"{shown}{more}, {zone}"


def _stay_of(member: MemberFacts, reservation_id: str) -> StayFacts | None:
    return next((s for s in member.stays if s.reservation_id == reservation_id), None)


# ---------------------------------------------------------------------- submitting
@dataclass(frozen=True, slots=True)
class StayResult:
    """What happened to one reservation's plan."""

    reservation_id: str
    status: Literal["posted", "pending_approval", "denied", "skipped", "failed"]
    detail: str
    outcome: Outcome | None = None


async def submit_stay_plans(
    guard: Guard, principal: Principal, plans: Sequence[StayPlan | PlannedBonus]
) -> list[StayResult]:
    """Submit each accrual or reversal to the guard under the reservation's own key.

    A refusal or failure of one reservation is reported and does not stop the others.
    """
    results: list[StayResult] = []
    for plan in counted(plans, "stays credited"):
        if isinstance(plan, Skipped):
            results.append(StayResult(plan.reservation_id, "skipped", plan.reason))
            continue
        try:
            outcome = await guard.submit(
                principal, plan.action, plan.args(), idempotency_key=plan.idempotency_key
            )
        except (PolicyError, LoyaltyError, MewsError) as exc:
            results.append(StayResult(plan.reservation_id, "failed", str(exc)))
            continue
        results.append(_result(plan, outcome))
    return results


def _result(plan: PlannedAccrual | PlannedReversal | PlannedBonus, outcome: Outcome) -> StayResult:
    status = outcome.to_dict()["status"]
    if status == "posted":
        if isinstance(plan, PlannedAccrual):
            detail = f"{plan.quote.points} points to {plan.membership.membership_id}"
        elif isinstance(plan, PlannedBonus):
            detail = (
                f"{plan.proposal.bonus_points} bonus points (x{plan.proposal.multiplier}) to "
                f"{plan.accrual.membership.membership_id}; {plan.proposal.reasoning}"
            )
        else:
            bonus = 0 if plan.bonus is None else plan.bonus.points
            bonus += 0 if plan.offer_bonus is None else plan.offer_bonus.points
            with_bonus = f" (reversal, {bonus} of them its bonus)" if bonus else " (reversal)"
            detail = f"-{plan.points + bonus} points from {plan.membership_id}{with_bonus}"
    elif status == "pending_approval":
        detail = f"approval {outcome.to_dict()['approval_id']}: {outcome.to_dict()['reason']}"
    else:
        detail = f"{outcome.to_dict()['rule']}: {outcome.to_dict()['reason']}"
    return StayResult(plan.reservation_id, status, detail, outcome)
