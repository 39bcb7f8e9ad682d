"""A segment query over a 10,000-customer sandbox over real HTTP: requests, wall time, memory.

Starts `loyalty sandbox --customers N` in a child process (loopback HTTP), loads every member of
a program with `MewsFactsLoader.all_members()` (memberships, customers, stays, spend: batched
reads only) against an empty ledger (a fresh SQLite file), then runs the three segment queries
with `find_segment`. Prints, per endpoint, the requests sent against the minimum
ceil(entities / 1000), the wall time of each phase, and this process's peak memory.

    python -m bench.segment_scan [--customers 10000] [--program PC01] [--check]

Requests above the minimum come from id batching: an id filter of 1000 customers whose answer
fills less than whole pages costs a short last page per batch (at most one extra request per
batch of 1000 ids). `--check` exits 1 when an endpoint needs more than minimum + batches.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.scan_mews import _peak_rss_mb, _sandbox_rss_mb, _start_sandbox
from policies.clock import SystemClock
from policies.store import Store
from tools.loyalty import (
    LEDGER,
    HighSpendNoRedemption,
    Lapsing,
    NearNextTier,
    find_segment,
    load_program_file,
)
from tools.loyalty.mews_facts import BATCH_SIZE, MewsFactsLoader
from tools.mews import MewsClient, MewsCredentials
from tools.sandbox import PORTFOLIO

BATCHED_BY_IDS = {
    "customers/getAll": "customers",
    "reservations/getAll/2023-06-06": "customers",
    "productServiceOrders/getAll": "customers",
    "orderItems/getAll": "service orders",
}


@dataclass
class Result:
    members: int
    load_seconds: float
    segments: dict[str, tuple[int, float]]
    requests: dict[str, int]
    entities: dict[str, int]
    id_batches: dict[str, int]
    retries: int
    throttled: float


async def _run(base_url: str, program_code: str, db: Path) -> Result:
    credentials = MewsCredentials(
        base_url=base_url,
        client_token=PORTFOLIO.client_token,
        access_token=PORTFOLIO.access_token,
        client_name="bench-segment-scan 1.0",
    )
    programs = load_program_file()
    program = programs.program(program_code)
    store = Store(f"sqlite:///{db}")
    store.migrate([LEDGER])
    try:
        async with MewsClient(credentials, timeout=120) as mews:
            loader = MewsFactsLoader(mews, store, programs, clock=SystemClock())
            started = time.perf_counter()
            members = await loader.all_members(program_code)
            load_seconds = time.perf_counter() - started
            segments: dict[str, tuple[int, float]] = {}
            as_of = datetime.now(UTC)
            for query in (Lapsing(), NearNextTier(), HighSpendNoRedemption()):
                started = time.perf_counter()
                result = find_segment(program, members, query, as_of=as_of)
                segments[query.kind] = (len(result.members), time.perf_counter() - started)
            customers = loader.entities["customers/getAll"]
            reservations = loader.entities["reservations/getAll/2023-06-06"]
            orders = reservations + loader.entities["productServiceOrders/getAll"]
            sizes = {"customers": customers, "reservations": reservations, "service orders": orders}
            return Result(
                members=len(members),
                load_seconds=load_seconds,
                segments=segments,
                requests=dict(mews.stats.requests),
                entities=dict(loader.entities),
                id_batches={
                    path: math.ceil(sizes[what] / BATCH_SIZE)
                    for path, what in BATCHED_BY_IDS.items()
                },
                retries=mews.stats.retries,
                throttled=mews.stats.throttle_wait_seconds,
            )
    finally:
        store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--program", default="PC01")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        seed_started = time.perf_counter()
        process, base_url = _start_sandbox(args.customers, Path(tmp) / "state.json")
        seed_seconds = time.perf_counter() - seed_started
        try:
            result = asyncio.run(_run(base_url, args.program, Path(tmp) / "ledger.sqlite3"))
            sandbox_rss = _sandbox_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)

    print(f"sandbox: {args.customers} customers seeded and serving in {seed_seconds:.1f} s, "
          f"sandbox RSS {sandbox_rss:.0f} MB (not bounded)")  # fmt: skip
    print(f"all_members({args.program!r}): {result.members} members loaded in "
          f"{result.load_seconds:.2f} s, {result.retries} retries, "
          f"{result.throttled:.1f} s throttled by the 200-per-30-s limiter")  # fmt: skip
    for kind, (size, seconds) in result.segments.items():
        print(f"  segment {kind:<26} {size:>6} members  {seconds * 1000:8.1f} ms")
    ok = True
    print(f"{'endpoint':34} {'entities':>9} {'requests':>9} {'minimum':>8}  verdict")
    for path, sent in sorted(result.requests.items()):
        entities = result.entities.get(path)
        minimum = max(1, math.ceil((entities or 0) / BATCH_SIZE))
        allowed = minimum + result.id_batches.get(path, 0)
        verdict = "minimum" if sent == minimum else f"+{sent - minimum} (id batches)"
        if sent > allowed:
            verdict, ok = f"OVER (allowed {allowed})", False
        shown = "-" if entities is None else str(entities)
        print(f"{path:34} {shown:>9} {sent:>9} {minimum:>8}  {verdict}")
    print(f"total requests: {sum(result.requests.values())} for {result.members} members "
          "(never one per member)")  # fmt: skip
    print(f"client peak memory: {_peak_rss_mb():.0f} MB")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
