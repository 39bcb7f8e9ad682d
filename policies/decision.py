"""`decide(action, principal, context, policy)`: the policy as one pure, synchronous function.

Rules run in this order; the first that answers wins, and names itself (`rule`):

1. `role.permission`       the principal's role lacks the permission the action kind needs
   `approvals.four_eyes`   nobody decides their own approval request (nor one their assistant
                           asked for on their behalf)
   (control actions - mode, breaker, approval decisions - stop here: allowed)
2. `mode.read_only`        read-only mode blocks every write, approved or not
3. `circuit_breaker`       a tripped breaker blocks writes of agent-kind principals, unless a
                           manager already approved the request (a human looked at it); a trip
                           by one principal's denials stops only that principal and its assistant
4. `caps.*`                hard caps deny: a request that could never be approved is not queued
5. `mode.recommend`        a write by a delegated principal (the model acting for a person) is a
                           proposal the person confirms: nothing is written or queued; writes
                           of other agent-kind principals become approval requests
6. `approvals.*`           thresholds turn a write into an approval request (points, price
                           variance, tier downgrade, deletes, a campaign's point liability
                           above `campaign_budget`)
7. allow

An already approved request (`context.approved`) skips 5 and 6 but not 1, 2 and 4. A delegated
principal's points movements are held to `delegation.caps` laid over the caps of the action,
except for proposals (recommend mode), which the person confirms and so makes under their own.

Caps and thresholds judge the day's running totals (policy time zone), this request included, so
splitting a movement into smaller ones changes nothing. Each kind of movement has its own:

- issued points (positive): the caps `per_member_per_day`, `per_principal_per_day` and the
  goodwill budget; approval above `points_above` for the member's day total and above
  `principal_points_above` for the principal's;
- deductions (negative movements other than the member's own redemptions: adjustments,
  reversals): the cap `deductions_per_member_per_day`, approval above `deductions_above` for the
  member's day total;
- redemptions (`REDEMPTION_ACTIONS`, the ledger following Mews) and points earned by rule per
  stay (`EARNED_ACTIONS`): approval above `points_above` per movement.

Taking points back neither uses nor frees the budget of issued points, so issuing and taking
back cannot launder a cap. `_MOVEMENT_THRESHOLDS` maps each kind to its rule, so that another
kind (or another threshold for one) is one entry more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from policies.config import CapsConfig, Mode, Permission, Policy, ThresholdOverride
from policies.principals import DELEGATION_JOINER, Principal

__all__ = [
    "ALLOW",
    "CONTROL_KINDS",
    "KIND_PERMISSION",
    "REDEMPTION_ACTIONS",
    "WRITE_KINDS",
    "Action",
    "ActionKind",
    "Allow",
    "Context",
    "Decision",
    "Deny",
    "Facts",
    "NeedsApproval",
    "Propose",
    "Ruling",
    "Usage",
    "decide",
]

ActionKind = Literal[
    "read",
    "points",  # a points movement (award, adjustment, redemption, reversal)
    "offer",  # an offer draft
    "write",  # any other loyalty write (membership changes)
    "admin",  # program and tier administration
    "delete",
    "mode",
    "breaker",
    "approval_decision",
]

KIND_PERMISSION: dict[ActionKind, Permission] = {
    "read": "read",
    "points": "write",
    "offer": "write",
    "write": "write",
    "admin": "administer_programs",
    "delete": "delete",
    "mode": "change_mode",
    "breaker": "reset_breaker",
    "approval_decision": "approve",
}
WRITE_KINDS: frozenset[ActionKind] = frozenset({"points", "offer", "write", "admin", "delete"})
CONTROL_KINDS: frozenset[ActionKind] = frozenset({"mode", "breaker", "approval_decision"})

REDEMPTION_ACTIONS = frozenset({"redeem_reward", "accept_upsell"})
"""Points a member spends on a reward: a movement of its own kind, not a deduction."""
FOLLOWING_ACTIONS = frozenset({"reconcile_points", "reverse_stay_accrual"})
"""Movements that make the ledger follow a change already made in Mews (an edited balance, a
canceled stay): taking points back there is not a deduction of ours (judged per movement, like
a redemption)."""

EARNED_ACTIONS = frozenset({"accrue_stay"})
"""Points earned by rule, one stay at a time: judged per movement (each stay is its own earning;
several checkouts of one member on one day are not a split award). Caps still count them."""

Movement = Literal["issue", "deduct", "redeem", "earn"]

# Prices and valuations are fractions computed by the caller; 0.2 may arrive as 0.20000000001.
_VARIANCE_EPSILON = 1e-9


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one request (found by the action's `describe`)."""

    points: int = 0  # signed: positive issues points, negative takes them
    goodwill: bool = False
    variance: float | None = None  # price or valuation vs base: 0.25 = 25 % above
    liability: int | None = None  # a campaign's total point liability (points if all take it)
    tier_downgrade: bool = False
    tier_steps_up: int = 0  # the largest tier change upwards, in tier steps
    movement: Movement | None = None  # the kind of points movement, when the name cannot tell
    membership_id: str | None = None
    program_id: str | None = None
    customer_id: str | None = None  # the guest's account, for the note in Mews
    # the hotel (Mews enterprise) the request concerns: its stay's; an approval request is
    # announced there (None: the chain as a whole, announced at the first hotel)
    enterprise_id: str | None = None
    requested_by: str | None = None  # approval decisions: who asked
    requires: tuple[Permission, ...] = ()  # permissions needed beyond the kind's own
    lock_keys: tuple[str, ...] = ()  # more locks for the transaction (e.g. the ledger's)
    note: str = ""  # what it does, for staff (Mews task and note): no personal data


