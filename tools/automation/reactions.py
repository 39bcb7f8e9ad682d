"""What the loyalty program does about a changed reservation or a new customer.

    reactions = LoyaltyReactions(guard=rt.guard, loader=rt.loader, after_write=rt.after_write)
    worker = WebhookWorker(store, mews, reactions, clock=clock)

- Reservation `Processed` (checked out) → stay accrual; `Canceled` after an accrual → its
  reversal. Both are planned by `tools.loyalty.stays.plan_stay_accruals` (batched reads) and
  submitted through the guard as `accrue_stay` / `reverse_stay_accrual` under the reservation's
  own idempotency key, so a redelivered webhook or a retried batch never posts twice.
- After an accrual posted or pending approval, a dynamic bonus to bring the member back
  (`plan_stay_bonuses`: predicted member value, the occupancy of the nights stayed in the
  hotel's time zone, lapse) submitted as `award_stay_bonus` under `stay-bonus:{reservation id}`;
  the policy judges its variance (bonus over the stay's tier-adjusted points): applied within
  the thresholds in `automate` mode, else an approval request. Its outcome and reasoning are
  appended to the reaction's detail. When the reservation got a booking offer, the bonus it
  promised follows too (`award_booking_bonus` under `booking-bonus:{reservation id}`).
- Reservation `Confirmed` (booked) → a low-demand offer when the forecast occupancy of the
  booked nights (hotel time zone) is below the program file's `low_demand_offer`:
  `attach_booking_offer` through the guard under `booking-offer:{reservation id}`, its
  inputs and reasoning kept with it and in the reaction's detail (`tools.loyalty.booking_offers`).
- `CustomerAdded` → when `enrol_program` names a program (`LOYALTY_AUTO_ENROL_PROGRAM`), an
  `add_loyalty_memberships` request for a customer without a membership in it, with a
  membership number (`membership_number`) and the program's base tier (lowest `rank`). The policy
  decides: in `recommend` mode it becomes an approval request (the proposal), in `automate`
  mode the thresholds decide.

Everything runs as the principal `automation` (role `agent` in the default policy) and is
audited by the guard. A pending approval is an answer: the event is done. A denied accrual is
dead-lettered at once (`GiveUp`) so that staff see the stay that earned nothing; a failed
submission (Mews down, a ledger error) is retried by the worker with backoff.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

from policies import Denied, Guard, Principal
from policies.errors import PolicyError
from tools.actions.booking_offers import ATTACH_BOOKING_OFFER, attached_offers, offer_args
from tools.actions.errors import ActionError
from tools.automation.merges import follow_merges
from tools.automation.worker import GiveUp, HoldBack, Reacted, ReactionResult, RetryLater
from tools.loyalty.booking_offers import booking_bonus, booking_offer_key, plan_booking_offers
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.loyalty.stays import (
    PlannedAccrual,
    PlannedBonus,
    Skipped,
    StayPlan,
    StayResult,
    plan_stay_accruals,
    plan_stay_bonuses,
    submit_stay_plans,
)
from tools.mews import MewsError
from tools.mews.models import Customer, Reservation

__all__ = [
    "AUTOMATION_PRINCIPAL",
    "AUTO_ENROL_ENV",
    "ENROL_ACTION",
    "LoyaltyReactions",
    "auto_enrol_program",
    "membership_number",
]

AUTOMATION_PRINCIPAL: Final = "automation"
AUTO_ENROL_ENV: Final = "LOYALTY_AUTO_ENROL_PROGRAM"
ENROL_ACTION: Final = "add_loyalty_memberships"
_REACTING_STATES: Final = frozenset({"Processed", "Canceled"})
_BOOKED_STATES: Final = frozenset({"Confirmed"})


def auto_enrol_program(environ: Mapping[str, str] | None = None) -> str | None:
    """The program code new customers are proposed for (`LOYALTY_AUTO_ENROL_PROGRAM`), if any."""
    env = os.environ if environ is None else environ
    return env.get(AUTO_ENROL_ENV, "").strip() or None


class LoyaltyReactions:
    """The `Reactions` of the loyalty program (see the module docstring)."""

    def __init__(
        self,
        *,
        guard: Guard,
        loader: MewsFactsLoader,
        after_write: Callable[[], Awaitable[None]] | None = None,
        principal: str = AUTOMATION_PRINCIPAL,
        enrol_program: str | None = None,
    ) -> None:
        self.guard = guard
        self.loader = loader
        self.after_write = after_write
        self.principal: Principal = guard.principal(principal)
        if enrol_program is not None and enrol_program not in loader.programs.programs:
            known = ", ".join(sorted(loader.programs.programs))
            raise ValueError(
                f"auto-enrolment program {enrol_program!r} is not configured ({known})"
            )
        self.enrol_program = enrol_program

    async def reservations_changed(
        self, reservations: Sequence[Reservation]
    ) -> dict[str, ReactionResult]:
        answers: dict[str, ReactionResult] = {}
        relevant: list[str] = []
        booked: list[Reservation] = []
        for reservation in reservations:
            if str(reservation.state) in _REACTING_STATES:
                relevant.append(reservation.id)
            elif str(reservation.state) in _BOOKED_STATES:
                booked.append(reservation)
            else:
                answers[reservation.id] = Reacted(f"reservation is {reservation.state}: no points")
        if booked:
            answers.update(await self._booking_offers(booked))
        if not relevant:
            return answers
        plans = await plan_stay_accruals(self.loader, relevant)
        results = await submit_stay_plans(self.guard, self.principal, plans)
        bonuses = await self._stay_bonuses(plans, results)
        for result in results:
            answers[result.reservation_id] = _stay_answer(
                result, bonuses.get(result.reservation_id)
            )
        if any(result.status == "posted" for result in results) and self.after_write is not None:
            await self.after_write()  # push the new balances to Mews now (the outbox retries)
        return answers

    async def _stay_bonuses(
        self, plans: Sequence[StayPlan], results: Sequence[StayResult]
    ) -> dict[str, str]:
        """Propose a dynamic bonus for each accrual just posted or proposed (pending approval);
        what became of it, by reservation id.

        The bonus is extra: a failure to plan or submit it is reported, not retried (the
        accrual is done), and the guard's key `stay-bonus:{id}` keeps it to one per stay. A
        stay with an offer attached at booking gets its bonus too (`booking-bonus:{id}`).
        """
        posted = [
            plan
            for plan, result in zip(plans, results, strict=True)
            if isinstance(plan, PlannedAccrual) and result.status in ("posted", "pending_approval")
        ]
        if not posted:
            return {}
        said: dict[str, str] = {}
        try:
            bonus_plans = await plan_stay_bonuses(self.loader, posted)
        except (LoyaltyError, MewsError, ValueError) as exc:
            bonus_plans = []
            said = {plan.reservation_id: f"bonus not proposed: {exc}" for plan in posted}
        # The bonus a booking-time offer promised (kept whatever became of the checkout bonus).
        offers = attached_offers(self.loader.store, [plan.reservation_id for plan in posted])
        for plan in posted:
            offer = offers.get(plan.reservation_id)
            if offer is not None and offer.membership_id == plan.membership.membership_id:
                bonus_plans.append(booking_bonus(plan, offer.multiplier, offer.reasoning))
        bonus_results = await submit_stay_plans(self.guard, self.principal, bonus_plans)
        labels = {
            "posted": "bonus posted",
            "pending_approval": "bonus awaiting approval",
            "denied": "bonus denied",
            "skipped": "bonus skipped",
            "failed": "bonus failed",
        }
        for bonus_plan, r in zip(bonus_plans, bonus_results, strict=True):
            offer_made = isinstance(bonus_plan, PlannedBonus) and bonus_plan.offer
            note = f"{'booking ' if offer_made else ''}{labels[r.status]}: {r.detail}"
            before = said.get(r.reservation_id)
            said[r.reservation_id] = note if before is None else f"{before}; {note}"
        return said

    async def _booking_offers(self, booked: Sequence[Reservation]) -> dict[str, ReactionResult]:
        """Attach a low-demand offer to each booked reservation on quiet nights (through the
        guard, once per reservation); the answer says which and why (or why not)."""
        try:
            plans = await plan_booking_offers(self.loader, booked)
        except MewsError as exc:
            return {r.id: RetryLater(f"booking offer not planned: {exc}") for r in booked}
        answers: dict[str, ReactionResult] = {}
        for plan in plans:
            if isinstance(plan, Skipped):
                answers[plan.reservation_id] = Reacted(f"booked: {plan.reason}")
                continue
            key = booking_offer_key(plan.reservation_id)
            try:
                outcome = await self.guard.submit(
                    self.principal, ATTACH_BOOKING_OFFER, offer_args(plan), idempotency_key=key
                )
            except (PolicyError, LoyaltyError, ActionError, ValueError) as exc:
                answers[plan.reservation_id] = RetryLater(f"booking offer failed: {exc}")
                continue
            data = outcome.to_dict()
            what = f"booking offer: {plan.quote.reasoning}"
            if data["status"] == "posted":
                answers[plan.reservation_id] = Reacted(f"{what} (attached)")
            elif data["status"] == "pending_approval":
                answers[plan.reservation_id] = Reacted(
                    f"{what} (awaiting approval {data['approval_id']})"
                )
            else:
                answers[plan.reservation_id] = Reacted(
                    f"{what} ({data['status']}: {data.get('reason')})"
                )
        return answers

    async def customers_added(self, customers: Sequence[Customer]) -> dict[str, ReactionResult]:
        if self.enrol_program is None:
            why = f"auto-enrolment is off (set {AUTO_ENROL_ENV} to a program code)"
            return {customer.id: Reacted(why) for customer in customers}
        code = self.enrol_program
        program_id = await self.loader.program_id(code)
        base_tier = await self._base_tier_id(code, program_id)
        members = await self.loader.members([c.id for c in customers], with_stays=False)
        answers: dict[str, ReactionResult] = {}
        for customer in customers:
            member = members.get(customer.id)
            if member is not None and member.membership(code) is not None:
                answers[customer.id] = Reacted(f"already a member of {code}")
                continue
            membership = {
                "account_id": customer.id,
                "loyalty_program_id": program_id,
                "membership_number": membership_number(code, customer),
                **({} if base_tier is None else {"loyalty_tier_id": base_tier}),
            }
            answers[customer.id] = await self._propose_enrolment(customer.id, membership, code)
        return answers

    async def _base_tier_id(self, code: str, program_id: str) -> str | None:
        """The Mews id of the program's lowest-ranked tier (the program file's `rank`), or None
        when the program has no tiers or Mews does not know that tier's code."""
        tiers = self.loader.programs.program(code).tiers_by_rank()
        if not tiers:
            return None
        async for tier in self.loader.mews.loyalty_tiers.get_all(loyalty_program_ids=[program_id]):
            if tier.code == tiers[0].code:
                return tier.id
        return None

    async def customers_merged(self, customers: Sequence[Customer]) -> dict[str, ReactionResult]:
        """Profiles merged in Mews: their loyalty data follows the survivor
        (`tools.automation.merges`)."""
        return await follow_merges(self.guard, self.loader.mews, self.principal, customers)

    async def _propose_enrolment(
        self, customer_id: str, membership: dict[str, str], code: str
    ) -> ReactionResult:
        args = {"memberships": [membership]}
        try:
            outcome = await self.guard.submit(
                self.principal, ENROL_ACTION, args, idempotency_key=f"auto-enrol:{customer_id}"
            )
        except (PolicyError, LoyaltyError, MewsError, ActionError, ValueError) as exc:
            return RetryLater(f"enrolment in {code} failed: {exc}")
        data = outcome.to_dict()
        if data["status"] == "posted":
            return Reacted(f"enrolled in {code}")
        if data["status"] == "pending_approval":
            return Reacted(f"enrolment in {code} proposed: approval {data['approval_id']}")
        return Reacted(f"enrolment in {code} denied by {data['rule']}: {data['reason']}")


