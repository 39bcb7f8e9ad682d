"""Fixtures for the agent tests: the anyio backend, a small MCP server, a fake model server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent.fake_openai import FakeOpenAIServer
from tests.agent.servers import Hotel, make_hotel


@pytest.fixture
def hotel() -> Hotel:
    """A fresh in-process MCP server with a few loyalty-like tools, and what it was asked."""
    return make_hotel()


@pytest.fixture(scope="module")
def _openai_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer.running() as server:
        yield server


@pytest.fixture
def fake_openai(_openai_server: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The fake chat-completions server, with an empty reply queue and request log."""
    _openai_server.reset()
    yield _openai_server
    _openai_server.release_held()
