"""Bonuses the program gives by rule, one guarded write each: `award_welcome_bonus` (on
enrolment) and `award_birthday_bonus` (the birthday job).

    guard = Guard(store, policy, [*build_actions(deps), *ledger_sync_actions(programs)])
    deps.on_enrolled.append(welcome_bonuses(guard))      # the runtime does this
    notes = await submit_bonus(guard, principal, BIRTHDAY_BONUS, plan)

The amounts are the program file's (`[programs.CODE.bonuses]`, 0: off). Each is submitted as
`automation` through the guard, so the policy decides (caps, thresholds, mode: in `recommend`
mode it waits for a manager) and audits it, under a key that makes it once per member
(`welcome-bonus:{program}:{customer}`) or once per member and year
(`birthday-bonus:{program}:{customer}:{year}`); the ledger posts its entry under the same key.
The points are a positive adjustment: promotional points, spendable at once, that earn no tier
credit (as a goodwill gesture; stays earn status). Like the stay writes they need only the
program file, so every guard registers them (`tools.actions.ledger_sync`).

Every way a membership is created runs through `add_loyalty_memberships` (the MCP tool, the web
app's enrol form, an approved request, auto-enrolment by the webhook worker), whose executor
hands the memberships Mews created to `WriteDeps.on_enrolled`: the welcome bonus follows the
enrolment wherever it came from. A bonus that fails is reported, never undoes the enrolment.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict, Unpack

from pydantic import Field
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Guard, Principal, Transactional
from policies.errors import PolicyError
from storage.canonical import JSONObject
from tools.actions.accounts import entry_result, open_account
from tools.actions.errors import ActionError
from tools.actions.write import AUTOMATION
from tools.loyalty.config import ProgramConfig, ProgramFile
from tools.loyalty.display import points as points_text
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.ledger import ledger_lock_key, post_entry
from tools.loyalty.ledger_model import Source
from tools.loyalty.stays import MembershipArgs
from tools.mews import MewsError
from tools.mews.models import LoyaltyMembership

__all__ = [
    "AUTOMATION",
    "BIRTHDAY_BONUS",
    "PROGRAM_BONUSES",
    "WELCOME_BONUS",
    "BonusPlan",
    "ProgramBonus",
    "ProgramBonusArgs",
    "submit_bonus",
    "welcome_bonuses",
    "welcome_plan",
]

_log = logging.getLogger(__name__)


class ProgramBonusArgs(MembershipArgs):
    """What a program bonus posts: points to one membership, for a reason staff can read."""

    points: int = Field(gt=0)
    mews_points: int | None = None
    """The membership's Mews `Points` when planned: its opening balance if it has no account."""
    reason: str = Field(min_length=1, max_length=2000)


class BonusMember(TypedDict):
    """The membership a bonus is planned for, as its arguments name it."""

    membership_id: str
    customer_id: str
    chain_id: str
    program_id: str
    mews_points: int | None


@dataclass(frozen=True, slots=True)
class BonusPlan:
    """One bonus to submit: its arguments and the idempotency key that keeps it to one."""

    args: ProgramBonusArgs
    key: str


