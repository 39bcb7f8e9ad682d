"""Front desk load: `get_member_summary` from 1, 2, 4 and 8 MCP clients over streamable HTTP.

Starts `loyalty sandbox --customers N` in a child process (real HTTP on loopback), opens the
runtime against it (SQLite file, or PostgreSQL with `--postgres URL`) with the server's batched
read audits, serves the member toolset over streamable HTTP (uvicorn, in this process, as
carol, no tokens: loopback only), and runs the clients in a second child process, each client
one MCP session calling `get_member_summary` for members picked at random. Prints, per number
of clients, calls per second, p50 and p99 latency, and the Mews requests the server sent per
call (the client's own count); `list_rewards` (no Mews) once at 8 clients for comparison.

    python -m bench.member_summary_http [--customers 2000] [--calls 10] [--postgres URL] [--compare]

The member read model is filled (`refresh(full=True)`) before the summaries run, so they read
the store; `--compare` first runs them with the model empty (every summary reads Mews, as before
the read model), side by side.

Targets (issue #18): at 8 clients, p99 < 500 ms and <= 1 Mews request per call on average.
Mews allows 200 requests per 30 s per token: a call that needs several requests spends that
budget quickly, and then every call waits for the rate limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from bench.scan_mews import _start_sandbox, portfolio_credentials
from policies.read_audit import SERVE_READ_AUDIT_BATCH
from tools.loyalty.member_store import MemberStore, RefreshReport
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.mews import MewsClient
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY
from tools.server import create_server
from tools.server.transports import http_app

CLIENT_COUNTS = (1, 2, 4, 8)
P99_TARGET_MS = 500.0
MEWS_PER_CALL_TARGET = 1.0


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


# ---------------------------------------------------------------------------- clients (child)
async def _clients(url: str, clients: int, calls: int, tool: str, ids: list[str]) -> list[float]:
    from agent.mcp_connect import connect_mcp

    rng = random.Random(clients)

    async def one() -> list[float]:
        samples = []
        async with connect_mcp(url=url, call_timeout_s=300) as tools:
            for _ in range(calls):
                args = {"customer_id": rng.choice(ids)} if tool == "get_member_summary" else {}
                started = time.perf_counter()
                outcome = await tools.call(tool, args)
                samples.append(time.perf_counter() - started)
                if outcome.structured is None:
                    raise RuntimeError(f"{tool} failed: {outcome}")
        return samples

    batches = await asyncio.gather(*(one() for _ in range(clients)))
    return [sample for batch in batches for sample in batch]


def _child(args: argparse.Namespace) -> int:
    ids = json.loads(Path(args.ids).read_text())
    started = time.perf_counter()
    samples = asyncio.run(_clients(args.url, args.clients, args.calls, args.tool, ids))
    print(json.dumps({"samples": samples, "seconds": time.perf_counter() - started}))
    return 0


# ---------------------------------------------------------------------------- server (main)
def _serve(runtime: LoyaltyRuntime) -> tuple[str, uvicorn.Server, threading.Thread]:
    server = create_server(runtime, principal="carol", toolsets=("member",))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    app = http_app(server, host="127.0.0.1", port=port, tokens=None)
    web = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none"))
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{port}/mcp", web, thread


def _run_clients(url: str, clients: int, calls: int, tool: str, ids: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.member_summary_http", "--client-child"]
    command += ["--url", url, "--clients", str(clients), "--calls", str(calls)]
    command += ["--tool", tool, "--ids", str(ids)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _client(base_url: str) -> MewsClient:
    credentials = portfolio_credentials(base_url, "bench-member-summary 1.0")
    # a portfolio token's reads name their chain
    return MewsClient(credentials, timeout=120, chain_ids=(STORY.chain_id,))


async def _open(base_url: str, database_url: str) -> LoyaltyRuntime:
    return await LoyaltyRuntime.open(
        database_url=database_url, mews=_client(base_url), read_audit_batch=SERVE_READ_AUDIT_BATCH
    )


async def _fill(base_url: str, runtime: LoyaltyRuntime) -> RefreshReport:
    """Fill the server's member read model (`loyalty facts refresh --full`, as another process
    would: its own Mews client, the same database), while the server runs."""
    async with _client(base_url) as mews:
        loader = MewsFactsLoader(mews, runtime.store, runtime.programs, clock=runtime.clock)
        return await MemberStore(loader).refresh(full=True)


def _bench(base_url: str, database_url: str, calls: int, folder: Path, compare: bool) -> bool:
    loop = asyncio.new_event_loop()
    runtime = loop.run_until_complete(_open(base_url, database_url))
    ids_file = folder / "ids.json"
    members = loop.run_until_complete(
        _member_ids(runtime.mews)  # the members the front desk looks up
    )
    ids_file.write_text(json.dumps(members))
    url, web, thread = _serve(runtime)
    ok = True
    try:
        print(f"{'tool':20} {'facts from':>10} {'clients':>7} {'calls':>6} {'calls/s':>8} "
              f"{'p50 ms':>9} {'p99 ms':>9} {'Mews/call':>9}")  # fmt: skip
        summaries = [("get_member_summary", n) for n in CLIENT_COUNTS]
        rows = [*summaries, ("list_rewards", 8)]
        # --compare: first with the read model empty, every summary reads Mews (as before)
        rows = [*summaries, ("fill", 0), *rows] if compare else [("fill", 0), *rows]
        source = "Mews"
        for tool, clients in rows:
            if tool == "fill":
                report = loop.run_until_complete(_fill(base_url, runtime))
                sent = sum(report.requests.values())
                print(f"read model filled: {report.members:,} members, {sent} requests, "
                      f"{report.seconds:.1f} s")  # fmt: skip
                source = "store"
                continue
            before = runtime.mews.stats.total_requests
            result = _run_clients(url, clients, calls, tool, ids_file)
            samples: list[float] = result["samples"]
            mews_per_call = (runtime.mews.stats.total_requests - before) / len(samples)
            p50, p99 = statistics.median(samples) * 1000, _percentile(samples, 0.99)
            print(f"{tool:20} {source:>10} {clients:>7} {len(samples):>6} "
                  f"{len(samples) / result['seconds']:>8.1f} {p50:>9.1f} {p99:>9.1f} "
                  f"{mews_per_call:>9.2f}")  # fmt: skip
            if tool == "get_member_summary" and clients == 8 and source == "store":
                ok = p99 < P99_TARGET_MS and mews_per_call <= MEWS_PER_CALL_TARGET
        verdict = "ok" if ok else "MISSED"
        print(f"targets at 8 clients: p99 < {P99_TARGET_MS:.0f} ms and <= "
              f"{MEWS_PER_CALL_TARGET:.0f} Mews request per call: {verdict}")  # fmt: skip
        print(f"rate limiter: {runtime.mews.stats.throttle_wait_seconds:.1f} s waited in all")
    finally:
        web.should_exit = True
        thread.join(timeout=30)
        loop.run_until_complete(runtime.aclose())
        loop.close()
    return ok


async def _member_ids(mews: MewsClient, limit: int = 500) -> list[str]:
    ids: list[str] = []
    async for membership in mews.loyalty_memberships.get_all():
        if membership.account_id not in ids:
            ids.append(membership.account_id)
        if len(ids) == limit:
            break
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=10, help="calls per client")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a SQLite file")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="first run the summaries with the member read model empty (from Mews, as before)",
    )
    parser.add_argument("--client-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--tool", default="get_member_summary", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_child:
        return _child(args)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        process, base_url = _start_sandbox(args.customers, folder / "state.json")
        try:
            database_url = args.postgres or f"sqlite:///{folder / 'bench.db'}"
            print(f"{args.customers} customers, store {database_url.split(':', 1)[0]}")
            ok = _bench(base_url, database_url, args.calls, folder, args.compare)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
