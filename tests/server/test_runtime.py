"""`open_runtime()` with no `MEWS_*` set: the embedded sandbox of the user data directory,
whose portfolio token cannot add tasks (a single-enterprise client does) and needs the chain on
chain-scoped writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from app.runtime import open_runtime
from tests.server.clients import body
from tools.sandbox import STORY, Sandbox
from tools.server import create_server

pytestmark = pytest.mark.anyio


async def test_the_embedded_sandbox_gets_tasks_notes_and_admin_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "MEWS_CLIENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    membership = STORY.emma_novak_membership
    async with open_runtime(database_url=f"sqlite:///{tmp_path / 'db'}") as runtime:
        async with Client(create_server(runtime, principal="assistant")) as client:
            pending = body(
                await client.call_tool(
                    "award_points", {"membership_id": membership, "points": 30, "reason": "test"}
                )
            )
        tools = ("member", "admin", "approvals")
        async with Client(create_server(runtime, principal="dave", toolsets=tools)) as client:
            await client.call_tool(
                "decide_approval", {"approval_id": pending["approval_id"], "decision": "approve"}
            )
            added = body(
                await client.call_tool(
                    "add_loyalty_programs", {"programs": [{"name": "Spa", "code": "SPA"}]}
                )
            )
    assert added["status"] == "posted"
    saved = Sandbox.open(tmp_path / "data" / "mews-loyalty" / "sandbox-state.json")
    assert any(t.name == "Loyalty approval: award_points" for t in saved.state.tasks)
    assert any("Loyalty assistant (assistant)" in n.content for n in saved.state.account_notes)
    points = {m.id: m.points for m in saved.state.memberships}
    assert points[membership] == 6270
