"""`connect_mcp` over each transport: in-process, streamable HTTP with a bearer token, stdio."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer

from agent import ConfigError, McpConnectError, ScriptedChatModel, connect_mcp, run_agent, tool_turn
from tests.agent.servers import Hotel

pytestmark = pytest.mark.anyio

STDIO_SERVER = Path(__file__).with_name("stdio_server.py")


class _Recorder:
    """ASGI middleware noting the Authorization header of every request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.authorizations: list[str | None] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            value = headers.get(b"authorization")
            self.authorizations.append(value.decode() if value else None)
        await self.app(scope, receive, send)


@pytest.fixture
def http_server(hotel: Hotel) -> Iterator[tuple[str, _Recorder]]:
    """The hotel server over streamable HTTP on a loopback port."""
    app = _Recorder(hotel.server.streamable_http_app())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


async def test_an_in_process_server_is_listed_and_called(hotel: Hotel) -> None:
    async with connect_mcp(hotel.server) as tools:
        outcome = await tools.call("get_balance", {"member": "ben"})

    assert outcome.structured == {"member": "ben", "points": 80}
    assert "award_points" in {spec.name for spec in tools.specs}


async def test_a_url_is_reached_over_http_with_the_bearer_token(
    http_server: tuple[str, _Recorder],
) -> None:
    url, recorder = http_server
    model = ScriptedChatModel([tool_turn(("get_balance", {"member": "emma"})), "1,200."])

    async with connect_mcp(url=url, token="s3cret") as tools:
        result = await run_agent(model, tools, "Emma?")

    assert result.tool_calls[0].status == "ok"
    assert recorder.authorizations
    assert set(recorder.authorizations) == {"Bearer s3cret"}


async def test_a_command_is_started_and_spoken_to_over_stdio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOYALTY_TEST_GREETING", "hello from the environment")
    monkeypatch.setenv("UNRELATED_SECRET", "not forwarded")

    async with connect_mcp(
        command=[sys.executable, str(STDIO_SERVER)], env={"EXTRA": "yes"}
    ) as tools:
        outcome = await tools.call(
            "environment", {"names": ["LOYALTY_TEST_GREETING", "UNRELATED_SECRET", "EXTRA"]}
        )

    assert outcome.structured == {
        "LOYALTY_TEST_GREETING": "hello from the environment",
        "UNRELATED_SECRET": None,
        "EXTRA": "yes",
    }


async def test_an_unreachable_url_is_a_connect_error_naming_it() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    url = f"http://127.0.0.1:{port}/mcp"

    with pytest.raises(McpConnectError, match=url):
        async with connect_mcp(url=url):
            pass


async def test_a_command_that_does_not_exist_is_a_connect_error() -> None:
    with pytest.raises(McpConnectError, match="no-such-loyalty-server"):
        async with connect_mcp(command="no-such-loyalty-server --flag"):
            pass


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "exactly one"),
        ({"server": MCPServer("a"), "url": "http://127.0.0.1:1/mcp"}, "exactly one"),
        ({"server": MCPServer("a"), "token": "t"}, "only sent to an MCP server given by URL"),
        ({"command": ""}, "empty"),
    ],
)
async def test_contradictory_targets_are_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        async with connect_mcp(**arguments):
            pass
