"""Remote clients: JWT access tokens of an external authorization server, the protected-resource
metadata that points to it (RFC 9728), and hosts a reverse proxy forwards.

The test is its own authorization server: it mints an RSA key, writes the JWKS to a file and
signs tokens; nothing touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import RSAAlgorithm

from agent import connect_mcp
from policies import load_policy
from tests.serving import serve_on_port
from tools.runtime import LoyaltyRuntime
from tools.server import create_server
from tools.server.oauth import JwtVerifier, OAuthConfig, OAuthConfigError, oauth_from_env
from tools.server.transports import TokenError, http_app, parse_allowed_hosts

pytestmark = pytest.mark.anyio

ISSUER = "https://auth.example.test"
AUDIENCE = "https://loyalty.example.com/mcp"
STATIC = "carol-token-0123456789abcdef"


class Issuer:
    """A minimal authorization server: one signing key, published as a JWKS file."""

    def __init__(self, folder: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = folder / "jwks.json"
        self.jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}))

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300}
        body.update(claims)
        body = {key: value for key, value in body.items() if value is not None}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


def _verifier(issuer: Issuer, **more: Any) -> JwtVerifier:
    config = OAuthConfig(issuer=ISSUER, audience=AUDIENCE, jwks=str(issuer.jwks), **more)
    return JwtVerifier(config, load_policy())


async def test_a_jwt_from_the_issuer_for_this_audience_names_its_principal(
    issuer: Issuer,
) -> None:
    found = await _verifier(issuer).verify_token(issuer.token(scope="loyalty"))
    assert found is not None
    assert (found.client_id, found.scopes) == ("alice", ["loyalty"])


async def test_a_claim_is_mapped_to_a_principal_when_a_mapping_is_configured(
    issuer: Issuer,
) -> None:
    verifier = _verifier(issuer, claim="email", principals={"ada@example.com": "carol"})
    found = await verifier.verify_token(issuer.token(email="ada@example.com"))
    unmapped = await verifier.verify_token(issuer.token(email="eve@example.com"))
    assert found is not None
    assert found.client_id == "carol"
    assert unmapped is None


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example/mcp"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600},
        {"exp": None},
        {"sub": "mallory"},  # no such principal
    ],
)
async def test_a_token_for_another_audience_issuer_time_or_person_is_refused(
    issuer: Issuer, claims: dict[str, Any]
) -> None:
    assert await _verifier(issuer).verify_token(issuer.token(**claims)) is None


async def test_tokens_signed_by_another_key_or_with_a_shared_secret_are_refused(
    issuer: Issuer, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    forged = Issuer(tmp_path / "other").token()
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": int(time.time()) + 60}
    pem = issuer.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    confused = _hs256({"alg": "HS256", "kid": "k1"}, claims, pem)  # the public key as secret
    unsigned = _b64({"alg": "none", "kid": "k1"}) + "." + _b64(claims) + "."
    verifier = _verifier(issuer)
    for token in (forged, confused, unsigned, "not-a-jwt"):
        assert await verifier.verify_token(token) is None, token


def _b64(part: dict[str, Any]) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_oauth_settings_come_complete_or_not_at_all(issuer: Issuer) -> None:
    policy = load_policy()
    assert oauth_from_env(policy, {}) is None
    with pytest.raises(OAuthConfigError, match="LOYALTY_OAUTH_JWKS"):
        oauth_from_env(policy, {"LOYALTY_OAUTH_ISSUER": ISSUER, "LOYALTY_OAUTH_AUDIENCE": AUDIENCE})
    with pytest.raises(OAuthConfigError, match="unknown principal 'mallory'"):
        oauth_from_env(
            policy,
            {
                "LOYALTY_OAUTH_ISSUER": ISSUER,
                "LOYALTY_OAUTH_AUDIENCE": AUDIENCE,
                "LOYALTY_OAUTH_JWKS": str(issuer.jwks),
                "LOYALTY_OAUTH_PRINCIPALS": "x@example.com=mallory",
            },
        )


def test_allowed_hosts_are_host_names_not_urls() -> None:
    assert parse_allowed_hosts("loyalty.example.com, 10.0.0.5:8443") == [
        "loyalty.example.com",
        "10.0.0.5:8443",
    ]
    with pytest.raises(TokenError, match="host name"):
        parse_allowed_hosts("https://loyalty.example.com/mcp")


@pytest.fixture
def remote_url(runtime: LoyaltyRuntime, issuer: Issuer) -> Iterator[str]:
    """The server as deployed behind a proxy: static tokens and OAuth, on 0.0.0.0's behalf."""
    server = create_server(runtime, toolsets=("member",))
    config = OAuthConfig(issuer=ISSUER, audience=AUDIENCE, jwks=str(issuer.jwks))

    def remote_app(port: int) -> Any:
        return http_app(
            server,
            host="0.0.0.0",
            port=port,
            tokens={STATIC: "carol"},
            oauth=(config, JwtVerifier(config, load_policy())),
            allowed_hosts=["loyalty.example.com"],
        )

    with serve_on_port(remote_app, ws="none") as url:
        yield url


LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


async def test_the_401_names_the_protected_resource_metadata_which_names_the_issuer(
    remote_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=remote_url) as client:
        refused = await client.post("/mcp", json=LIST, headers=ACCEPT)
        at_path = await client.get("/.well-known/oauth-protected-resource/mcp")
        at_root = await client.get("/.well-known/oauth-protected-resource")
    assert refused.status_code == 401
    metadata_url = "https://loyalty.example.com/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in refused.headers["www-authenticate"]
    for response in (at_path, at_root):
        assert response.status_code == 200
        assert response.json()["resource"] == AUDIENCE
        assert [s.rstrip("/") for s in response.json()["authorization_servers"]] == [ISSUER]


async def test_jwt_and_static_tokens_both_reach_the_tools(remote_url: str, issuer: Issuer) -> None:
    async with connect_mcp(url=f"{remote_url}/mcp", token=issuer.token()) as tools:
        alice = await tools.call("get_chain_configuration", {})
    async with connect_mcp(url=f"{remote_url}/mcp", token=STATIC) as tools:
        carol = await tools.call("get_chain_configuration", {})
    assert alice.structured is not None
    assert alice.structured["you"] == "alice (manager)"
    assert carol.structured is not None
    assert carol.structured["you"] == "carol (staff)"


async def test_an_allowed_host_is_served_but_a_foreign_host_or_origin_is_refused(
    remote_url: str,
) -> None:
    auth = {**ACCEPT, "Authorization": f"Bearer {STATIC}"}
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "proxy-test", "version": "1"},
        },
    }
    async with httpx.AsyncClient(base_url=remote_url) as client:
        proxied = await client.post(
            "/mcp", json=init, headers={**auth, "Host": "loyalty.example.com"}
        )
        foreign = await client.post("/mcp", json=init, headers={**auth, "Host": "evil.example"})
        origin = await client.post(
            "/mcp",
            json=init,
            headers={**auth, "Host": "loyalty.example.com", "Origin": "https://evil.example"},
        )
        own_origin = await client.post(
            "/mcp",
            json=init,
            headers={
                **auth,
                "Host": "loyalty.example.com",
                "Origin": "https://loyalty.example.com",
            },
        )
    assert proxied.status_code == 200
    assert own_origin.status_code == 200
    assert foreign.status_code == 421
    assert origin.status_code == 403


def test_serve_takes_oauth_alone_or_beside_static_tokens(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.commands.serve import _credentials

    monkeypatch.setenv("LOYALTY_OAUTH_ISSUER", ISSUER)
    monkeypatch.setenv("LOYALTY_OAUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("LOYALTY_OAUTH_JWKS", str(issuer.jwks))
    monkeypatch.delenv("LOYALTY_MCP_TOKENS", raising=False)
    tokens, oauth = _credentials(load_policy())
    assert tokens is None
    assert oauth[0].issuer == ISSUER
    monkeypatch.setenv("LOYALTY_MCP_TOKENS", f"{STATIC}=carol")
    tokens, oauth = _credentials(load_policy())
    assert tokens == {STATIC: "carol"}
    assert oauth is not None
