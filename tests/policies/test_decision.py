"""`decide` is pure: every rule at its edges, every role, every mode, and the order of the rules."""

from __future__ import annotations

from typing import Any

import pytest

from policies import ActionKind, Facts, Policy, UnknownPrincipalError, delegate, resolve_principal
from policies.config import parse_policy, render_toml
from policies.decision import (
    KIND_PERMISSION,
    Action,
    Allow,
    Context,
    Deny,
    NeedsApproval,
    Propose,
    Usage,
    decide,
)
from policies.errors import PolicyFileError
from tests.policies.support import MEMBER, PROGRAM, make_policy, policy_data

# The shipped policy in automate mode, approvals only above what the cap tests use.
NO_THRESHOLDS = make_policy(
    mode="automate",
    approvals={
        "points_above": 1_000_000,
        "principal_points_above": 1_000_000,
        "deductions_above": 1_000_000,
    },
    caps={"deductions_per_member_per_day": 1_000_000},
)
SHIPPED = make_policy(mode="automate")


def who(name: str, policy: Policy = SHIPPED) -> Any:
    return resolve_principal(policy, name)


def award(points: int, **facts: Any) -> Action:
    base: dict[str, Any] = {"membership_id": MEMBER, "program_id": PROGRAM}
    return Action("award_points", "points", Facts(points=points, **{**base, **facts}))


def context(mode: Any = "automate", **fields: Any) -> Context:
    return Context(mode=mode, **fields)


def check(
    action: Action,
    name: str = "carol",
    ctx: Context | None = None,
    policy: Policy = NO_THRESHOLDS,
) -> Any:
    return decide(action, who(name, policy), ctx or context(), policy)


# ---------------------------------------------------------------------------- roles


EXPECTED_ROLES: dict[str, set[str]] = {
    "vera": {"read"},
    "assistant": {"read", "points", "offer", "write"},
    "carol": {"read", "points", "offer", "write", "delete"},
    "alice": {
        "read",
        "points",
        "offer",
        "write",
        "delete",
        "mode",
        "breaker",
        "approval_decision",
    },
    "dave": set(KIND_PERMISSION),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ROLES))
@pytest.mark.parametrize("kind", sorted(KIND_PERMISSION))
def test_each_role_may_do_exactly_the_kinds_its_permissions_name(
    name: str, kind: ActionKind
) -> None:
    action = Action(f"some_{kind}", kind, Facts(requested_by="someone-else"))
    decision = decide(action, who(name), context(), NO_THRESHOLDS)
    if kind in EXPECTED_ROLES[name]:
        assert not isinstance(decision, Deny), decision
    else:
        assert isinstance(decision, Deny)
        assert decision.rule == "role.permission"
        assert KIND_PERMISSION[kind] in decision.reason


def test_program_administration_needs_its_own_permission_not_granted_to_staff_or_managers() -> None:
    change_tier = Action("update_loyalty_tiers", "admin")
    assert check(change_tier, "carol").rule == "role.permission"
    assert check(change_tier, "alice").rule == "role.permission"
    assert check(change_tier, "dave") == Allow()


def test_an_action_can_require_more_permissions_than_its_kind() -> None:
    delete_tier = Action("delete_loyalty_tiers", "delete", Facts(requires=("administer_programs",)))
    denied = check(delete_tier, "carol")
    assert denied.rule == "role.permission"
    assert "administer_programs" in denied.reason
    assert isinstance(check(delete_tier, "dave", policy=SHIPPED), NeedsApproval)


# ---------------------------------------------------------------------------- modes


def test_read_only_mode_denies_every_write_and_allows_reads() -> None:
    ro = context("read_only")
    assert check(award(1), ctx=ro) == Deny(
        "mode.read_only", "the assistant is in read-only mode: no writes"
    )
    assert check(Action("delete_x", "delete"), ctx=ro).rule == "mode.read_only"
    assert check(Action("draft_offer", "offer"), "assistant", ro).rule == "mode.read_only"
    assert check(Action("list_x", "read"), "vera", ro) == Allow()


