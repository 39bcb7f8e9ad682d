"""Fixtures of the attack suite: a fresh embedded sandbox and an obedient model on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.obedient import ObedientModel, Plan

_CLEAN = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LOYALTY_MODEL",
    "LOYALTY_POLICY_FILE",
    "LOYALTY_PROGRAM_FILE",
    "LOYALTY_AUDIT_KEY",
    "LOYALTY_TOKEN",
    "MEWS_BASE_URL",
    "MEWS_CLIENT_TOKEN",
    "MEWS_ACCESS_TOKEN",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded server's state (SQLite store, sandbox file) in a fresh temporary folder."""
    for name in _CLEAN:
        monkeypatch.delenv(name, raising=False)
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
