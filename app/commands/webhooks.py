"""`loyalty webhooks`: receive Mews General Webhooks and react to them.

    loyalty webhooks [--host 127.0.0.1] [--port 8088] [--enrol PROGRAM] [--jobs-at HH:MM]
                                          serve POST /webhooks/mews/$LOYALTY_WEBHOOK_SECRET
                                          and run the worker (stay accruals, reversals, ...),
                                          and the daily jobs at HH:MM UTC when given
    loyalty webhooks list [--dead] [--malformed] [--all] [--limit N]
    loyalty webhooks retry ID|--all-dead  dead events get a fresh round of attempts

Mews is the one `MEWS_*` configures, else the embedded sandbox (`app.connect`). To
watch a served `loyalty sandbox`, point `MEWS_BASE_URL` and the tokens at it. Writes go through
the policy layer as `automation`: in `recommend` mode they wait for a manager
(`loyalty mode set automate --as alice` lets the thresholds decide).
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import fail, run

if TYPE_CHECKING:
    from storage.store import Store

__all__ = ["register", "webhooks_app"]

webhooks_app = command_group(
    "Receive Mews General Webhooks (stay accruals, reversals) and inspect the inbox.",
    bare_runs_callback=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8088,
    enrol: Annotated[
        str | None,
        typer.Option(
            help="Propose new customers for this program (default: $LOYALTY_AUTO_ENROL_PROGRAM)."
        ),
    ] = None,
    jobs_at: Annotated[
        str | None,
        typer.Option(help="Also run expiry, tier-review and win-back daily at HH:MM UTC."),
    ] = None,
) -> None:
    """Serve the webhook receiver and run the worker (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    if not 0 < port <= 65535:
        fail(f"--port must be between 1 and 65535, got {port}")
    from tools.automation import AutomationConfigError, webhook_secret
    from tools.automation.reactions import auto_enrol_program
    from tools.automation.schedule import parse_at

    try:
        secret = webhook_secret()
        at = None if jobs_at is None else parse_at(jobs_at)
    except (AutomationConfigError, ValueError) as exc:
        fail(f"--jobs-at: {exc}" if isinstance(exc, ValueError) else str(exc))
    run(_serve(host, port, secret, enrol or auto_enrol_program(), at))


async def _serve(host: str, port: int, secret: str, enrol: str | None, at: time | None) -> None:
    import uvicorn

    from app.connect import uses_real_mews
    from app.runtime import open_runtime
    from policies import Controls
    from tools.automation.service import AutomationService

    async with open_runtime(recover=True) as runtime:
        try:
            service = AutomationService.for_runtime(
                runtime, secret=secret, enrol_program=enrol, jobs_at=at
            )
        except ValueError as exc:
            fail(str(exc))
        base = f"http://{host}:{port}"
        typer.echo(f"Mews webhook receiver on {base}/webhooks/mews/<LOYALTY_WEBHOOK_SECRET>")
        typer.echo(f"Inbox counts: {base}/webhooks/status")
        typer.echo(
            f"Operating mode: {Controls(runtime.guard).mode().mode} (writes run as 'automation')"
        )
        if at is not None:
            typer.echo(f"Daily jobs (expiry, tier-review, win-back) at {at:%H:%M} UTC")
        if not uses_real_mews():
            typer.echo(
                "Mews: the embedded sandbox file. To follow a running `loyalty sandbox`, set "
                "MEWS_BASE_URL (e.g. http://127.0.0.1:8787) and its tokens."
            )
        config = uvicorn.Config(
            service.asgi_app(),
            host=host,
            port=port,
            log_level="info",
            access_log=False,  # the access log would print the secret in the webhook path
        )
        await uvicorn.Server(config).serve()


def _store() -> Store:
    from sqlalchemy.exc import SQLAlchemyError

    from policies import open_store
    from storage.store import StoreError
    from tools.automation import INBOX

    try:
        store = open_store()
        store.migrate([INBOX])
    except (StoreError, SQLAlchemyError) as exc:
        fail(f"cannot open the database: {str(exc).splitlines()[0] if str(exc) else exc}")
    return store


@webhooks_app.command("list")
def list_events(
    dead: Annotated[bool, typer.Option("--dead", help="Only events that gave up.")] = False,
    malformed: Annotated[
        bool, typer.Option("--malformed", help="Payloads that were not General Webhooks.")
    ] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Done events too.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
) -> None:
    """Events waiting, in flight or dead (or the malformed payloads kept for inspection)."""
    from tools.automation import inbox

    if not 1 <= limit <= 10_000:
        fail(f"--limit must be between 1 and 10000, got {limit}")
    store = _store()
    try:
        if malformed:
            messages = inbox.list_messages(store, malformed_only=True, limit=limit)
            if not messages:
                typer.echo("no malformed webhook payloads")
            for m in messages:
                typer.echo(f"message {m.id}  {m.received_at:%Y-%m-%d %H:%M:%S}Z  {m.error}")
                typer.echo(f"  {m.body[:300]}")
            if not dead:
                return
        statuses: tuple[str, ...] = (
            ("dead",)
            if dead
            else inbox.EVENT_STATUSES
            if show_all
            else ("pending", "in_flight", "dead")
        )
        events = inbox.list_events(store, statuses=statuses, limit=limit)
        s = inbox.stats(store)
        typer.echo(
            f"inbox: {s.pending} pending, {s.in_flight} in flight, {s.done} done, {s.dead} dead; "
            f"{s.messages} messages ({s.malformed} malformed)"
        )
        if not events:
            typer.echo("no dead events" if dead else "no events to show")
        for e in events:
            typer.echo(
                f"{e.id:>6}  {e.status:<9} {e.discriminator:<20} {e.entity_id}  "
                f"attempts {e.attempts}  {e.last_error or e.result or ''}"
            )
    finally:
        store.dispose()


@webhooks_app.command("retry")
def retry(
    event_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="The event to retry.")
    ] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead event.")] = False,
) -> None:
    """Put a dead (or done) event back in the queue, due now; the running worker takes it."""
    from storage.clock import SystemClock
    from tools.automation import UnknownInboxEventError, inbox

    if (event_id is None) == (not all_dead):
        fail("give an event ID or --all-dead (see `loyalty webhooks list --dead`)")
    store = _store()
    try:
        if event_id is None:
            count = inbox.requeue_dead(store, now=SystemClock().now())
            typer.echo(f"{count} dead event(s) queued again")
            return
        event = inbox.retry(store, event_id, now=SystemClock().now())
    except UnknownInboxEventError as exc:
        fail(str(exc))
    finally:
        store.dispose()
    if event.status != "pending":
        fail(f"event {event_id} is {event.status}; only dead or done events are retried")
    typer.echo(f"event {event_id} ({event.discriminator} {event.entity_id}) is queued again")
