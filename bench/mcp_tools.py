"""MCP server benchmark: `tools/list` size per toolset, and tool-call latency.

    python -m bench.mcp_tools [--calls 200] [--stdio-calls 100]

1. Bytes of the `tools/list` result as it goes over the wire (compact JSON), per toolset, for
   the principal who sees the most of it, and per tool (the target: `member` at most 975
   bytes per tool on average, the reference filesystem server's density).
2. Latency of `get_points_history` (a ledger read behind the guard: role check and audit
   record) and `list_rewards` (configuration only), p50/p99 in milliseconds:
   - direct: the engine call alone (no MCP, no guard);
   - in-memory: through the SDK's in-memory client;
   - stdio: through `loyalty serve` in a subprocess;
   with the overhead over the direct call.

Everything runs offline: a seeded sandbox in memory (in-memory) or in a temporary user data
directory (stdio), and a temporary SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from tools.loyalty import history
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox
from tools.server import create_server
from tools.server.member import rewards_of

MEMBERSHIP = STORY.emma_novak_membership
TOOLSET_VIEWERS = {"member": "carol", "admin": "dave", "approvals": "alice", "campaigns": "alice"}
BYTES_PER_TOOL_TARGET = 975
CALLS: dict[str, dict[str, Any]] = {
    "get_points_history": {"membership_id": MEMBERSHIP, "limit": 20},
    "list_rewards": {"program_code": "PC01"},
}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def _time(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    await fn()  # warm up
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return samples


async def _listing_sizes(runtime: LoyaltyRuntime) -> dict[str, tuple[int, int]]:
    sizes = {}
    for toolset, principal in TOOLSET_VIEWERS.items():
        server = create_server(runtime, principal=principal, toolsets=(toolset,))
        async with Client(server) as client:
            listed = await client.list_tools()
        size = len(listed.model_dump_json(by_alias=True, exclude_none=True))
        sizes[toolset] = (size, len(listed.tools))
    return sizes


async def _seed_history(client: Client) -> None:
    for number in range(5):
        await client.call_tool(
            "award_points",
            {"membership_id": MEMBERSHIP, "points": 10 + number, "reason": f"bench {number}"},
        )


def _direct(runtime: LoyaltyRuntime, tool: str) -> Callable[[], Awaitable[object]]:
    async def points_history() -> object:
        with runtime.store.read() as conn:
            return history(conn, MEMBERSHIP, limit=20)

    async def rewards() -> object:
        return rewards_of(runtime.program("PC01"))

    return points_history if tool == "get_points_history" else rewards


async def _in_memory(n: int, database: Path) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    async with await LoyaltyRuntime.open(
        database_url=f"sqlite:///{database}", sandbox=Sandbox.seeded()
    ) as runtime:
        print("tools/list size (bytes, compact JSON on the wire):")
        for toolset, (size, count) in (await _listing_sizes(runtime)).items():
            per_tool = size / count
            flag = ""
            if toolset == "member":
                verdict = "ok" if per_tool <= BYTES_PER_TOOL_TARGET else "OVER"
                flag = f"  (target <= {BYTES_PER_TOOL_TARGET} per tool: {verdict})"
            print(
                f"  {toolset:<10} {size:>7,} for {count:>2} tools = {per_tool:>6.1f} per tool"
                f" as {TOOLSET_VIEWERS[toolset]}{flag}"
            )
        server = create_server(runtime, principal="carol", toolsets=("member",))
        async with Client(server) as client:
            await _seed_history(client)
            for tool, arguments in CALLS.items():
                results[tool] = {
                    "direct": await _time(_direct(runtime, tool), n),
                    "in-memory": await _time(_over_mcp(client, tool, arguments), n),
                }
    return results


def _over_mcp(
    client: Client, tool: str, arguments: dict[str, Any]
) -> Callable[[], Awaitable[object]]:
    async def call() -> object:
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, result
        return result

    return call


async def _stdio(n: int, root: Path) -> dict[str, list[float]]:
    env = {
        **{k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME"))},
        "LOYALTY_DATABASE_URL": f"sqlite:///{root / 'stdio.db'}",
        "XDG_DATA_HOME": str(root / "data"),
    }
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "app.cli", "serve", "--as", "carol"],
        env=env,
    )
    results: dict[str, list[float]] = {}
    async with Client(params) as client:
        await _seed_history(client)
        for tool, arguments in CALLS.items():
            results[tool] = await _time(_over_mcp(client, tool, arguments), n)
    return results


async def main(calls: int, stdio_calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        measured = await _in_memory(calls, root / "memory.db")
        if stdio_calls:
            for tool, samples in (await _stdio(stdio_calls, root)).items():
                measured[tool]["stdio"] = samples
    print(f"\ntool-call latency (ms; {calls} in-memory, {stdio_calls} stdio calls):")
    print(f"  {'tool':<20} {'path':<10} {'p50':>8} {'p99':>8} {'p50 overhead':>14}")
    for tool, paths in measured.items():
        base, _ = _percentiles(paths["direct"])
        for path, samples in paths.items():
            p50, p99 = _percentiles(samples)
            overhead = "" if path == "direct" else f"+{p50 - base:.2f}"
            print(f"  {tool:<20} {path:<10} {p50:>8.3f} {p99:>8.3f} {overhead:>14}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--stdio-calls", type=int, default=100)
    options = parser.parse_args()
    asyncio.run(main(options.calls, options.stdio_calls))
