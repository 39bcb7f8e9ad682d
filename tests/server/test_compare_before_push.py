"""Compare-before-push: a change of Points made in Mews survives our next push and shows in the
ledger as an adjustment attributed to Mews; two ledgers pushing to one membership do not
overwrite each other's points, and the second ledger is detected."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.commands.serve import _warn_if_second_ledger
from policies import records
from storage.outbox import list_commands, outbox_table
from tests.server.clients import Connect, body, connector, sqlite_runtime
from tools.mews.models import LoyaltyMembershipUpdateParameters, UpdateValue
from tools.runtime import LoyaltyRuntime, sandbox_client
from tools.sandbox import STORY, Sandbox

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership


def award(points: int, reason: str) -> dict[str, Any]:
    return {"membership_id": EMMA, "points": points, "reason": reason}


async def posted(connect: Connect, points: int, reason: str) -> int:
    """Award through the MCP tool as carol; the balance the ledger reports."""
    async with connect("carol", ("member",)) as client:
        result = body(await client.call_tool("award_points", award(points, reason)))
    assert result["status"] == "posted", result
    return int(result["result"]["balance"])


async def mews_points(sandbox: Sandbox) -> int:
    async with sandbox_client(sandbox) as mews:
        [membership] = await mews.loyalty_memberships.get_all(
            loyalty_membership_ids=[EMMA]
        ).to_list()
    return membership.points or 0


async def edit_in_mews(sandbox: Sandbox, points: int) -> None:
    """Someone sets Emma's Points in Mews Operations (not through this ledger)."""
    async with sandbox_client(sandbox) as mews:
        update = LoyaltyMembershipUpdateParameters(
            loyalty_membership_id=EMMA, points=UpdateValue[int](value=points)
        )
        await mews.loyalty_memberships.update([update], chain_id=STORY.chain_id)


async def history(connect: Connect) -> list[dict[str, Any]]:
    async with connect("carol", ("member",)) as client:
        page = body(await client.call_tool("get_points_history", {"membership_id": EMMA}))
    return list(page["entries"])


async def test_an_edit_made_in_mews_between_two_awards_survives_as_an_external_adjustment(
    runtime: LoyaltyRuntime, connect: Connect, sandbox: Sandbox
) -> None:
    first = await posted(connect, 25, "late checkout")
    assert await mews_points(sandbox) == first
    await edit_in_mews(sandbox, first + 500)  # a goodwill gesture keyed in at the desk

    assert await posted(connect, 40, "spa booking") == first + 40

    entries = await history(connect)
    assert await mews_points(sandbox) == first + 500 + 40, "the edit was carried, not overwritten"
    assert entries[0]["balance_after"] == first + 500 + 40, "and the ledger holds it too"
    external = [e for e in entries if e["actor"] == "mews"]
    assert [(e["kind"], e["points"], e["source"]) for e in external] == [
        ("adjustment", 500, f"mews:{EMMA}")
    ]
    assert f"Mews showed {first + 500}" in external[0]["reason"]
    [audited] = [r for r in records(runtime.store) if r.action == "external_points_change"]
    assert (audited.principal, audited.decision) == ("mews", "executed")
    assert audited.result == {
        "entry_id": external[0]["entry_id"],
        "points": 500,
        "balance": first + 40 + 500,
    }


async def test_a_push_whose_answer_was_lost_is_not_taken_for_an_edit(
    runtime: LoyaltyRuntime, connect: Connect, sandbox: Sandbox
) -> None:
    await posted(connect, 25, "late checkout")
    # The next push reaches Mews but its answer is lost: we record no delivery...
    sandbox.faults.fail_next(409, 1, path="/api/connector/v1/loyaltyMemberships/update")
    second = await posted(connect, 40, "spa booking")
    assert [c.payload["Points"] for c in list_commands(runtime.store)] == [second]
    await edit_in_mews(sandbox, second)  # ...although Mews applied it
    with runtime.store.write() as conn:  # its backoff has passed
        conn.execute(outbox_table.update().values(next_attempt_at=datetime(2000, 1, 1)))

    third = await posted(connect, 5, "survey")

    assert third == second + 5
    assert [e for e in await history(connect) if e["actor"] == "mews"] == []
    assert await mews_points(sandbox) == third
    assert list_commands(runtime.store) == []


@pytest.fixture
async def second_runtime(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[LoyaltyRuntime]:
    """Another machine's `loyalty serve`: the same Mews, its own SQLite file."""
    async with await sqlite_runtime(tmp_path / "other-machine.db", sandbox=sandbox) as opened:
        yield opened


async def test_two_ledgers_on_two_sqlite_files_do_not_overwrite_each_others_points(
    runtime: LoyaltyRuntime,
    connect: Connect,
    second_runtime: LoyaltyRuntime,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = connector(second_runtime, ("member",))
    opening = await mews_points(sandbox)

    with caplog.at_level(logging.WARNING, logger="tools.loyalty.sync"):
        await posted(connect, 100, "first machine")
        await posted(other, 50, "second machine")
        await posted(connect, 10, "first machine again")
        await posted(other, 5, "second machine again")
        await posted(connect, 1, "first machine, third award")

    assert await mews_points(sandbox) == opening + 100 + 50 + 10 + 5 + 1, "every award counted"
    assert (await history(connect))[0]["balance_after"] == opening + 166
    # The second machine opened Emma's account with what Mews showed (the first's 100 in it).
    seen_by_first = [e["points"] for e in await history(connect) if e["actor"] == "mews"]
    seen_by_second = [e["points"] for e in await history(other) if e["actor"] == "mews"]
    assert (seen_by_first, seen_by_second) == ([5, 50], [10]), "newest first"
    # The first machine saw Emma's Points change outside its ledger twice within a day.
    assert "Another ledger is probably pushing to the same memberships" in caplog.text
    assert "one PostgreSQL database" in (runtime.second_ledger_warning() or "")
    assert second_runtime.second_ledger_warning() is None, "it saw one external change only"


async def test_serve_warns_at_start_when_a_second_ledger_was_detected(
    connect: Connect,
    second_runtime: LoyaltyRuntime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = connector(second_runtime, ("member",))
    for number in range(3):
        await posted(connect, 10, f"first machine {number}")
        await posted(other, 10, f"second machine {number}")

    _warn_if_second_ledger(second_runtime)

    warned = capsys.readouterr().err
    assert "WARNING: Mews Points of 1 membership(s) changed outside this ledger 2 times" in warned
    assert "LOYALTY_DATABASE_URL" in warned