def membership_number(program_code: str, customer: Customer) -> str:
    """A new member's number: the program code and the guest's Mews customer number (unique in
    the chain, so two enrolments never share a number; the same guest always gets the same
    one), or the start of the customer id when Mews gave no number."""
    own = (customer.number or "").strip() or customer.id.replace("-", "")[:10].upper()
    return f"{program_code}-{own}"


def _held_by_breaker(result: StayResult) -> bool:
    return isinstance(result.outcome, Denied) and result.outcome.rule == "circuit_breaker"


def _stay_answer(result: StayResult, bonus: str | None = None) -> ReactionResult:
    if result.status == "failed":
        return RetryLater(result.detail)
    if result.status == "denied" and _held_by_breaker(result):
        # A tripped breaker holds automated work back: retried later without spending an
        # attempt, at once after a reset; never dead-lettered for a stop not about this stay.
        return HoldBack(f"held back by the circuit breaker: {result.detail}")
    if result.status == "denied":
        # The guest earned these points: not "done". Dead-lettered for staff, not retried (a
        # repeated denial would only feed the circuit breaker); `loyalty webhooks retry` after
        # the cause is gone (the day's cap, a tripped breaker) posts it, once.
        return GiveUp(f"denied: {result.detail}")
    labels = {"posted": "posted", "pending_approval": "awaiting approval", "skipped": "skipped"}
    bonus_note = "" if bonus is None else f"; {bonus}"
    return Reacted(f"{labels[result.status]}: {result.detail}{bonus_note}")