@dataclass(frozen=True)
class Action:
    name: str
    kind: ActionKind
    facts: Facts = field(default_factory=Facts)

    @property
    def issues_points(self) -> bool:
        return self.kind == "points" and self.facts.points > 0  # earned points included

    @property
    def movement(self) -> Movement | None:
        """The kind of points movement, or None for anything else."""
        if self.kind != "points" or self.facts.points == 0:
            return None
        if self.facts.movement is not None:
            return self.facts.movement
        if self.name in REDEMPTION_ACTIONS or (
            self.name in FOLLOWING_ACTIONS and self.facts.points < 0
        ):
            return "redeem"
        if self.name in EARNED_ACTIONS and self.facts.points > 0:
            return "earn"
        return "issue" if self.facts.points > 0 else "deduct"

    @property
    def deducts_points(self) -> bool:
        return self.movement == "deduct"

    @property
    def is_write(self) -> bool:
        return self.kind in WRITE_KINDS


@dataclass(frozen=True)
class Usage:
    """Points moved so far today (policy time zone), before this request."""

    member_today: int = 0
    principal_today: int = 0
    program_goodwill_today: int = 0
    issued_today: int = 0  # by everyone: the breaker's measure, not a cap
    member_deducted_today: int = 0  # taken from the member (a positive number)


@dataclass(frozen=True)
class Context:
    mode: Mode
    breaker_tripped: bool = False
    breaker_reason: str = ""
    breaker_cause: str | None = None  # the principal whose denials tripped it (None: global)
    usage: Usage = field(default_factory=Usage)
    approved: bool = False  # executing a request a manager approved


@dataclass(frozen=True)
class Allow:
    rule: str = "allow"


@dataclass(frozen=True)
class Ruling:
    """The rule that answered, and why (a decision of each kind below compares equal only to
    one of its own kind)."""

    rule: str
    reason: str


class NeedsApproval(Ruling):
    """Queued for a manager's approval."""


class Deny(Ruling):
    """Refused."""


class Propose(Ruling):
    """Not a write yet: a proposal the person the model acts for confirms or discards."""


Decision = Allow | NeedsApproval | Deny | Propose
ALLOW = Allow()

_Rule = Callable[[Action, Principal, Context, Policy], Decision | None]


def decide(action: Action, principal: Principal, context: Context, policy: Policy) -> Decision:
    """The first rule (in `_RULES` order) that has an answer decides; otherwise allow."""
    for rule in _RULES:
        decision = rule(action, principal, context, policy)
        if decision is not None:
            return decision
    return ALLOW


def _role(action: Action, principal: Principal, _c: Context, _p: Policy) -> Decision | None:
    for permission in (KIND_PERMISSION[action.kind], *action.facts.requires):
        if not principal.can(permission):
            return Deny(
                "role.permission",
                f"role {principal.role!r} of {principal.name} lacks the {permission!r} "
                f"permission that {action.name} needs",
            )
    return None


def _four_eyes(action: Action, principal: Principal, _c: Context, _p: Policy) -> Decision | None:
    requested_by = action.facts.requested_by
    if action.kind == "approval_decision" and requested_by is not None:
        if requested_by == principal.name:
            return Deny("approvals.four_eyes", "nobody may decide their own approval request")
        if requested_by.partition(DELEGATION_JOINER)[2] == principal.name:
            return Deny(
                "approvals.four_eyes",
                "nobody may decide a request their assistant made on their behalf",
            )
    if action.kind in CONTROL_KINDS:
        return ALLOW  # mode, breaker and approval decisions need only the role
    return None


