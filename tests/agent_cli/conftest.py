"""Fixtures for the assistant's command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.conftest import _openai_server, fake_openai
from tests.agent_cli.fakes import Desk
from tests.shell_env import MODEL, POLICY_AND_MEWS, unset

__all__ = ["_openai_server", "fake_openai"]  # the agent tests' fake model server


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model, policy or Mews configuration leaks in from the developer's shell."""
    unset(monkeypatch, *MODEL, *POLICY_AND_MEWS)


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded server's state (SQLite store, sandbox file) in a fresh temporary folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'loyalty.db'}")
    return tmp_path
