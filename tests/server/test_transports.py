"""The server over a stdio subprocess (`loyalty serve`) and over streamable HTTP with tokens."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent import McpConnectError, connect_mcp
from policies import load_policy
from tests.serving import serve_on_port
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY
from tools.server import create_server
from tools.server.transports import TokenError, check_no_auth, http_app, parse_tokens

pytestmark = pytest.mark.anyio

CAROL_TOKEN = "carol-token-0123456789abcdef"
VERA_TOKEN = "vera-token-0123456789abcdef"


async def test_loyalty_serve_speaks_mcp_over_stdio(tmp_path: Path) -> None:
    env = {
        "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "XDG_DATA_HOME": str(tmp_path / "data"),  # the embedded sandbox's state file
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--as", "carol"]
    async with connect_mcp(command=command, env=env) as tools:
        outcome = await tools.call("find_members", {"query": "Emma Novak"})
        award = await tools.call(
            "award_points",
            {"membership_id": STORY.emma_novak_membership, "points": 10, "reason": "stdio"},
        )
    assert {spec.name for spec in tools.specs} >= {"find_members", "award_points"}
    assert outcome.structured is not None
    assert outcome.structured["candidates"][0]["customer_id"] == STORY.emma_novak
    assert award.status == "posted"
    assert (tmp_path / "data" / "mews-loyalty" / "sandbox-state.json").exists()


@pytest.fixture
def http_url(runtime: LoyaltyRuntime) -> Iterator[str]:
    server = create_server(runtime, toolsets=("member",))
    tokens = {CAROL_TOKEN: "carol", VERA_TOKEN: "vera"}

    def member_app(port: int) -> Any:
        return http_app(server, host="127.0.0.1", port=port, tokens=tokens)

    with serve_on_port(member_app, ws="none") as url:
        yield f"{url}/mcp"


async def test_http_maps_each_token_to_its_principal(http_url: str) -> None:
    async with connect_mcp(url=http_url, token=CAROL_TOKEN) as tools:
        carol = await tools.call("get_chain_configuration", {})
    async with connect_mcp(url=http_url, token=VERA_TOKEN) as tools:
        vera = await tools.call("get_chain_configuration", {})
        vera_tools = {spec.name for spec in tools.specs}
    assert carol.structured is not None
    assert carol.structured["you"] == "carol (staff)"
    assert vera.structured is not None
    assert vera.structured["you"] == "vera (viewer)"
    assert "award_points" not in vera_tools


async def test_http_without_a_valid_token_is_401(http_url: str) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient() as client:
        missing = await client.post(http_url, json=request, headers=headers)
        wrong = await client.post(
            http_url, json=request, headers={**headers, "Authorization": "Bearer nope"}
        )
    assert missing.status_code == 401
    assert wrong.status_code == 401
    with pytest.raises(McpConnectError):
        async with connect_mcp(url=http_url):
            pass


async def test_http_refuses_a_foreign_host_header(http_url: str) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {CAROL_TOKEN}",
        "Host": "evil.example",
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(http_url, json=request, headers=headers)
    assert response.status_code in (400, 403, 421)


def test_tokens_are_parsed_and_checked_against_the_policy() -> None:
    policy = load_policy()
    assert parse_tokens(f"{CAROL_TOKEN}=carol, {VERA_TOKEN}=vera", policy) == {
        CAROL_TOKEN: "carol",
        VERA_TOKEN: "vera",
    }
    for bad, message in [
        ("", "set LOYALTY_MCP_TOKENS"),
        (f"{CAROL_TOKEN}=mallory", "unknown principal"),
        ("short=carol", "at least 16"),
        (CAROL_TOKEN, "TOKEN=PRINCIPAL"),
    ]:
        with pytest.raises(TokenError, match=message):
            parse_tokens(bad, policy)


def test_no_auth_is_refused_off_loopback() -> None:
    check_no_auth("127.0.0.1")
    check_no_auth("::1")
    with pytest.raises(TokenError, match="loopback"):
        check_no_auth("0.0.0.0")
