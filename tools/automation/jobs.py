"""Scheduled loyalty jobs: `loyalty jobs run JOB` (expiry, tier-review, win-back, retention,
birthday, welcome, expiry-reminder).

    ctx = JobContext.for_runtime(rt)
    report = await run_job("expiry", ctx)

- `expiry`: ledger maintenance. Every membership with lots past their expiry gets its expiry
  entries (`tools.loyalty.ledger.expire_due`), one transaction per membership under its ledger
  lock, each audited in the hash chain as `expire_points` by `automation` (`decision =
  executed`). Expiry is the program's rule, not a discretionary write, so no cap or approval
  applies; the `read_only` mode stops it like any write. The new balances go to Mews through
  the outbox.
- `tier-review`: `evaluate_tiers` over the program's members (the member read model, `members`;
  Mews through `loader` without one); each proposed change is submitted as
  `update_loyalty_memberships` (the new `LoyaltyTierId`) through the guard as `automation`:
  the policy decides (in `recommend` mode every change waits for a manager; a downgrade always
  does with the default policy).
- `win-back`: the lapsing segment (`find_segment(Lapsing())`); for each member, one
  `draft_offer` through the guard with a real incentive to come back (a reward at its
  catalogue price is what any member can already have): a member whose available points buy a
  reward their tier may redeem at a discount gets the dearest such reward at the lowest price
  the program's redemption band allows (`redemption_floor` × its catalogue price, rounded up:
  540 instead of 600 points at the shipped 0.9); a member who cannot afford one gets the
  program file's `win_back.bonus_points` (500; or the job's `win_back_bonus_points`) bonus
  points on their next stay instead (the rationale names the reward they bring within reach).
  No member is offered a price they cannot pay. Offers are valid `win_back.offer_days` (30).
  The draft's channel is the first the member consented to (e-mail, else a letter); a member
  with neither is skipped. Drafts only; nothing is sent to anyone.
- `retention`: drafts hold guests' names, so offer drafts and campaign copy older than the
  program file's `draft_retention_days` are purged and the names campaigns keep for their
  measurement become pseudonyms (`tools.actions.privacy.purge_drafts`), in one transaction,
  audited as `purge_drafts` by `automation`. It runs in every mode: keeping personal data no
  longer than needed is an obligation, not a discretionary write.
- `birthday`: the program file's birthday bonus for members whose birthday it is in their
  hotel's time zone, once a year each, through the guard (`tools.automation.member_jobs`).
- `welcome`: the welcome bonus for memberships Mews created in the last
  `welcome_catch_up_days` that never had it (an enrolment interrupted before its bonus).
- `expiry-reminder`: a drafted message (consent permitting; nothing sent) to members with
  points expiring within the program file's `expiry_reminder_days`, once per expiry batch.

Reruns are safe: expiry posts only what is due; a tier change and a win-back draft use an
idempotency key per member (and target tier) and calendar month, so a daily schedule asks a
manager about one change at most once a month, and a rerun replays the first outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Literal, get_args

from policies import Controls, Principal
from storage.canonical import JSONObject
from storage.progress import counted, step
from tools.actions.offers import discount_floor
from tools.actions.privacy import purge_drafts
from tools.automation.audit import executed
from tools.automation.errors import AutomationConfigError
from tools.automation.job_model import JobContext, JobItem, JobReport, submit_request
from tools.automation.member_jobs import birthday_job, expiry_reminder_job, welcome_job
from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import money, plural, points
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.facts import MemberFacts
from tools.loyalty.ledger import expire_due, ledger_lock_key
from tools.loyalty.ledger_reads import memberships_with_expired_lots
from tools.loyalty.member_store import segment_with_members
from tools.loyalty.segments import Lapsing
from tools.loyalty.tiers import TierChange, evaluate_tiers

__all__ = ["JOBS", "JobContext", "JobItem", "JobName", "JobReport", "run_job"]

JobName = Literal[
    "expiry", "tier-review", "win-back", "retention", "birthday", "welcome", "expiry-reminder"
]
JOBS: Final[tuple[JobName, ...]] = get_args(JobName)
"""Every job, in the order a scheduled run takes them."""
_SWEEP: Final = 500


async def run_job(name: str, ctx: JobContext) -> JobReport:
    """Run one job now; `AutomationConfigError` for an unknown job or program."""
    if name not in JOBS:
        raise AutomationConfigError(f"unknown job {name!r}; choose one of {', '.join(JOBS)}")
    if ctx.program_code is not None and ctx.program_code not in ctx.programs.programs:
        known = ", ".join(sorted(ctx.programs.programs))
        raise AutomationConfigError(f"program {ctx.program_code!r} is not configured ({known})")
    report = JobReport(name, ctx.clock.now())
    if name == "expiry":
        await _expiry(ctx, report)
    elif name == "retention":
        _retention(ctx, report)
    else:  # a job run for each program in turn
        job = {
            "tier-review": _tier_review,
            "win-back": _win_back,
            "birthday": birthday_job,
            "welcome": welcome_job,
            "expiry-reminder": expiry_reminder_job,
        }[name]
        for program in _programs(ctx):
            await job(ctx, program, report)
    if ctx.after_write is not None and any(i.status in ("posted", "expired") for i in report.items):
        await ctx.after_write()
    if not report.summary:
        counts = {s: report.count(s) for s in sorted({i.status for i in report.items})}
        report.summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing to do"
    return report


def _programs(ctx: JobContext) -> list[ProgramConfig]:
    if ctx.program_code is not None:
        return [ctx.programs.program(ctx.program_code)]
    return list(ctx.programs.programs.values())


# ---------------------------------------------------------------------- expiry
async def _expiry(ctx: JobContext, report: JobReport) -> None:
    principal = ctx.guard.principal(ctx.principal)
    if Controls(ctx.guard).mode().mode == "read_only":
        report.summary = "the operating mode is read_only: no points were expired"
        return
    now = ctx.clock.now()
    seen: set[str] = set()
    while True:
        with ctx.store.read() as conn:
            due = list(memberships_with_expired_lots(conn, now=now, limit=_SWEEP))
        todo = [m for m in due if m not in seen]
        if not todo:
            return
        for membership_id in todo:  # the total is not known: due ones are read a sweep at a time
            step(len(seen), None, "memberships with points expired")
            seen.add(membership_id)
            report.items.append(_expire_one(ctx, principal, membership_id, now))


def _expire_one(
    ctx: JobContext, principal: Principal, membership_id: str, now: datetime
) -> JobItem:
    try:
        with ctx.guard.transaction(now, ledger_lock_key(membership_id)) as tx:
            entries = expire_due(
                tx.conn, membership_id=membership_id, now=now, actor=principal.name
            )
            points = -sum(entry.points for entry in entries)
            result: JSONObject = {
                "entries": [entry.id for entry in entries],
                "points": points,
                "balance_after": entries[-1].balance_after if entries else None,
            }
            if entries:
                tx.audit(
                    executed(
                        principal,
                        now,
                        "expire_points",
                        {"membership_id": membership_id},
                        reason="program rule: points past their expiry date",
                        result=result,
                    )
                )
    except LoyaltyError as exc:
        return JobItem(membership_id, "failed", str(exc))
    if not entries:
        return JobItem(membership_id, "skipped", "nothing due any more")
    return JobItem(membership_id, "expired", f"{points} points expired ({len(entries)} lots)")


# ---------------------------------------------------------------------- retention
def _retention(ctx: JobContext, report: JobReport) -> None:
    principal = ctx.guard.principal(ctx.principal)
    now = ctx.clock.now()
    days = ctx.programs.draft_retention_days
    cutoff = now - timedelta(days=days)
    with ctx.guard.transaction(now) as tx:
        counts = purge_drafts(tx.conn, written_before=cutoff)
        if any(counts.values()):
            tx.audit(
                executed(
                    principal,
                    now,
                    "purge_drafts",
                    {"written_before": cutoff.isoformat(), "retention_days": days},
                    reason="program file: draft_retention_days",
                    result=dict(counts),
                )
            )
    for kind, count in counts.items():
        if count:
            report.items.append(
                JobItem(kind, "purged", f"{count} {kind.replace('_', ' ')} past {days} days")
            )
    if not any(counts.values()):
        report.summary = f"no drafts older than {days} days"


# ---------------------------------------------------------------------- tier review
async def _tier_review(ctx: JobContext, program: ProgramConfig, report: JobReport) -> None:
    principal = ctx.guard.principal(ctx.principal)
    now = ctx.clock.now()
    step(0, None, f"reading the members of {program.name}")
    members = await (ctx.members or ctx.loader).all_members(program.code)
    zone = await ctx.loader.qualification_zone(program)
    step(0, None, f"evaluating the tiers of {plural(len(members), 'member')}")
    evaluation = evaluate_tiers(program, members, as_of=now, zone=zone)
    if not evaluation.changes:
        report.items.append(JobItem(program.code, "skipped", evaluation.reasoning))
        return
    program_id = await ctx.loader.program_id(program.code)
    tier_ids = {
        tier.code: tier.id
        async for tier in ctx.mews.loyalty_tiers.get_all(loyalty_program_ids=[program_id])
    }
    month = now.strftime("%Y-%m")
    for change in counted(evaluation.changes, f"{program.name} tier changes proposed"):
        report.items.append(await _propose_tier(ctx, program, principal, change, tier_ids, month))


async def _propose_tier(
    ctx: JobContext,
    program: ProgramConfig,
    principal: Principal,
    change: TierChange,
    tier_ids: dict[str, str],
    month: str,
) -> JobItem:
    tier_id = tier_ids.get(change.to_tier)
    names = f"{program.tier_name(change.from_tier)} → {program.tier_name(change.to_tier)}"
    what = f"{change.direction} {names}: {change.reasoning}"
    if tier_id is None:
        missing = f"tier {program.tier_name(change.to_tier)} is not in Mews"
        return JobItem(change.membership_id, "skipped", missing)
    args: JSONObject = {
        "updates": [{"loyalty_membership_id": change.membership_id, "loyalty_tier_id": tier_id}]
    }
    key = f"tier-review:{change.membership_id}:{change.to_tier}:{month}"
    return await submit_request(
        ctx.guard, principal, "update_loyalty_memberships", args, key, change.membership_id, what
    )


# ---------------------------------------------------------------------- win-back
_WIN_BACK_CHANNELS = ("email", "letter")  # in order of preference, each only with consent


async def _win_back(ctx: JobContext, program: ProgramConfig, report: JobReport) -> None:
    principal = ctx.guard.principal(ctx.principal)
    now = ctx.clock.now()
    source = ctx.members or ctx.loader
    step(0, None, f"finding the lapsing members of {program.name}")
    segment, members = await segment_with_members(source, program, Lapsing(), as_of=now)
    if not segment.members:
        report.items.append(JobItem(program.code, "skipped", segment.reasoning))
        return
    today = now.date()
    for lapsing in counted(segment.members, f"{program.name} win-back offers drafted"):
        member = members[lapsing.customer_id]
        channel = next((c for c in _WIN_BACK_CHANNELS if member.consent.allows(c)), None)
        if channel is None:
            why = member.consent.reason(_WIN_BACK_CHANNELS[0])
            report.items.append(JobItem(lapsing.customer_id, "skipped", f"no offer drafted: {why}"))
            continue
        bonus = ctx.win_back_bonus_points or program.win_back.bonus_points
        offer, incentive = _win_back_offer(program, member, bonus)
        why = f"{lapsing.reason}; {incentive}"
        args: JSONObject = {
            "customer_id": lapsing.customer_id,
            "membership_id": lapsing.membership_id,
            **offer,
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=program.win_back.offer_days)).isoformat(),
            "channel": channel,
            "rationale": f"Win-back: {why}"[:1000],
        }
        key = f"win-back:{program.code}:{lapsing.customer_id}:{today:%Y-%m}"
        what = f"offer draft for {lapsing.display_name} ({lapsing.reason})"
        report.items.append(
            await submit_request(
                ctx.guard, principal, "draft_offer", args, key, lapsing.customer_id, what
            )
        )


def _win_back_offer(
    program: ProgramConfig, member: MemberFacts, bonus: int
) -> tuple[JSONObject, str]:
    """The offer and its reason: the dearest reward the member can afford at its discounted
    price (their tier eligible, the price inside the band and below the catalogue's), else
    bonus points, which need no points to take up."""
    membership = member.active_membership(program.code)
    held = membership.balance.available if membership and membership.balance else 0
    tier = membership.tier_code if membership else None
    affordable = [
        (reward, price)
        for reward in program.rewards.values()
        if not reward.eligible_tiers or tier in reward.eligible_tiers
        for price in [discount_floor(program, reward)]
        if price < reward.base_points and price <= held
    ]
    if not affordable:
        return {"bonus_points": bonus}, _within_reach(program, member, bonus)
    reward, price = max(affordable, key=lambda offer: (offer[0].base_points, offer[0].id))
    saved = reward.base_points - price
    worth = (saved * program.point_value).quantize(Decimal("0.01"))
    return {"reward_id": reward.id, "price_points": price}, (
        f"{reward.name} for {points(price)} points instead of its catalogue "
        f"{points(reward.base_points)} ({points(saved)} points, {money(worth, program.currency)}, "
        f"off); the {plural(held, 'point')} held pay for it"
    )


def _within_reach(program: ProgramConfig, member: MemberFacts, bonus: int) -> str:
    """What the bonus adds up to: the dearest reward the member's points plus the bonus buy."""
    membership = member.active_membership(program.code)
    held = membership.balance.available if membership and membership.balance else 0
    total = held + bonus
    worth = (bonus * program.point_value).quantize(Decimal("0.01"))
    reachable = [r for r in program.rewards.values() if r.base_points <= total]
    if not reachable:
        return f"a bonus of {points(bonus)} points ({money(worth, program.currency)}) to come back"
    best = max(reachable, key=lambda r: (r.base_points, r.id))
    return (
        f"a bonus of {points(bonus)} points ({money(worth, program.currency)}); with the "
        f"{plural(held, 'point')} held that buys {best.name} ({points(best.base_points)} points)"
    )
