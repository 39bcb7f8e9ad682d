"""Ping latency from a second MCP session while `find_member_segment` runs on a big chain.

    python -m bench.mcp_ping [--customers 10000] [--interval-ms 10] [--runs 2] [--embedded]

One server, as `loyalty serve --transport http` runs it for two clients, with a fresh SQLite
ledger and two MCP sessions on the same event loop (the SDK's in-memory transport in legacy,
session mode, so the network adds nothing). Mews is `loyalty sandbox --customers N` in a child
process reached over loopback HTTP, as a real Mews is remote (its serving CPU is not ours); with
`--embedded`, the simulator runs in this process instead (its work then competes for the
interpreter with the loop). Session A asks `find_member_segment` (lapsing, PC01); session B
sends `ping` every interval until A has its answer. Printed: the segment's wall time, the
pings sent, their p50/p99/max latency in ms, and the longest the loop went without running
a callback (a 1 ms ticker's worst lateness). Target: p99 under 50 ms (a loop held by the
segment's work shows up here as seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

from mcp import Client

from bench.scan_mews import against_sandbox
from tools.mews import MewsClient
from tools.runtime import LoyaltyRuntime
from tools.sandbox_credentials import sandbox_credentials
from tools.server import create_server

TARGET_P99_MS = 50.0

# `ping` is legacy (removed from protocol 2026-07-28); the bench speaks the legacy mode on purpose.
warnings.filterwarnings("ignore", message="ping is removed")


async def _pinger(client: Client, stop: asyncio.Event, interval: float) -> list[float]:
    samples: list[float] = []
    while not stop.is_set():
        start = time.perf_counter()
        await client.send_ping()
        samples.append((time.perf_counter() - start) * 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return samples


async def _lag_monitor(stop: asyncio.Event) -> float:
    """The worst lateness (ms) of a 1 ms sleep: how long the loop ran something else."""
    worst = 0.0
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        worst = max(worst, (time.perf_counter() - start) * 1000 - 1)
    return worst


class _CallbackCpu:
    """The loop thread's CPU time per callback (a task step, an I/O callback): the longest is
    how long our own work held the loop, whatever else the machine was busy with (wall-clock
    stalls also count the OS not scheduling us). Patched into `asyncio.Handle._run` for the
    bench's duration."""

    def __init__(self) -> None:
        self.longest: list[tuple[float, str]] = []
        self._original = asyncio.events.Handle._run

    def __enter__(self) -> _CallbackCpu:
        original, longest = self._original, self.longest

        def timed(handle: asyncio.Handle) -> None:
            started = time.thread_time()
            original(handle)
            spent = (time.thread_time() - started) * 1000
            if len(longest) < 5 or spent > longest[-1][0]:
                longest.append((spent, _describe(handle)))
                longest.sort(reverse=True)
                del longest[5:]

        asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]


def _describe(handle: asyncio.Handle) -> str:
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return getattr(coro, "__qualname__", repr(coro))
    return getattr(callback, "__qualname__", repr(callback))


async def _run(runtime: LoyaltyRuntime, interval: float) -> tuple[float, list[float], float]:
    server = create_server(runtime, principal="carol", toolsets=("member",))
    sessions = Client(server, mode="legacy"), Client(server, mode="legacy")  # ping is legacy
    async with sessions[0] as segment_client, sessions[1] as ping_client:
        await ping_client.send_ping()
        stop = asyncio.Event()
        pings = asyncio.create_task(_pinger(ping_client, stop, interval))
        lag = asyncio.create_task(_lag_monitor(stop))
        start = time.perf_counter()
        result = await segment_client.call_tool(
            "find_member_segment", {"segment": "lapsing", "program_code": "PC01"}
        )
        elapsed = time.perf_counter() - start
        stop.set()
        samples = await pings
        worst_lag = await lag
    assert not result.is_error, result
    return elapsed, samples, worst_lag


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextlib.asynccontextmanager
async def _runtime(
    database: str, customers: int, base_url: str | None
) -> AsyncIterator[LoyaltyRuntime]:
    if base_url is None:
        from tools.sandbox import Sandbox

        print(f"seeding an embedded sandbox with {customers:,} customers ...", flush=True)
        sandbox = Sandbox.seeded(customers=customers)
        async with await LoyaltyRuntime.open(database_url=database, sandbox=sandbox) as runtime:
            yield runtime
        return
    from tools.sandbox import DEMO_TOKENS

    integration = DEMO_TOKENS[0]  # as the embedded sandbox's client (`sandbox_client`)
    credentials = sandbox_credentials(integration, "bench-mcp-ping 1.0", base_url=base_url)
    async with (
        MewsClient(credentials, timeout=120) as mews,
        await LoyaltyRuntime.open(database_url=database, mews=mews) as runtime,
    ):
        yield runtime


async def main(customers: int, interval_ms: float, runs: int, base_url: str | None) -> None:
    where = "embedded in this process" if base_url is None else f"a child process ({base_url})"
    print(f"Mews: a sandbox of {customers:,} customers, {where}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        async with _runtime(database, customers, base_url) as runtime:
            for run in range(1, runs + 1):
                with _CallbackCpu() as cpu:
                    elapsed, samples, worst_lag = await _run(runtime, interval_ms / 1000)
                p99 = _p(samples, 0.99)
                verdict = "ok" if p99 < TARGET_P99_MS else "OVER"
                print(
                    f"run {run}: find_member_segment {elapsed:.2f} s; {len(samples)} pings: "
                    f"p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, "
                    f"max {max(samples):.1f} ms (target p99 < {TARGET_P99_MS:.0f} ms: {verdict}); "
                    f"longest loop stall {worst_lag:.1f} ms (wall)",
                    flush=True,
                )
                slowest = ", ".join(f"{ms:.1f} ms {what}" for ms, what in cpu.longest[:3])
                print(f"  longest loop callbacks (loop-thread CPU): {slowest}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--interval-ms", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="run the simulator in this process (default: `loyalty sandbox` in a child process)",
    )
    options = parser.parse_args()

    def work(base_url: str | None) -> None:
        asyncio.run(main(options.customers, options.interval_ms, options.runs, base_url))

    if options.embedded:
        work(None)
    else:
        with tempfile.TemporaryDirectory() as state:
            against_sandbox(options.customers, Path(state) / "state.json", work)