def test_recommend_mode_turns_every_agent_write_into_an_approval_request() -> None:
    decision = check(award(1), "assistant", context("recommend"))
    assert isinstance(decision, NeedsApproval)
    assert decision.rule == "mode.recommend"
    offer = check(Action("draft_offer", "offer"), "automation", context("recommend"))
    assert isinstance(offer, NeedsApproval)


def test_recommend_mode_leaves_staff_writes_to_the_thresholds() -> None:
    assert check(award(1), "carol", context("recommend")) == Allow()


def test_automate_mode_lets_agent_writes_below_the_thresholds_through() -> None:
    assert check(award(2000), "assistant", policy=SHIPPED) == Allow()
    assert isinstance(check(award(2001), "assistant", policy=SHIPPED), NeedsApproval)


def test_mode_breaker_and_approval_decisions_work_in_read_only_mode_for_a_manager() -> None:
    ro = context("read_only", breaker_tripped=True)
    for kind in ("mode", "breaker", "approval_decision"):
        action = Action(kind, kind, Facts(requested_by="carol"))
        assert check(action, "alice", ro) == Allow()


# ---------------------------------------------------------------------------- breaker


def test_a_tripped_breaker_denies_agent_writes_but_not_staff_writes_or_agent_reads() -> None:
    tripped = context(breaker_tripped=True, breaker_reason="too many denials")
    denied = check(award(1), "assistant", tripped)
    assert isinstance(denied, Deny)
    assert denied.rule == "circuit_breaker"
    assert "too many denials" in denied.reason
    assert check(award(1), "automation", tripped).rule == "circuit_breaker"
    assert check(award(1), "carol", tripped) == Allow()
    assert check(Action("list_x", "read"), "assistant", tripped) == Allow()


# ---------------------------------------------------------------------------- caps


@pytest.mark.parametrize(("points", "allowed"), [(4999, True), (5000, True), (5001, False)])
def test_points_per_entry_cap_at_its_edges(points: int, allowed: bool) -> None:
    decision = check(award(points))
    assert (decision == Allow()) is allowed
    if not allowed:
        assert decision.rule == "caps.max_points_per_entry"


@pytest.mark.parametrize(("points", "allowed"), [(999, True), (1000, True), (1001, False)])
def test_member_daily_cap_counts_what_the_member_got_today(points: int, allowed: bool) -> None:
    decision = check(award(points), ctx=context(usage=Usage(member_today=9000)))
    assert (decision == Allow()) is allowed
    if not allowed:
        assert decision.rule == "caps.per_member_per_day"
        assert "9,000 of 10,000" in decision.reason


@pytest.mark.parametrize(("points", "allowed"), [(1999, True), (2000, True), (2001, False)])
def test_principal_daily_cap_counts_what_the_principal_issued_today(
    points: int, allowed: bool
) -> None:
    decision = check(award(points), ctx=context(usage=Usage(principal_today=48_000)))
    assert (decision == Allow()) is allowed
    if not allowed:
        assert decision.rule == "caps.per_principal_per_day"


@pytest.mark.parametrize(("points", "allowed"), [(499, True), (500, True), (501, False)])
def test_program_goodwill_budget_counts_goodwill_points_of_the_whole_program(
    points: int, allowed: bool
) -> None:
    used = context(usage=Usage(program_goodwill_today=19_500))
    decision = check(award(points, goodwill=True), ctx=used)
    assert (decision == Allow()) is allowed
    if not allowed:
        assert decision.rule == "caps.program_goodwill_per_day"
    assert check(award(points, goodwill=False), ctx=used) == Allow()


def test_the_caps_on_issued_points_do_not_limit_points_taken_back() -> None:
    full = context(usage=Usage(member_today=10_000, principal_today=50_000))
    assert check(award(-6000), ctx=full) == Allow()
    assert check(award(1), ctx=full).rule == "caps.per_member_per_day"


@pytest.mark.parametrize(("points", "allowed"), [(999, True), (1000, True), (1001, False)])
def test_deductions_have_a_daily_cap_per_member_of_their_own(points: int, allowed: bool) -> None:
    taken = context(usage=Usage(member_deducted_today=4000, member_today=10_000))
    decision = check(award(-points), ctx=taken, policy=SHIPPED)
    if allowed:
        assert isinstance(decision, NeedsApproval)  # over the deductions threshold, not capped
        assert decision.rule == "approvals.deductions_above"
    else:
        assert decision.rule == "caps.deductions_per_member_per_day"
        assert "4,000 of 5,000" in decision.reason


