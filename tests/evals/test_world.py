"""Building a trial's world from a task's initial state."""

from __future__ import annotations

import pytest

from evals.task_files import InitialState, TaskFileError
from evals.world import EVAL_NOW, WorldSetupError, apply_patch, policy_for
from tools.sandbox import STORY, Sandbox


def test_policy_overrides_merge_into_the_shipped_policy() -> None:
    initial = InitialState.model_validate(
        {"mode": "automate", "policy": {"caps": {"per_member_per_day": 1000}}}
    )
    policy, text = policy_for(initial)
    assert policy.mode == "automate"
    assert policy.caps.per_member_per_day == 1000
    assert policy.caps.max_points_per_entry == 5000  # untouched keys keep their values
    assert "per_member_per_day = 1000" in text


def test_a_bad_policy_override_names_the_key() -> None:
    initial = InitialState.model_validate({"policy": {"caps": {"max_points_per_entri": 5}}})
    with pytest.raises(TaskFileError) as caught:
        policy_for(initial, source="t1")
    assert caught.value.key == "initial.policy"
    assert "max_points_per_entri" in str(caught.value)


def test_the_patch_sets_membership_and_customer_fields() -> None:
    sandbox = Sandbox.seeded(seed=1, customers=50, now=EVAL_NOW)
    initial = InitialState.model_validate(
        {
            "memberships": {"emma_novak": {"points": 100, "tier": "G1", "state": "Enrolled"}},
            "customer_updates": {"no_email": {"email": "ana@example.com"}},
        }
    )
    apply_patch(sandbox.state, initial)
    membership = sandbox.state.memberships.get(STORY.emma_novak_membership)
    assert membership is not None
    assert (membership.points, membership.tier_id) == (100, STORY.tier_gold)
    assert sandbox.state.email_index["ana@example.com"] == STORY.no_email


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"memberships": {"nobody": {"points": 1}}},
            "initial.memberships.nobody: not a story name",
        ),
        ({"memberships": {"emma_novak": {"tier": "X9"}}}, "initial.memberships.emma_novak.tier"),
        ({"memberships": {"emma_novak": {"colour": "red"}}}, "not a patchable field"),
        ({"customer_updates": {"injection": {"id": "x"}}}, "initial.customer_updates.injection.id"),
    ],
)
def test_a_patch_that_cannot_apply_says_where(patch: dict[str, object], message: str) -> None:
    sandbox = Sandbox.seeded(seed=1, customers=50, now=EVAL_NOW)
    with pytest.raises(WorldSetupError, match=message):
        apply_patch(sandbox.state, InitialState.model_validate(patch))
