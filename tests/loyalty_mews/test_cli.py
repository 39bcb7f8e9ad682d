"""`loyalty ledger ...` against the embedded sandbox (in-process, state in the data directory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import app
from tools.sandbox import STORY, Sandbox

runner = CliRunner()


def loyalty(*args: str) -> Result:
    return runner.invoke(app, ["ledger", *args])


def test_reconcile_opens_the_ledger_then_finds_no_drift_and_accrue_skips_stays_it_counts(
    cli_env: Path,
) -> None:
    first = loyalty("reconcile")
    assert first.exit_code == 0, first.output
    assert "without a ledger account" in first.output
    assert "run again with --apply" in first.output

    applied = loyalty("reconcile", "--apply", "--as", "carol")
    assert applied.exit_code == 0, applied.output
    assert "posted" in applied.output
    assert "0 to retry later, 0 dead letter(s)" in applied.output

    after = loyalty("reconcile")
    assert "0 without a ledger account, 0 with Mews ahead, 0 with the ledger ahead" in after.output

    state = cli_env / "data" / "mews-loyalty" / "sandbox-state.json"
    sandbox = Sandbox.open(state)
    emma = next(
        r.id
        for r in sandbox.state.by_idx
        if r.account_id == STORY.emma_novak and r.state == "Processed"
    )
    accrued = loyalty("accrue", "--reservation", emma, "--as", "carol")
    assert accrued.exit_code == 0, accrued.output
    # the stay ended before the ledger opened with Emma's Mews balance, which counts it
    assert f"{emma}: skipped: ended" in accrued.output
    assert "before the ledger opened with the Mews balance" in accrued.output

    history = loyalty("history", STORY.emma_novak_membership)
    assert history.exit_code == 0, history.output
    assert "accrual" not in history.output
    assert "opening_balance" in history.output
    assert "pushed 0 balance(s)" in loyalty("sync").output


def test_the_default_principal_is_an_automation_whose_writes_wait_in_recommend_mode(
    cli_env: Path,
) -> None:
    result = loyalty("reconcile", "--apply")

    assert result.exit_code == 0, result.output
    assert "pending_approval" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("history", "00000000-0000-4000-8000-000000000009"), "no ledger account"),
        (("reconcile", "--rule", "sideways"), "--rule must be adjust_ledger or push_ledger"),
        (("reconcile", "--as", "nobody"), "unknown principal 'nobody'"),
        (("accrue", "--reservation", "not-a-guid", "--as", "carol"), "reservation_ids"),
    ],
)
def test_bad_input_is_one_line_naming_what_is_wrong(
    cli_env: Path, args: tuple[str, ...], message: str
) -> None:
    result = loyalty(*args)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_incomplete_mews_configuration_is_named(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEWS_BASE_URL", "https://api.mews-demo.com")

    result = loyalty("sync")

    assert result.exit_code == 2
    assert "MEWS_CLIENT_TOKEN" in result.output


def test_facts_refresh_fills_the_read_model_then_reads_only_what_changed(cli_env: Path) -> None:
    first = runner.invoke(app, ["facts", "refresh"])
    assert first.exit_code == 0, first.output
    assert "full scan:" in first.output, "an empty model is filled by a full scan"
    assert "loyaltyMemberships/getAll" in first.output

    again = runner.invoke(app, ["facts", "refresh", "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["full"] is False
    assert report["members"] > 0
    assert report["requests"]["configuration/get"] == 1
    # the changes' UpdatedUtc window and the deleted memberships' window
    assert report["requests"]["loyaltyMemberships/getAll"] == 2

    full = runner.invoke(app, ["facts", "refresh", "--full"])
    assert full.exit_code == 0, full.output
    assert "full scan:" in full.output

    nobody = runner.invoke(app, ["facts", "refresh", "--as", "nobody"])
    assert nobody.exit_code == 2
    assert "unknown principal 'nobody'" in nobody.output
