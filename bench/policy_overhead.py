"""Policy overhead per guarded call: decision + audit (+ idempotency and cap usage for writes).

Measures, on a SQLite file and on PostgreSQL (when reachable), the latency of

- `decide` alone (pure);
- `Guard.read` around a function that returns at once (role check + one audit record);
- `Guard.submit` of an award whose transactional executor inserts one row (idempotency lookup,
  decision with the windowed cap sums, usage record, audit record, all in one transaction).

Prints p50/p99 in milliseconds. Target: write p50 under 2 ms on SQLite.

    python bench/policy_overhead.py [--calls 2000] [--postgres-url URL] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from policies import Facts, Guard, Posted
from policies.decision import Action, Context, decide
from storage.clock import FixedClock
from tests.policies.support import AWARD, T0, award_args, make_policy, migrated

TARGET_WRITE_P50_MS = 2.0
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def timed(calls: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    for i in range(min(50, calls)):  # warm up pools and caches
        await call(-1 - i)
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - started)
    return samples


async def bench_store(label: str, url: str, calls: int) -> dict[str, tuple[float, float]]:
    store = migrated(url)
    policy = make_policy(
        mode="automate",
        caps={"per_member_per_day": 10**9, "per_principal_per_day": 10**9},
        breaker={"min_daily_baseline": 10**9},
    )
    guard = Guard(store, policy, [AWARD], clock=FixedClock(T0), audit_key=None)
    carol = guard.principal("carol")

    async def nothing() -> None:
        return None

    async def read(i: int) -> object:
        return await guard.read(
            carol, "get_member_summary", {"membership_id": f"m-{i % 100}"}, nothing
        )

    async def write(i: int) -> object:
        outcome = await guard.submit(carol, "award_points", award_args(10, f"m-{i % 100}", n=i))
        assert isinstance(outcome, Posted), outcome
        return outcome

    try:
        results = {
            "read": percentiles(await timed(calls, read)),
            "write": percentiles(await timed(calls, write)),
        }
    finally:
        store.dispose()
    return results


def bench_decide(calls: int) -> tuple[float, float]:
    policy = make_policy(mode="automate")
    from policies import resolve_principal

    who = resolve_principal(policy, "carol")
    action = Action("award_points", "points", Facts(points=100, membership_id="m-1"))
    context = Context(mode="automate")
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        decide(action, who, context, policy)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def postgres_schema_url(base: str) -> tuple[str, Callable[[], None]] | None:
    """A throw-away schema on the server, or None when it does not answer."""
    try:
        admin = sa.create_engine(base, connect_args={"connect_timeout": 3})
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL skipped ({base} unreachable: {str(exc).splitlines()[0]})")
        return None
    separator = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LOYALTY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    options = parser.parse_args()

    p50, p99 = bench_decide(options.calls)
    print(f"{'decide (pure)':<28} p50 {p50:7.4f} ms   p99 {p99:7.4f} ms")
    table: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        table["sqlite (file, WAL)"] = asyncio.run(bench_store("sqlite", url, options.calls))
    postgres = postgres_schema_url(options.postgres_url)
    if postgres is not None:
        url, drop = postgres
        try:
            table["postgresql"] = asyncio.run(bench_store("postgresql", url, options.calls))
        finally:
            drop()
    for database, results in table.items():
        for kind, (p50, p99) in results.items():
            print(f"{database + ' ' + kind:<28} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms")
    write_p50 = table["sqlite (file, WAL)"]["write"][0]
    verdict = "met" if write_p50 < TARGET_WRITE_P50_MS else "MISSED"
    print(f"target: SQLite write p50 < {TARGET_WRITE_P50_MS} ms: {verdict}")
    return 1 if options.check and write_p50 >= TARGET_WRITE_P50_MS else 0


if __name__ == "__main__":
    sys.exit(main())
