"""`NoticeDispatcher`: delivers the notices the writes queued for Mews in their own transaction.

- `tasks/add`: an approval request waiting for a manager (queued by the policy layer) and a
  redeemed reward or an upsell to fulfil (queued by `redeem_reward` and `accept_upsell`, linked
  to the reservation and sent to its hotel). Approval requests delivered together
  are announced in one digest task per hotel ("Loyalty approvals: 12 waiting",
  `approval_digest`); a single request keeps its own task, fulfilment tasks are never merged;
- `orders/add`: the reward or upsell on the guest's stay (`tools.actions.fulfilment`), posted
  once: an earlier delivery is found by its `ExternalIdentifier` before posting again;
- `accountNotes/add`: a write made by the assistant, noted on the guest's profile (queued by the
  policy layer for agent-kind principals).

Because they are queued with the write, a write is never lost to a Mews failure and a notice is
never sent for a write that rolled back. Delivery is at least once: a failure backs off and is
retried on the next drain, and ends as a dead letter after `max_attempts` (visible in the
outbox). Balance pushes (`loyaltyMemberships/update`) are the ledger's `OutboxDispatcher`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy.engine import Connection

from policies.approvals import Approval
from policies.approvals import get as get_approval
from policies.errors import ApprovalNotFoundError
from storage.clock import Clock
from storage.outbox import Delivered, OutboxCommand, Undelivered, claim, enqueue, settle
from storage.store import Store
from tools.actions.approval_digest import DigestLine, digest_payload
from tools.actions.fulfilment import ORDER_KIND, send_order
from tools.loyalty.delivery import send_in_halves
from tools.mews import MewsClient, MewsError
from tools.mews.models import AccountNoteParameters, TaskParameters, format_utc

__all__ = [
    "NOTES_PER_REQUEST",
    "NOTICE_KINDS",
    "ApprovalSentences",
    "NoticeDispatcher",
    "NoticeReport",
    "is_approval_notice",
    "queue_task",
]

NOTICE_KINDS = ("tasks/add", "accountNotes/add", ORDER_KIND)
_log = logging.getLogger(__name__)


NOTES_PER_REQUEST = 100

ApprovalSentences = Callable[[Sequence[Approval]], Awaitable[list[str]]]
"""Each request told in words, with the member's name (`approval_views.describe_approvals`)."""


def is_approval_notice(command: OutboxCommand) -> bool:
    """A task announcing an approval request (`policies.approvals.task_payload`)."""
    return command.kind == "tasks/add" and isinstance(command.payload.get("ApprovalId"), str)


def queue_task(
    conn: Connection,
    *,
    name: str,
    description: str,
    deadline: datetime,
    now: datetime,
    service_order_id: str | None = None,
    enterprise_id: str | None = None,
) -> None:
    """Queue a Mews task for the property in the write's own transaction (`tasks/add`);
    `service_order_id` links it to a reservation, `enterprise_id` sends it to that hotel."""
    payload: dict[str, object] = {
        "Name": name[:100],
        "DeadlineUtc": format_utc(deadline),
        "Description": description,
    }
    if service_order_id is not None:
        payload["ServiceOrderId"] = service_order_id
    if enterprise_id is not None:
        payload["EnterpriseId"] = enterprise_id
    enqueue(conn, "tasks/add", payload, now=now)


@dataclass(frozen=True)
class NoticeReport:
    delivered: int
    failed: int

    def __add__(self, other: NoticeReport) -> NoticeReport:
        return NoticeReport(self.delivered + other.delivered, self.failed + other.failed)


def _note_batches(commands: list[OutboxCommand]) -> list[list[OutboxCommand]]:
    """Note commands grouped by chain, at most `NOTES_PER_REQUEST` notes per batch."""
    by_chain: dict[object, list[list[OutboxCommand]]] = {}
    for command in commands:
        batches = by_chain.setdefault(command.payload.get("ChainId"), [[]])
        size = sum(len(c.payload["AccountNotes"]) for c in batches[-1])
        if batches[-1] and size + len(command.payload["AccountNotes"]) > NOTES_PER_REQUEST:
            batches.append([])
        batches[-1].append(command)
    return [batch for batches in by_chain.values() for batch in batches]


