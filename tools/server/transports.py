"""Serving the MCP server: stdio, and streamable HTTP with bearer tokens.

Streamable HTTP (`http_app`): every request needs `Authorization: Bearer <token>` where the
token is one of `LOYALTY_MCP_TOKENS` (`token1=alice,token2=carol`, each mapped to a principal of
the policy file); anything else is answered 401. Host and Origin headers are checked against
DNS rebinding (loopback names, plus the bound host). `tokens=None` serves without
authentication, which `check_no_auth` allows on a loopback address only.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from typing import Any

from mcp.server import Server
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from policies import Policy

__all__ = [
    "TOKENS_ENV",
    "TokenError",
    "TokenTable",
    "check_no_auth",
    "http_app",
    "is_loopback",
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


def _security(host: str) -> TransportSecuritySettings:
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        hosts.append(f"{host}:*")
        origins.extend([f"http://{host}:*", f"https://{host}:*"])
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def http_app(
    server: Server[Any], *, host: str, port: int, tokens: Mapping[str, str] | None
) -> Starlette:
    """The ASGI app serving `/mcp`; `tokens=None` means no authentication (loopback only)."""
    if tokens is None:
        check_no_auth(host)
        return server.streamable_http_app(host=host, transport_security=_security(host))
    auth = AuthSettings(
        issuer_url=f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}",
        resource_server_url=None,
    )
    return server.streamable_http_app(
        host=host,
        transport_security=_security(host),
        auth=auth,
        token_verifier=TokenTable(tokens),
    )


async def serve_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
