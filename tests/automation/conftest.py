"""Fixtures of the automation tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No policy, program, Mews or webhook configuration leaks in from the developer's shell."""
    for name in (
        "LOYALTY_POLICY_FILE",
        "LOYALTY_PROGRAM_FILE",
        "LOYALTY_AUDIT_KEY",
        "LOYALTY_DATABASE_URL",
        "LOYALTY_WEBHOOK_SECRET",
        "LOYALTY_AUTO_ENROL_PROGRAM",
        "MEWS_BASE_URL",
        "MEWS_CLIENT_TOKEN",
        "MEWS_ACCESS_TOKEN",
        "MEWS_CLIENT_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
