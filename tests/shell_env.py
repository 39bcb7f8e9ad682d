"""Settings a developer's shell may hold that would change what the code under test reads."""

from __future__ import annotations

import pytest

POLICY_AND_MEWS = (
    "LOYALTY_POLICY_FILE",
    "LOYALTY_PROGRAM_FILE",
    "LOYALTY_AUDIT_KEY",
    "MEWS_BASE_URL",
    "MEWS_CLIENT_TOKEN",
    "MEWS_ACCESS_TOKEN",
)
MODEL = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL")


def unset(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        monkeypatch.delenv(name, raising=False)