class NoticeDispatcher:
    def __init__(
        self,
        mews: MewsClient,
        store: Store,
        *,
        clock: Clock,
        chain_id: Callable[[], Awaitable[str]] | None = None,
        enterprise_mews: Mapping[str, MewsClient] | None = None,
        max_attempts: int = 12,
        lease: timedelta = timedelta(minutes=2),
        sentences: ApprovalSentences | None = None,
        zone: tzinfo = UTC,
    ) -> None:
        """`enterprise_mews`: single-enterprise clients by enterprise id for `tasks/add`, which
        Mews refuses to portfolio tokens: a task goes to its payload's `EnterpriseId` (the hotel
        of its reservation), else to the first of them; without any, through `mews`. Orders
        (`orders/add`) take the same route (a portfolio token would need their `EnterpriseId`,
        which they carry).
        `chain_id`: the chain of the notes (portfolio tokens need it).
        `sentences`: how a digest tells its requests (without it, each request's own note).
        `zone`: the enterprise's time zone, in which a digest tells its deadline."""
        self.mews = mews
        self.enterprise_mews = dict(enterprise_mews or {})
        self.chain_id = chain_id
        self.store = store
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = lease
        self.sentences = sentences
        self.zone = zone

    async def drain(self, limit: int = 100) -> NoticeReport:
        commands = claim(
            self.store, now=self.clock.now(), limit=limit, lease=self.lease, kinds=NOTICE_KINDS
        )
        outcomes = await self.deliver(commands)
        statuses = settle(self.store, outcomes, now=self.clock.now())
        delivered = sum(1 for status in statuses.values() if status == "done")
        return NoticeReport(delivered, len(statuses) - delivered)

    async def deliver(self, commands: Sequence[OutboxCommand]) -> list[Delivered | Undelivered]:
        """Send claimed notices; the outcome of each (for `settle`, run once by the caller)."""
        outcomes: list[Delivered | Undelivered] = []
        notes = [command for command in commands if command.kind == "accountNotes/add"]
        announcements = [command for command in commands if is_approval_notice(command)]
        for command in commands:
            if command.kind != "accountNotes/add" and not is_approval_notice(command):
                outcomes.extend(await self._deliver([command]))
        outcomes.extend(await self._announce(announcements))
        # Notes go out together (one request per chain and batch): at burst volume one
        # request per note would eat the 200-requests-per-30-s budget of the access token.
        for batch in _note_batches(notes):
            outcomes.extend(await self._deliver(batch))
        return outcomes

    async def _deliver(self, batch: list[OutboxCommand]) -> list[Delivered | Undelivered]:
        # ValueError: a payload Mews cannot take, or a hotel without an access token
        return await send_in_halves(
            batch, self._send_batch, self._failed, failures=(MewsError, ValueError)
        )

    async def _send_batch(self, batch: list[OutboxCommand]) -> list[Delivered]:
        results = await self._send_all(batch)
        return [
            Delivered(command.id, outcome) for command, outcome in zip(batch, results, strict=True)
        ]

    def _failed(self, batch: list[OutboxCommand], exc: Exception) -> list[Undelivered]:
        error = f"{type(exc).__name__}: {exc}"[:500]
        return [Undelivered(command.id, error, self.max_attempts) for command in batch]

    async def _send_all(self, batch: list[OutboxCommand]) -> list[str | list[str]]:
        """Send one command, or several note commands as one `accountNotes/add`; the result of
        each command, in order (the ids of its notes)."""
        if batch[0].kind != "accountNotes/add":
            return [await self._send(command) for command in batch]
        notes = [
            AccountNoteParameters(account_id=str(note["AccountId"]), content=str(note["Content"]))
            for command in batch
            for note in command.payload["AccountNotes"]
        ]
        chain = batch[0].payload.get("ChainId") or (
            await self.chain_id() if self.chain_id else None
        )
        ids = [note.id for note in await self.mews.account_notes.add(notes, chain_id=chain)]
        results: list[str | list[str]] = []
        for command in batch:
            count = len(command.payload["AccountNotes"])
            results.append(ids[:count])
            ids = ids[count:]
        return results

    async def _send(self, command: OutboxCommand) -> str:
        payload = command.payload
        if command.kind == ORDER_KIND:
            client = self.for_enterprise(payload.get("EnterpriseId"))
            return await send_order(client, command, self.clock.now())
        task = TaskParameters(
            name=str(payload["Name"]),
            deadline_utc=datetime.fromisoformat(str(payload["DeadlineUtc"])),
            description=payload.get("Description"),
            service_order_id=payload.get("ServiceOrderId"),
        )
        return await self.for_enterprise(payload.get("EnterpriseId")).tasks.add(task)

    # ------------------------------------------------------------------ approval digests
    async def _announce(self, commands: list[OutboxCommand]) -> list[Delivered | Undelivered]:
        """Approval notices, one task per hotel: a digest for several, its own for one. A
        request decided or lapsed before its notice went out is not announced any more."""
        if not commands:  # no read transaction for nothing
            return []
        outcomes: list[Delivered | Undelivered] = []
        waiting: list[tuple[OutboxCommand, Approval | None]] = []
        now = self.clock.now()
        with self.store.read() as conn:
            for command in commands:
                approval = _approval_of(conn, command)
                if approval is not None and approval.status_at(now) != "pending":
                    outcomes.append(
                        Delivered(command.id, f"not announced: {approval.status_at(now)}")
                    )
                else:
                    waiting.append((command, approval))
        by_hotel: dict[object, list[tuple[OutboxCommand, Approval | None]]] = {}
        for command, approval in waiting:
            by_hotel.setdefault(command.payload.get("EnterpriseId"), []).append((command, approval))
        for group in by_hotel.values():
            outcomes.extend(
                await send_in_halves(
                    group,
                    self._send_digest,
                    lambda batch, exc: self._failed([command for command, _ in batch], exc),
                    failures=(MewsError, ValueError),
                )
            )
        return outcomes

    async def _send_digest(
        self, group: list[tuple[OutboxCommand, Approval | None]]
    ) -> list[Delivered]:
        if len(group) == 1:
            command = group[0][0]
            return [Delivered(command.id, await self._send(command))]
        payload = digest_payload(await self._digest_lines(group), self.zone)
        task = TaskParameters(
            name=payload["Name"],
            deadline_utc=datetime.fromisoformat(payload["DeadlineUtc"]),
            description=payload["Description"],
        )
        client = self.for_enterprise(group[0][0].payload.get("EnterpriseId"))
        task_id = await client.tasks.add(task)
        return [Delivered(command.id, task_id) for command, _ in group]

    async def _digest_lines(
        self, group: list[tuple[OutboxCommand, Approval | None]]
    ) -> list[DigestLine]:
        known = [approval for _, approval in group if approval is not None]
        told: dict[str, str] = {}
        if self.sentences is not None and known:
            try:
                sentences = await self.sentences(known)
                told = {a.id: s for a, s in zip(known, sentences, strict=True)}
            except Exception:  # the words are a courtesy: the request's own note still tells it
                _log.warning("could not describe %d approval requests", len(known), exc_info=True)
        lines = []
        for command, approval in group:
            deadline = datetime.fromisoformat(str(command.payload["DeadlineUtc"]))
            if approval is None:
                lines.append(DigestLine(str(command.payload["Name"]), "see the request", deadline))
                continue
            sentence = told.get(approval.id) or approval.note or approval.action
            lines.append(DigestLine(sentence, approval.reason, deadline))
        return lines

    def for_enterprise(self, enterprise_id: object) -> MewsClient:
        """The client of one hotel (`ValueError` naming the setting when it has no token)."""
        if not self.enterprise_mews:
            return self.mews
        if enterprise_id is None:
            return next(iter(self.enterprise_mews.values()))
        client = self.enterprise_mews.get(str(enterprise_id))
        if client is None:
            raise ValueError(
                f"no access token for enterprise {enterprise_id}: add it to "
                "MEWS_ENTERPRISE_TOKENS (enterprise-id=access-token)"
            )
        return client


def _approval_of(conn: Connection, command: OutboxCommand) -> Approval | None:
    try:
        return get_approval(conn, str(command.payload["ApprovalId"]))
    except ApprovalNotFoundError:  # a notice outliving its request: announced from its payload
        return None
