"""The policy file: the shipped default, where it is read from, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from inline_snapshot import snapshot

from policies import PolicyFileError, load_policy, parse_policy
from policies.config import DEFAULT_POLICY_PATH, policy_path, render_toml
from tests.policies.support import policy_data

MINIMAL = """
version = 1
timezone = "Europe/Prague"
mode = "recommend"
[roles.staff]
permissions = ["read", "write"]
[principals]
carol = "staff"
[caps]
max_points_per_entry = 5000
per_member_per_day = 10000
per_principal_per_day = 50000
program_goodwill_per_day = 20000
[approvals]
points_above = 2000
"""


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(text, source="test.toml")
    return caught.value.problems


def test_the_shipped_default_loads_with_the_documented_values() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    assert policy.mode == "recommend"
    assert policy.timezone == "Europe/Prague"
    assert policy.principals["alice"] == "manager"
    assert policy.principals["assistant"] == policy.principals["automation"] == "agent"
    assert policy.roles["agent"].automated
    assert "administer_programs" not in policy.roles["staff"].permissions
    assert "administer_programs" not in policy.roles["manager"].permissions
    assert "administer_programs" in policy.roles["admin"].permissions
    assert policy.approvals.variance_above == 0.20
    assert policy.approvals.expiry_hours == 72


def test_a_minimal_file_gets_defaults_for_breaker_and_audit() -> None:
    policy = parse_policy(MINIMAL)
    assert policy.breaker.denials_per_hour == 10
    assert policy.audit.key_env == "LOYALTY_AUDIT_KEY"
    assert not policy.audit.require_key


def test_the_file_comes_from_loyalty_policy_file_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "policy.toml"
    own.write_text(MINIMAL.replace('"recommend"', '"read_only"'), encoding="utf-8")
    monkeypatch.setenv("LOYALTY_POLICY_FILE", str(own))
    assert policy_path() == own
    assert load_policy().mode == "read_only"
    monkeypatch.delenv("LOYALTY_POLICY_FILE")
    assert policy_path() == DEFAULT_POLICY_PATH


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        pytest.param(
            "max_points_per_entry = 5000",
            "max_points_per_entry = -5",
            "caps.max_points_per_entry: must be a positive integer, got -5",
            id="a-negative-cap",
        ),
        pytest.param(
            "points_above = 2000",
            "points_above = 2000\npoint_above = 10",
            "approvals.point_above: unknown key",
            id="a-misspelt-key-is-an-error-not-a-silently-ignored-rule",
        ),
        pytest.param(
            'carol = "staff"',
            'carol = "boss"',
            "principals.carol: role 'boss' is not one of [staff]",
            id="a-principal-with-an-undefined-role",
        ),
        pytest.param(
            'carol = "staff"',
            'system = "staff"',
            "principals.system: the name 'system' is reserved",
            id="the-name-system-is-reserved-for-the-policy-layer",
        ),
    ],
)
def test_a_wrong_entry_is_reported_with_its_key_path(old: str, new: str, problem: str) -> None:
    assert problems(MINIMAL.replace(old, new)) == (problem,)


def test_every_problem_is_listed_at_once_naming_its_key() -> None:
    bad = (
        MINIMAL.replace('"Europe/Prague"', '"Mars/Olympus"')
        .replace('mode = "recommend"', 'mode = "yolo"')
        .replace('carol = "staff"', 'carol = "boss"')
        .replace('"read", "write"', '"read", "fly"')
        .replace("per_member_per_day = 10000", 'per_member_per_day = "lots"')
    )
    assert problems(bad) == snapshot(
        (
            "timezone: unknown IANA time zone 'Mars/Olympus' (e.g. 'Europe/Prague')",
            "mode: input should be 'read_only', 'recommend' or 'automate', got 'yolo'",
            "roles.staff.permissions.1: input should be 'read', 'write', 'delete', "
            "'administer_programs', 'approve', 'change_mode' or 'reset_breaker', got 'fly'",
            "caps.per_member_per_day: must be an integer, got 'lots'",
        )
    )


def test_missing_sections_and_a_wrong_version_are_named() -> None:
    bad = MINIMAL.replace("version = 1", "version = 2").replace(
        "[approvals]\npoints_above = 2000", ""
    )
    assert problems(bad) == (
        "version: input should be 1, got 2",
        "approvals: required key is missing",
    )


def test_a_fraction_out_of_range_is_named() -> None:
    assert problems(MINIMAL + "variance_above = 0\n") == (
        "approvals.variance_above: must be a positive number, got 0",
    )
    assert problems(MINIMAL + "variance_above = 11.5\n") == (
        "approvals.variance_above: input should be less than or equal to 10, got 11.5",
    )


def test_invalid_toml_says_where() -> None:
    (problem,) = problems("version = 1\nmode = \n")
    assert problem.startswith("not valid TOML: ")
    assert "line 2" in problem


def test_a_missing_file_is_a_policy_file_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError) as caught:
        load_policy(tmp_path / "nope.toml")
    assert caught.value.problems[0].startswith("cannot read the file")
    assert str(tmp_path / "nope.toml") in str(caught.value)


def test_the_rendered_policy_reads_back_as_the_same_policy() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    assert parse_policy(render_toml(policy.to_dict())) == policy


def test_the_policy_as_a_dict_is_plain_json_for_clients() -> None:
    data = load_policy(DEFAULT_POLICY_PATH).to_dict()
    assert data["caps"] == policy_data()["caps"]
    assert data["roles"]["agent"]["permissions"] == ["read", "write"]
