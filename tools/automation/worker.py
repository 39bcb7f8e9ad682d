"""The webhook worker: stored events in, batched Mews reads, reactions out.

    worker = WebhookWorker(store, mews, reactions, clock=clock)
    report = await worker.run_once()          # one leased batch
    await worker.drain()                      # until nothing is due
    await worker.run()                        # forever: `wake()` or every `poll_seconds`

One round: claim up to `batch_size` due events from the inbox; collect the distinct reservation
ids (`ServiceOrderUpdated`) and new customer ids (`CustomerAdded`) across all of them; read them
with `reservations/getAll/2023-06-06` and `customers/getAll` by id (the client splits an id
filter into requests of 1000, so 2,500 changed reservations cost 3 reads, never one per event);
hand the entities to the `Reactions` in one call per kind; then mark every event done with what
was done, or failed (retried with backoff, then `dead`), or given up at once (`dead`: a policy
denial, which retrying would only repeat and count towards the circuit breaker).

`CustomerUpdated` ids are read too (deleted profiles included): a profile merged into another
(`MergeTargetId`) goes to the reactions' `customers_merged`; any other change is "no reaction".
Events the program does not react to (`ResourceUpdated`, `PaymentUpdated`...) are marked done as
"no reaction". An id that the connection cannot read (another enterprise, or
deleted) is done as "not visible". A failed read fails every event that needed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from typing import Final, Protocol

from storage.clock import Clock
from storage.store import Store
from tools.automation import inbox
from tools.automation.inbox import InboxEvent
from tools.mews import MewsClient, MewsError
from tools.mews.models import ActivityState, Customer, Reservation

__all__ = [
    "CUSTOMER_ADDED",
    "CUSTOMER_UPDATED",
    "SERVICE_ORDER_UPDATED",
    "BatchReport",
    "GiveUp",
    "HoldBack",
    "Reacted",
    "ReactionResult",
    "Reactions",
    "RetryLater",
    "WebhookWorker",
]

SERVICE_ORDER_UPDATED: Final = "ServiceOrderUpdated"
CUSTOMER_ADDED: Final = "CustomerAdded"
CUSTOMER_UPDATED: Final = "CustomerUpdated"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reacted:
    """Handled (or deliberately nothing to do); `summary` is kept on the event."""

    summary: str


@dataclass(frozen=True)
class RetryLater:
    """Not handled this time; the event is retried with backoff, then parked as dead."""

    reason: str


@dataclass(frozen=True)
class GiveUp:
    """Retrying cannot help (the policy denied it): the event goes straight to the dead letters,
    where staff see it (`loyalty webhooks list --dead`) and can retry it once the cause is gone."""

    reason: str


@dataclass(frozen=True)
class HoldBack:
    """Not this event's fault (a tripped circuit breaker holds automated writes back): retried
    every `hold_delay` without spending an attempt, and at once when the breaker is reset
    (`inbox.release_held`); never dead-lettered for it."""

    reason: str


ReactionResult = Reacted | RetryLater | GiveUp | HoldBack


class Reactions(Protocol):
    """What the program does about changed entities, a batch at a time; keyed by entity id.

    Must be idempotent: the same reservation can be handed over again (a redelivered webhook, a
    retried batch). An id left out of the answer counts as "no reaction".
    """

    async def reservations_changed(
        self, reservations: Sequence[Reservation]
    ) -> Mapping[str, ReactionResult]: ...

    async def customers_added(
        self, customers: Sequence[Customer]
    ) -> Mapping[str, ReactionResult]: ...

    async def customers_merged(
        self, customers: Sequence[Customer]
    ) -> Mapping[str, ReactionResult]: ...


@dataclass
class BatchReport:
    """What one round did."""

    claimed: int = 0
    reservations: int = 0  # distinct reservation ids read
    customers: int = 0  # distinct new customer ids read
    done: int = 0
    retried: int = 0
    dead: int = 0
    held: int = 0  # held back by the circuit breaker, not failed
    summaries: dict[int, str] = field(default_factory=dict)

    def add(self, other: BatchReport) -> None:
        self.claimed += other.claimed
        self.reservations += other.reservations
        self.customers += other.customers
        self.done += other.done
        self.retried += other.retried
        self.dead += other.dead
        self.held += other.held
        self.summaries.update(other.summaries)


@dataclass(eq=False)
class WebhookWorker:
    """Processes the inbox in batches (see the module docstring)."""

    store: Store
    mews: MewsClient
    reactions: Reactions
    _: KW_ONLY
    clock: Clock
    batch_size: int = 5000
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    hold_delay: timedelta = timedelta(minutes=5)
    poll_seconds: float = 5.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    on_events: Callable[[Sequence[InboxEvent]], None] | None = None
    """Told of every claimed batch before the reactions run (caches that a change makes stale
    forget it)."""
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

    # ------------------------------------------------------------------ loops
    def wake(self) -> None:
        """Process soon (the receiver calls this after storing new events)."""
        self._wake.set()

    async def run(self) -> None:
        """Process forever; a failing round is logged and retried at the next one."""
        while True:
            self._wake.clear()  # a wake-up during the drain below makes the wait return at once
            try:
                await self.drain()
            except Exception:  # the loop's edge: the inbox keeps the events
                _log.exception("webhook worker round failed")
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=self.poll_seconds)
            finally:
                waiter.cancel()

    async def drain(self, *, max_rounds: int = 1000) -> BatchReport:
        """Run rounds until none claims anything (or `max_rounds`)."""
        total = BatchReport()
        for _ in range(max_rounds):
            report = await self.run_once()
            total.add(report)
            if report.claimed == 0:
                break
        return total

    # ------------------------------------------------------------------ one round
    async def run_once(self) -> BatchReport:
        events = inbox.claim(
            self.store, now=self.clock.now(), limit=self.batch_size, lease=self.lease
        )
        report = BatchReport(claimed=len(events))
        if not events:
            return report
        if self.on_events is not None:
            self.on_events(events)
        by_kind: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        results: dict[int, ReactionResult] = {}
        for event in events:
            if event.discriminator in (SERVICE_ORDER_UPDATED, CUSTOMER_ADDED, CUSTOMER_UPDATED):
                by_kind[event.discriminator][event.entity_id].append(event.id)
            else:
                results[event.id] = Reacted(f"no reaction to {event.discriminator}")
        reservation_ids = by_kind.get(SERVICE_ORDER_UPDATED, {})
        customer_ids = by_kind.get(CUSTOMER_ADDED, {})
        report.reservations, report.customers = len(reservation_ids), len(customer_ids)
        if reservation_ids:
            results.update(await self._reservations(reservation_ids))
        if customer_ids:
            results.update(await self._customers(customer_ids))
        # A new customer comes as CustomerAdded and CustomerUpdated together: read it once.
        updated_ids = {}
        for entity_id, event_ids in by_kind.get(CUSTOMER_UPDATED, {}).items():
            if entity_id in customer_ids:
                results.update({i: Reacted("no reaction to CustomerUpdated") for i in event_ids})
            else:
                updated_ids[entity_id] = event_ids
        if updated_ids:
            results.update(await self._merges(updated_ids))
        self._record(events, results, report)
        return report

    async def _reservations(self, ids: Mapping[str, list[int]]) -> dict[int, ReactionResult]:
        async def react() -> _Reaction:
            found = [r async for r in self.mews.reservations.get_all(reservation_ids=list(ids))]
            return {r.id for r in found}, await self.reactions.reservations_changed(found)

        return await _reacting(ids, react, "reservations", "changed reservations", "reservation")

    async def _customers(self, ids: Mapping[str, list[int]]) -> dict[int, ReactionResult]:
        async def react() -> _Reaction:
            found = [c async for c in self.mews.customers.get_all(customer_ids=list(ids))]
            return {c.id for c in found}, await self.reactions.customers_added(found)

        return await _reacting(ids, react, "new customers", "new customers", "customer")

    async def _merges(self, ids: Mapping[str, list[int]]) -> dict[int, ReactionResult]:
        async def react() -> _Reaction:
            found = [
                c
                async for c in self.mews.customers.get_all(
                    customer_ids=list(ids), activity_states=list(ActivityState)
                )
            ]
            merged = [c for c in found if c.merge_target_id and c.merge_target_id != c.id]
            answers = dict(await self.reactions.customers_merged(merged)) if merged else {}
            for customer in found:
                answers.setdefault(customer.id, Reacted("no reaction to CustomerUpdated"))
            return {c.id for c in found}, answers

        return await _reacting(ids, react, "changed customers", "merged customers", "customer")

    def _record(
        self,
        events: Sequence[InboxEvent],
        results: Mapping[int, ReactionResult],
        report: BatchReport,
    ) -> None:
        now = self.clock.now()
        done = {i: r.summary for i, r in results.items() if isinstance(r, Reacted)}
        failed = {i: r.reason for i, r in results.items() if isinstance(r, RetryLater)}
        parked = {i: r.reason for i, r in results.items() if isinstance(r, GiveUp)}
        held = {i: r.reason for i, r in results.items() if isinstance(r, HoldBack)}
        inbox.complete(self.store, done, now=now)
        inbox.park(self.store, parked, now=now)
        inbox.hold(self.store, held, now=now, delay=self.hold_delay)
        report.held += len(held)
        statuses = inbox.fail(
            self.store,
            failed,
            now=now,
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
        )
        report.done += len(done)
        report.dead += len(parked) + sum(1 for s in statuses.values() if s == "dead")
        report.retried += sum(1 for s in statuses.values() if s == "pending")
        report.summaries.update(done)
        report.summaries.update({i: f"failed: {why}" for i, why in failed.items()})
        report.summaries.update(parked)
        report.summaries.update({i: f"held: {why}" for i, why in held.items()})
        for event in events:
            if statuses.get(event.id) == "dead" or event.id in parked:
                why = parked.get(event.id) or failed[event.id]
                _log.warning("webhook event %d is dead: %s", event.id, why)


_Reaction = tuple[set[str], Mapping[str, ReactionResult]]
"""The ids Mews found, and the reactions' answer for each."""


