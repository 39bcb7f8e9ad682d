"""Bearer JWT access tokens from an external OAuth 2.0 authorization server.

A remote MCP client that speaks OAuth finds the authorization server through this server's
protected-resource metadata (RFC 9728; `http_app` publishes it and names it in the 401's
`WWW-Authenticate`), gets an access token there, and sends it as a bearer token. `JwtVerifier`
accepts it when it is a JWT signed by a key of the issuer's JWKS (RS256/ES256/EdDSA family, never
`none` or a shared secret), from the configured issuer, for this server's audience, not expired,
and when the configured claim names a principal of the policy file.

Configuration (environment; issuer, audience and JWKS together turn it on):

    LOYALTY_OAUTH_ISSUER      the authorization server's issuer URL (the `iss` claim)
    LOYALTY_OAUTH_AUDIENCE    this server's public URL of /mcp (the `aud` claim; the resource)
    LOYALTY_OAUTH_JWKS        the issuer's JWKS: an https URL, or a path to a JSON file
    LOYALTY_OAUTH_PRINCIPALS  claim value -> principal: `ada@example.com=alice,...`; default:
                              the claim's value is the principal's name
    LOYALTY_OAUTH_CLAIM       the claim that names the caller (default `sub`)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import jwt
from mcp.server.auth.provider import AccessToken

from policies import Policy

__all__ = ["JwtVerifier", "OAuthConfig", "OAuthConfigError", "oauth_from_env"]

_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
_LEEWAY_S = 30  # clock skew between us and the issuer


class OAuthConfigError(ValueError):
    """The OAuth settings are incomplete or wrong (a configuration error: stop)."""


@dataclass(frozen=True)
class OAuthConfig:
    issuer: str
    audience: str
    jwks: str  # an https URL or a file path
    claim: str = "sub"
    principals: Mapping[str, str] = field(default_factory=dict)  # claim value -> principal


def oauth_from_env(policy: Policy, env: Mapping[str, str] | None = None) -> OAuthConfig | None:
    """The OAuth settings from the environment, checked; None when none are set."""
    source = os.environ if env is None else env
    get = {key: source.get(f"LOYALTY_OAUTH_{key}", "").strip() for key in _KEYS}
    core = {key: get[key] for key in ("ISSUER", "AUDIENCE", "JWKS")}
    if not any(get.values()):
        return None
    missing = [f"LOYALTY_OAUTH_{key}" for key, value in core.items() if not value]
    if missing:
        raise OAuthConfigError(f"OAuth bearer tokens need {', '.join(missing)} as well")
    return OAuthConfig(
        issuer=get["ISSUER"],
        audience=get["AUDIENCE"],
        jwks=get["JWKS"],
        claim=get["CLAIM"] or "sub",
        principals=_principal_map(get["PRINCIPALS"], policy),
    )


_KEYS = ("ISSUER", "AUDIENCE", "JWKS", "CLAIM", "PRINCIPALS")


def _principal_map(text: str, policy: Policy) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for number, item in enumerate((p.strip() for p in text.split(",")), start=1):
        if not item:
            continue
        value, sep, name = (piece.strip() for piece in item.rpartition("="))
        if not sep or not value or not name:
            raise OAuthConfigError(f"LOYALTY_OAUTH_PRINCIPALS item {number}: expected VALUE=NAME")
        if name not in policy.principals:
            known = ", ".join(sorted(policy.principals))
            raise OAuthConfigError(
                f"LOYALTY_OAUTH_PRINCIPALS item {number}: unknown principal {name!r} ({known})"
            )
        mapping[value] = name
    return mapping


class JwtVerifier:
    """The SDK's `TokenVerifier` for JWT access tokens of one issuer."""

    def __init__(self, config: OAuthConfig, policy: Policy) -> None:
        self._config = config
        self._known = frozenset(policy.principals)
        self._keys = _JwksKeys(config.jwks)

    async def verify_token(self, token: str) -> AccessToken | None:
        if token.count(".") != 2:
            return None  # not a JWT (a static token, or garbage)
        try:
            key = await self._keys.key_for(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                audience=self._config.audience,
                issuer=self._config.issuer,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.PyJWTError, OAuthConfigError):
            return None
        principal = self._principal(claims)
        if principal is None:
            return None
        scopes = str(claims.get("scope", "")).split()
        expires = claims.get("exp")
        return AccessToken(
            token=token,
            client_id=principal,
            scopes=scopes,
            expires_at=int(expires) if isinstance(expires, int | float) else None,
            subject=str(claims.get("sub", principal)),
            resource=self._config.audience,
        )

    def _principal(self, claims: Mapping[str, Any]) -> str | None:
        value = claims.get(self._config.claim)
        if not isinstance(value, str):
            return None
        name = self._config.principals.get(value) if self._config.principals else value
        return name if name in self._known else None


class _JwksKeys:
    """Signing keys by `kid`: from a local JWKS file (read once) or an https URL (fetched by
    PyJWT's client, cached, in a worker thread so the event loop never waits on it)."""

    def __init__(self, source: str) -> None:
        self._client: jwt.PyJWKClient | None = None
        self._local: jwt.PyJWKSet | None = None
        if source.startswith("https://") or source.startswith("http://"):
            self._client = jwt.PyJWKClient(source, cache_keys=True, lifespan=600)
        else:
            try:
                self._local = jwt.PyJWKSet.from_dict(json.loads(Path(source).read_text()))
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                raise OAuthConfigError(f"LOYALTY_OAUTH_JWKS: cannot read {source}: {exc}") from exc

    async def key_for(self, token: str) -> Any:
        if self._client is not None:
            client = self._client
            signing = await anyio.to_thread.run_sync(client.get_signing_key_from_jwt, token)
            return signing.key
        assert self._local is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._local.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise OAuthConfigError(f"no key {kid!r} in the JWKS")
