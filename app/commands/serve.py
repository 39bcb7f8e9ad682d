"""`loyalty serve`: the MCP server over stdio (default) or streamable HTTP.

    loyalty serve                                     stdio, as `assistant`, member toolset
    loyalty serve --as alice --toolsets member,approvals
    LOYALTY_MCP_TOKENS='<token>=alice,<token>=carol' loyalty serve --transport http --port 8000
    loyalty serve --transport http --no-auth --as carol     loopback only, announced
    loyalty serve --role manager          as the one principal the policy gives that role

`--role ROLE` acts as the principal the policy file defines with that role (approvals it files
and audit records then name a real principal, who can be granted, checked and approved for):
it is refused when no principal, or more than one, has the role (name one with `--as`).
`--no-auth` off a loopback address is refused before anything is opened.

Over stdio or `--no-auth` the server acts as the command line's identity rule says
(`app.identity`, as every other command): the principal `LOYALTY_TOKEN` (or the OS user under
`[identity] os_users`) proves, which `--as`/`--role` may repeat but not change; with neither,
on the embedded sandbox any demo principal `--as` names, else `assistant`, and against real
Mews nothing: it refuses, saying what to set.

With no `MEWS_*` variables set it runs on the embedded sandbox (user data directory). Over stdio
nothing but the protocol goes to stdout; the start-up notes go to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands._policy_cli import fail, load, proven_caller, run

if TYPE_CHECKING:
    from mcp.server import Server

    from policies import Policy, Principal
    from tools.runtime import LoyaltyRuntime

__all__ = ["register", "serve"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    transport: Annotated[str, typer.Option(help="stdio or http.")] = "stdio",
    host: Annotated[str, typer.Option(help="HTTP: address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP: port.", min=1, max=65535)] = 8000,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as this principal (stdio, --no-auth); against real Mews it must be "
            "the one $LOYALTY_TOKEN or [identity] os_users proves.",
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            help="Act as the principal the policy defines with this role (refused if none or "
            "several have it: then use --as)."
        ),
    ] = None,
    toolsets: Annotated[
        str,
        typer.Option(help="Comma-separated: member, admin, approvals, campaigns."),
    ] = "member",
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="HTTP without tokens (loopback only).")
    ] = False,
    allowed_hosts: Annotated[
        str | None,
        typer.Option(
            help="HTTP: host names a reverse proxy forwards (comma-separated; default "
            "$LOYALTY_ALLOWED_HOSTS). Other Host and Origin headers stay refused."
        ),
    ] = None,
) -> None:
    """Serve the loyalty tools to MCP clients (desktop apps, IDEs, the MCP Inspector)."""
    from tools.server.catalog import TOOLSETS

    if transport not in ("stdio", "http"):
        fail(f"--transport must be stdio or http, not {transport!r}")
    if as_ is not None and role is not None:
        fail("give --as NAME or --role ROLE, not both")
    chosen = [part.strip() for part in toolsets.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(TOOLSETS))
    if unknown or not chosen:
        fail(
            f"--toolsets: unknown {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(TOOLSETS)}"
        )
    if transport == "http" and no_auth:
        from tools.server.transports import TokenError, check_no_auth

        try:
            check_no_auth(host)  # before the runtime (database, sandbox) is opened
        except TokenError as exc:
            fail(str(exc))
    if role is not None:
        from policies import PolicyConfigError, load_policy

        try:
            as_ = principal_named_by_role(load_policy(), role)
        except PolicyConfigError as exc:
            fail(str(exc))
    if transport == "stdio" or no_auth:
        # Before anything opens: who the server acts as is a claim, as on every other command
        # (on real Mews even the default `assistant` needs its token).
        as_ = proven_caller(load(), as_)
    from tools.server.transports import ALLOWED_HOSTS_ENV, TokenError, parse_allowed_hosts

    try:
        hosts = parse_allowed_hosts(
            os.environ.get(ALLOWED_HOSTS_ENV, "") if allowed_hosts is None else allowed_hosts
        )
    except TokenError as exc:
        fail(f"--allowed-hosts: {exc}")
    run(_serve(transport, host, port, as_, tuple(chosen), no_auth, tuple(hosts)))


def principal_named_by_role(policy: Policy, role: str) -> str:
    """The name of the one principal the policy gives `role` (`fail`s naming the choices)."""
    if role not in policy.roles:
        known = ", ".join(sorted(policy.roles))
        fail(f"unknown role {role!r} (--role): the policy defines {known}")
    holders = sorted(name for name, held in policy.principals.items() if held == role)
    if not holders:
        fail(
            f"no principal in the policy file has the role {role!r} (--role): add one under "
            "[principals], or name a principal with --as"
        )
    if len(holders) > 1:
        fail(
            f"several principals have the role {role!r} (--role): {', '.join(holders)}; "
            "choose one with --as NAME"
        )
    return holders[0]


def _principal(policy: Policy, as_: str | None) -> Principal:
    from app.identity import unknown_principal_message
    from policies import PolicyRequestError, resolve_principal
    from tools.server.catalog import DEFAULT_PRINCIPAL

    try:
        return resolve_principal(policy, as_ or DEFAULT_PRINCIPAL)
    except PolicyRequestError:
        fail(unknown_principal_message(policy, as_))


async def _serve(
    transport: str,
    host: str,
    port: int,
    as_: str | None,
    toolsets: tuple[str, ...],
    no_auth: bool,
    allowed_hosts: tuple[str, ...] = (),
) -> None:
    if transport == "stdio":
        await _serve_stdio(as_, toolsets)
        return
    from app.runtime import open_runtime
    from policies.read_audit import SERVE_READ_AUDIT_BATCH
    from tools.server import create_server

    tokens: dict[str, str] | None = None
    oauth: Any = None
    # A server's reads join the audit chain in batches (not one chain append per read).
    async with open_runtime(read_audit_batch=SERVE_READ_AUDIT_BATCH, recover=True) as runtime:
        principal = _principal(runtime.policy, as_)
        if not no_auth:
            tokens, oauth = _credentials(runtime.policy)
            if as_ is not None:
                fail("over HTTP with tokens each token names its principal: drop --as/--role")
        server = create_server(runtime, principal=principal, toolsets=toolsets)
        callers = (
            [principal]
            if tokens is None and oauth is None
            else _principals_of(runtime, tokens or {})
        )
        for caller in callers:
            _warn_if_toolless(caller, toolsets)
        _warn_if_second_ledger(runtime)
        _note(f"loyalty MCP server: toolsets {', '.join(toolsets)}, on {_where()}")
        await _serve_http(runtime, server, host, port, (tokens, oauth, allowed_hosts), principal)


async def _serve_stdio(as_: str | None, toolsets: tuple[str, ...]) -> None:
    """One stdio session: listed from the catalog at once, the runtime opened (approvals a
    crash left executing resolved, a second ledger warned about) on the first request that
    needs it (`tools.server.deferred`: a desktop app spawns the server for every session)."""
    from tools.server.deferred import serve_stdio_deferred

    policy = load()
    principal = _principal(policy, as_)
    _warn_if_toolless(principal, toolsets)
    _note(f"loyalty MCP server: toolsets {', '.join(toolsets)}, on {_where()}")
    _note(f"stdio, acting as {principal.name} ({principal.role})")
    if sys.stdin.isatty():
        # A person ran it in a terminal: say what it is waiting for.
        _note(
            "waiting for an MCP client on stdin (Ctrl-D to stop). Connect a desktop app "
            "or the MCP Inspector (see README), or watch it work: loyalty demo"
        )

    @asynccontextmanager
    async def open_real() -> AsyncIterator[Server[Any]]:
        from app.runtime import open_runtime
        from policies.read_audit import SERVE_READ_AUDIT_BATCH
        from tools.server import create_server

        async with open_runtime(read_audit_batch=SERVE_READ_AUDIT_BATCH, recover=True) as runtime:
            _warn_if_second_ledger(runtime)
            yield create_server(runtime, principal=principal, toolsets=toolsets)

    await serve_stdio_deferred(open_real, policy=policy, principal=principal, toolsets=toolsets)


def _where() -> str:
    from app.mews_env import uses_real_mews

    return "Mews (MEWS_BASE_URL)" if uses_real_mews() else "the embedded Mews sandbox"


def _credentials(policy: Policy) -> tuple[dict[str, str] | None, Any]:
    """Static tokens (`LOYALTY_MCP_TOKENS`) and/or OAuth JWTs (`LOYALTY_OAUTH_*`): at least one."""
    from tools.server.oauth import JwtVerifier, OAuthConfigError, oauth_from_env
    from tools.server.transports import TOKENS_ENV, TokenError, parse_tokens

    try:
        config = oauth_from_env(policy)
        oauth = None if config is None else (config, JwtVerifier(config, policy))
        text = os.environ.get(TOKENS_ENV, "")
        tokens = parse_tokens(text, policy) if text.strip() or oauth is None else None
    except (TokenError, OAuthConfigError) as exc:
        fail(str(exc))
    return tokens, oauth


async def _serve_http(
    runtime: LoyaltyRuntime,
    server: Any,
    host: str,
    port: int,
    access: tuple[dict[str, str] | None, Any, tuple[str, ...]],
    principal: Principal,
) -> None:
    import uvicorn

    from tools.automation.receiver import SECRET_ENV, webhook_secret
    from tools.automation.service import AutomationService
    from tools.server.transports import http_app

    tokens, oauth, allowed_hosts = access
    app = http_app(
        server, host=host, port=port, tokens=tokens, oauth=oauth, allowed_hosts=allowed_hosts
    )
    if tokens is None and oauth is None:
        _note(
            f"WARNING: --no-auth: no bearer token is required; every caller acts as "
            f"{principal.name} ({principal.role}). Loopback only."
        )
    if tokens is not None:
        names = ", ".join(sorted(set(tokens.values())))
        _note(f"bearer tokens required ({len(tokens)} tokens for {names})")
    if oauth is not None:
        _note(f"OAuth access tokens of {oauth[0].issuer} for {oauth[0].audience} accepted")
    if allowed_hosts:
        _note(f"also serving Host {', '.join(allowed_hosts)} (reverse proxy)")
    _note(f"streamable HTTP on http://{host}:{port}/mcp")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    if not os.environ.get(SECRET_ENV):
        await uvicorn.Server(config).serve()
        return
    # Mews General Webhooks on the same port: the route is authenticated by the secret in its
    # path (Mews cannot send bearer tokens); /mcp keeps its bearer check.
    automation = AutomationService.for_runtime(runtime, secret=webhook_secret())
    automation.mount(app)
    _note(f"Mews webhooks on http://{host}:{port}/webhooks/mews/<{SECRET_ENV}>")
    async with automation.running():  # the worker lives as long as the server
        await uvicorn.Server(config).serve()


def _principals_of(runtime: LoyaltyRuntime, tokens: dict[str, str]) -> list[Principal]:
    return [runtime.guard.principal(name) for name in sorted(set(tokens.values()))]


def _warn_if_second_ledger(runtime: LoyaltyRuntime) -> None:
    """Two ledgers pushing to one chain (two SQLite files on two machines) absorb each other's
    points as external changes: say so at start (the dispatcher logs it when it happens)."""
    warning = runtime.second_ledger_warning()
    if warning:
        _note(f"WARNING: {warning}")


def _warn_if_toolless(principal: Principal, toolsets: tuple[str, ...]) -> None:
    """A client that lists no tools looks like a broken server: say why before it connects."""
    from tools.server.catalog import TOOLSETS, tool_names_for

    if tool_names_for(toolsets, principal):
        return
    useful = [name for name in TOOLSETS if tool_names_for((name,), principal)]
    _note(
        f"WARNING: {principal.name} ({principal.role}) may call none of the tools of "
        f"--toolsets {','.join(toolsets)}: clients will list no tools. "
        f"{principal.name} can use: {', '.join(useful) or 'no toolset'}"
    )


def _note(text: str) -> None:
    typer.echo(text, err=True)
