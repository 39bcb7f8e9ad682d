"""`LoyaltyRuntime`: everything one server process needs, opened once and closed once.

    runtime = await LoyaltyRuntime.open(database_url="sqlite:///x.db", sandbox=Sandbox.seeded())
    async with runtime:
        server = create_server(runtime, principal="assistant")

What it holds: the state store (`LOYALTY_DATABASE_URL`, migrated for the policy layer, the
outbox, the ledger, the offer drafts and the campaigns), the policy (`LOYALTY_POLICY_FILE`), the
program file (`LOYALTY_PROGRAM_FILE`), a Mews client (the one given, else an in-process client
of the given sandbox; which Mews a process talks to is chosen by `app.runtime`), the facts
loader, the guard with every write action registered, and the outbox dispatcher and the notice
dispatcher (Mews tasks and guest-profile notes). `after_write()` drains the outbox so Mews shows
a new balance at once; a delivery that fails stays in the outbox and is retried on the next
drain.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

from policies import ApprovalDesk, Guard, Outcome, Policy, load_policy, open_store
from policies.approvals import Approval
from storage.clock import Clock, SystemClock
from storage.outbox import CLAIM_BATCH, OutboxCommand, claim, delivery_scope, settle
from storage.rate_budget import RATE_BUDGET, SharedRateLimiter
from storage.store import Store
from tools.actions import MembershipDirectory, WriteDeps, build_actions
from tools.actions.approval_views import describe_approvals
from tools.actions.ledger_sync import LEDGER_SYNC_ACTIONS
from tools.actions.messages import DRAFT_EXPIRY_REMINDER
from tools.actions.notices import NOTICE_KINDS, NoticeDispatcher, is_approval_notice
from tools.actions.privacy import erase_member_action
from tools.actions.program_bonuses import welcome_bonuses
from tools.actions.tables import BOOKING_OFFERS, MESSAGES, OFFERS
from tools.actions.tier_messages import DRAFT_TIER_MESSAGE, tier_change_messages
from tools.actions.write import TierMove
from tools.campaigns.tables import CAMPAIGNS
from tools.loyalty import LEDGER, ProgramConfig, ProgramFile, load_program_file
from tools.loyalty.compare import second_ledger_warning
from tools.loyalty.ledger import MEWS_PUSH_KIND
from tools.loyalty.member_store import MemberStore, max_age_from_env
from tools.loyalty.member_store_schema import MEMBER_FACTS
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.loyalty.sync import OutboxDispatcher
from tools.mews import MewsClient, SlidingWindowLimiter, token_key
from tools.sandbox_credentials import sandbox_credentials

if TYPE_CHECKING:  # the simulator loads only when the embedded sandbox runs (cold start)
    from tools.sandbox import Integration, Sandbox

__all__ = [
    "LoyaltyRuntime",
    "WebhookEvent",
    "sandbox_client",
    "share_rate_budget",
]


class WebhookEvent(Protocol):
    """What the runtime reads of a stored webhook event."""

    @property
    def discriminator(self) -> str: ...

    @property
    def entity_id(self) -> str: ...


_log = logging.getLogger(__name__)

DELIVERY_ROUNDS_PER_WRITE = 10
"""Claims one write delivers at most (a backlog beyond 10 x 100 waits for the next write or
`loyalty outbox drain`)."""
DELIVERED_KINDS = (MEWS_PUSH_KIND, *NOTICE_KINDS)
CUSTOMER_EVENTS = frozenset({"CustomerAdded", "CustomerUpdated"})


def sandbox_client(
    sandbox: Sandbox,
    integration: Integration | None = None,
    *,
    chain_ids: tuple[str, ...] = (),
) -> MewsClient:
    """A Mews client talking to a sandbox in this process (no sockets), by default as the first
    demo integration of the UK enterprise, with a rate limiter of its own."""
    if integration is None:
        from tools.sandbox import DEMO_TOKENS

        integration = DEMO_TOKENS[0]
    return MewsClient(
        sandbox_credentials(integration, "Loyalty MCP server (sandbox)"),
        transport=sandbox.httpx_transport(),
        rate_limiter=SlidingWindowLimiter(),
        chain_ids=chain_ids,
    )


def share_rate_budget(store: Store, clients: Iterable[MewsClient], **budget: Any) -> None:
    """Give each client its access token's budget kept in `store`, so every process on the
    store (web app, worker, jobs, servers) stays within Mews' 200 requests / 30 s per token
    together (`storage.rate_budget`; `budget`: its limits, for tests). The store keeps only
    the token's hash."""
    store.migrate([RATE_BUDGET])
    for client in clients:
        key = token_key(client.credentials.access_token)
        client.rate_limiter = SharedRateLimiter(store, key=key, **budget)


