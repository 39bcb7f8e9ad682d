"""`loyalty web`: the staff web app (assistant chat, member card, approvals inbox, audit).

    loyalty web [--host 127.0.0.1] [--port 8080] [--model SPEC] [--demo]
    loyalty web add-user NAME --role ROLE          prompts for the password, writes its hash

Accounts live in the TOML file named by `LOYALTY_WEB_USERS` (default: `web-users.toml` in the
user config directory). Without that file `loyalty web` refuses to start and says to run
`add-user`; `--demo` instead makes three throwaway accounts (a staff member and two managers) with
random passwords printed at start-up, kept in memory only. The data is the same as `loyalty
chat`: the embedded sandbox unless `MEWS_*` is set, the database of `LOYALTY_DATABASE_URL`.
"""

from __future__ import annotations

import errno
import ipaddress
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands._group import command_group
from app.commands._policy_cli import EXIT_USAGE, fail, load

if TYPE_CHECKING:
    import socket

    from agent.models.base import ChatModel
    from web.users import User

__all__ = ["DEMO_USERS", "register", "web_app"]

web_app = command_group(
    "The staff web app: chat, member card, approvals inbox, audit.", bare_runs_callback=True
)

DEMO_USERS = {"carol": "staff", "alice": "manager", "bob": "manager"}
"""Two managers, so a manager's own request can be approved by the other (four eyes)."""
MIN_SECRET = 32


def register(app: typer.Typer) -> None:
    app.add_typer(web_app, name="web")


@web_app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="scripted:PATH, NAME or openai:NAME (default: LOYALTY_MODEL).",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Throwaway accounts carol (staff), alice and bob (managers), passwords printed.",
        ),
    ] = False,
) -> None:
    """Serve the staff web app (sign in with the accounts of LOYALTY_WEB_USERS)."""
    if ctx.invoked_subcommand is not None:
        return
    from functools import partial

    import uvicorn

    from app.runtime import open_runtime
    from app.session import runtime_server
    from web import WebConfig, create_app

    # The port first: a taken port is reported before any banner or demo password is printed.
    sock = _bind(host, port)
    try:
        users, banner = _demo_users() if demo else (_users(), None)
        model_factory = _model_factory(model, demo=demo)
        _preflight()
        config = WebConfig(
            users=users,
            open_runtime=partial(open_runtime, recover=True),  # resolve crashed approvals
            model_factory=model_factory,
            chat_server=runtime_server,
            secret=_secret(),
            banner=banner,
        )
        url = f"http://{host}:{port}/"
        typer.echo(f"loyalty web · {url} · {len(users)} account(s) · Ctrl+C stops it")
        if not _loopback(host):
            typer.echo(
                "warning: listening beyond this machine; put it behind an https proxy so that "
                "session cookies are only sent encrypted (they are marked Secure over https)",
                err=True,
            )
        app = create_app(config)
        server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=True)
        )
        server.run(sockets=[sock])
    finally:
        sock.close()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line error naming the port and what to do."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            fail(
                f"port {port} on {host} is already in use (another `loyalty web`?): "
                f"stop that one or pick a free port with --port {port + 1}"
            )
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.set_inheritable(True)
    return sock


@web_app.command("add-user")
def add_user(
    name: Annotated[str, typer.Argument(help="Sign-in name: lower-case letters, digits, _ . -")],
    role: Annotated[str, typer.Option(help="A role of the policy: viewer, staff, manager, ...")],
) -> None:
    """Add a staff account (or set a new password); prompts for the password."""
    from web.users import (
        MIN_PASSWORD_LENGTH,
        User,
        UsersFileError,
        check_users,
        hash_password,
        save_user,
        users_path,
    )

    if not _valid(name):
        fail("names are lower-case letters, digits, _ . - (starting with a letter, at most 40)")
    policy = load()
    path = users_path()
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        fail(f"the password is too short: at least {MIN_PASSWORD_LENGTH} characters")
    user = User(name, role, hash_password(password))
    try:
        check_users({name: user}, policy.roles, policy.principals)
        created = save_user(path, user)
    except UsersFileError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {path}: {exc}")
    typer.echo(f"{'added' if created else 'updated'} {name} ({role}) in {path}")


def _valid(name: str) -> bool:
    from web.users import valid_name

    return valid_name(name)


def _users() -> Mapping[str, User]:
    from web.users import UsersFileError, check_users, load_users, users_path

    policy = load()
    try:
        users = load_users(users_path())
        check_users(users, policy.roles, policy.principals)
    except UsersFileError as exc:
        fail(str(exc))
    if not users:
        fail(
            f"{users_path()} has no accounts: "
            "add one with `loyalty web add-user NAME --role manager`"
        )
    return users


def _demo_users() -> tuple[dict[str, User], str]:
    from web.users import User, hash_password

    users: dict[str, User] = {}
    typer.echo("Demo accounts (in memory only; they vanish when the server stops):")
    for name, role in DEMO_USERS.items():
        import secrets

        password = secrets.token_urlsafe(9)
        users[name] = User(name, role, hash_password(password))
        typer.echo(f"  {name:<6} {role:<8} password: {password}")
    banner = (
        "Demo accounts: throwaway users with passwords printed at start-up. Not for production."
    )
    return users, banner


def _secret() -> bytes:
    from web.security import SECRET_ENV

    value = os.environ.get(SECRET_ENV, "")
    if not value:
        import secrets

        return secrets.token_bytes(32)  # sessions end when the process does
    if len(value) < MIN_SECRET:
        fail(f"{SECRET_ENV} must be at least {MIN_SECRET} characters (e.g. `openssl rand -hex 32`)")
    return value.encode()


def _model(spec: str | None) -> ChatModel:
    from agent.models.spec import model_from_spec

    return model_from_spec(spec)


def _model_factory(spec: str | None, *, demo: bool) -> Callable[[], ChatModel]:
    """What answers in the chat. A broken script stops the start; no configured model only
    warns (the other pages work), except with `--demo`, where the scripted demo model of
    `web.demo_model` answers instead, labelled as scripted."""
    from agent.errors import ConfigError, ModelNotConfigured

    try:
        model = _model(spec)
    except ModelNotConfigured as exc:
        if demo:
            from web.demo_model import demo_model

            typer.echo(
                "No chat model is configured: the SCRIPTED demo model answers (it knows two "
                "questions; try “How many points does Emma Novak have?”)."
            )
            return demo_model
        typer.echo(f"warning: the assistant will not answer: {exc}", err=True)
        return lambda: _model(spec)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    close = getattr(model, "aclose", None)
    if close is not None:
        import asyncio

        asyncio.run(close())
    return lambda: _model(spec)


def _preflight() -> None:
    """Open and close the runtime once, so that a configuration problem is one line here and
    not a traceback from inside the server."""
    import asyncio

    from agent.errors import ConfigError
    from app.runtime import open_checked_runtime

    async def open_once() -> None:
        async with open_checked_runtime():
            pass

    try:
        asyncio.run(open_once())
    except ConfigError as exc:
        fail(str(exc))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
