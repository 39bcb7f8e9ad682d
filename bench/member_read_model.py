"""The member read model over a big sandbox: fill, segment queries, incremental refresh.

Starts `loyalty sandbox --customers N` in a child process (loopback HTTP), then against an empty
ledger and read model (a fresh SQLite file, or PostgreSQL with `--postgres URL`):

1. `refresh(full=True)`: one full scan of the chain's members into the store (requests per
   operation, wall time);
2. the three segment queries from the store, as the `find_member_segment` tool asks them
   (`MemberStore.segment(limit=25)`: the segment counted and its first 25 members listed by
   SQL over the members' totals, only those 25 built and judged), each timed (the target), no
   Mews request; beside each, the whole segment (every member of it built, as campaigns ask),
   and the reference: every member built from the store (`all_members`, once) and judged by
   `find_segment` (what main did before the totals), its time, the ratio to the first, and
   whether the answers are equal;
3. `--changes K`: K memberships get new `Points` in Mews (no webhook: Mews sends no loyalty
   events), then `refresh()`: the requests per query (`RefreshReport.queries`: each entity
   type's `UpdatedUtc` window, deleted memberships, members new to the model) against
   ceil(K / 1000), and the changes found in the model. Mews' paging cannot tell a page of
   exactly 1000 from the last one without asking for the next (CONNECTOR-API.md §2), so K = 1000
   changed memberships take 2 requests: the contract's floor, floor(K / 1000) + 1;
4. `--compare`: the same segment query read from Mews (`MewsFactsLoader.all_members`, what
   main does), side by side.

    python -m bench.member_read_model [--customers 100000] [--changes 1000] [--compare]

Targets (issue #18): a segment query over 100,000 customers <= 1 s after the first refresh; an
incremental refresh after K changes makes <= ceil(K / 1000) requests per entity type.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from bench.scan_mews import _peak_rss_mb, against_sandbox, portfolio_credentials
from storage.clock import SystemClock
from storage.store import Store
from tools.loyalty import (
    LEDGER,
    HighSpendNoRedemption,
    Lapsing,
    NearNextTier,
    SegmentQuery,
    find_segment,
    load_program_file,
)
from tools.loyalty.member_store import ENTITY_TYPES, MemberStore
from tools.loyalty.member_store_schema import MEMBER_FACTS, orphans_table
from tools.loyalty.mews_facts import BATCH_SIZE, MewsFactsLoader
from tools.mews import MewsClient
from tools.mews.models import LoyaltyMembershipUpdateParameters, UpdateValue
from tools.sandbox import STORY

SEGMENT_LIMIT_SECONDS = 1.0
QUERIES: dict[str, SegmentQuery] = {
    "lapsing": Lapsing(),
    "near_next_tier": NearNextTier(),
    "high_spend_no_redemption": HighSpendNoRedemption(),
}


def _client(base_url: str) -> MewsClient:
    credentials = portfolio_credentials(base_url, "bench-member-read-model 1.0")
    # a portfolio token's reads name their chain
    return MewsClient(credentials, timeout=300, chain_ids=(STORY.chain_id,))


def _requests(report_requests: dict[str, int] | Counter[str]) -> str:
    return ", ".join(f"{path} {n}" for path, n in sorted(report_requests.items()))


async def _run(base_url: str, database_url: str, program: str, changes: int, compare: bool) -> bool:
    programs = load_program_file(None)
    store = Store(database_url)
    store.migrate([LEDGER, MEMBER_FACTS])
    ok = True
    async with _client(base_url) as mews:
        loader = MewsFactsLoader(mews, store, programs, clock=SystemClock())
        model = MemberStore(loader)
        report = await model.refresh(full=True)
        sent = sum(report.requests.values())
        print(f"full refresh: {report.members:,} members in {report.seconds:.1f} s, "
              f"{sent} requests ({_requests(report.requests)})")  # fmt: skip

        config = programs.program(program)
        # the reference: every member built from the store and judged (what main did before
        # the totals), built once for the three queries
        started = time.perf_counter()
        everyone = await model.all_members(program)
        build_seconds = time.perf_counter() - started
        print(f"every member built from the store once: {len(everyone):,} in "
              f"{build_seconds:.2f} s (the reference below judges them)")  # fmt: skip
        print(f"{'segment query (store)':26} {'active':>7} {'found':>7} {'first 25':>9} "
              f"{'CPU':>7} {'Mews':>5} {'whole':>7} {'every member':>13} {'ratio':>6} "
              f"{'same':>5}")  # fmt: skip
        for name, query in QUERIES.items():
            as_of = loader.clock.now()
            before = mews.stats.total_requests
            started, cpu_started = time.perf_counter(), time.process_time()
            first, size = await model.segment(config, query, as_of=as_of, limit=25)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started  # every thread's: the SQL runs off the loop
            sent = mews.stats.total_requests - before
            started = time.perf_counter()
            whole, _size = await model.segment(config, query, as_of=as_of)
            whole_seconds = time.perf_counter() - started
            started = time.perf_counter()
            old = find_segment(config, everyone, query, as_of=as_of)
            old_seconds = build_seconds + time.perf_counter() - started
            same = (
                whole == old
                and size == len(old.members)
                and first.members == old.members[:25]
                and first.scanned == old.scanned
            )
            print(f"{name:26} {first.scanned:>7,} {size:>7,} {seconds:>8.3f}s {cpu:>6.3f}s "
                  f"{sent:>5} {whole_seconds:>6.2f}s {old_seconds:>12.2f}s "
                  f"{old_seconds / seconds:>5.0f}x {'yes' if same else 'NO':>5}")  # fmt: skip
            ok = ok and seconds <= SEGMENT_LIMIT_SECONDS and same and sent == 0
        del everyone

        if compare:
            started = time.perf_counter()
            before = mews.stats.total_requests
            members = await loader.all_members(program)
            result = find_segment(
                programs.program(program), members, Lapsing(), as_of=loader.clock.now()
            )
            seconds = time.perf_counter() - started
            print(f"{'lapsing from Mews (main)':34} {result.scanned:>8,} {len(result.members):>7,} "
                  f"{seconds:>8.2f} {mews.stats.total_requests - before:>5}")  # fmt: skip

        if changes:
            chain_id = await loader.chain_id()
            chosen = [m async for m in _memberships(mews, changes)]
            ids = [m.id for m in chosen]
            await asyncio.sleep(1.1)  # Mews' UpdatedUtc is in whole seconds; windows are half-open
            for start in range(0, len(ids), BATCH_SIZE):
                await mews.loyalty_memberships.update(
                    [
                        LoyaltyMembershipUpdateParameters(
                            loyalty_membership_id=i, points=UpdateValue[int](value=777)
                        )
                        for i in ids[start : start + BATCH_SIZE]
                    ],
                    chain_id=chain_id,
                )
            await asyncio.sleep(1.1)
            report = await model.refresh()
            limit = math.ceil(len(ids) / BATCH_SIZE)
            changed = report.members_changed
            print(f"incremental refresh after {len(ids):,} membership changes: "
                  f"{changed:,} members changed in {report.seconds:.2f} s")  # fmt: skip
            # Mews' paging: a full page (exactly 1000) is the end only once the next is empty
            floor = len(ids) // BATCH_SIZE + 1
            for entity in (*ENTITY_TYPES, "deleted_memberships", "new_members", "webhook_events"):
                sent = report.queries.get(entity, 0)
                verdict = "ok" if sent <= max(1, limit) else (
                    "the contract's floor" if sent <= floor else "MISSED"
                )  # fmt: skip
                print(f"  {entity:20} {sent:>4} requests (<= ceil({len(ids)}/1000) = {limit}: "
                      f"{verdict})")  # fmt: skip
                ok = ok and sent <= max(1, limit, floor if entity == "memberships" else 0)
            print(f"  by path: {_requests(report.requests)}")
            found = sum(
                1
                for member in await model.all_members()
                for ms in member.memberships
                if ms.membership_id in set(ids) and ms.mews_points == 777
            )
            # accounts Mews returns no customer for hold memberships but are no members
            with store.read() as conn:
                orphans = set(conn.execute(sa.select(orphans_table.c.customer_id)).scalars())
            kept = sum(1 for m in chosen if m.account_id not in orphans)
            print(f"  changes in the model: {found:,} of {len(ids):,} ({len(ids) - kept} of "
                  f"accounts Mews returns no customer for, never in the model)")  # fmt: skip
            ok = ok and found == kept
    store.dispose()
    print(f"peak RSS of this process: {_peak_rss_mb():.0f} MB")
    return ok


async def _memberships(mews: MewsClient, count: int):  # type: ignore[no-untyped-def]
    n = 0
    async for membership in mews.loyalty_memberships.get_all():
        yield membership
        n += 1
        if n == count:
            return


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--program", default="PC01")
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--compare", action="store_true", help="also read the segment from Mews")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.postgres or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"{args.customers:,} customers, store {database_url.split(':', 1)[0]}")
        ok = against_sandbox(
            args.customers,
            Path(tmp) / "state.json",
            lambda url: asyncio.run(
                _run(url, database_url, args.program, args.changes, args.compare)
            ),
        )
    print("targets: " + ("ok" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