async def _reacting(
    ids: Mapping[str, list[int]],
    react: Callable[[], Awaitable[_Reaction]],
    fetched: str,
    reacted_to: str,
    kind: str,
) -> dict[int, ReactionResult]:
    """The answers of `react` spread over the events; when Mews or a reaction fails, every
    event is retried later."""
    try:
        found, answers = await react()
    except MewsError as exc:
        return _all(ids, RetryLater(f"Mews failed while reacting to {fetched}: {exc}"))
    except Exception as exc:  # a reaction's edge: retry with backoff, then dead-letter
        _log.exception("reacting to %s failed", reacted_to)
        return _all(ids, RetryLater(f"reaction failed: {type(exc).__name__}: {exc}"))
    return _spread(ids, found, answers, kind)


def _all(ids: Mapping[str, list[int]], result: ReactionResult) -> dict[int, ReactionResult]:
    return {event_id: result for event_ids in ids.values() for event_id in event_ids}


def _spread(
    ids: Mapping[str, list[int]],
    found: set[str],
    answers: Mapping[str, ReactionResult],
    noun: str,
) -> dict[int, ReactionResult]:
    """Each event's result by its entity id (GUIDs compared case-insensitively)."""
    seen = {entity_id.lower() for entity_id in found}
    by_id = {entity_id.lower(): result for entity_id, result in answers.items()}
    results: dict[int, ReactionResult] = {}
    for entity_id, event_ids in ids.items():
        if entity_id.lower() not in seen:
            result: ReactionResult = Reacted(
                f"{noun} {entity_id} is not visible to this connection"
            )
        else:
            result = by_id.get(entity_id.lower(), Reacted("no reaction"))
        for event_id in event_ids:
            results[event_id] = result
    return results