def _read_only(action: Action, _pr: Principal, context: Context, _p: Policy) -> Decision | None:
    if action.is_write and context.mode == "read_only":
        return Deny("mode.read_only", "the assistant is in read-only mode: no writes")
    return None


def _propose(action: Action, principal: Principal, context: Context, _p: Policy) -> Decision | None:
    recommend = context.mode == "recommend" and not context.approved
    if action.is_write and principal.delegated and recommend:
        return Propose(
            "mode.recommend",
            f"recommend mode: a write by the assistant is a proposal that "
            f"{principal.on_behalf_of} confirms or discards; nothing was written",
        )
    return None


def _breaker(action: Action, principal: Principal, context: Context, _p: Policy) -> Decision | None:
    stopped = context.breaker_tripped and _breaker_covers(principal, context.breaker_cause)
    if action.is_write and principal.automated and stopped and not context.approved:
        return Deny(
            "circuit_breaker",
            f"the circuit breaker is tripped ({context.breaker_reason}); agent writes are "
            "stopped until a manager resets it",
        )
    return None


def _breaker_covers(principal: Principal, cause: str | None) -> bool:
    """A trip by one principal's denials stops that principal (and the assistant acting for
    them), not every agent: one person's refused awards must not stop the chain's stay points.
    A trip with no principal cause (a points spike) stops every agent-kind principal."""
    return cause is None or principal.acts_for(cause) or principal.name == cause


def _caps(
    action: Action, principal: Principal, context: Context, policy: Policy
) -> Decision | None:
    if action.deducts_points:
        return _deduction_cap(action, principal, context, policy)
    if not action.issues_points:
        return None
    caps, usage, facts = _caps_for(action, principal, context, policy), context.usage, action.facts
    points = facts.points
    if points > caps.max_points_per_entry:
        return Deny(
            "caps.max_points_per_entry",
            f"{points:,} points in one entry exceed the cap of {caps.max_points_per_entry:,}",
        )
    if facts.membership_id is not None and usage.member_today + points > caps.per_member_per_day:
        return _over_daily(
            "caps.per_member_per_day",
            f"membership {facts.membership_id}",
            usage.member_today,
            points,
            caps.per_member_per_day,
        )
    if usage.principal_today + points > caps.per_principal_per_day:
        return _over_daily(
            "caps.per_principal_per_day",
            principal.name,
            usage.principal_today,
            points,
            caps.per_principal_per_day,
        )
    goodwill_cap = caps.program_goodwill_per_day
    if facts.goodwill and usage.program_goodwill_today + points > goodwill_cap:
        return _over_daily(
            "caps.program_goodwill_per_day",
            f"the goodwill budget of program {facts.program_id}",
            usage.program_goodwill_today,
            points,
            goodwill_cap,
        )
    return None


def _deduction_cap(
    action: Action, principal: Principal, context: Context, policy: Policy
) -> Decision | None:
    cap = _caps_for(action, principal, context, policy).deductions_per_member_per_day
    taken, used = -action.facts.points, context.usage.member_deducted_today
    if action.facts.membership_id is not None and used + taken > cap:
        return Deny(
            "caps.deductions_per_member_per_day",
            f"membership {action.facts.membership_id} already lost {used:,} of {cap:,} points "
            f"today; taking {taken:,} more would exceed the cap on deductions",
        )
    return None


def _caps_for(action: Action, principal: Principal, context: Context, policy: Policy) -> CapsConfig:
    caps = policy.caps.for_action(action.name)
    if principal.delegated and context.mode != "recommend":  # the model's own, tighter caps
        own = policy.delegation.caps.model_dump(exclude_none=True)
        caps = caps.model_copy(update=own)
    return caps


def _over_daily(rule: str, whom: str, used: int, points: int, cap: int) -> Deny:
    return Deny(
        rule,
        f"{whom} already has {used:,} of {cap:,} points today; "
        f"{points:,} more would exceed the cap",
    )


def _recommend(
    action: Action, principal: Principal, context: Context, _p: Policy
) -> Decision | None:
    if (
        action.is_write
        and principal.automated
        and context.mode == "recommend"
        and not context.approved
    ):
        return NeedsApproval(
            "mode.recommend",
            f"the assistant is in recommend mode: writes by {principal.name} need a "
            "manager's approval",
        )
    return None


