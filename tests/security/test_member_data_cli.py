"""`loyalty member export|erase`: a manager's data-subject requests, under the command line's
identity rule, with clear errors for ids the product does not know."""

from __future__ import annotations

import json
from pathlib import Path

from tests.security.support import loyalty
from tests.security.test_cli_identity import REAL_MEWS
from tools.sandbox import STORY

EMMA = STORY.emma_novak_membership
AWARD = {"membership_id": EMMA, "points": 300, "reason": "spa closure, Emma was upset"}


def test_a_manager_exports_a_member_and_staff_cannot(world: Path) -> None:
    assert loyalty("call", "award_points", json.dumps(AWARD), "--as", "carol").exit_code == 0

    exported = loyalty("member", "export", STORY.emma_novak, "--as", "alice")
    refused = loyalty("member", "export", EMMA, "--as", "carol")
    to_file = loyalty("member", "export", EMMA, "--as", "alice", "-o", str(world / "emma.json"))

    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert data["membership_ids"] == [EMMA]
    assert [e["points"] for e in data["ledger"]["entries"]] == [6240, 300]
    assert refused.exit_code == 1
    assert "lacks the 'approve' permission that export_member needs" in refused.stderr
    assert to_file.exit_code == 0, to_file.output
    assert "2 ledger entries" in to_file.stdout
    assert json.loads((world / "emma.json").read_text())["customer_ids"] == [STORY.emma_novak]


def test_an_erase_waits_for_a_second_manager_then_keeps_the_amounts(world: Path) -> None:
    assert loyalty("call", "award_points", json.dumps(AWARD), "--as", "carol").exit_code == 0

    asked = loyalty("member", "erase", EMMA, "--as", "alice")
    approval_id = asked.stdout.split()[2].rstrip(":")
    approved = loyalty("approvals", "approve", approval_id, "--as", "bob")
    history = loyalty("ledger", "history", EMMA)

    assert asked.exit_code == 0, asked.output
    assert asked.stdout.startswith("pending approval apr_")
    assert approved.exit_code == 0, approved.output
    assert "[erased]" in history.stdout
    assert "Emma was upset" not in history.stdout
    assert "+300" in history.stdout


def test_unknown_and_malformed_ids_are_clear_errors(world: Path) -> None:
    unknown = loyalty("member", "export", "00000000-0000-0000-0000-000000000000", "--as", "alice")
    malformed = loyalty("member", "erase", "emma", "--as", "alice")

    assert unknown.exit_code == 2
    assert "no member '00000000-0000-0000-0000-000000000000'" in unknown.stderr
    assert malformed.exit_code == 2
    assert "member_id: 'emma' is not a Mews id" in malformed.stderr


def test_against_real_mews_a_bare_as_cannot_export(world: Path) -> None:
    result = loyalty("member", "export", EMMA, "--as", "alice", env=REAL_MEWS)

    assert result.exit_code == 2
    assert "acts only as a principal it can prove: set LOYALTY_TOKEN" in result.stderr
