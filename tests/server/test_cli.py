"""`loyalty approvals approve` executes a pending request through the whole runtime."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from app.cli import app
from app.commands.serve import _warn_if_toolless, principal_named_by_role
from app.runtime import open_runtime
from policies import PendingApproval, load_policy, resolve_principal
from tools.sandbox import STORY, Sandbox
from tools.server import TOOLSETS


def test_a_manager_approves_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "MEWS_CLIENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'db'}")
    args = {"membership_id": STORY.emma_novak_membership, "points": 3000, "reason": "complaint"}

    async def request() -> str:
        async with open_runtime() as runtime:
            outcome = await runtime.guard.submit(
                runtime.guard.principal("carol"), "award_points", args
            )
        assert isinstance(outcome, PendingApproval)
        return outcome.approval_id

    approval_id = anyio.run(request)
    runner = CliRunner()

    own = runner.invoke(app, ["approvals", "approve", approval_id, "--as", "carol"])
    done = runner.invoke(app, ["approvals", "approve", approval_id, "--as", "alice"])

    assert own.exit_code == 1  # carol may not approve (and never her own request)
    assert done.exit_code == 0, done.output
    assert f"approved {approval_id}" in done.output
    saved = Sandbox.open(tmp_path / "data" / "mews-loyalty" / "sandbox-state.json")
    points = {m.id: m.points for m in saved.state.memberships}
    assert points[STORY.emma_novak_membership] == 9240


def _offline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "MEWS_CLIENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LOYALTY_POLICY_FILE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    database = tmp_path / "db"
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{database}")
    return database


def test_serve_with_a_role_acts_as_the_one_principal_the_policy_gives_that_role() -> None:
    assert principal_named_by_role(load_policy(), "staff") == "carol"
    assert principal_named_by_role(load_policy(), "viewer") == "vera"


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("manager", "several principals have the role 'manager' (--role): alice, bob"),
        ("chef", "unknown role 'chef' (--role)"),
    ],
)
def test_serve_refuses_a_role_no_single_principal_holds_before_opening_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str, message: str
) -> None:
    database = _offline_env(tmp_path, monkeypatch)

    result = CliRunner().invoke(app, ["serve", "--role", role])

    assert result.exit_code == 2
    assert message in result.output
    assert not database.exists()


def test_serve_refuses_no_auth_off_loopback_before_opening_the_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _offline_env(tmp_path, monkeypatch)

    result = CliRunner().invoke(
        app, ["serve", "--transport", "http", "--host", "0.0.0.0", "--no-auth"]
    )

    assert result.exit_code == 2
    assert "--no-auth is refused on 0.0.0.0" in result.output
    assert not database.exists()
    assert not (tmp_path / "data").exists()


def test_serve_help_lists_every_toolset() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for toolset in TOOLSETS:
        assert toolset in result.output


def test_serve_warns_when_the_principals_toolsets_leave_no_tool(
    capsys: pytest.CaptureFixture[str],
) -> None:
    carol = resolve_principal(load_policy(), "carol")

    _warn_if_toolless(carol, ("approvals",))
    warned = capsys.readouterr().err
    _warn_if_toolless(carol, ("member",))

    assert "WARNING: carol (staff) may call none of the tools of --toolsets approvals" in warned
    assert "carol can use: member" in warned
    assert capsys.readouterr().err == ""
