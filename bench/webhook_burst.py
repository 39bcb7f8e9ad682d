"""A checkout burst through the whole event pipeline, in memory: how many Mews requests it costs.

    python -m bench.webhook_burst [--reservations 1000] [--customers 15000] [--batch 100] [--check]

A seeded sandbox checks in and then checks out N reservations of the UK hotel (2N
`ServiceOrderUpdated` events); the Mews delay passes; the sandbox delivers General Webhooks of
`--batch` events each into the receiver (ASGI, no sockets); the worker drains the inbox: the
second event of each reservation is dropped as a duplicate of the still-pending first, the
changed reservations are read by id (1000 per request), and every checked-out stay of a member
is accrued through the guard as `automation` (mode `automate`; the shipped policy with the
automation's daily cap and the breaker's thresholds raised for the burst), then pushed to Mews.

Prints the webhook messages and events, the inbox counts, the accruals and bonuses, the approval
requests queued, the Mews requests per endpoint, and the wall time of each phase. What the
worker's own delivery left in the outbox (one write delivers at most 10 claims) is then drained
as the next writes or `loyalty outbox drain` would, and the requests of the whole burst are
printed again: approval requests are announced in one digest task per delivery and hotel.
`--check` exits 1 when any endpoint was called more often than max(10, ⌈N / 1000⌉ × 3) times
(a per-event read would show up as ~N) or `tasks/add` more than 10 times for the whole burst;
other writes (`accountNotes/add`: the guard notes each agent write on the guest's profile) are
not bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.applications import Starlette

import policies
from policies.approvals import list_approvals
from storage.clock import FixedClock
from storage.outbox import stats as outbox_stats
from tools.automation import inbox
from tools.automation.service import AutomationService
from tools.runtime import LoyaltyRuntime
from tools.sandbox import DEMO_TOKENS, Sandbox
from tools.sandbox.clock import Duration

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
_VOLUME = {  # the shipped policy protects a chain's normal day; a burst of 1,000 stays is not one
    "per_principal_per_day = 50000": "per_principal_per_day = 5000000",
    "denials_per_hour = 10 ": "denials_per_hour = 1000 ",
    "min_daily_baseline = 20000": "min_daily_baseline = 5000000",
}


def _volume_policy(folder: Path) -> Path:
    """The default policy with caps for a burst (mode `automate`); approvals stay as shipped."""
    text = (Path(policies.__file__).parent / "default_policy.toml").read_text(encoding="utf-8")
    for old, new in _VOLUME.items():
        if old not in text:
            sys.exit(f"the default policy no longer has {old!r}; update bench/webhook_burst.py")
        text = text.replace(old, new)
    text = text.replace('mode = "recommend"', 'mode = "automate"')
    path = folder / "burst-policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


TASKS_BOUND = 10  # a burst's approval requests are announced in a handful of digest tasks
SECRET = "bench-secret-0123456789abcdef"


def _burst(sandbox: Sandbox, count: int) -> list[str]:
    """Ids of `count` confirmed reservations of the UK hotel (the client's enterprise)."""
    uk = DEMO_TOKENS[0].enterprise_id
    chosen = [
        r.id for r in sandbox.state.reservations if r.state == "Confirmed" and r.enterprise_id == uk
    ][:count]
    if len(chosen) < count:
        sys.exit(
            f"the sandbox has only {len(chosen)} confirmed UK reservations; "
            "raise --customers or lower --reservations"
        )
    return chosen


async def run(
    reservations: int, customers: int, batch: int, folder: Path
) -> tuple[Counter[str], Counter[str]]:
    """The Mews requests of the worker's own delivery, and of the whole burst."""
    sandbox = Sandbox.seeded(now=NOW, customers=customers)
    sandbox.rate_limiter.enabled = False  # the requests are counted; the clock is frozen
    clock = FixedClock(NOW)
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    policy = _volume_policy(folder)
    async with await LoyaltyRuntime.open(
        database_url=url, sandbox=sandbox, clock=clock, policy_file=policy
    ) as rt:
        service = AutomationService.for_runtime(rt, secret=SECRET)
        app = Starlette(routes=service.routes())
        sandbox.webhooks.transport = httpx.ASGITransport(app=app)
        sandbox.webhooks.configure(batch_size=batch)
        sandbox.webhooks.subscribe(f"http://automation.bench/webhooks/mews/{SECRET}")
        ids = _burst(sandbox, reservations)

        started = time.perf_counter()
        for reservation_id in ids:
            sandbox.transition(reservation_id, "Started")
        sandbox.clock.advance(Duration(seconds=2 * 86_400))
        clock.advance(timedelta(days=2))
        for reservation_id in ids:
            sandbox.transition(reservation_id, "Processed")
        transitions = time.perf_counter() - started

        sandbox.clock.advance(Duration(seconds=sandbox.webhooks.settings.delay_seconds + 1))
        clock.advance(timedelta(seconds=sandbox.webhooks.settings.delay_seconds + 1))
        started = time.perf_counter()
        flushed = await sandbox.webhooks.flush()
        delivery = time.perf_counter() - started

        rt.mews.stats.reset()
        started = time.perf_counter()
        report = await service.worker.drain()
        processing = time.perf_counter() - started

        stats = inbox.stats(rt.store)
        outcomes = Counter(summary.split(":")[0] for summary in report.summaries.values())
        denials = Counter(
            s.split(":")[1].strip() for s in report.summaries.values() if s.startswith("denied")
        )
        print(f"reservations checked out      {len(ids)}")
        print(f"webhook events recorded       {sandbox.webhooks.totals.events_sent}")
        print(f"webhook messages delivered    {flushed.delivered} (batch {batch})")
        print(f"inbox events stored           {stats.done + stats.pending + stats.dead}")
        print(f"  duplicates dropped          {sandbox.webhooks.totals.events_sent - stats.done}")
        print(f"worker rounds' events         {report.claimed} claimed, {report.done} done, "
              f"{report.retried} retried, {report.dead} dead")  # fmt: skip
        print("reactions by outcome          " + ", ".join(f"{n} {k}" for k, n in outcomes.items()))
        for rule, n in denials.items():
            print(f"  denied by {rule}: {n}")
        print(f"wall time: transitions {transitions:.2f} s, delivery+inbox {delivery:.2f} s, "
              f"worker {processing:.2f} s")  # fmt: skip
        queued = outbox_stats(rt.store)
        print(f"outbox after the worker         {queued.done} done, {queued.pending} pending, "
              f"{queued.dead} dead")  # fmt: skip
        print("Mews requests by the worker (per endpoint):")
        requests = Counter(rt.mews.stats.requests)
        for path, n in sorted(requests.items()):
            print(f"  {n:>5}  {path}")
        print(f"  {requests.total():>5}  total")
        queued_requests = list_approvals(rt.store, limit=100_000)
        by_rule = Counter(f"{a.action} by {a.rule}" for a in queued_requests)
        print(f"approval requests queued      {len(queued_requests)}")
        for rule, n in by_rule.most_common():
            print(f"  {n:>5}  {rule}")
        started = time.perf_counter()
        for _round in range(100):  # each `after_write` delivers at most 10 claims of 100
            if outbox_stats(rt.store).pending == 0:
                break
            await rt.after_write()
        backlog = time.perf_counter() - started
        queued = outbox_stats(rt.store)
        print(f"outbox after draining it        {queued.done} done, {queued.pending} pending, "
              f"{queued.dead} dead ({backlog:.2f} s)")  # fmt: skip
        whole = Counter(rt.mews.stats.requests)
        print("Mews requests of the whole burst, the backlog drained (per endpoint):")
        for path in ("tasks/add", "accountNotes/add", "loyaltyMemberships/update"):
            print(f"  {whole[path]:>5}  {path}")
        print(f"  {whole.total():>5}  total")
        return requests, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reservations", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=15000)
    parser.add_argument("--batch", type=int, default=100, help="events per webhook message")
    parser.add_argument("--check", action="store_true", help="exit 1 on a per-event read")
    args = parser.parse_args()
    if args.reservations < 1 or not 1 <= args.batch <= 1000:
        parser.error("--reservations must be positive and --batch between 1 and 1000")
    with tempfile.TemporaryDirectory() as folder:
        requests, whole = asyncio.run(
            run(args.reservations, args.customers, args.batch, Path(folder))
        )
    bound = math.ceil(args.reservations / 1000) * 3
    reads = {path: n for path, n in requests.items() if "/getAll" in path or path.endswith("/get")}
    worst = max(reads.values(), default=0)
    if args.check and worst > max(bound, 10):
        print(f"FAIL: a read endpoint was called {worst} times (bound {max(bound, 10)})")
        sys.exit(1)
    if args.check and whole["tasks/add"] > TASKS_BOUND:
        print(f"FAIL: {whole['tasks/add']} Mews tasks for one burst (bound {TASKS_BOUND})")
        sys.exit(1)


if __name__ == "__main__":
    main()