def _thresholds(
    action: Action, _pr: Principal, context: Context, policy: Policy
) -> Decision | None:
    if not action.is_write or context.approved:
        return None
    config = policy.approvals
    own = config.actions.get(action.name) or ThresholdOverride()
    scope = f"approvals.actions.{action.name}"
    facts = action.facts
    if own.always:
        return NeedsApproval(f"{scope}.always", f"{action.name} always needs a manager's approval")
    deletes = config.deletes if own.deletes is None else own.deletes
    if action.kind == "delete" and deletes:
        return NeedsApproval(_rule(scope, own.deletes, "deletes"), "deletes need approval")
    downgrades = config.tier_downgrade if own.tier_downgrade is None else own.tier_downgrade
    if facts.tier_downgrade and downgrades:
        return NeedsApproval(
            _rule(scope, own.tier_downgrade, "tier_downgrade"),
            "a tier downgrade needs a manager's approval",
        )
    if facts.tier_steps_up > config.tier_jump_steps:
        return NeedsApproval(
            "approvals.tier_jump_steps",
            f"a tier change {facts.tier_steps_up} steps up is more than the "
            f"{config.tier_jump_steps} a write may make without a manager's approval",
        )
    movement = action.movement
    if movement is not None:
        verdict = _MOVEMENT_THRESHOLDS[movement](action, context, policy, own, scope)
        if verdict is not None:
            return verdict
    budget = config.campaign_budget if own.campaign_budget is None else own.campaign_budget
    if facts.liability is not None and facts.liability > budget:
        return NeedsApproval(
            _rule(scope, own.campaign_budget, "campaign_budget"),
            f"a campaign liability of {facts.liability:,} points is above the campaign budget "
            f"of {budget:,}",
        )
    spread = config.variance_above if own.variance_above is None else own.variance_above
    if facts.variance is not None and abs(facts.variance) > spread + _VARIANCE_EPSILON:
        return NeedsApproval(
            _rule(scope, own.variance_above, "variance_above"),
            f"a price {facts.variance:+.0%} from base is beyond ±{spread:.0%}",
        )
    return None


def _issue_threshold(
    action: Action, context: Context, policy: Policy, own: ThresholdOverride, scope: str
) -> NeedsApproval | None:
    config, usage, points = policy.approvals, context.usage, action.facts.points
    limit = config.points_above if own.points_above is None else own.points_above
    member_total = points + (usage.member_today if action.facts.membership_id else 0)
    if member_total > limit:
        return NeedsApproval(
            _rule(scope, own.points_above, "points_above"),
            _running(points, member_total, "the member's", limit),
        )
    principal_total = usage.principal_today + points
    own_limit = own.principal_points_above
    principal_limit = config.principal_points_above if own_limit is None else own_limit
    if principal_total > principal_limit:
        return NeedsApproval(
            _rule(scope, own_limit, "principal_points_above"),
            _running(points, principal_total, "your", principal_limit),
        )
    return None


def _deduction_threshold(
    action: Action, context: Context, policy: Policy, own: ThresholdOverride, scope: str
) -> NeedsApproval | None:
    config, taken = policy.approvals, -action.facts.points
    limit = config.deductions_above if own.deductions_above is None else own.deductions_above
    total = taken + (context.usage.member_deducted_today if action.facts.membership_id else 0)
    if total > limit:
        return NeedsApproval(
            _rule(scope, own.deductions_above, "deductions_above"),
            f"taking {taken:,} points makes {total:,} taken from the member today, above the "
            f"approval threshold of {limit:,} for deductions",
        )
    return None


def _redemption_threshold(
    action: Action, _context: Context, policy: Policy, own: ThresholdOverride, scope: str
) -> NeedsApproval | None:
    limit = policy.approvals.points_above if own.points_above is None else own.points_above
    points = abs(action.facts.points)
    if points > limit:
        return NeedsApproval(
            _rule(scope, own.points_above, "points_above"),
            f"{points:,} points are above the approval threshold of {limit:,}",
        )
    return None


def _running(points: int, total: int, whose: str, limit: int) -> str:
    if total == points:
        return f"{points:,} points are above the approval threshold of {limit:,}"
    return (
        f"{points:,} points make {total:,} for {whose} day, above the approval threshold of "
        f"{limit:,} (thresholds count the day's running total)"
    )


_MovementRule = Callable[[Action, Context, Policy, ThresholdOverride, str], NeedsApproval | None]
_MOVEMENT_THRESHOLDS: dict[Movement, _MovementRule] = {
    "issue": _issue_threshold,
    "deduct": _deduction_threshold,
    "redeem": _redemption_threshold,
    "earn": _redemption_threshold,  # per movement, like a redemption
}


def _rule(scope: str, own: object, name: str) -> str:
    """Name the per-action rule where the override set the value, else the global one."""
    return f"{scope}.{name}" if own is not None else f"approvals.{name}"


_RULES: tuple[_Rule, ...] = (
    _role,
    _four_eyes,
    _read_only,
    _breaker,
    _caps,
    _propose,
    _recommend,
    _thresholds,
)
