"""Serving the MCP server: stdio, and streamable HTTP with bearer tokens.

Streamable HTTP (`http_app`): every request needs `Authorization: Bearer <token>` where the
token is one of `LOYALTY_MCP_TOKENS` (`token1=alice,token2=carol`, each mapped to a principal of
the policy file) or a JWT access token of the configured OAuth authorization server
(`tools.server.oauth`); anything else is answered 401. With OAuth configured, the server
publishes its protected-resource metadata (RFC 9728) at `/.well-known/oauth-protected-resource`
(and under the resource's path) and the 401's `WWW-Authenticate` names it. Host and Origin
headers are checked against DNS rebinding: loopback names, the bound host, and the hosts a
reverse proxy forwards (`--allowed-hosts`, `LOYALTY_ALLOWED_HOSTS`); an Origin is accepted only
from those hosts. `tokens=None` serves without authentication, which `check_no_auth` allows on
a loopback address only.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mcp.server import Server
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Route

from policies import Policy

if TYPE_CHECKING:  # PyJWT and cryptography load only when OAuth is configured (cold start)
    from tools.server.oauth import OAuthConfig

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "ROOT_METADATA_PATH",
    "TOKENS_ENV",
    "TokenError",
    "TokenTable",
    "check_no_auth",
    "http_app",
    "is_loopback",
    "parse_allowed_hosts",
    "parse_tokens",
    "serve_stdio",
]

TOKENS_ENV = "LOYALTY_MCP_TOKENS"
_MIN_TOKEN_LENGTH = 16


class TokenError(ValueError):
    """`LOYALTY_MCP_TOKENS` is missing or malformed (a configuration error: stop)."""


def parse_tokens(text: str, policy: Policy) -> dict[str, str]:
    """`token=principal,...` -> {token: principal}; every principal must be in the policy."""
    tokens: dict[str, str] = {}
    for number, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        token, sep, name = (piece.strip() for piece in item.partition("="))
        if not sep or not token or not name:
            raise TokenError(f"{TOKENS_ENV} item {number}: expected TOKEN=PRINCIPAL")
        if len(token) < _MIN_TOKEN_LENGTH:
            raise TokenError(
                f"{TOKENS_ENV} item {number}: a token needs at least {_MIN_TOKEN_LENGTH} characters"
            )
        if name not in policy.principals:
            known = ", ".join(sorted(policy.principals))
            raise TokenError(f"{TOKENS_ENV} item {number}: unknown principal {name!r} ({known})")
        if token in tokens:
            raise TokenError(f"{TOKENS_ENV} item {number}: the same token is listed twice")
        tokens[token] = name
    if not tokens:
        raise TokenError(
            f"set {TOKENS_ENV} (e.g. {TOKENS_ENV}='<long-random-token>=alice') or, on a "
            "loopback address only, pass --no-auth"
        )
    return tokens


class TokenTable:
    """The SDK's `TokenVerifier`: a static table of bearer tokens, compared in constant time."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = dict(tokens)

    async def verify_token(self, token: str) -> AccessToken | None:
        found: str | None = None
        for known, name in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = name
        if found is None:
            return None
        return AccessToken(token=token, client_id=found, scopes=[], subject=found)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_no_auth(host: str) -> None:
    if not is_loopback(host):
        raise TokenError(
            f"--no-auth is refused on {host}: serve without tokens on a loopback address only "
            "(127.0.0.1, ::1, localhost)"
        )


ALLOWED_HOSTS_ENV = "LOYALTY_ALLOWED_HOSTS"


def parse_allowed_hosts(text: str) -> list[str]:
    """`loyalty.example.com,10.0.0.5:8443` -> host names (a port is optional); `fail`-free:
    a bad item raises `TokenError` naming it."""
    hosts = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if "/" in item or "@" in item or " " in item or item.startswith(("http:", "https:")):
            raise TokenError(
                f"allowed host {item!r}: give a host name (and port), e.g. loyalty.example.com"
            )
        hosts.append(item)
    return hosts


def _security(host: str, allowed: Sequence[str] = ()) -> TransportSecuritySettings:
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    extra = [] if is_loopback(host) or host in ("0.0.0.0", "::") else [host]
    for name in [*extra, *allowed]:
        with_port = name.rsplit(":", 1)[-1].isdigit() and ":" in name  # host:port, [v6]:port
        hosts.extend([name] if with_port else [name, f"{name}:*"])
        for scheme in ("http", "https"):
            origins.extend(
                [f"{scheme}://{name}"]
                if with_port
                else [f"{scheme}://{name}", f"{scheme}://{name}:*"]
            )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class _Verifiers:
    """Static tokens first, then JWT access tokens: the first that knows the token wins."""

    def __init__(self, *verifiers: TokenVerifier) -> None:
        self._verifiers = verifiers

    async def verify_token(self, token: str) -> AccessToken | None:
        for verifier in self._verifiers:
            found = await verifier.verify_token(token)
            if found is not None:
                return found
        return None


def http_app(
    server: Server[Any],
    *,
    host: str,
    port: int,
    tokens: Mapping[str, str] | None,
    oauth: tuple[OAuthConfig, TokenVerifier] | None = None,
    allowed_hosts: Sequence[str] = (),
) -> Starlette:
    """The ASGI app serving `/mcp`; `tokens=None` and no `oauth` means no authentication
    (loopback only)."""
    security = _security(host, allowed_hosts)
    if tokens is None and oauth is None:
        check_no_auth(host)
        return server.streamable_http_app(host=host, transport_security=security)
    verifiers: list[TokenVerifier] = [] if tokens is None else [TokenTable(tokens)]
    if oauth is None:
        auth = AuthSettings(
            issuer_url=f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}",
            resource_server_url=None,
        )
        return server.streamable_http_app(
            host=host, transport_security=security, auth=auth, token_verifier=verifiers[0]
        )
    config, verifier = oauth
    verifiers.append(verifier)
    auth = AuthSettings(
        issuer_url=config.issuer,
        resource_server_url=config.audience,
        validate_token_resource=False,  # JwtVerifier checks the audience; static tokens have none
    )
    app = server.streamable_http_app(
        host=host, transport_security=security, auth=auth, token_verifier=_Verifiers(*verifiers)
    )
    _metadata_at_root(app)
    return app


def _metadata_at_root(app: Starlette) -> None:
    """RFC 9728 puts the metadata of `https://host/mcp` at
    `/.well-known/oauth-protected-resource/mcp` (the SDK serves that); clients that look at the
    root get the same document there."""
    for route in list(app.router.routes):
        path = getattr(route, "path", "")
        if path.startswith(ROOT_METADATA_PATH + "/") and isinstance(route, Route):
            app.router.routes.append(
                Route(ROOT_METADATA_PATH, endpoint=route.endpoint, methods=["GET", "OPTIONS"])
            )
            return


ROOT_METADATA_PATH = "/.well-known/oauth-protected-resource"


async def serve_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
