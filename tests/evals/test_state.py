"""The projection's delta and its comparison with a task's expected delta."""

from __future__ import annotations

from evals.state import Projection, compare_delta, delta
from evals.task_files import StateDelta


def _world(points: int, ledger: dict[str, dict[str, object]], tier: str = "S1") -> Projection:
    return Projection(
        keyed={
            "memberships": {
                "emma_novak/PC01": {"state": "Enrolled", "tier": tier, "points": points}
            },
            "programs": {"PC01": {"name": "Platinum Club"}},
        },
        listed={"ledger": ledger, "approvals": {}},
    )


ENTRY = {"member": "emma_novak", "kind": "adjustment", "points": 300, "actor": "assistant"}


def test_an_expected_change_matches_on_the_fields_it_names() -> None:
    change = delta(_world(6240, {}), _world(6540, {"7": ENTRY}))
    expected = StateDelta.model_validate(
        {
            "memberships": {"emma_novak/PC01": {"points": 6540}},
            "ledger": [{"member": "emma_novak", "points": 300}],
        }
    )
    assert compare_delta(expected, [], change) == []


def test_an_unexpected_change_or_a_missing_one_is_a_mismatch() -> None:
    change = delta(_world(6240, {}), _world(6540, {"7": ENTRY}, tier="G1"))
    expected = StateDelta.model_validate({"ledger": [{"points": 500}]})
    problems = [str(p) for p in compare_delta(expected, [], change)]
    assert any(p.startswith("memberships.emma_novak/PC01: unexpected change") for p in problems)
    assert any(p.startswith("ledger: expected 1 new record") for p in problems)


def test_a_changed_field_the_task_did_not_name_is_a_mismatch() -> None:
    change = delta(_world(6240, {}), _world(6540, {}, tier="G1"))
    expected = StateDelta.model_validate({"memberships": {"emma_novak/PC01": {"points": 6540}}})
    [problem] = compare_delta(expected, [], change)
    assert "unexpected change of" in str(problem)
    assert '"tier": "G1"' in str(problem)


def test_no_change_is_expected_by_default() -> None:
    same = delta(_world(6240, {}), _world(6240, {}))
    assert same.empty
    assert compare_delta(StateDelta(), [], same) == []


def test_new_and_removed_keyed_records() -> None:
    before = _world(6240, {})
    after = _world(6240, {})
    after.keyed["programs"] = {"NEW1": {"name": "New Club", "type": "Hotel"}}
    change = delta(before, after)
    assert change.keyed["programs"] == {"PC01": None, "NEW1": {"name": "New Club", "type": "Hotel"}}
    expected = StateDelta.model_validate({"programs": {"PC01": None, "NEW1": {"name": "New Club"}}})
    assert compare_delta(expected, [], change) == []


def test_pending_approvals_are_expected_as_new_pending_records() -> None:
    before, after = _world(6240, {}), _world(6240, {})
    after.listed["approvals"] = {
        "apr1": {"action": "award_points", "status": "pending", "points": 3000}
    }
    change = delta(before, after)
    assert compare_delta(StateDelta(), [{"action": "award_points", "points": 3000}], change) == []
    assert compare_delta(StateDelta(), [], change) != []


def test_records_pair_one_to_one() -> None:
    small = {"member": "a", "points": 100}
    change = delta(_world(0, {}), _world(0, {"1": small, "2": dict(small)}))
    one = StateDelta.model_validate({"ledger": [{"points": 100}]})
    two = StateDelta.model_validate({"ledger": [{"points": 100}, {"member": "a"}]})
    assert compare_delta(one, [], change) != []
    assert compare_delta(two, [], change) == []
