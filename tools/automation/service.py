"""The webhook receiver and its worker as one unit, standalone or inside another ASGI app.

    service = AutomationService.for_runtime(rt, secret=webhook_secret())
    app = service.asgi_app()                      # `loyalty webhooks`: uvicorn serves this

    # inside the MCP server's app (`loyalty serve --transport http`):
    app = http_app(server, host=host, port=port, tokens=tokens)
    service.mount(app)                            # its routes go first; /mcp keeps its auth
    async with service.running():                 # around `uvicorn.Server(config).serve()`
        await uvicorn.Server(config).serve()

`running()` migrates the inbox, starts the worker loop (it wakes on every stored webhook and
polls every `poll_seconds` for retries that came due) and, when `jobs_at` is given, the daily
job scheduler (`tools.automation.schedule`); it stops them on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storage.clock import Clock
from storage.store import Store
from tools.automation import inbox
from tools.automation.inbox import INBOX
from tools.automation.jobs import JobContext
from tools.automation.reactions import LoyaltyReactions
from tools.automation.receiver import webhook_route
from tools.automation.schedule import JobScheduler
from tools.automation.worker import WebhookWorker
from tools.runtime import LoyaltyRuntime

__all__ = ["AutomationService"]


@dataclass(eq=False)
class AutomationService:
    store: Store
    worker: WebhookWorker
    secret: str
    clock: Clock
    scheduler: JobScheduler | None = None

    @classmethod
    def for_runtime(
        cls,
        runtime: LoyaltyRuntime,
        *,
        secret: str,
        enrol_program: str | None = None,
        poll_seconds: float = 5.0,
        jobs_at: time | None = None,
    ) -> AutomationService:
        """Receiver and worker (and the daily jobs at `jobs_at` UTC) on the runtime's store,
        Mews client, loader and guard."""
        runtime.store.migrate([INBOX])
        reactions = LoyaltyReactions(
            guard=runtime.guard,
            loader=runtime.loader,
            after_write=runtime.after_write,
            enrol_program=enrol_program,
        )
        worker = WebhookWorker(
            runtime.store,
            runtime.mews,
            reactions,
            clock=runtime.clock,
            poll_seconds=poll_seconds,
            on_events=runtime.changed_in_mews,
        )
        scheduler = None
        if jobs_at is not None:
            scheduler = JobScheduler(JobContext.for_runtime(runtime), at=jobs_at)
        return cls(runtime.store, worker, secret, runtime.clock, scheduler)

    def routes(self) -> list[BaseRoute]:
        """`POST /webhooks/mews/{secret}` and `GET /webhooks/status` (counts, no secrets)."""

        async def status(_request: Request) -> Response:
            s = inbox.stats(self.store)
            return JSONResponse(
                {
                    "Messages": s.messages,
                    "Malformed": s.malformed,
                    "Pending": s.pending,
                    "InFlight": s.in_flight,
                    "Done": s.done,
                    "Dead": s.dead,
                }
            )

        return [
            webhook_route(
                self.store, secret=self.secret, clock=self.clock, on_stored=self.worker.wake
            ),
            Route("/webhooks/status", status, methods=["GET"]),
        ]

    def mount(self, app: Starlette) -> Starlette:
        """Add the routes to an existing Starlette app, ahead of its own (returns the app).

        The webhook route authenticates by its path secret; it needs no bearer token, and the
        MCP SDK's bearer check guards only its `/mcp` route, so Mews can call it."""
        app.router.routes[:0] = self.routes()
        return app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the worker loop for the duration of the block."""
        self.store.migrate([INBOX])
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self.worker.run())]
        if self.scheduler is not None:
            tasks.append(loop.create_task(self.scheduler.run()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def asgi_app(self) -> Starlette:
        """A standalone app: the routes above, with the worker running in its lifespan."""

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            async with self.running():
                yield

        return Starlette(routes=self.routes(), lifespan=lifespan)
