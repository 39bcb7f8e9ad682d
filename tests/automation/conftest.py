"""Fixtures of the automation tests."""

from __future__ import annotations

import pytest

from tests.shell_env import POLICY_AND_MEWS, unset


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No policy, program, Mews or webhook configuration leaks in from the developer's shell."""
    unset(
        monkeypatch,
        *POLICY_AND_MEWS,
        "LOYALTY_DATABASE_URL",
        "LOYALTY_WEBHOOK_SECRET",
        "LOYALTY_AUTO_ENROL_PROGRAM",
        "MEWS_CLIENT_NAME",
    )
