"""`LoyaltyRuntime`: everything one server process needs, opened once and closed once.

    runtime = await LoyaltyRuntime.open(database_url="sqlite:///x.db", sandbox=Sandbox.seeded())
    async with runtime:
        server = create_server(runtime, principal="assistant")

What it holds: the state store (`LOYALTY_DATABASE_URL`, migrated for the policy layer, the
outbox, the ledger, the offer drafts and the campaigns), the policy (`LOYALTY_POLICY_FILE`), the
program file (`LOYALTY_PROGRAM_FILE`), a Mews client (the one given; else an in-process client of
the given sandbox; else real Mews from `MEWS_*` through `open_mews()`; else the embedded sandbox
kept in the user data directory, reached in-process with the portfolio token and saved on
close), the facts loader, the guard with every write action registered, and the outbox
dispatcher and the notice dispatcher (Mews tasks and guest-profile notes). `after_write()` drains
the outbox so Mews shows a new balance at once; a delivery that fails stays in the outbox and is
retried on the next drain.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from policies import Guard, Policy, load_policy, open_store
from policies.clock import Clock, SystemClock
from policies.store import Store
from tools.actions import MembershipDirectory, build_actions
from tools.actions.notices import NOTES_PER_REQUEST, NoticeDispatcher
from tools.actions.offers import OFFERS
from tools.campaigns.tables import CAMPAIGNS
from tools.loyalty import LEDGER, ProgramConfig, ProgramFile, load_program_file
from tools.loyalty.connect import open_mews, sandbox_state_path, uses_real_mews
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.loyalty.sync import LEDGER_SYNC_ACTIONS, OutboxDispatcher
from tools.mews import MewsClient, MewsCredentials, SlidingWindowLimiter
from tools.sandbox import DEMO_TOKENS, PORTFOLIO, Integration, Sandbox

__all__ = ["LoyaltyRuntime", "sandbox_client"]

_log = logging.getLogger(__name__)

SANDBOX_BASE_URL = "http://sandbox.invalid"


NOTICE_ROUNDS_PER_WRITE = 10


def sandbox_client(sandbox: Sandbox, integration: Integration = DEMO_TOKENS[0]) -> MewsClient:
    """A Mews client talking to a sandbox in this process (no sockets), by default as the first
    demo integration of the UK enterprise, with a rate limiter of its own."""
    credentials = MewsCredentials(
        base_url=SANDBOX_BASE_URL,
        client_token=integration.client_token,
        access_token=integration.access_token,
        client_name="Loyalty MCP server (sandbox)",
    )
    return MewsClient(
        credentials,
        transport=sandbox.httpx_transport(),
        rate_limiter=SlidingWindowLimiter(),
    )


def _closing(stack: AsyncExitStack, client: MewsClient) -> MewsClient:
    stack.push_async_callback(client.aclose)
    return client


@dataclass(eq=False)
class LoyaltyRuntime:
    store: Store
    policy: Policy
    programs: ProgramFile
    mews: MewsClient
    loader: MewsFactsLoader
    directory: MembershipDirectory
    guard: Guard
    dispatcher: OutboxDispatcher
    notices: NoticeDispatcher
    clock: Clock
    sandbox: Sandbox | None = None
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
    ) -> LoyaltyRuntime:
        """Open everything; the caller closes it (`aclose()` or `async with`)."""
        if mews is not None and sandbox is not None:
            raise ValueError("give a Mews client or a sandbox, not both")
        given_clock = clock
        clock = clock or SystemClock()
        policy = load_policy(None if policy_file is None else Path(policy_file))
        programs = load_program_file(program_file)
        stack = AsyncExitStack()
        try:
            store = open_store(database_url)
            stack.callback(store.dispose)
            store.migrate([LEDGER, OFFERS, CAMPAIGNS])
            tasks_mews: MewsClient | None = None
            if mews is None and sandbox is None and not uses_real_mews():
                # The embedded sandbox (the state file `loyalty sandbox` serves too): the whole
                # chain through the portfolio token, as `open_mews()` does, plus the UK
                # enterprise's token for `tasks/add`, which portfolio tokens cannot call.
                sandbox = Sandbox.open(sandbox_state_path())
                stack.callback(sandbox.persist)
                if given_clock is None:
                    # One time for the whole embedded world: advancing the sandbox clock
                    # (`POST /_sandbox/clock`, kept in its state file) moves ours too, so
                    # windows, expiry and campaign reports follow it.
                    clock = sandbox.clock
                mews = _closing(stack, sandbox_client(sandbox, PORTFOLIO))
                tasks_mews = _closing(stack, sandbox_client(sandbox, DEMO_TOKENS[0]))
            elif mews is None and sandbox is not None:
                mews = _closing(stack, sandbox_client(sandbox))
            elif mews is None:
                mews = await stack.enter_async_context(open_mews())
            loader = MewsFactsLoader(mews, store, programs, clock=clock)
            directory = MembershipDirectory(mews, store, programs)
            actions = build_actions(
                store=store,
                programs=programs,
                mews=mews,
                directory=directory,
                clock=clock,
                chain_id=loader.chain_id,
            )
            guard = Guard(store, policy, [*actions, *LEDGER_SYNC_ACTIONS], clock=clock)
            dispatcher = OutboxDispatcher(mews, store, clock=clock)
            notices = NoticeDispatcher(
                mews, store, clock=clock, chain_id=loader.chain_id, tasks_mews=tasks_mews
            )
        except BaseException:
            await stack.aclose()
            raise
        return cls(
            store=store,
            policy=policy,
            programs=programs,
            mews=mews,
            loader=loader,
            directory=directory,
            guard=guard,
            dispatcher=dispatcher,
            notices=notices,
            clock=clock,
            sandbox=sandbox,
            _stack=stack,
        )

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ helpers
    def program(self, code: str | None = None) -> ProgramConfig:
        """The program by its Mews code; without one, the first program of the file."""
        if code is None:
            return next(iter(self.programs.programs.values()))
        return self.programs.program(code)

    async def after_write(self) -> None:
        """Deliver what the write queued for Mews (balance, task, note); never raises: a
        failed delivery stays in the outbox and is retried on the next drain."""
        try:
            await self.dispatcher.drain()
            # Notes travel 100 to a request, so a burst's backlog clears in a few requests;
            # a bounded number of rounds keeps one write from waiting on a large backlog.
            for _round in range(NOTICE_ROUNDS_PER_WRITE):
                report = await self.notices.drain(limit=NOTES_PER_REQUEST)
                if report.delivered + report.failed < NOTES_PER_REQUEST:
                    break
        except Exception:  # the outbox keeps the command; the write itself is done
            _log.warning("outbox drain failed; the commands stay queued", exc_info=True)
