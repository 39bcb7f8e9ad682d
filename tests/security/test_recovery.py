"""An approval killed mid-execution is resolved by reading Mews, not left `executing` forever:
by hand (`loyalty approvals resolve ID`, a manager) or at start-up of a long-running process."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from app.connect import sandbox_state_path
from app.runtime import open_runtime
from tests.security.support import balance, loyalty, mallory_membership
from tools.mews.resources.loyalty import LoyaltyMembershipsResource
from tools.sandbox import Sandbox
from tools.sandbox.clock import parse_duration

KILLED = 137


def _request_the_delete() -> tuple[str, str]:
    membership = mallory_membership()
    args = json.dumps({"loyalty_membership_ids": [membership]})
    asked = loyalty("call", "delete_loyalty_memberships", args, "--as", "carol")
    body = json.loads(asked.stdout)
    assert body["status"] == "pending_approval", asked.output
    return membership, str(body["approval_id"])


def _killed_while_executing(monkeypatch: pytest.MonkeyPatch, *, after_mews: bool) -> None:
    """The next Mews delete kills the process, after Mews deleted or before it was reached."""
    original = LoyaltyMembershipsResource.delete

    async def delete_then_die(
        self: LoyaltyMembershipsResource, ids: Sequence[str], *, chain_id: str | None = None
    ) -> None:
        if after_mews:
            await original(self, ids, chain_id=chain_id)
        raise SystemExit(KILLED)  # no `except Exception` records anything: a kill

    monkeypatch.setattr(LoyaltyMembershipsResource, "delete", delete_then_die)


def _approval(approval_id: str) -> dict[str, Any]:
    shown = loyalty("approvals", "show", approval_id)
    assert shown.exit_code == 0, shown.output
    body: dict[str, Any] = json.loads(shown.stdout)
    return body


def _advance(minutes: int) -> None:
    """Move the embedded sandbox's clock, which is the runtime's, past the lease."""
    sandbox = Sandbox.open(sandbox_state_path())
    sandbox.clock.advance(parse_duration(f"PT{minutes}M"))
    sandbox.persist()


def _audit() -> list[dict[str, Any]]:
    exported = loyalty("audit", "export")
    assert exported.exit_code == 0, exported.output
    return [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]


def _approve_and_kill(monkeypatch: pytest.MonkeyPatch, *, after_mews: bool) -> tuple[str, str]:
    membership, approval_id = _request_the_delete()
    with monkeypatch.context() as patch:
        _killed_while_executing(patch, after_mews=after_mews)
        approved = loyalty("approvals", "approve", approval_id, "--as", "bob")
    assert approved.exit_code == KILLED, approved.output
    assert _approval(approval_id)["status"] == "executing"
    return membership, approval_id


def test_a_delete_killed_after_mews_deleted_is_resolved_as_executed(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    membership, approval_id = _approve_and_kill(monkeypatch, after_mews=True)

    early = loyalty("approvals", "resolve", approval_id, "--as", "alice")
    assert early.exit_code == 1  # within the lease the call may still be running
    assert "may still be running" in early.output
    assert _approval(approval_id)["status"] == "executing"

    _advance(11)  # the shipped lease is 10 minutes
    staff = loyalty("approvals", "resolve", approval_id, "--as", "carol")
    assert staff.exit_code == 1
    assert "approve" in staff.output  # resolving is a manager's decision
    resolved = loyalty("approvals", "resolve", approval_id, "--as", "alice")

    assert resolved.exit_code == 0, resolved.output
    assert f"resolved {approval_id}: executed" in resolved.stdout
    approval = _approval(approval_id)
    assert approval["status"] == "executed"
    assert approval["result"] == {"deleted": [membership], "recovered": True}
    records = [r for r in _audit() if r["approval_id"] == approval_id]
    outcome = next(
        r
        for r in records
        if r["action"] == "delete_loyalty_memberships" and r["decision"] == "executed"
    )
    assert outcome["principal"] == "bob"  # the execution bob's approval started
    early, by_staff, resolution = (r for r in records if r["action"] == "approvals.resolve")
    assert (early["decision"], early["rule"]) == ("deny", "approvals.executing")
    assert (by_staff["principal"], by_staff["rule"]) == ("carol", "role.permission")
    assert (resolution["principal"], resolution["decision"]) == ("alice", "allow")
    assert resolution["result"]["status"] == "executed"
    again = loyalty("approvals", "resolve", approval_id, "--as", "alice")
    assert again.exit_code == 1
    assert "is executed" in again.output
    assert loyalty("audit", "verify").exit_code == 0


def test_a_delete_killed_before_reaching_mews_is_resolved_as_failed_at_start_up(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    membership, approval_id = _approve_and_kill(monkeypatch, after_mews=False)
    _advance(11)

    async def start_a_server() -> None:  # what serve, web and the webhook worker open with
        async with open_runtime(recover=True):
            pass

    anyio.run(start_a_server)

    approval = _approval(approval_id)
    assert approval["status"] == "failed"
    assert "not visible in Mews: nothing changed" in approval["error"]
    assert balance() >= 0  # the membership is still there
    assert mallory_membership() == membership
    records = [r for r in _audit() if r["approval_id"] == approval_id]
    assert any(
        r["action"] == "delete_loyalty_memberships" and r["decision"] == "failed" for r in records
    )
    resolution = next(r for r in records if r["action"] == "approvals.resolve")
    assert resolution["principal"] == "system"
    assert resolution["result"]["status"] == "failed"
