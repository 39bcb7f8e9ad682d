"""`loyalty call`: one tool from the shell, through the policy layer; a policy file takes effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import app
from policies.config import render_toml
from tests.policies.support import policy_data

runner = CliRunner()
EMMA_MEMBERSHIP = "058abe17-c64a-5ec1-983e-25a10fbfde93"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'call.sqlite3'}")
    monkeypatch.delenv("LOYALTY_POLICY_FILE", raising=False)
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def loyalty(*args: str) -> Result:
    return runner.invoke(app, ["call", *args])


def award(points: int) -> str:
    return json.dumps({"membership_id": EMMA_MEMBERSHIP, "points": points, "reason": "spa closure"})


def test_an_award_within_the_thresholds_posts_and_shows_the_new_balance() -> None:
    result = loyalty("award_points", award(1500))
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "posted"
    assert body["result"]["balance"] == 6240 + 1500


def test_above_the_threshold_is_pending_and_above_the_cap_is_denied_with_exit_1() -> None:
    pending = loyalty("award_points", award(3000))
    assert pending.exit_code == 0
    assert json.loads(pending.stdout)["status"] == "pending_approval"
    denied = loyalty("award_points", award(9000))
    assert denied.exit_code == 1
    assert json.loads(denied.stdout) == {
        "status": "denied",
        "rule": "caps.max_points_per_entry",
        "reason": "9,000 points in one entry exceed the cap of 5,000",
    }


def test_a_policy_file_switch_to_read_only_takes_effect_at_once(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_file = isolated / "policy.toml"
    policy_file.write_text(render_toml(policy_data(mode="read_only")), encoding="utf-8")
    monkeypatch.setenv("LOYALTY_POLICY_FILE", str(policy_file))
    result = loyalty("award_points", award(100))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["rule"] == "mode.read_only"


def test_a_lowered_cap_in_the_policy_file_denies_what_the_default_allowed(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_file = isolated / "policy.toml"
    policy_file.write_text(
        render_toml(policy_data(caps={"max_points_per_entry": 1000})), encoding="utf-8"
    )
    monkeypatch.setenv("LOYALTY_POLICY_FILE", str(policy_file))
    result = loyalty("award_points", award(1500))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["rule"] == "caps.max_points_per_entry"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["award_points", "{oops"], "error: ARGUMENTS is not JSON"),
        (["award_points", "[1]"], "error: ARGUMENTS must be a JSON object, got list"),
        (["nope"], "error: unknown tool 'nope' for carol (staff)"),
        (["list_rewards", "{}", "--as", "nobody"], "error: unknown principal 'nobody'"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_2(args: list[str], message: str) -> None:
    result = loyalty(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_bad_arguments_name_the_field_and_write_nothing() -> None:
    result = loyalty("award_points", json.dumps({"membership_id": EMMA_MEMBERSHIP, "points": "x"}))
    assert result.exit_code == 1
    fields = {error["field"] for error in json.loads(result.stdout)["errors"]}
    assert fields == {"points", "reason"}
    found = json.loads(loyalty("find_members", '{"query": "Emma Novak"}').stdout)
    (membership,) = found["candidates"][0]["memberships"]
    assert membership["points_available"] == 6240
