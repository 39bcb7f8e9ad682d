"""The embedded sandbox and the runtime share one clock, so advancing the sandbox moves both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.connect import sandbox_state_path
from app.runtime import open_runtime
from tools.sandbox import Sandbox
from tools.sandbox.clock import parse_duration


@pytest.mark.anyio
async def test_an_advanced_sandbox_clock_is_the_runtime_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    served = Sandbox.open(sandbox_state_path())
    served.clock.advance(parse_duration("P40D"))  # what POST /_sandbox/clock does
    served.persist()

    async with open_runtime(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}") as rt:
        ahead = rt.clock.now() - datetime.now(UTC)
    assert timedelta(days=39) < ahead < timedelta(days=41)
