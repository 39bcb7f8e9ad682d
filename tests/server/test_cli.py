"""`loyalty approvals approve` executes a pending request through the whole runtime."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from agent.cli import app
from policies import PendingApproval
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox


def test_a_manager_approves_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "MEWS_CLIENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'db'}")
    args = {"membership_id": STORY.emma_novak_membership, "points": 3000, "reason": "complaint"}

    async def request() -> str:
        async with await LoyaltyRuntime.open() as runtime:
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
