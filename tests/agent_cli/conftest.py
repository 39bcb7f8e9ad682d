"""Fixtures for the assistant's command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.conftest import _openai_server, fake_openai
from tests.agent_cli.fakes import Desk

__all__ = ["_openai_server", "fake_openai"]  # the agent tests' fake model server


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
