"""Fixtures of the attack suite: a fresh embedded sandbox and an obedient model on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.obedient import ObedientModel, Plan
from tests.shell_env import MODEL, POLICY_AND_MEWS, unset


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded server's state (SQLite store, sandbox file) in a fresh temporary folder."""
    unset(monkeypatch, *MODEL, *POLICY_AND_MEWS, "LOYALTY_TOKEN")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'loyalty.db'}")
    return tmp_path


@pytest.fixture(scope="module")
def _obedient_server() -> Iterator[ObedientModel]:
    with ObedientModel.running() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def obedient(
    _obedient_server: ObedientModel, world: Path, monkeypatch: pytest.MonkeyPatch
) -> ObedientModel:
    """The obedient model, configured as the assistant's model through the environment."""
    _obedient_server.reset()
    _obedient_server.plan = Plan()
    monkeypatch.setenv("OPENAI_BASE_URL", _obedient_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("LOYALTY_MODEL", "obedient")
    return _obedient_server
