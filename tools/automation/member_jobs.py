"""Scheduled jobs about members' own dates: `birthday` (a bonus on the day), `welcome` (the
welcome bonus an interrupted enrolment missed) and `expiry-reminder` (a drafted message before
points expire).

- `birthday`: for each program whose file gives `bonuses.birthday_points`, the members with an
  active membership whose Mews `BirthDate` is today, where "today" is the date in the time zone
  of the member's hotel (the hotel of their latest stay, else the connection's own hotel): a
  member in Honolulu is not congratulated a day early because the job runs at 03:00 UTC. A
  29 February birthday is kept on 28 February in other years. Each gets `award_birthday_bonus`
  through the guard as `automation` under `birthday-bonus:{program}:{customer}:{year}`: once a
  year, whatever reruns, audited and capped like any issuance. Birth dates are read from Mews
  (`customers/getAll`, 1,000 ids a request) and never stored.
- `welcome`: the welcome bonus follows an enrolment (`WriteDeps.on_enrolled`), after Mews
  created the membership; a process stopped between the two would lose it. For each program
  whose file gives `bonuses.welcome_points`, the memberships Mews created in the last
  `welcome_catch_up_days` (`loyaltyMemberships/getAll` by `CreatedUtc` and program, not
  canceled or declined) whose welcome key (`welcome-bonus:{program}:{customer}`) was never
  used get `award_welcome_bonus` through the guard as `automation`, as on enrolment. The keys
  are looked up without a replay, so a daily run over members who have theirs writes nothing;
  the bonus stays once per member and program whichever path gives it. A membership created
  in Mews by someone else (Mews Operations, another integration) gets it too: it is an
  enrolment in the program all the same.
- `expiry-reminder`: for each program whose points expire, the memberships with points in lots
  expiring within the program file's `expiry_reminder_days`. Each gets one drafted message
  (`draft_expiry_reminder` through the guard as `automation`; nothing is sent) on the first
  channel the member consented to, e-mail else a letter, as win-back offers; a member with
  neither is skipped with the reason. Once per membership and expiry batch: the key names the
  first expiry date, so a rerun replays and points whose expiry moved (activity, with
  `expiry_extends_on_activity`) get a new reminder only when they come due again. The message
  says how many points expire and when (the hotel's date), what they are worth, what the
  member's points buy, and how to keep them; it names no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Final

from policies.idempotency import keys_used
from storage.canonical import JSONObject
from tools.actions.messages import MESSAGE_CHANNELS
from tools.actions.program_bonuses import (
    BIRTHDAY_BONUS,
    WELCOME_BONUS,
    BonusPlan,
    submit_bonus,
    welcome_plan,
)
from tools.automation.job_model import JobContext, JobItem, JobReport, submit_request
from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import money, points
from tools.loyalty.facts import MemberFacts
from tools.loyalty.ledger_reads import Expiring, points_expiring
from tools.mews.models import TimeInterval

__all__ = ["birthday_job", "expiry_reminder_job", "is_birthday", "welcome_job"]

_IDS_PER_REQUEST: Final = 1000


def is_birthday(born: date, today: date) -> bool:
    """Whether `today` is the birthday of someone born on `born` (29 February: the 28th in a
    year without one)."""
    if (born.month, born.day) == (today.month, today.day):
        return True
    leap_day = (born.month, born.day) == (2, 29)
    return leap_day and (today.month, today.day) == (2, 28) and not _is_leap(today.year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


async def birthday_job(ctx: JobContext, program: ProgramConfig, report: JobReport) -> None:
    if program.bonuses.birthday_points <= 0:
        why = f"{program.code} gives no birthday bonus (bonuses.birthday_points = 0)"
        report.items.append(JobItem(program.code, "skipped", why))
        return
    members = [
        m for m in await (ctx.members or ctx.loader).all_members(program.code)
        if m.active_membership(program.code) is not None
    ]  # fmt: skip
    births = await _birth_dates(ctx, [m.customer_id for m in members])
    now = ctx.clock.now()
    principal = ctx.guard.principal(ctx.principal)
    chain_id = await ctx.loader.chain_id()
    celebrated = 0
    for member in members:
        born = births.get(member.customer_id)
        if born is None:
            continue
        today = now.astimezone(await _zone(ctx, member)).date()
        if not is_birthday(born, today):
            continue
        celebrated += 1
        membership = member.active_membership(program.code)
        assert membership is not None  # filtered above
        plan = BIRTHDAY_BONUS.plan(
            program,
            membership_id=membership.membership_id,
            customer_id=member.customer_id,
            chain_id=chain_id,
            program_id=membership.program_id,
            mews_points=None if membership.ledger_opened else membership.mews_points,
            occasion=str(today.year),
            why=f"happy birthday ({today:%d %B %Y}, the member's hotel date)",
        )
        assert plan is not None  # birthday_points > 0
        status, detail = await submit_bonus(ctx.guard, principal, BIRTHDAY_BONUS, plan)
        report.items.append(JobItem(member.customer_id, status, detail))
    if not celebrated:
        report.items.append(
            JobItem(program.code, "skipped", f"no {program.code} member has a birthday today")
        )


async def _birth_dates(ctx: JobContext, customer_ids: Sequence[str]) -> dict[str, date]:
    found: dict[str, date] = {}
    for start in range(0, len(customer_ids), _IDS_PER_REQUEST):
        chunk = list(customer_ids[start : start + _IDS_PER_REQUEST])
        async for customer in ctx.mews.customers.get_all(customer_ids=chunk):
            if customer.birth_date is not None:
                found[customer.id] = customer.birth_date
    return found


async def _zone(ctx: JobContext, member: MemberFacts) -> tzinfo:
    """The time zone of the member's hotel: of their latest stay, else the connection's."""
    latest = max(member.stays, key=lambda s: s.arrival, default=None)
    hotel = None if latest is None else latest.enterprise_id or None
    return await ctx.loader.time_zone(hotel)


# ---------------------------------------------------------------------- welcome catch-up
_NOT_ENROLLED: Final = frozenset({"Canceled", "Declined"})


async def welcome_job(ctx: JobContext, program: ProgramConfig, report: JobReport) -> None:
    if program.bonuses.welcome_points <= 0:
        why = f"{program.code} gives no welcome bonus (bonuses.welcome_points = 0)"
        report.items.append(JobItem(program.code, "skipped", why))
        return
    now = ctx.clock.now()
    days = program.bonuses.welcome_catch_up_days
    program_id = await ctx.loader.program_id(program.code)
    # The end is exclusive in Mews: a minute on, for a membership created this very moment and
    # a Mews clock a little ahead of ours.
    since = TimeInterval(start_utc=now - timedelta(days=days), end_utc=now + timedelta(minutes=1))
    query = ctx.mews.loyalty_memberships.get_all(
        loyalty_program_ids=[program_id], created_utc=since
    )
    plans: list[tuple[str, BonusPlan]] = []
    async for membership in query:
        if str(membership.state) in _NOT_ENROLLED:
            continue
        plan = welcome_plan(program, membership)
        assert plan is not None  # welcome_points > 0
        plans.append((membership.id, plan))
    with ctx.store.read() as conn:
        used = keys_used(conn, [plan.key for _m, plan in plans])
    missing = [(m, plan) for m, plan in plans if plan.key not in used]
    if not missing:
        why = (
            f"every {program.code} membership created in the last {days} days has had its "
            "welcome bonus"
        )
        report.items.append(JobItem(program.code, "skipped", why))
        return
    principal = ctx.guard.principal(ctx.principal)
    for membership_id, plan in missing:
        status, detail = await submit_bonus(ctx.guard, principal, WELCOME_BONUS, plan)
        report.items.append(JobItem(membership_id, status, f"{detail}, missed at enrolment"))


# ---------------------------------------------------------------------- expiry reminders
_REMINDER_CHANNELS: Final = MESSAGE_CHANNELS


async def expiry_reminder_job(ctx: JobContext, program: ProgramConfig, report: JobReport) -> None:
    if program.expiry_months is None:
        why = f'{program.code} points never expire (expiry_months = "never")'
        report.items.append(JobItem(program.code, "skipped", why))
        return
    now = ctx.clock.now()
    days = program.expiry_reminder_days
    with ctx.store.read() as conn:
        due = points_expiring(
            conn, program_code=program.code, after=now, until=now + timedelta(days=days)
        )
    if not due:
        why = f"no {program.code} points expire within {days} days"
        report.items.append(JobItem(program.code, "skipped", why))
        return
    source = ctx.members or ctx.loader
    members = await source.members(
        sorted({d.customer_id for d in due}), with_stays=False, with_spend=False
    )
    zone = await ctx.loader.time_zone(None)
    principal = ctx.guard.principal(ctx.principal)
    for expiring in due:
        member = members.get(expiring.customer_id)
        if member is None:
            why = "no reminder drafted: the customer is not in Mews any more"
            report.items.append(JobItem(expiring.membership_id, "skipped", why))
            continue
        channel = member.consent.first_allowed(_REMINDER_CHANNELS)
        if channel is None:
            why = f"no reminder drafted: {member.consent.reason(_REMINDER_CHANNELS[0])}"
            report.items.append(JobItem(expiring.membership_id, "skipped", why))
            continue
        on = expiring.first_expiry.astimezone(zone).date()
        args: JSONObject = {
            "customer_id": expiring.customer_id,
            "membership_id": expiring.membership_id,
            "program_code": program.code,
            "points": expiring.points,
            "expires_on": on.isoformat(),
            "channel": channel,
            **reminder_text(program, member, expiring, on),
        }
        key = f"expiry-reminder:{expiring.membership_id}:{on.isoformat()}"
        what = f"expiry reminder for {points(expiring.points)} points expiring {on} ({channel})"
        subject = expiring.membership_id
        action = "draft_expiry_reminder"
        report.items.append(
            await submit_request(ctx.guard, principal, action, args, key, subject, what)
        )


def reminder_text(
    program: ProgramConfig, member: MemberFacts, expiring: Expiring, on: date
) -> dict[str, str]:
    """Subject and body of one reminder: what expires, what it is worth, what the points buy,
    how to keep them. No name: "Dear Platinum Club member"."""
    membership = member.active_membership(program.code)
    held = membership.balance.available if membership and membership.balance else 0
    worth = (expiring.points * program.point_value).quantize(Decimal("0.01"))
    when = f"{on:%d %B %Y}".lstrip("0")
    reachable = [r for r in program.rewards.values() if r.base_points <= max(held, expiring.points)]
    best = max(reachable, key=lambda r: (r.base_points, r.id), default=None)
    spend = (
        f" Your points buy {best.name} ({points(best.base_points)} points), for example."
        if best is not None
        else ""
    )
    if program.expiry_extends_on_activity:
        keep = (
            f"A stay or a reward before then keeps all your points for another "
            f"{program.expiry_months} months."
        )
    else:
        keep = "Spend them on a reward or a stay with us before then."
    body = (
        f"Dear {program.name} member,\n\n{points(expiring.points)} of your points (worth "
        f"{money(worth, program.currency)}) expire on {when}.{spend} {keep}\n\n"
        f"The {program.name} team"
    )
    subject = f"{points(expiring.points)} {program.name} points expire on {when}"
    return {"subject": subject[:200], "body": body[:4000]}
