"""Approval requests told as a person would: one sentence, the member, the kind, the age.

    views = await describe_approvals(runtime, ApprovalDesk(guard).approvals(("pending",)))
    views[0].sentence
    # 'Award 3,000 points to Emma Novak (Silver, PC-1000001) for the spa closure'
    views[0].line(now)
    # '... — requested by carol, 12 min ago'

The web inbox, `loyalty approvals list` and the chat's `/pending` all print these, so a
manager reads the same words everywhere. Members are read in one batched Mews read per request
list (`MewsFactsLoader.members`); a member Mews no longer knows reads as "an unknown member".
Names and codes come from the program file: program and tier names, reward names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from policies.approvals import Approval
from tools.loyalty.display import day, when

if TYPE_CHECKING:
    from tools.loyalty import MemberFacts, ProgramFile
    from tools.runtime import LoyaltyRuntime

__all__ = [
    "KIND_LABELS",
    "ApprovalView",
    "MemberLabel",
    "age_text",
    "describe_approvals",
    "describe_request",
    "kind_of",
]

_log = logging.getLogger(__name__)
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

KIND_LABELS: dict[str, str] = {
    "award_points": "Point awards",
    "adjust_points": "Point adjustments",
    "redeem_reward": "Reward redemptions",
    "reverse_points_entry": "Reversals",
    "award_stay_bonus": "Stay bonuses",
    "award_booking_bonus": "Booking offer bonuses",
    "attach_booking_offer": "Booking offers",
    "award_welcome_bonus": "Welcome bonuses",
    "award_birthday_bonus": "Birthday bonuses",
    "draft_expiry_reminder": "Expiry reminders",
    "draft_tier_message": "Tier-change messages",
    "accrue_stay": "Stay points",
    "reverse_stay_accrual": "Stay reversals",
    "draft_offer": "Offer drafts",
    "add_loyalty_memberships": "Enrolments",
    "update_loyalty_memberships": "Membership changes",
    "create_campaign": "Campaigns",
    "accept_upsell": "Upsells",
    "reconcile_points": "Reconciliations",
}
"""The kind of request as the inbox groups and filters it (one label per action)."""


def kind_of(action: str) -> str:
    return KIND_LABELS.get(action, action.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class MemberLabel:
    customer_id: str
    name: str
    tier: str | None
    number: str | None

    def __str__(self) -> str:
        details = ", ".join(part for part in (self.tier, self.number) if part)
        return f"{self.name} ({details})" if details else self.name


@dataclass(frozen=True, slots=True)
class ApprovalView:
    approval: Approval
    sentence: str
    member: MemberLabel | None

    @property
    def told(self) -> bool:
        """Whether the sentence tells the whole request (else the request's own note helps)."""
        return self.approval.action in _SENTENCES

    @property
    def kind(self) -> str:
        return kind_of(self.approval.action)

    @property
    def group_key(self) -> str:
        """Requests a manager can decide together: the same action held by the same rule."""
        return f"{self.approval.action}|{self.approval.rule}"

    def line(self, now: datetime, tz: tzinfo | None = None) -> str:
        """The sentence, who asked and how long ago; with `tz` (the enterprise's zone), also
        when, on the hotel's clock with the zone named ("12 min ago, 4 Dec 2026, 09:15 CET")."""
        asked = self.approval.created_at
        at = f", {when(asked, tz)}" if tz is not None else ""
        return (
            f"{self.sentence} — requested by {self.approval.requester}, {age_text(asked, now)}{at}"
        )


def age_text(then: datetime, now: datetime) -> str:
    """'just now', '12 min ago', '3 h ago', '2 days ago'."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86_400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400} days ago"


async def describe_approvals(
    runtime: LoyaltyRuntime, approvals: Sequence[Approval]
) -> list[ApprovalView]:
    """One view per request, in the order given."""
    members = await _members(runtime, [approval.args for approval in approvals])
    by_membership = {
        m.membership_id: member for member in members.values() for m in member.memberships
    }
    views = []
    for approval in approvals:
        member = _member_of(approval.args, members, by_membership)
        label = None if member is None else _label(member, approval.args, runtime.programs)
        sentence = _sentence(approval, label, runtime.programs)
        views.append(ApprovalView(approval, sentence, label))
    return views


async def describe_request(runtime: LoyaltyRuntime, action: str, args: dict[str, Any]) -> str:
    """One write not queued anywhere (a proposal of the assistant) told as the inbox tells a
    request: 'Award 2,500 points to Emma Novak (Silver, PC-1000001) for the spa closure'; ""
    when there is no sentence for the action (the caller keeps its own words)."""
    write = _SENTENCES.get(action)
    if write is None:
        return ""
    members = await _members(runtime, [args])
    by_membership = {
        m.membership_id: member for member in members.values() for m in member.memberships
    }
    member = _member_of(args, members, by_membership)
    label = None if member is None else _label(member, args, runtime.programs)
    try:
        return write(args, str(label) if label else "an unknown member", runtime.programs)
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""


# ---------------------------------------------------------------------------- members


def _ids(args: dict[str, Any], key: str) -> list[str]:
    """`args[key]`, and the same key inside lists of objects (batch admin writes)."""
    found = [str(args[key])] if isinstance(args.get(key), str) else []
    for value in args.values():
        if isinstance(value, list):
            found += [str(v[key]) for v in value if isinstance(v, dict) and v.get(key)]
    return found


def _membership_ids(args: dict[str, Any]) -> list[str]:
    return _ids(args, "membership_id") + _ids(args, "loyalty_membership_id")


def _customer_ids(args: dict[str, Any]) -> list[str]:
    return _ids(args, "customer_id") + _ids(args, "account_id")


async def _members(
    runtime: LoyaltyRuntime, requests: Sequence[dict[str, Any]]
) -> dict[str, MemberFacts]:
    """The members the requests (their arguments) are about; none when Mews cannot say (the
    sentences then read "an unknown member": a list of requests must show even with Mews
    unreachable)."""
    customers = {c for a in requests for c in _customer_ids(a) if _GUID.fullmatch(c)}
    wanted = {
        m
        for a in requests
        for m in _membership_ids(a)
        if not _customer_ids(a) and _GUID.fullmatch(m)
    }
    try:
        if wanted:
            found = await runtime.mews.loyalty_memberships.get_all(
                loyalty_membership_ids=sorted(wanted)
            ).to_list()
            customers |= {m.account_id for m in found}
        if not customers:
            return {}
        return await runtime.loader.members(sorted(customers), with_stays=False, with_spend=False)
    except Exception:  # Mews down, a refused token: names are a courtesy, not a requirement
        _log.warning("could not read the members of %d requests", len(requests), exc_info=True)
        return {}


def _member_of(
    args: dict[str, Any],
    members: dict[str, MemberFacts],
    by_membership: dict[str, MemberFacts],
) -> MemberFacts | None:
    for customer_id in _customer_ids(args):
        if customer_id in members:
            return members[customer_id]
    for membership_id in _membership_ids(args):
        if membership_id in by_membership:
            return by_membership[membership_id]
    return None


def _label(member: MemberFacts, args: dict[str, Any], programs: ProgramFile) -> MemberLabel:
    wanted = set(_membership_ids(args))
    chosen = [m for m in member.memberships if m.membership_id in wanted] or list(
        member.memberships
    )
    tier = number = None
    if chosen:
        membership = chosen[0]
        number = membership.membership_number
        program = programs.programs.get(membership.program_code)
        tier_config = program.tiers.get(membership.tier_code or "") if program else None
        tier = tier_config.name if tier_config else membership.tier_code
    return MemberLabel(member.customer_id, member.display_name, tier, number)


# ---------------------------------------------------------------------------- sentences


def _reward_name(programs: ProgramFile, reward_id: Any) -> str:
    for program in programs.programs.values():
        if reward_id in program.rewards:
            return program.rewards[reward_id].name
    return str(reward_id)


def _program_name(programs: ProgramFile, program_id_or_code: Any) -> str:
    program = programs.programs.get(str(program_id_or_code))
    return program.name if program else "the loyalty program"


def _n(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _for(reason: Any) -> str:
    """' for the spa closure' from 'The spa closure.' (a sentence's own capital dropped)."""
    text = str(reason or "").strip().rstrip(".")
    if not text:
        return ""
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    return f" for {text}"


Sentence = Callable[[dict[str, Any], str, "ProgramFile"], str]


def _award(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    goodwill = " as a goodwill gesture" if a.get("goodwill") else ""
    return f"Award {_n(a.get('points'))} points to {who}{goodwill}{_for(a.get('reason'))}"


def _adjust(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    points = int(a.get("points") or 0)
    verb = "Add" if points > 0 else "Deduct"
    preposition = "to" if points > 0 else "from"
    return f"{verb} {_n(abs(points))} points {preposition} {who}{_for(a.get('reason'))}"


def _redeem(a: dict[str, Any], who: str, p: ProgramFile) -> str:
    return (
        f"Redeem {_reward_name(p, a.get('reward_id'))} for {who} on {a.get('on')} "
        f"({_n(a.get('price_points'))} points)"
    )


def _reverse(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    return f"Reverse points entry #{a.get('entry_id')} of {who}{_for(a.get('reason'))}"


def _stay_bonus(label: str, promised: str = "") -> Sentence:
    """A bonus on a stay's points (at checkout, or the one an offer `promised` at booking)."""

    def sentence(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
        return (
            f"{label} of {_n(a.get('points'))} points to {who} "
            f"(×{a.get('multiplier')} on {_n(a.get('base_points'))} stay points{promised})"
        )

    return sentence


def _booking_offer(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    return (
        f"Offer {who} ×{a.get('multiplier')} points for the stay {a.get('stay_from')} to "
        f"{a.get('stay_to')} (forecast occupancy {a.get('mean_occupancy')})"
    )


def _rule_bonus(label: str) -> Sentence:
    def sentence(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
        return f"{label} of {_n(a.get('points'))} points to {who}"

    return sentence


def _reminder(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    return (
        f"Draft a reminder to {who} by {a.get('channel')}: {_n(a.get('points'))} points "
        f"expire on {a.get('expires_on')}"
    )


def _tier_message(a: dict[str, Any], who: str, p: ProgramFile) -> str:
    program = p.program(a["program_code"])
    names = f"{program.tier_name(a.get('from_tier'))} to {program.tier_name(a['to_tier'])}"
    return f"Draft a message to {who} by {a.get('channel')}: their tier moved from {names}"


def _accrue(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    return f"Credit {_n(a.get('points'))} stay points to {who}"


def _reverse_stay(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    return f"Take back the points of a cancelled stay from {who}"


def _offer(a: dict[str, Any], who: str, p: ProgramFile) -> str:
    what = (
        _reward_name(p, a["reward_id"])
        if a.get("reward_id")
        else f"{_n(a.get('bonus_points'))} bonus points"
    )
    return (
        f"Offer {what} to {who} by {a.get('channel')}, "
        f"valid {day(a.get('valid_from'))} to {day(a.get('valid_until'))}"
    )


def _enrol(a: dict[str, Any], who: str, p: ProgramFile) -> str:
    rows = [m for m in a.get("memberships", []) if isinstance(m, dict)]
    if len(rows) > 1:
        return f"Enrol {len(rows)} guests"
    program = rows[0].get("loyalty_program_id") if rows else None
    return f"Enrol {who} in {_program_name(p, program)}"


def _update(a: dict[str, Any], who: str, _p: ProgramFile) -> str:
    rows = [u for u in a.get("updates", []) if isinstance(u, dict)]
    if len(rows) > 1:
        return f"Change {len(rows)} memberships"
    row = rows[0] if rows else {}
    if row.get("loyalty_tier_id"):
        return f"Change the tier of {who}"
    if row.get("expiration_date"):
        return f"Set the membership of {who} to expire on {day(str(row['expiration_date'])[:10])}"
    if row.get("state"):
        return f"Set the membership of {who} to {row['state']}"
    return f"Change the membership of {who}"


_SENTENCES: dict[str, Sentence] = {
    "award_points": _award,
    "adjust_points": _adjust,
    "redeem_reward": _redeem,
    "reverse_points_entry": _reverse,
    "award_stay_bonus": _stay_bonus("Stay bonus"),
    "award_booking_bonus": _stay_bonus("Booking offer bonus", ", promised at booking"),
    "attach_booking_offer": _booking_offer,
    "award_welcome_bonus": _rule_bonus("Welcome bonus"),
    "award_birthday_bonus": _rule_bonus("Birthday bonus"),
    "draft_expiry_reminder": _reminder,
    "draft_tier_message": _tier_message,
    "accrue_stay": _accrue,
    "reverse_stay_accrual": _reverse_stay,
    "draft_offer": _offer,
    "add_loyalty_memberships": _enrol,
    "update_loyalty_memberships": _update,
}


def _sentence(approval: Approval, member: MemberLabel | None, programs: ProgramFile) -> str:
    who = str(member) if member else "an unknown member"
    write = _SENTENCES.get(approval.action)
    if write is not None:
        try:
            return write(approval.args, who, programs)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a request of an older shape: the generic sentence below still says what
    points = f" ({_n(approval.points)} points)" if approval.points else ""
    about = f" for {who}" if member else ""
    what = approval.action.replace("_", " ").capitalize()
    return f"{what}{about}{points}: {approval.note or approval.reason}"
