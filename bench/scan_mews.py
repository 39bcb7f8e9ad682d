"""Scan every customer and loyalty membership of a large sandbox over HTTP through the client.

Starts `loyalty sandbox --customers N` in a child process (real HTTP on loopback), then streams
`customers/getAll` and `loyaltyMemberships/getAll` page by page with the portfolio token, keeping
nothing but counters. Prints, per entity type, the entities seen, the page requests made (must be
exactly ceil(entities / 1000)), the wall time, and this process's peak memory (must stay under
300 MB: pages are streamed, never collected).

    python -m bench.scan_mews [--customers 100000] [--check]

`--check` exits 1 when a request count or the memory bound is off. The sandbox's own memory is
printed too but is not part of the bound (a real Mews does not run on the laptop).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx

from tools.mews import MewsClient, MewsCredentials
from tools.mews.models import TimeInterval
from tools.mews.paging import MAX_PAGE_SIZE
from tools.sandbox import PORTFOLIO
from tools.sandbox_credentials import sandbox_credentials

PEAK_MEMORY_LIMIT_MB = 300.0
SCAN_FROM = datetime(2015, 1, 1, tzinfo=UTC)  # before the sandbox's oldest customer
CUSTOMERS_PATH = "customers/getAll"
MEMBERSHIPS_PATH = "loyaltyMemberships/getAll"

T = TypeVar("T")


@dataclass
class Row:
    scan: str
    entities: int
    requests: int
    seconds: float
    expected_requests: int = -1
    """-1: exactly ceil(entities / 1000)."""
    retries: int = 0
    """Requests repeated after a 429/5xx (counted in `requests`, not page requests)."""
    throttled: float = 0.0
    """Seconds waited for the client-side 200-per-30-s limiter."""

    @property
    def page_requests(self) -> int:
        return self.requests - self.retries

    @property
    def expected(self) -> int:
        if self.expected_requests >= 0:
            return self.expected_requests
        return max(1, math.ceil(self.entities / MAX_PAGE_SIZE))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def _start_sandbox(customers: int, state: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [
        sys.executable, "-m", "app.cli", "sandbox",
        "--port", str(port), "--customers", str(customers), "--state", str(state), "--reset",
    ]  # fmt: skip
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"sandbox exited early: {err.strip()}")
        try:
            httpx.get(f"{base_url}/_sandbox/info", timeout=1).raise_for_status()
            return process, base_url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("sandbox did not start within 300 s")


def _windows(start: datetime, end: datetime) -> list[TimeInterval]:
    """Consecutive 3-calendar-month `CreatedUtc` windows covering [start, end)."""
    windows = []
    while start < end:
        month = start.month - 1 + 3
        stop = start.replace(year=start.year + month // 12, month=month % 12 + 1)
        windows.append(TimeInterval(start_utc=start, end_utc=min(stop, end)))
        start = stop
    return windows


def portfolio_credentials(base_url: str, client_name: str) -> MewsCredentials:
    """The sandbox portfolio token at `base_url`, as the bench `client_name`."""
    return sandbox_credentials(PORTFOLIO, client_name, base_url=base_url)


async def _scan(base_url: str) -> list[Row]:
    credentials = portfolio_credentials(base_url, "bench-scan 1.0")
    rows: list[Row] = []
    async with MewsClient(credentials, timeout=120) as mews:
        # 1. Every membership, one paged stream; keep only the member customer ids (strings).
        started, memberships, member_ids = time.perf_counter(), 0, set()
        async for membership in mews.loyalty_memberships.get_all():
            memberships += 1
            member_ids.add(membership.account_id)
        rows.append(Row("memberships (all)", memberships, mews.stats.requests[MEMBERSHIPS_PATH],
                        time.perf_counter() - started))  # fmt: skip
        rows[-1].retries, rows[-1].throttled = mews.stats.retries, mews.stats.throttle_wait_seconds

        # 2. The members' customer profiles by id, 1000 ids per request.
        mews.stats.reset()
        started, seen = time.perf_counter(), 0
        async for _customer in mews.customers.get_all(customer_ids=sorted(member_ids)):
            seen += 1
        rows.append(Row("customers (members by id)", seen, mews.stats.requests[CUSTOMERS_PATH],
                        time.perf_counter() - started))  # fmt: skip
        rows[-1].retries, rows[-1].throttled = mews.stats.retries, mews.stats.throttle_wait_seconds

        # 3. Every customer: customers/getAll needs a filter and CreatedUtc spans at most
        #    3 months, so walk 3-month windows; each window is paged on its own.
        mews.stats.reset()
        started, seen, expected = time.perf_counter(), 0, 0
        for window in _windows(SCAN_FROM, datetime.now(UTC) + timedelta(days=1)):
            in_window = 0
            async for _customer in mews.customers.get_all(created_utc=window):
                in_window += 1
            seen += in_window
            expected += max(1, math.ceil(in_window / MAX_PAGE_SIZE))
        rows.append(Row("customers (all, by window)", seen, mews.stats.requests[CUSTOMERS_PATH],
                        time.perf_counter() - started, expected))  # fmt: skip
        rows[-1].retries, rows[-1].throttled = mews.stats.retries, mews.stats.throttle_wait_seconds
    return rows


def against_sandbox(customers: int, state: Path, work: Callable[[str], T]) -> T:
    """Seed a sandbox of `customers` in a child process, run `work(base_url)` against it, stop
    it, and print what seeding and serving cost."""
    seed_started = time.perf_counter()
    process, base_url = _start_sandbox(customers, state)
    seed_seconds = time.perf_counter() - seed_started
    try:
        result = work(base_url)
        sandbox_rss = _sandbox_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"sandbox: {customers} customers seeded and serving in {seed_seconds:.1f} s, "
          f"sandbox RSS {sandbox_rss:.0f} MB (not bounded)")  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        rows = against_sandbox(
            args.customers, Path(tmp) / "state.json", lambda url: asyncio.run(_scan(url))
        )
    ok = True
    for row in rows:
        verdict = "ok" if row.page_requests == row.expected else f"EXPECTED {row.expected}"
        ok &= row.page_requests == row.expected
        rate = row.entities / row.seconds if row.seconds else 0.0
        print(f"{row.scan:28} {row.entities:>7} entities {row.page_requests:>5} page requests "
              f"({verdict}), {row.retries} retries, {row.throttled:.1f} s throttled"
              f"  {row.seconds:6.2f} s  {rate:,.0f}/s")  # fmt: skip
    peak = _peak_rss_mb()
    ok &= peak < PEAK_MEMORY_LIMIT_MB
    print(f"client peak memory: {peak:.0f} MB (limit {PEAK_MEMORY_LIMIT_MB:.0f} MB)")
    return 0 if ok or not args.check else 1


def _sandbox_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
