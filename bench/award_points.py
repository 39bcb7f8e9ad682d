"""`award_points` in memory: SQL statements, write transactions, Mews requests and latency.

Each award goes through the MCP server in memory (the SDK's in-memory client, as `carol`), the
guard and the ledger, then `after_write` delivers the balance to the sandbox (in memory too)
against a fresh SQLite file. Per award it counts the SQL statements and the write transactions
(commits of a transaction that wrote) the store ran, and the Mews requests.

    python -m bench.award_points [--awards 60] [--postgres URL]
    python -m bench.award_points --against /tmp/before-18 [--rounds 6] [--awards 60] [--on-loop]

`--postgres URL` runs against a throw-away schema on that server instead of a SQLite file.
The statements are everything the engine sends (`before_cursor_execute`); the figure in
brackets is the transaction control among them (SQLite's BEGIN, SAVEPOINT and RELEASE;
PostgreSQL's BEGIN travels with the first statement and is not counted there).

`--against DIR` runs the same awards side by side against another checkout (a
`git worktree add /tmp/before-18 <commit>`), in child processes that alternate
after/before/after/before... so the shared machine's noise falls on both alike, and prints the
p50/p99 of each and their ratio. Each child checks that it imported the tree it was given (not
the editable install's) and reports any wait for the rate limit: a child's warm-up and awards
stay under Mews' 200 requests per 30 s (at most 60 awards, so `--rounds` gives more samples).

`--on-loop`: both sides' sandbox answers on the event loop (as the sandbox did before it moved
API requests to a worker thread), so the two sides differ only in their own code, not in how
the sandbox dispatches.

Targets (issue #18): <= 2 write transactions and <= 15 SQL statements per award; p50 at least
2x faster than before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from mcp import Client

MAX_WRITE_TRANSACTIONS = 2
MAX_STATEMENTS = 15
MIN_SPEEDUP = 2.0
MEMBERSHIPS = 20
MAX_AWARDS = 60
"""With the warm-up, a child's requests stay under the 200 per 30 s rate limit."""
"""Awards rotate over this many members, so caps per member never refuse one."""


class _Counter:
    """Statements and write transactions of one engine (SQLAlchemy events)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements = 0
        self.control = 0  # BEGIN, SAVEPOINT, RELEASE SAVEPOINT
        self.writes = 0
        self._wrote: set[int] = set()
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)
        sa.event.listen(engine, "rollback", self._rollback)

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements += 1
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in {"BEGIN", "SAVEPOINT", "RELEASE"}:
            self.control += 1
        if verb in {"INSERT", "UPDATE", "DELETE"}:
            self._wrote.add(id(conn))

    def _commit(self, conn: Any) -> None:
        if id(conn) in self._wrote:
            self.writes += 1
            self._wrote.discard(id(conn))

    def _rollback(self, conn: Any) -> None:
        self._wrote.discard(id(conn))


async def _members(runtime: Any) -> list[str]:
    ids = []
    async for membership in runtime.mews.loyalty_memberships.get_all():
        if str(membership.state) in {"Enrolled", "New"}:
            ids.append(membership.id)
        if len(ids) == MEMBERSHIPS:
            break
    return ids


def _check_tree() -> None:
    """The child runs the tree it was given, not the editable install's."""
    import tools

    tree = os.environ.get("BENCH_TREE")
    if tree and not Path(tools.__file__).resolve().is_relative_to(Path(tree).resolve()):
        raise SystemExit(f"imported {tools.__file__}, not the tree {tree}")


def _sandbox_on_loop() -> None:
    """The sandbox answers API requests on the event loop (`Sandbox.handle`), both sides alike."""
    import httpx

    from tools.sandbox import Sandbox

    def httpx_transport(self: Any) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            status, headers, content = await self.handle(
                request.method, request.url.path, dict(request.headers), body
            )
            return httpx.Response(status, headers=headers, content=content)

        return httpx.MockTransport(handler)

    Sandbox.httpx_transport = httpx_transport  # type: ignore[method-assign]


async def _child(awards: int, postgres: str | None, on_loop: bool) -> dict[str, Any]:
    from bench.policy_overhead import postgres_schema_url

    if on_loop:
        _sandbox_on_loop()

    with tempfile.TemporaryDirectory() as tmp:
        database_url, drop = f"sqlite:///{Path(tmp) / 'bench.db'}", None
        if postgres:
            schema = postgres_schema_url(postgres)
            if schema is None:
                raise SystemExit(f"PostgreSQL at {postgres} does not answer")
            database_url, drop = schema
        try:
            return await _awards(database_url, awards)
        finally:
            if drop is not None:
                drop()