@dataclass(frozen=True)
class ProgramBonus:
    """One rule bonus: its action name, what it is called, and how its key is made."""

    name: str
    label: str
    """In words for staff: "welcome bonus"."""
    amount: Callable[[ProgramConfig], int]
    """The program file's points for it (0: off)."""

    def plan(
        self, program: ProgramConfig, *, occasion: str, why: str, **membership: Unpack[BonusMember]
    ) -> BonusPlan | None:
        """The bonus for one member on one occasion (the year, for a birthday; "" once ever),
        or None when the program gives none."""
        points = self.amount(program)
        if points <= 0:
            return None
        args = ProgramBonusArgs(
            **membership,
            program_code=program.code,
            points=points,
            reason=f"{self.label}: {points_text(points)} points, {why}"[:2000],
        )
        tail = f":{occasion}" if occasion else ""
        key = f"{self.name.removeprefix('award_').replace('_', '-')}:{program.code}"
        return BonusPlan(args, f"{key}:{membership['customer_id']}{tail}")

    def spec(self, programs: Callable[[], ProgramFile]) -> ActionSpec:
        """The guard's action: describe for the policy, post in its transaction."""

        async def describe(args: JSONObject) -> Facts:
            a: ProgramBonusArgs = ProgramBonusArgs.parse(args)
            return Facts(
                points=a.points,
                membership_id=a.membership_id,
                program_id=a.program_id,
                customer_id=a.customer_id,
                lock_keys=(ledger_lock_key(a.membership_id),),
                note=f"{a.program_code} {self.label} of {a.points} points",
            )

        def run(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
            a: ProgramBonusArgs = ProgramBonusArgs.parse(args)
            program = programs().program(a.program_code)
            open_account(conn, a, program, ctx)
            entry = post_entry(
                conn,
                membership_id=a.membership_id,
                kind="adjustment",
                points=a.points,
                reason=a.reason,
                actor=ctx.actor,
                source=Source("system", self.name),
                idempotency_key=ctx.idempotency_key,
                program=program,
                now=ctx.now,
            )
            return entry_result(entry)

        return ActionSpec(self.name, "points", Transactional(run), describe)


WELCOME_BONUS: Final = ProgramBonus(
    "award_welcome_bonus", "welcome bonus", lambda program: program.bonuses.welcome_points
)
BIRTHDAY_BONUS: Final = ProgramBonus(
    "award_birthday_bonus", "birthday bonus", lambda program: program.bonuses.birthday_points
)
PROGRAM_BONUSES: Final = (WELCOME_BONUS, BIRTHDAY_BONUS)


def welcome_plan(program: ProgramConfig, membership: LoyaltyMembership) -> BonusPlan | None:
    """The welcome bonus a membership Mews created earns in `program` (None: it gives none),
    keyed once per member and program whichever path enrols them (enrolment or catch-up)."""
    return WELCOME_BONUS.plan(
        program,
        membership_id=membership.id,
        customer_id=membership.account_id,
        chain_id=membership.chain_id,
        program_id=membership.loyalty_program_id,
        mews_points=membership.points,
        occasion="",
        why=f"for joining {program.name}",
    )


async def submit_bonus(
    guard: Guard, principal: Principal, bonus: ProgramBonus, plan: BonusPlan
) -> tuple[str, str]:
    """Submit one bonus through the guard: (status, what happened in words). A refusal or a
    failure is an answer, never raised: the bonus is extra to what caused it.

    A key used before answers with its first outcome (a replay, audited) even when the
    arguments differ now (a member enrolled again has a new membership; an account opened since
    has no Mews opening balance to carry): the occasion is what makes a bonus once."""
    try:
        outcome = await guard.replay(principal, bonus.name, plan.key) or await guard.submit(
            principal, bonus.name, plan.args.model_dump(), idempotency_key=plan.key
        )
    except (PolicyError, LoyaltyError, MewsError, ActionError, ValueError) as exc:
        return "failed", f"{bonus.label} failed: {exc}"
    data: dict[str, Any] = outcome.to_dict()
    status = str(data["status"])
    what = f"{bonus.label} of {points_text(plan.args.points)} points"
    if status == "posted":
        again = " (posted before)" if data.get("replayed") else ""
        return status, f"{what} posted to {plan.args.membership_id}{again}"
    if status == "pending_approval":
        return status, f"{what} awaiting approval {data['approval_id']}"
    return status, f"{what} {status} ({data.get('rule')}: {data.get('reason')})"


def welcome_bonuses(
    guard: Guard,
    programs: ProgramFile,
    program_codes: Callable[[], Awaitable[dict[str, str]]],
    *,
    principal: str = AUTOMATION,
) -> Callable[[Sequence[LoyaltyMembership]], Awaitable[list[str]]]:
    """What `add_loyalty_memberships` calls with the memberships Mews created: a welcome bonus
    for each in a configured program that gives one, through the guard as `principal`."""

    async def enrolled(memberships: Sequence[LoyaltyMembership]) -> list[str]:
        notes: list[str] = []
        try:
            codes = await program_codes()
        except MewsError as exc:
            _log.warning("welcome bonuses not submitted: %s", exc)
            return [f"welcome bonus not submitted: {exc}"]
        who = guard.principal(principal)
        for membership in memberships:
            code = codes.get(membership.loyalty_program_id)
            if code not in programs.programs:
                continue
            plan = welcome_plan(programs.program(code), membership)
            if plan is not None:
                _status, note = await submit_bonus(guard, who, WELCOME_BONUS, plan)
                notes.append(note)
        return notes

    return enrolled
