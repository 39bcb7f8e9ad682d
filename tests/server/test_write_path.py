"""One award's path to Mews: one claim inside its own transaction, the outcome recorded in one
more, a fresh read of the membership's Points before the push (compare-before-push), and the
directory's read of a membership once for a burst of writes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from storage import outbox
from storage.outbox import enqueue, list_commands
from tests.server.clients import Connect, body
from tools import runtime as runtime_module
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

AWARD = {"membership_id": STORY.emma_novak_membership, "points": 25, "reason": "late checkout"}


class WriteTransactions:
    """Counts the commits of transactions that wrote (SQLAlchemy events on the engine)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self._wrote: set[int] = set()
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            self._wrote.add(id(conn))

    def _commit(self, conn: Any) -> None:
        if id(conn) in self._wrote:
            self._wrote.discard(id(conn))
            self.count += 1


async def test_an_award_reaches_mews_in_two_write_transactions_and_two_mews_requests(
    runtime: LoyaltyRuntime, connect: Connect
) -> None:
    """Two Mews requests on purpose: `loyaltyMemberships/getAll` reads the Points Mews holds
    right before the push, so a change made in Mews since our last push is recorded and kept
    rather than overwritten (correctness needs that fresh read; no cache can stand in for it),
    then `loyaltyMemberships/update` pushes. Nothing more: no extra write transaction (what
    Mews accepted is recorded with the delivery), no further request."""
    async with connect("carol", ("member",)) as client:
        await client.call_tool("award_points", {**AWARD, "reason": "warm up"})
        writes = WriteTransactions(runtime.store.engine)
        runtime.mews.stats.reset()
        result = await client.call_tool("award_points", AWARD)

    assert body(result)["status"] == "posted"
    assert writes.count == 2, "the write (with its claim) and the recorded delivery"
    assert runtime.mews.stats.requests == {
        "loyaltyMemberships/getAll": 1,
        "loyaltyMemberships/update": 1,
    }
    balance = body(result)["result"]["balance"]
    query = runtime.mews.loyalty_memberships.get_all(
        loyalty_membership_ids=[STORY.emma_novak_membership]
    )
    assert [m.points for m in await query.to_list()] == [balance]
    assert list_commands(runtime.store) == [], "nothing pending, in flight or dead"


async def test_a_write_delivers_a_waiting_backlog_and_claims_again_only_after_a_full_claim(
    runtime: LoyaltyRuntime, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "CLAIM_BATCH", 2)
    monkeypatch.setattr(runtime_module, "CLAIM_BATCH", 2)
    claims: list[int] = []
    real_claim = runtime_module.claim

    def counted(*args: Any, **kwargs: Any) -> list[outbox.OutboxCommand]:
        claimed = real_claim(*args, **kwargs)
        claims.append(len(claimed))
        return claimed

    monkeypatch.setattr(runtime_module, "claim", counted)
    with runtime.store.write() as conn:  # a backlog: two pushes queued by hand
        for points in (7, 9):
            enqueue(
                conn,
                "loyaltyMemberships/update",
                {"LoyaltyMembershipId": STORY.emma_novak_membership, "Points": points},
                now=runtime.clock.now(),
            )
    async with connect("carol", ("member",)) as client:
        result = await client.call_tool("award_points", AWARD)

    assert body(result)["status"] == "posted"
    # The write's own claim took the 2 oldest (full), so one more claim took the rest
    # (1, short): no further claim.
    assert claims == [1]
    assert list_commands(runtime.store) == [], "nothing pending, in flight or dead"


async def test_a_burst_of_awards_to_one_member_reads_the_membership_once(
    runtime: LoyaltyRuntime, connect: Connect
) -> None:
    async with connect("carol", ("member",)) as client:
        runtime.mews.stats.reset()
        for number in range(3):
            result = await client.call_tool("award_points", {**AWARD, "reason": f"burst {number}"})
            assert body(result)["status"] == "posted"

    # The directory reads the membership once; each of the 3 pushes reads its Points afresh
    # (compare-before-push) and updates once.
    assert runtime.mews.stats.requests["loyaltyMemberships/getAll"] == 1 + 3
    assert runtime.mews.stats.requests["loyaltyMemberships/update"] == 3


async def test_a_program_added_through_the_admin_tools_is_known_to_the_facts_at_once(
    runtime: LoyaltyRuntime, connect: Connect
) -> None:
    before = await runtime.loader.program_codes()  # cached for the process
    async with connect("dave") as client:
        added = body(
            await client.call_tool(
                "add_loyalty_programs", {"programs": [{"name": "Spa Circle", "code": "SPA1"}]}
            )
        )
    program_id = added["result"]["loyalty_programs"][0]["id"]

    assert program_id not in before
    assert (await runtime.loader.program_codes())[program_id] == "SPA1"


class Statements:
    """Every statement the engine sends (`before_cursor_execute`), transaction control too."""

    def __init__(self, engine: sa.Engine) -> None:
        self.sent: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sent.append(" ".join(statement.split())[:80])


MAX_STATEMENTS_PER_AWARD = 15
"""Issue 18: 35 statements before its write-path work, then 20; now 15 (bench/award_points.py
counts them the same way), each for one thing:

The write (one transaction):
 1. BEGIN IMMEDIATE
 2. SELECT mode, breaker, the day's cap sums and the idempotency key's record (UNION ALL):
    a retry is answered here, before deciding (policies.usage.state_and_usage_today)
 3. UPDATE the account's balance and version RETURNING it, with what Mews last accepted
    (loyalty_mews_points): the row lock, no read before it (ledger._post_moved_lot)
 4. INSERT the lot ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id (a used key
    undoes 3 and replays)
 5. INSERT the balance push into the outbox unless one of the key waits (coalesced)
 6. UPDATE the open lots' expiry (activity resets the clock) RETURNING the open lots and
    debts: the available points and the debts the lot settles
 7. INSERT the cap usage log
 8. INSERT ... ON CONFLICT DO UPDATE the day's cap sums (one executemany)
 9. INSERT the idempotency record (its primary key refuses a concurrent twin)
10. UPDATE the outbox: lease the due commands, ours first, RETURNING them (storage.queue)
11. UPDATE the audit chain's head (where this process left it)
12. INSERT the audit record
No statement before the push: Mews shows the Points the write expected, so the comparison
reads nothing (tools.loyalty.sync._as_expected). The settlement (one transaction):
13. BEGIN IMMEDIATE
14. UPDATE loyalty_mews_points: what Mews accepted (compare-before-push starts there)
15. UPDATE the outbox command: done, with Mews' answer"""


async def test_an_award_sends_at_most_its_pinned_statements_in_two_write_transactions(
    runtime: LoyaltyRuntime, connect: Connect
) -> None:
    async with connect("carol", ("member",)) as client:
        for membership_id in (STORY.business_traveller_membership, AWARD["membership_id"]):
            # warm up: two members' accounts, and what Mews holds recorded for each
            await client.call_tool(
                "award_points", {**AWARD, "membership_id": membership_id, "reason": "warm up"}
            )
        writes = WriteTransactions(runtime.store.engine)
        statements = Statements(runtime.store.engine)
        result = await client.call_tool("award_points", AWARD)

    assert body(result)["status"] == "posted"
    assert writes.count == 2
    sent = "\n".join(statements.sent)
    assert len(statements.sent) <= MAX_STATEMENTS_PER_AWARD, sent
    assert not [s for s in statements.sent if s.startswith(("SAVEPOINT", "BEGIN DEFERRED"))], sent
