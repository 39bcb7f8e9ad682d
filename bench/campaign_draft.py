"""A campaign over a ~10,000-member segment: Mews requests and wall time of drafting it.

Seeds an in-process sandbox (`Sandbox.seeded(customers=N)`, reached through its httpx
transport: no sockets, but every call is a real Connector API request through our client,
counted by `MewsClient.stats`), opens a runtime on a fresh SQLite file, and calls the MCP tools
through the in-memory client: `create_campaign` (segment `all` of PC01, 100 bonus points,
email + sms, 10 % holdout) as carol, which is over the campaign budget and so pending; then
alice approves it (the drafting runs then); then `get_campaign_report`. Prints the requests per
endpoint of each phase: drafting makes none (the segment snapshot is in the store), and the
segment read and the report are batched by 1000 ids, never one call per member.

    python -m bench.campaign_draft [--customers 30000]

The sandbox's rate limit is off and the client's limiter generous: both are real-time windows
that would only add waiting to the wall time, not requests.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from mcp import Client

from tools.mews import MewsClient, SlidingWindowLimiter
from tools.runtime import LoyaltyRuntime, sandbox_client
from tools.sandbox import Sandbox
from tools.server import create_server


def _client(sandbox: Sandbox) -> MewsClient:
    """The runtime's in-process sandbox client, unthrottled: the bench measures our work."""
    mews = sandbox_client(sandbox)
    mews.rate_limiter = SlidingWindowLimiter(limit=1_000_000)
    return mews


def _delta(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    return {path: after[path] - before[path] for path in after if after[path] != before[path]}


def _print(phase: str, seconds: float, requests: dict[str, int]) -> None:
    total = sum(requests.values())
    print(f"{phase:<28} {seconds:8.2f} s  {total:5d} requests")
    for path, count in sorted(requests.items()):
        print(f"    {path:<40} {count:5d}")


async def run(customers: int) -> None:
    started = time.perf_counter()
    sandbox = Sandbox.seeded(customers=customers)
    sandbox.rate_limiter.enabled = False
    print(f"sandbox: {customers:,} customers seeded in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        mews = _client(sandbox)
        runtime = await LoyaltyRuntime.open(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}", mews=mews
        )
        async with runtime:
            stats: Counter[str] = mews.stats.requests
            request = {
                "name": "Bench bonus",
                "goal": "tier_push",
                "segment": "all",
                "program_code": "PC01",
                "bonus_points": 100,
                "channels": ["email", "sms"],
                "holdout_share": "0.1",
            }
            async with Client(
                create_server(runtime, principal="carol", toolsets=("campaigns",))
            ) as carol:
                before, t0 = Counter(stats), time.perf_counter()
                created = (await carol.call_tool("create_campaign", request)).structured_content
                _print("segment + create_campaign", time.perf_counter() - t0, _delta(before, stats))
                assert isinstance(created, dict), created
                print(f"    -> {created.get('status')} ({created.get('reason')})")
                async with Client(
                    create_server(runtime, principal="alice", toolsets=("approvals",))
                ) as alice:
                    before, t0 = Counter(stats), time.perf_counter()
                    decided: Any = (
                        await alice.call_tool(
                            "decide_approval",
                            {"approval_id": created["approval_id"], "decision": "approve"},
                        )
                    ).structured_content
                    _print(
                        "approve: draft campaign", time.perf_counter() - t0, _delta(before, stats)
                    )
                campaign = decided["result"]
                members = campaign["treated"] + campaign["held_out"]
                print(
                    f"    -> {members:,} members: {campaign['treated']:,} treated, "
                    f"{campaign['held_out']:,} held out, {campaign['treated'] * 2:,} drafts "
                    f"({campaign['drafts_rejected']} rejected by the copy guardrail), "
                    f"liability {campaign['liability']:,} points"
                )
                before, t0 = Counter(stats), time.perf_counter()
                report: Any = (
                    await carol.call_tool(
                        "get_campaign_report", {"campaign_id": campaign["campaign_id"]}
                    )
                ).structured_content
                _print("get_campaign_report", time.perf_counter() - t0, _delta(before, stats))
                print(f"    -> {report['verdict']}")
    print(f"total wall time {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=30_000)
    args = parser.parse_args()
    asyncio.run(run(args.customers))


if __name__ == "__main__":
    main()