def test_a_redemption_is_not_a_deduction() -> None:
    taken = context(usage=Usage(member_deducted_today=5000))
    redeem = Action("redeem_reward", "points", Facts(points=-1500, membership_id=MEMBER))
    assert check(redeem, ctx=taken, policy=SHIPPED) == Allow()


# ---------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(("points", "needs"), [(1999, False), (2000, False), (2001, True)])
def test_points_above_the_threshold_need_approval(points: int, needs: bool) -> None:
    decision = check(award(points), policy=SHIPPED)
    assert isinstance(decision, NeedsApproval) is needs
    if needs:
        assert decision.rule == "approvals.points_above"


@pytest.mark.parametrize(("points", "needs"), [(1000, False), (1001, True)])
def test_deductions_have_a_threshold_of_their_own(points: int, needs: bool) -> None:
    decision = check(award(-points), policy=SHIPPED)
    assert isinstance(decision, NeedsApproval) is needs
    if needs:
        assert decision.rule == "approvals.deductions_above"


def test_split_deductions_are_judged_by_the_days_running_total() -> None:
    drained = context(usage=Usage(member_deducted_today=900))
    decision = check(award(-900), ctx=drained, policy=SHIPPED)
    assert decision.rule == "approvals.deductions_above"
    assert "makes 1,800 taken from the member today" in decision.reason


@pytest.mark.parametrize(("today", "needs"), [(0, False), (1, True), (8000, True)])
def test_split_awards_are_judged_by_the_members_running_total(today: int, needs: bool) -> None:
    decision = check(award(2000), ctx=context(usage=Usage(member_today=today)), policy=SHIPPED)
    assert isinstance(decision, NeedsApproval) is needs
    if needs:
        assert decision.rule == "approvals.points_above"
        assert f"make {today + 2000:,} for the member's day" in decision.reason


def test_a_principals_awards_to_many_members_are_judged_by_their_running_total() -> None:
    busy = context(usage=Usage(principal_today=9500))
    decision = check(award(600), ctx=busy, policy=SHIPPED)
    assert decision.rule == "approvals.principal_points_above"
    assert check(award(500), ctx=busy, policy=SHIPPED) == Allow()


@pytest.mark.parametrize(("steps", "needs"), [(1, False), (2, True), (3, True)])
def test_a_tier_jump_of_more_than_one_step_up_needs_approval(steps: int, needs: bool) -> None:
    lift = Action("update_loyalty_memberships", "write", Facts(tier_steps_up=steps))
    decision = check(lift, policy=SHIPPED)
    assert isinstance(decision, NeedsApproval) is needs
    if needs:
        assert decision.rule == "approvals.tier_jump_steps"
    relaxed = make_policy(mode="automate", approvals={"tier_jump_steps": 3})
    assert check(lift, policy=relaxed) == Allow()


@pytest.mark.parametrize(
    ("variance", "needs"),
    [
        (0.19, False),
        (0.20, False),
        (0.2 + 1e-12, False),
        (0.2001, True),
        (-0.20, False),
        (-0.21, True),
    ],
)
def test_a_price_more_than_twenty_percent_from_base_needs_approval(
    variance: float, needs: bool
) -> None:
    # A dynamic stay bonus judged against its base (redemptions have their own band below).
    bonus = Action("accrue_stay", "points", Facts(points=500, variance=variance))
    decision = check(bonus, policy=SHIPPED)
    assert isinstance(decision, NeedsApproval) is needs
    if needs:
        assert decision.rule == "approvals.variance_above"
        assert "%" in decision.reason


