"""`loyalty demo` runs offline, end to end, and says what happens at each step."""

from __future__ import annotations

import re
import time
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from tests.text import assert_contains

runner = CliRunner()


def test_the_demo_walks_through_every_step_and_exits_0(cli_env: Path) -> None:
    started = time.perf_counter()

    result = runner.invoke(app, ["demo"])

    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "SCRIPTED" in out
    assert "assistant (scripted)> Emma Novak has 6,240 points" in out
    assert re.search(r"award_points\(.*\) → proposed", out)
    assert_contains(
        out,
        [
            "carol> /confirm prop_1",
            '"status": "pending_approval"',
            "does not offer decide_approval to carol (staff)",
            "alice (manager)> /approve apr_",
            "Points: 6240 before the approval, 8740 now (ledger balance 8740)",
            "✔ the guardrail refused it; the copy was redrafted from the draft:",
            "audit chain intact",
        ],
    )
    assert "✘" not in out.replace("    ✘ ", "")  # only the guardrail's findings are crosses
    assert out.count("✔") >= 10
    assert "✔ demo finished" in out
    assert elapsed < 15
    assert not any((cli_env / "data").glob("**/*")), "the demo leaves the user's data alone"
