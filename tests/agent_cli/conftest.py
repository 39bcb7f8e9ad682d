"""Fixtures for the assistant's command-line tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.fake_openai import FakeOpenAIServer
from tests.agent_cli.fakes import Desk


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model, policy or Mews configuration leaks in from the developer's shell."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LOYALTY_MODEL",
        "LOYALTY_POLICY_FILE",
        "LOYALTY_PROGRAM_FILE",
        "LOYALTY_AUDIT_KEY",
        "MEWS_BASE_URL",
        "MEWS_CLIENT_TOKEN",
        "MEWS_ACCESS_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded server's state (SQLite store, sandbox file) in a fresh temporary folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'loyalty.db'}")
    return tmp_path


@pytest.fixture(scope="module")
def _openai_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer.running() as server:
        yield server


@pytest.fixture
def fake_openai(_openai_server: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The fake chat-completions server (tests/agent), with an empty reply queue."""
    _openai_server.reset()
    yield _openai_server
    _openai_server.release_held()