@pytest.mark.parametrize(
    ("points", "variance", "rule"),
    [
        (-2001, 0.0, None),  # above the issuance threshold, but the member's own points
        (-10000, 0.5, None),  # at the band's ceiling on a busy day
        (-10001, 0.0, "approvals.actions.redeem_reward.points_above"),
        (-500, 0.51, "approvals.actions.redeem_reward.variance_above"),
    ],
)
def test_a_member_spending_their_own_points_needs_a_manager_only_above_the_high_threshold(
    points: int, variance: float, rule: str | None
) -> None:
    redeem = Action("redeem_reward", "points", Facts(points=points, variance=variance))
    decision = check(redeem, policy=SHIPPED)
    assert (decision.rule if isinstance(decision, NeedsApproval) else None) == rule
    assert isinstance(check(award(2001), policy=SHIPPED), NeedsApproval)  # issuance still is


def test_tier_downgrades_and_deletes_need_approval() -> None:
    downgrade = Action("update_loyalty_memberships", "write", Facts(tier_downgrade=True))
    assert check(downgrade, policy=SHIPPED).rule == "approvals.tier_downgrade"
    assert check(Action("delete_x", "delete"), policy=SHIPPED).rule == "approvals.deletes"
    relaxed = make_policy(mode="automate", approvals={"tier_downgrade": False, "deletes": False})
    assert check(downgrade, policy=relaxed) == Allow()
    assert check(Action("delete_x", "delete"), policy=relaxed) == Allow()


@pytest.mark.parametrize(("points", "needs"), [(1000, False), (1001, True)])
def test_a_per_action_threshold_overrides_the_global_one_and_names_itself(
    points: int, needs: bool
) -> None:
    adjust = Action("adjust_points", "points", Facts(points=points, membership_id=MEMBER))
    decision = check(adjust, policy=SHIPPED)
    assert isinstance(decision, NeedsApproval) is needs
    if needs:
        assert decision.rule == "approvals.actions.adjust_points.points_above"


def test_a_per_action_override_can_require_approval_always() -> None:
    policy = make_policy(mode="automate", approvals={"actions": {"award_points": {"always": True}}})
    decision = check(award(1), policy=policy)
    assert isinstance(decision, NeedsApproval)
    assert decision.rule == "approvals.actions.award_points.always"


# ---------------------------------------------------------------------------- rule order


def test_the_role_is_checked_before_the_mode() -> None:
    assert check(award(1), "vera", context("read_only")).rule == "role.permission"


def test_read_only_mode_is_checked_before_the_breaker_and_the_caps() -> None:
    ctx = context("read_only", breaker_tripped=True, usage=Usage(member_today=10_000))
    assert check(award(1), "assistant", ctx).rule == "mode.read_only"


def test_the_breaker_is_checked_before_the_caps() -> None:
    ctx = context(breaker_tripped=True, usage=Usage(member_today=10_000))
    assert check(award(1), "assistant", ctx).rule == "circuit_breaker"


def test_a_request_above_a_hard_cap_is_denied_not_queued_even_in_recommend_mode() -> None:
    ctx = context("recommend", usage=Usage(member_today=9_000))
    assert check(award(1001), "assistant", ctx, SHIPPED).rule == "caps.per_member_per_day"
    assert check(award(6000), "carol", context(), SHIPPED).rule == "caps.max_points_per_entry"


def test_recommend_mode_comes_before_the_thresholds() -> None:
    assert check(award(3000), "assistant", context("recommend"), SHIPPED).rule == "mode.recommend"


# ---------------------------------------------------------------------------- approved requests


def test_an_approved_request_skips_thresholds_and_recommend_mode() -> None:
    approved = context("recommend", approved=True)
    assert check(award(3000), "assistant", approved, SHIPPED) == Allow()
    assert check(Action("delete_x", "delete"), "carol", approved, SHIPPED) == Allow()


def test_an_approved_request_still_meets_role_read_only_and_hard_caps() -> None:
    assert check(award(1), "vera", context(approved=True)).rule == "role.permission"
    assert check(award(1), "carol", context("read_only", approved=True)).rule == "mode.read_only"
    full = context(approved=True, usage=Usage(member_today=10_000))
    assert check(award(1), "carol", full).rule == "caps.per_member_per_day"


def test_an_approved_agent_request_is_not_stopped_by_the_breaker() -> None:
    ctx = context(approved=True, breaker_tripped=True)
    assert check(award(1), "assistant", ctx) == Allow()


# ---------------------------------------------------------------------------- four eyes


