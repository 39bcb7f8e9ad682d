"""The `campaign budget` rule: a campaign whose point liability exceeds it needs approval."""

from __future__ import annotations

import pytest

from policies import Facts, resolve_principal
from policies.config import parse_policy, render_toml
from policies.decision import Action, Allow, Context, NeedsApproval, decide
from policies.errors import PolicyFileError
from tests.policies.support import make_policy, policy_data


def campaign(liability: int) -> Action:
    return Action("create_campaign", "offer", Facts(liability=liability))


def test_a_liability_above_the_shipped_budget_needs_approval() -> None:
    policy = make_policy(mode="automate")
    carol = resolve_principal(policy, "carol")
    decision = decide(campaign(50_001), carol, Context(mode="automate"), policy)
    assert decision == NeedsApproval(
        "approvals.campaign_budget",
        "a campaign liability of 50,001 points is above the campaign budget of 50,000",
    )
    assert decide(campaign(50_000), carol, Context(mode="automate"), policy) == Allow()


def test_a_per_action_budget_overrides_the_global_one_and_names_itself() -> None:
    policy = make_policy(
        mode="automate", approvals={"actions": {"create_campaign": {"campaign_budget": 1000}}}
    )
    carol = resolve_principal(policy, "carol")
    decision = decide(campaign(1001), carol, Context(mode="automate"), policy)
    assert isinstance(decision, NeedsApproval)
    assert decision.rule == "approvals.actions.create_campaign.campaign_budget"


def test_an_approved_campaign_over_budget_is_allowed() -> None:
    policy = make_policy(mode="automate")
    carol = resolve_principal(policy, "carol")
    approved = Context(mode="automate", approved=True)
    assert decide(campaign(10**9), carol, approved, policy) == Allow()


def test_a_bad_campaign_budget_names_its_key() -> None:
    text = render_toml(policy_data(approvals={"campaign_budget": -5}))
    with pytest.raises(PolicyFileError) as raised:
        parse_policy(text)
    assert any("approvals.campaign_budget" in problem for problem in raised.value.problems)
