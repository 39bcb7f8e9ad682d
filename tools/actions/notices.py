"""`NoticeDispatcher`: delivers the notices the writes queued for Mews in their own transaction.

- `tasks/add`: an approval request waiting for a manager (queued by the policy layer) and a
  redeemed reward to fulfil (queued by `redeem_reward`);
- `accountNotes/add`: a write made by the assistant, noted on the guest's profile (queued by the
  policy layer for agent-kind principals).

Because they are queued with the write, a write is never lost to a Mews failure and a notice is
never sent for a write that rolled back. Delivery is at least once: a failure backs off and is
retried on the next drain, and ends as a dead letter after `max_attempts` (visible in the
outbox). Balance pushes (`loyaltyMemberships/update`) are the ledger's `OutboxDispatcher`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.clock import Clock
from policies.outbox import OutboxCommand, claim, complete, fail
from policies.store import Store
from tools.mews import MewsClient, MewsError
from tools.mews.models import AccountNoteParameters, TaskParameters

__all__ = ["NOTICE_KINDS", "NoticeDispatcher", "NoticeReport"]

NOTICE_KINDS = ("tasks/add", "accountNotes/add")


@dataclass(frozen=True)
class NoticeReport:
    delivered: int
    failed: int


class NoticeDispatcher:
    def __init__(
        self,
        mews: MewsClient,
        store: Store,
        *,
        clock: Clock,
        chain_id: Callable[[], Awaitable[str]] | None = None,
        tasks_mews: MewsClient | None = None,
        max_attempts: int = 12,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        """`tasks_mews`: the client for `tasks/add`, which Mews refuses to portfolio tokens
        (default: `mews`); `chain_id`: the chain of the notes (portfolio tokens need it)."""
        self.mews = mews
        self.tasks_mews = tasks_mews or mews
        self.chain_id = chain_id
        self.store = store
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = lease

    async def drain(self, limit: int = 100) -> NoticeReport:
        commands = claim(
            self.store, now=self.clock.now(), limit=limit, lease=self.lease, kinds=NOTICE_KINDS
        )
        delivered = failed = 0
        for command in commands:
            try:
                result = await self._send(command)
            except (MewsError, ValueError) as exc:  # ValueError: a payload Mews cannot take
                fail(
                    self.store,
                    command.id,
                    f"{type(exc).__name__}: {exc}"[:500],
                    now=self.clock.now(),
                    max_attempts=self.max_attempts,
                )
                failed += 1
                continue
            complete(self.store, command.id, now=self.clock.now(), result=result)
            delivered += 1
        return NoticeReport(delivered, failed)

    async def _send(self, command: OutboxCommand) -> str | list[str]:
        payload = command.payload
        if command.kind == "tasks/add":
            task = TaskParameters(
                name=str(payload["Name"]),
                deadline_utc=datetime.fromisoformat(str(payload["DeadlineUtc"])),
                description=payload.get("Description"),
            )
            return await self.tasks_mews.tasks.add(task)
        notes = [
            AccountNoteParameters(account_id=str(note["AccountId"]), content=str(note["Content"]))
            for note in payload["AccountNotes"]
        ]
        chain = payload.get("ChainId") or (await self.chain_id() if self.chain_id else None)
        added = await self.mews.account_notes.add(notes, chain_id=chain)
        return [note.id for note in added]
