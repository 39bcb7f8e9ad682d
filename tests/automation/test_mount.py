"""The receiver mounts into the MCP server's HTTP app: the webhook route needs no bearer token,
`/mcp` still does, and the worker runs for the app's lifetime."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.automation.support import EMMA_EARNS, EMMA_MEMBERSHIP, EMMA_STAY, SECRET, rig
from tools.automation import BatchReport, inbox
from tools.server import create_server
from tools.server.transports import http_app

pytestmark = pytest.mark.anyio


async def test_the_webhook_route_works_inside_the_mcp_http_app_with_tokens(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        server = create_server(r.runtime, principal=r.runtime.guard.principal("assistant"))
        app = http_app(server, host="127.0.0.1", port=8000, tokens={"t" * 32: "alice"})
        r.service.mount(app)
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        body = r.stay_updated(EMMA_STAY)
        processed = asyncio.Event()
        drain = r.service.worker.drain

        async def drain_and_tell(*, max_rounds: int = 1000) -> BatchReport:
            report = await drain(max_rounds=max_rounds)
            if report.done:
                processed.set()
            return report

        r.service.worker.drain = drain_and_tell  # type: ignore[method-assign]
        transport = httpx.ASGITransport(app=app)
        async with (
            r.service.running(),
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client,
        ):
            hook = await client.post(f"/webhooks/mews/{SECRET}", content=body)
            mcp = await client.post("/mcp", json={})
            await asyncio.wait_for(processed.wait(), timeout=10)  # woken by the receiver

        assert hook.status_code == 202
        assert mcp.status_code == 401
        assert r.mews_points(EMMA_MEMBERSHIP) == before + EMMA_EARNS
        assert inbox.stats(r.runtime.store).done == 1
