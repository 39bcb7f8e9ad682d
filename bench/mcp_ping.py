"""Ping latency from a second MCP session while `find_member_segment` runs on a big chain.

    python -m bench.mcp_ping [--customers 10000] [--interval-ms 10] [--runs 2]

One server, as `loyalty serve --transport http` runs it for two clients: the embedded sandbox in
process with N customers, a fresh SQLite ledger, and two MCP sessions on the same event loop
(the SDK's in-memory transport in legacy, session mode, so the network adds nothing). Session A asks
`find_member_segment` (lapsing, PC01); session B sends `ping` every interval until A has its
answer. Printed: the segment's wall time, the pings sent, and their p50/p99/max latency in ms.
Target: p99 under 50 ms (a loop held by the segment's work shows up here as seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from mcp import Client

from tools.runtime import LoyaltyRuntime
from tools.sandbox import Sandbox
from tools.server import create_server

TARGET_P99_MS = 50.0


async def _pinger(client: Client, stop: asyncio.Event, interval: float) -> list[float]:
    samples: list[float] = []
    while not stop.is_set():
        start = time.perf_counter()
        await client.send_ping()
        samples.append((time.perf_counter() - start) * 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return samples


async def _run(runtime: LoyaltyRuntime, interval: float) -> tuple[float, list[float]]:
    server = create_server(runtime, principal="carol", toolsets=("member",))
    sessions = Client(server, mode="legacy"), Client(server, mode="legacy")  # ping is legacy
    async with sessions[0] as segment_client, sessions[1] as ping_client:
        await ping_client.send_ping()
        stop = asyncio.Event()
        pings = asyncio.create_task(_pinger(ping_client, stop, interval))
        start = time.perf_counter()
        result = await segment_client.call_tool(
            "find_member_segment", {"segment": "lapsing", "program_code": "PC01"}
        )
        elapsed = time.perf_counter() - start
        stop.set()
        samples = await pings
    assert not result.is_error, result
    return elapsed, samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(customers: int, interval_ms: float, runs: int) -> None:
    print(f"seeding a sandbox with {customers:,} customers ...", flush=True)
    sandbox = Sandbox.seeded(customers=customers)
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        async with await LoyaltyRuntime.open(database_url=database, sandbox=sandbox) as runtime:
            for run in range(1, runs + 1):
                elapsed, samples = await _run(runtime, interval_ms / 1000)
                p99 = _p(samples, 0.99)
                verdict = "ok" if p99 < TARGET_P99_MS else "OVER"
                print(
                    f"run {run}: find_member_segment {elapsed:.2f} s; {len(samples)} pings: "
                    f"p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, "
                    f"max {max(samples):.1f} ms (target p99 < {TARGET_P99_MS:.0f} ms: {verdict})"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--interval-ms", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=2)
    options = parser.parse_args()
    asyncio.run(main(options.customers, options.interval_ms, options.runs))