def test_nobody_decides_their_own_approval_request() -> None:
    mine = Action("approvals.approve", "approval_decision", Facts(requested_by="alice"))
    assert check(mine, "alice").rule == "approvals.four_eyes"
    assert check(mine, "bob") == Allow()
    assert check(mine, "carol").rule == "role.permission"


@pytest.mark.parametrize(("points", "allowed"), [(999, True), (1000, True), (1001, False)])
def test_a_per_action_cap_overrides_the_global_one_for_that_action_only(
    points: int, allowed: bool
) -> None:
    policy = make_policy(
        mode="automate",
        approvals={"points_above": 1_000_000, "principal_points_above": 1_000_000},
        caps={"actions": {"accrue_stay": {"per_principal_per_day": 100_000}}},
    )
    used = context(usage=Usage(principal_today=99_000))
    accrual = Action("accrue_stay", "points", Facts(points=points, membership_id=MEMBER))
    decision = check(accrual, "automation", used, policy)
    assert (decision == Allow()) is allowed
    if not allowed:
        assert decision.rule == "caps.per_principal_per_day"
        assert "99,000 of 100,000" in decision.reason
    # Other actions keep the global 50,000.
    assert check(award(points), "automation", used, policy).rule == "caps.per_principal_per_day"


def test_the_shipped_policy_lets_a_busy_day_of_stay_accruals_through() -> None:
    busy = context(usage=Usage(principal_today=500_000))
    accrual = Action("accrue_stay", "points", Facts(points=800, membership_id=MEMBER))
    assert check(accrual, "automation", busy, SHIPPED) == Allow()


def test_a_caps_override_with_a_bad_value_names_its_key() -> None:
    text = render_toml(policy_data(caps={"actions": {"accrue_stay": {"per_member_per_day": 0}}}))
    with pytest.raises(PolicyFileError) as raised:
        parse_policy(text)
    assert any(
        "caps.actions.accrue_stay.per_member_per_day" in problem
        for problem in raised.value.problems
    )


# ---------------------------------------------------------------------------- delegation


def test_the_assistant_for_a_person_has_only_the_rights_both_roles_grant() -> None:
    for_vera = delegate(SHIPPED, who("vera"))
    assert (for_vera.name, for_vera.role) == ("assistant for vera", "agent for viewer")
    assert for_vera.automated
    assert decide(award(100), for_vera, context(), SHIPPED).rule == "role.permission"
    for_alice = delegate(SHIPPED, who("alice"))
    decision = Action("approvals.approve", "approval_decision", Facts(requested_by="bob"))
    assert decide(decision, for_alice, context(), SHIPPED).rule == "role.permission"


def test_in_recommend_mode_the_assistants_write_is_a_proposal_and_other_agents_queue() -> None:
    recommend = context("recommend")
    decision = decide(award(100), delegate(SHIPPED, who("carol")), recommend, SHIPPED)
    assert isinstance(decision, Propose)
    assert "carol confirms or discards" in decision.reason
    assert isinstance(decide(award(100), who("automation"), recommend, SHIPPED), NeedsApproval)
    assert decide(award(100), who("carol"), recommend, SHIPPED) == Allow()


def test_the_assistants_own_caps_hold_in_automate_mode() -> None:
    assistant = delegate(SHIPPED, who("carol"))
    used = context(usage=Usage(member_today=1500))
    assert decide(award(500), assistant, used, SHIPPED) == Allow()
    assert decide(award(501), assistant, used, SHIPPED).rule == "caps.per_member_per_day"
    assert decide(award(501), who("carol"), used, SHIPPED).rule == "approvals.points_above"


def test_nobody_decides_a_request_their_assistant_made_on_their_behalf() -> None:
    theirs = Action(
        "approvals.approve", "approval_decision", Facts(requested_by="assistant for alice")
    )
    assert check(theirs, "alice").rule == "approvals.four_eyes"
    assert check(theirs, "bob") == Allow()


def test_a_delegated_name_resolves_to_the_same_delegated_principal() -> None:
    assert resolve_principal(SHIPPED, "assistant for carol") == delegate(SHIPPED, who("carol"))
    with pytest.raises(UnknownPrincipalError):
        resolve_principal(SHIPPED, "automation for carol")