async def _awards(database_url: str, awards: int) -> dict[str, Any]:
    from tools.runtime import LoyaltyRuntime
    from tools.sandbox import Sandbox
    from tools.server import create_server

    runtime = await LoyaltyRuntime.open(database_url=database_url, sandbox=Sandbox.seeded())
    async with runtime:
        members = await _members(runtime)
        server = create_server(runtime, principal="carol", toolsets=("member",))
        samples: list[float] = []
        async with Client(server) as client:

            async def award(number: int) -> None:
                result = await client.call_tool(
                    "award_points",
                    {
                        "membership_id": members[number % len(members)],
                        "points": 5,
                        "reason": f"bench award {number}",
                    },
                )
                assert not result.is_error, result.structured_content
                body = result.structured_content or {}
                assert body.get("status") == "posted", body

            for number in range(len(members)):  # warm up: every member read once
                await award(number)
            counter = _Counter(runtime.store.engine)
            runtime.mews.stats.reset()
            for number in range(awards):
                started = time.perf_counter()
                await award(len(members) + number)
                samples.append(time.perf_counter() - started)
        return {
            "samples": samples,
            "statements": counter.statements / awards,
            "control": counter.control / awards,
            "writes": counter.writes / awards,
            "mews": runtime.mews.stats.total_requests / awards,
            "waited": runtime.mews.stats.throttle_wait_seconds
            + runtime.mews.stats.retry_wait_seconds,
        }


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _run_child(tree: Path, awards: int, postgres: str | None, on_loop: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "BENCH_TREE": str(tree)}
    script = Path(__file__).resolve()
    out = subprocess.run(
        [sys.executable, str(script), "--child", "--awards", str(awards)]
        + (["--postgres", postgres] if postgres else [])
        + (["--on-loop"] if on_loop else []),
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _report(label: str, runs: list[dict[str, Any]]) -> tuple[float, dict[str, float]]:
    samples = [s for run in runs for s in run["samples"]]
    keys = ("statements", "control", "writes")
    figures = {key: statistics.fmean(run.get(key, 0) for run in runs) for key in keys}
    figures["mews"] = statistics.fmean(run["mews"] for run in runs)
    waited = sum(run.get("waited", 0.0) for run in runs)
    p50 = statistics.median(samples) * 1000
    print(
        f"{label:<7} p50 {p50:7.2f} ms  p99 {_p(samples, 0.99):7.2f} ms  "
        f"{figures['statements']:5.1f} statements ({figures['control']:.1f} of them BEGIN/"
        f"SAVEPOINT/RELEASE), {figures['writes']:.1f} write "
        f"transactions, {figures['mews']:.1f} Mews requests per award ({len(samples)} awards"
        f"{f', {waited:.1f} s waiting for the rate limit' if waited else ''})"
    )
    return p50, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--awards", type=int, default=MAX_AWARDS)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--against", type=Path, help="a checkout of the previous commit")
    parser.add_argument("--postgres", help="a PostgreSQL server URL instead of a SQLite file")
    parser.add_argument(
        "--on-loop", action="store_true", help="both sides' sandbox answers on the event loop"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.awards <= MAX_AWARDS:
        parser.error(f"--awards must be between 1 and {MAX_AWARDS} (the rate limit)")
    if args.child:
        _check_tree()
        print(json.dumps(asyncio.run(_child(args.awards, args.postgres, args.on_loop))))
        return 0
    here = Path(__file__).resolve().parents[1]
    after: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    for _round in range(args.rounds if args.against else 1):
        after.append(_run_child(here, args.awards, args.postgres, args.on_loop))
        if args.against:
            before.append(
                _run_child(args.against.resolve(), args.awards, args.postgres, args.on_loop)
            )
    p50, figures = _report("after", after)
    ok = figures["writes"] <= MAX_WRITE_TRANSACTIONS and figures["statements"] <= MAX_STATEMENTS
    print(
        f"targets: <= {MAX_WRITE_TRANSACTIONS} write transactions and <= {MAX_STATEMENTS} "
        f"statements per award: {'ok' if ok else 'MISSED'}"
    )
    if before:
        p50_before, _ = _report("before", before)
        speedup = p50_before / p50
        print(
            f"p50 speed-up {speedup:.2f}x (target >= {MIN_SPEEDUP}x): "
            f"{'ok' if speedup >= MIN_SPEEDUP else 'MISSED'}"
        )
        ok = ok and speedup >= MIN_SPEEDUP
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
