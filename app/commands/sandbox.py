"""`loyalty sandbox`: serve the Mews simulator over HTTP.

The sandbox keeps its state in a file (default: `sandbox-state.json` in the user data directory),
so changes survive restarts; `--reset` starts from a freshly seeded chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._progress import working
from storage.progress import step
from tools.sandbox.limits import CUSTOMERS_DEFAULT, CUSTOMERS_MAX, SEED_DEFAULT

if TYPE_CHECKING:
    from tools.sandbox import Sandbox

__all__ = ["register"]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _banner(sandbox: Sandbox, base_url: str) -> str:
    from tools.sandbox import ALL_TOKENS, DEMO_TOKENS

    first = DEMO_TOKENS[0]
    lines = [
        f"Mews Connector API sandbox on {base_url}",
        f"State file: {sandbox.state_file.path if sandbox.state_file else '(in memory)'}",
        f"Seed {sandbox.state.params.seed}, {len(sandbox.state.customers)} customers, "
        f"{len(sandbox.state.by_idx)} reservations",
        "",
        "Token pairs (ClientToken / AccessToken):",
    ]
    for integration in ALL_TOKENS:
        scope = "portfolio" if integration.portfolio else integration.enterprise_id
        lines.append(f"  {integration.name} [{scope}]")
        lines.append(f"    {integration.client_token}")
        lines.append(f"    {integration.access_token}")
    body = (
        f'{{"ClientToken": "{first.client_token}", "AccessToken": "{first.access_token}", '
        '"Client": "curl 1.0"}'
    )
    lines += [
        "",
        "Try:",
        f"  curl -s -X POST {base_url}/api/connector/v1/configuration/get "
        f"-H 'Content-Type: application/json' -d '{body}'",
        f"  curl -s {base_url}/_sandbox/info",
        "",
    ]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    if app.registered_callback is None:
        # With a single command and no callback, typer would make the root *be* that command
        # (`loyalty --port 1`); a no-op root callback keeps `loyalty sandbox ...` a subcommand.
        @app.callback()
        def _root() -> None:
            pass

    @app.command()
    def sandbox(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8787,
        state: Annotated[
            Path | None,
            typer.Option(help="State file (default: sandbox-state.json in the user data dir)."),
        ] = None,
        reset: Annotated[bool, typer.Option(help="Start from a freshly seeded chain.")] = False,
        seed: Annotated[int, typer.Option(help="Seed of the generated demo chain.")] = SEED_DEFAULT,
        customers: Annotated[
            int, typer.Option(help=f"Customer profiles to generate (up to {CUSTOMERS_MAX}).")
        ] = CUSTOMERS_DEFAULT,
        webhook_url: Annotated[
            list[str] | None,
            typer.Option(help="Send General Webhooks of changes here (repeatable)."),
        ] = None,
        webhook_delay: Annotated[
            float, typer.Option(help="Seconds between a change and its webhook (Mews: 120-300).")
        ] = 5.0,
    ) -> None:
        """Serve the Mews Connector API simulator over HTTP."""
        import uvicorn

        if not 0 <= port <= 65535:
            raise _fail(f"--port must be between 0 and 65535, got {port}")
        if not 0 <= customers <= CUSTOMERS_MAX:
            raise _fail(f"--customers must be between 0 and {CUSTOMERS_MAX}, got {customers}")
        if seed < 0:
            raise _fail(f"--seed must not be negative, got {seed}")
        from app.connect import sandbox_state_path  # the embedded sandbox's file

        path = state or sandbox_state_path()
        if path.exists() and path.is_dir():
            raise _fail(f"--state {path} is a directory; give a file path")
        from tools.sandbox import Sandbox, StateFileError  # the simulator: only when it runs

        try:
            with working(f"Opening the sandbox (seeding {customers:,} customers if new)"):
                simulator = Sandbox.open(
                    path, seed=seed, customers=customers, reset=reset, progress=step
                )
        except StateFileError as exc:
            raise _fail(f"{exc} (use --reset to start fresh)") from None
        except OSError as exc:
            raise _fail(f"cannot use state file {path}: {exc.strerror or exc}") from None
        params = simulator.state.params
        if (params.seed, params.customers) != (seed, customers) and not reset:
            typer.echo(
                f"note: {path} was seeded with --seed {params.seed} --customers "
                f"{params.customers}; add --reset to re-seed with the new values",
                err=True,
            )
        try:
            simulator.webhooks.configure(delay_seconds=webhook_delay)
            for url in webhook_url or ():
                simulator.webhooks.subscribe(url)
        except ValueError as exc:
            raise _fail(f"--webhook-url/--webhook-delay: {exc}") from None
        if port == 0:
            port = _free_port(host)
        typer.echo(_banner(simulator, f"http://{host}:{port}"))
        for url in webhook_url or ():
            typer.echo(f"General Webhooks to {url} ({webhook_delay:g} s after each change)")
        uvicorn.run(simulator.asgi_app, host=host, port=port, log_level="info", interface="asgi3")