def _closing(stack: AsyncExitStack, client: MewsClient) -> MewsClient:
    stack.push_async_callback(client.aclose)
    return client


def _read_again_by(
    facts: MemberStore,
) -> Callable[[Sequence[TierMove], str], Awaitable[list[str]]]:
    """A tier we changed in Mews: the read model reads those members again before it answers
    (segments, the report's tier mix), not at its next refresh."""

    async def moved(moves: Sequence[TierMove], _key: str) -> list[str]:
        facts.note_customers(move.customer_id for move in moves)
        return []

    return moved


@dataclass(eq=False)
class LoyaltyRuntime:
    store: Store
    policy: Policy
    programs: ProgramFile
    mews: MewsClient
    loader: MewsFactsLoader
    facts: MemberStore
    """The member read model: what read tools ask about members (`tools.loyalty.member_store`);
    writes judge what `loader` and `directory` read from Mews."""
    directory: MembershipDirectory
    guard: Guard
    dispatcher: OutboxDispatcher
    notices: NoticeDispatcher
    clock: Clock
    writes: WriteDeps
    """What every guarded write is handed (`tools.actions.write`)."""
    sandbox: Sandbox | None = None
    enterprise_mews: Mapping[str, MewsClient] = field(default_factory=dict)
    """Single-enterprise clients by enterprise id (`tasks/add`, `orders/add`)."""
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    @classmethod
    async def open(
        cls,
        *,
        database_url: str | None = None,
        policy_file: str | Path | None = None,
        program_file: str | Path | None = None,
        mews: MewsClient | None = None,
        sandbox: Sandbox | None = None,
        clock: Clock | None = None,
        read_audit_batch: int = 1,
        enterprise_mews: Mapping[str, MewsClient] | None = None,
    ) -> LoyaltyRuntime:
        """Open everything; the caller closes it (`aclose()` or `async with`).

        `mews`: the client to use (its owner closes it); without it, a client of `sandbox`,
        the in-process simulator, is made (and closed with the runtime).

        `read_audit_batch`: read records appended to the audit chain together (a server
        passes `SERVE_READ_AUDIT_BATCH`; see `policies.read_audit`); flushed on close.
        `enterprise_mews`: single-enterprise clients by enterprise id, for `tasks/add` and
        `orders/add` when `mews` is a portfolio connection (the first is where tasks with no
        reservation go)."""
        clock = clock or SystemClock()
        policy = load_policy(None if policy_file is None else Path(policy_file))
        programs = load_program_file(program_file)
        stack = AsyncExitStack()
        try:
            store = open_store(database_url)
            stack.callback(store.dispose)
            store.migrate([LEDGER, OFFERS, MESSAGES, BOOKING_OFFERS, CAMPAIGNS, MEMBER_FACTS])
            singles: dict[str, MewsClient] = dict(enterprise_mews or {})
            if mews is None:
                if sandbox is None:
                    raise ValueError("give a Mews client or a sandbox")
                mews = _closing(stack, sandbox_client(sandbox))
            loader = MewsFactsLoader(mews, store, programs, clock=clock)
            facts = MemberStore(loader, max_age=max_age_from_env())
            directory = MembershipDirectory(mews, store, programs)
            # An admin write to programs or tiers refreshes the loader's copy too.
            directory.on_refresh.append(loader.refresh_configuration)
            writes = WriteDeps(
                store=store,
                programs=programs,
                mews=mews,
                directory=directory,
                loader=loader,
                clock=clock,
                members=facts,
            )
            guard = Guard(
                store,
                policy,
                [
                    *build_actions(writes),
                    *LEDGER_SYNC_ACTIONS,
                    DRAFT_EXPIRY_REMINDER.action(writes),
                    DRAFT_TIER_MESSAGE.action(writes),
                    erase_member_action(store),
                ],
                clock=clock,
                read_audit_batch=read_audit_batch,
            )
            stack.callback(guard.read_audits.close)  # before the store is disposed
            writes.on_enrolled.append(welcome_bonuses(guard, programs, directory.program_codes))
            writes.on_tier_changed.append(tier_change_messages(guard, writes))
            writes.on_tier_changed.append(_read_again_by(facts))
            dispatcher = OutboxDispatcher(mews, store, clock=clock, guard=guard, programs=programs)
            notices = NoticeDispatcher(
                mews,
                store,
                clock=clock,
                chain_id=loader.chain_id,
                enterprise_mews=singles,
                zone=policy.tz,
            )
        except BaseException:
            await stack.aclose()
            raise
        runtime = cls(
            store=store,
            policy=policy,
            programs=programs,
            mews=mews,
            loader=loader,
            facts=facts,
            directory=directory,
            guard=guard,
            dispatcher=dispatcher,
            notices=notices,
            clock=clock,
            writes=writes,
            sandbox=sandbox,
            enterprise_mews=singles,
            _stack=stack,
        )
        notices.sentences = runtime.approval_sentences  # digests name the members
        return runtime

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ helpers
    def program(self, code: str | None = None) -> ProgramConfig:
        """The program by its Mews code; without one, the first program of the file."""
        if code is None:
            return next(iter(self.programs.programs.values()))
        return self.programs.program(code)

    async def approval_sentences(self, approvals: Sequence[Approval]) -> list[str]:
        """Each request in words, as the approvals inbox shows it (one batched member read)."""
        return [view.sentence for view in await describe_approvals(self, approvals)]

    async def after_write(self, claimed: Sequence[OutboxCommand] = ()) -> None:
        """Deliver what the write queued for Mews (balance, task, note); never raises: a
        failed delivery stays in the outbox and is retried on the next drain.

        `claimed`: the commands the write's own transaction leased (see `delivery()`); without
        them, one claim of everything due. Another claim follows only while a claim comes back
        full (a backlog), for a bounded number of rounds, so one write does not wait on a large
        backlog. Outcomes are recorded in one transaction per round. Approval notices are held
        to the end and announced together: one digest task per hotel, not one per request."""
        try:
            just_committed = bool(claimed)
            commands = list(claimed) or self._claim()
            announcements: list[OutboxCommand] = []  # approval notices: one digest at the end
            for _round in range(DELIVERY_ROUNDS_PER_WRITE):
                if not commands:
                    break
                pushes = [c for c in commands if c.kind == MEWS_PUSH_KIND]
                announcements += [c for c in commands if is_approval_notice(c)]
                notices = [
                    c for c in commands if c.kind in NOTICE_KINDS and not is_approval_notice(c)
                ]
                outcomes = [
                    *await self.dispatcher.push(pushes, just_committed=just_committed),
                    *await self.notices.deliver(notices),
                ]
                self.dispatcher.settle(outcomes)
                if len(commands) < CLAIM_BATCH:
                    break
                commands, just_committed = self._claim(), False
            if announcements:
                settle(self.store, await self.notices.deliver(announcements), now=self.clock.now())
        except Exception:  # the outbox keeps the command; the write itself is done
            _log.warning("outbox drain failed; the commands stay queued", exc_info=True)

    def delivery(self) -> AbstractContextManager[list[OutboxCommand]]:
        """A scope whose writes lease what they queue for Mews in their own transaction: pass
        the list to `after_write` (no separate claim transaction)."""
        return delivery_scope(DELIVERED_KINDS)

    def changed_in_mews(self, events: Sequence[WebhookEvent]) -> None:
        """Webhook events arrived: forget the memberships of customers that changed (merged,
        updated), so the next write reads them from Mews again, and mark their customers and
        stays for the read model to re-read. Mews sends no loyalty events."""
        self.facts.note_events(events)
        for event in events:
            if event.discriminator in CUSTOMER_EVENTS:
                self.directory.forget_customer(event.entity_id)

    async def recover(self) -> list[tuple[str, Outcome]]:
        """Resolve approvals a crash left `executing` past their lease, by reading Mews
        (`ApprovalDesk.resolve_stuck`); a server, the web app and the webhook worker call it at
        start-up. Returns each resolved id with its outcome; one Mews cannot answer for stays
        `executing` (logged) for the next start or `loyalty approvals resolve`."""
        resolved = await ApprovalDesk(self.guard).resolve_stuck()
        for approval_id, outcome in resolved:
            _log.warning("approval %s was interrupted mid-execution: %s", approval_id, outcome)
        if resolved:
            await self.after_write()  # the notes and tasks the resolutions queued
        return resolved

    def second_ledger_warning(self) -> str | None:
        """Why another ledger seems to push to this chain's memberships, if it does
        (`tools.loyalty.compare.second_ledger_warning`)."""
        with self.store.read() as conn:
            return second_ledger_warning(conn, now=self.clock.now())

    def _claim(self) -> list[OutboxCommand]:
        return claim(self.store, now=self.clock.now(), limit=CLAIM_BATCH, kinds=DELIVERED_KINDS)
