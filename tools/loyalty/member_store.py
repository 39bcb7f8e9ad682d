"""`MemberStore`: the member read model, so big chains query the store instead of rescanning Mews.

    facts = MemberStore(loader)                     # over the loader's Mews client and store
    report = await facts.refresh(full=True)         # one full scan (also on first all_members)
    everyone = await facts.all_members("PC01")      # from the store, no Mews request
    found = await facts.members([customer_id])      # from the store, Mews for the unknown
    facts.as_of()                                   # the Mews time its facts are current to

What is kept (tables in `member_store_schema`): the members' customer rows, memberships, own
reservations, linked product orders and the order items that count as spend, as last read. The
ledger's figures (balances, accruals, last redemptions) are not copied: `MemberFacts` are built
on reading with the loader's own builders (`membership_facts`, `stay_facts`, `member_facts`),
so the rules see exactly what a read from Mews would give, and our own writes show at once.

How it stays current:

- **a full scan** (`refresh(full=True)`, `loyalty facts refresh --full`, or the first
  `all_members` on an empty model): every membership (paged), then per 1000 members their
  customers, reservations, product orders and order items: the requests of
  `MewsFactsLoader.scan_members`, keeping the item rows (a stay's spend is their sum, so a
  changed item is applied alone, without re-reading its siblings). Members gone from Mews are
  dropped at the end.
- **webhooks** (`note_events`, from `LoyaltyRuntime.changed_in_mews`): a customer or service
  order event marks it dirty; the next read or refresh re-reads those members (batched).
- **`UpdatedUtc` windows** (`refresh()`), for what webhooks do not announce: memberships
  (Mews sends no loyalty events), customers, reservations, product orders and order items
  updated since the entity type's high-water mark, in windows of at most 3 months
  (`split_interval`), each paged by 1000: N changes cost ⌈N/1000⌉ requests per entity type
  (plus one batched read of members enrolled since, who are new to the model). The mark is
  Mews' own `NowUtc` (`configuration/get`), read before the windows, so clock skew between us
  and Mews loses nothing.

Staleness is bounded: a read finding the model older than `max_age` (`LOYALTY_FACTS_MAX_AGE`,
seconds; default 300) refreshes it first. Reads that must be fresh (the membership a write
judges, a balance before a redemption) do not come here: they go to Mews (`MewsFactsLoader`,
`MembershipDirectory`).

Money: an item's value is kept in millionths (exact for every currency Mews uses), so spend
is summed by the database. Memberships deleted in Mews (not announced, and invisible to
`UpdatedUtc` windows without activity states) leave at the next full refresh.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from typing import Any, Final, Protocol

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storage.progress import step
from storage.store import chunks
from tools.loyalty.categories import RevenueCategory
from tools.loyalty.config import ProgramConfig
from tools.loyalty.facts import MemberFacts, MemberSource, StayFacts
from tools.loyalty.member_store_schema import (
    customers_table,
    dirty_table,
    marks_table,
    member_totals_table,
    memberships_table,
    order_items_table,
    orphans_table,
    product_orders_table,
    program_members_table,
    stay_totals_table,
    stays_table,
    totals_basis_table,
)
from tools.loyalty.member_totals import (
    TOTALS_VERSION,
    Candidates,
    member_rows,
    program_rows,
    segment_candidates,
)
from tools.loyalty.mews_facts import (
    BATCH_SIZE,
    MewsFactsLoader,
    checked_ids,
    counts_as_spend,
    split_interval,
)
from tools.loyalty.mews_rows import (
    CustomerRow,
    CustomerRows,
    MembershipRow,
    MembershipRows,
    OrderItemRow,
    OrderItemRows,
    ProductServiceOrderRow,
    ProductServiceOrderRows,
    ReservationRow,
    ReservationRows,
)
from tools.loyalty.segments import (
    Population,
    SegmentQuery,
    SegmentResult,
    SegmentScan,
    find_segment_among,
)

__all__ = [
    "CUSTOMER_EVENTS",
    "DEFAULT_MAX_AGE",
    "ENTITY_TYPES",
    "SERVICE_ORDER_EVENTS",
    "MemberStore",
    "RefreshReport",
    "find_segment_in",
    "max_age_from_env",
    "segment_with_members",
]

ENTITY_TYPES: Final = ("memberships", "customers", "reservations", "product_orders", "order_items")
"""Entity types with a high-water mark, in the order a refresh applies them (a stay before the
product orders linked to it, an order before its items)."""


def _step_entity(entity: str) -> None:
    """An incremental refresh's step: which entity type's changes are read (n of 5)."""
    what = f"reading the {entity.replace('_', ' ')} changed in Mews"
    step(ENTITY_TYPES.index(entity), len(ENTITY_TYPES), what)


DEFAULT_MAX_AGE: Final = timedelta(minutes=5)
"""How old the model may be when read: long enough that a burst of reads costs no Mews
request, short enough that what webhooks do not announce (points, tiers set in Mews) shows
within minutes."""

CUSTOMER_EVENTS: Final = frozenset({"CustomerAdded", "CustomerUpdated"})
SERVICE_ORDER_EVENTS: Final = frozenset({"ServiceOrderUpdated"})

_MICROS: Final = Decimal(1_000_000)
_PHONE_ON_FILE: Final = "(on file)"
"""What a customer row read back from the model holds for a phone: the consent rules ask only
whether one is on file, and the model keeps no number."""
_RESERVATIONS: Final = "reservations/getAll/2023-06-06"


class WebhookEvent(Protocol):
    @property
    def discriminator(self) -> str: ...

    @property
    def entity_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh did."""

    full: bool
    requests: Mapping[str, int]
    """Mews requests per operation path."""
    queries: Mapping[str, int]
    """Mews requests per query of an incremental refresh: each entity type's `UpdatedUtc`
    windows (`ENTITY_TYPES`, and `deleted_memberships`: memberships deleted in Mews), the
    batched reads of members new to the model (`new_members`) and of what webhooks announced
    (`webhook_events`). Empty after a full refresh."""
    members_changed: int
    """Members whose rows changed (or, in a full refresh, were written)."""
    members: int
    """Members in the model afterwards."""
    seconds: float
    as_of: datetime
    """The Mews time the model is now current to."""


def max_age_from_env() -> timedelta:
    """`LOYALTY_FACTS_MAX_AGE` (seconds, ≥ 0), else `DEFAULT_MAX_AGE`."""
    raw = os.environ.get("LOYALTY_FACTS_MAX_AGE", "").strip()
    if not raw:
        return DEFAULT_MAX_AGE
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(
            f"LOYALTY_FACTS_MAX_AGE: expected a number of seconds, got {raw!r}"
        ) from None
    if seconds < 0:
        raise ValueError(f"LOYALTY_FACTS_MAX_AGE: expected seconds ≥ 0, got {raw!r}")
    return timedelta(seconds=seconds)


@dataclass
class _Batch:
    """Rows of some members read from Mews, to replace theirs in the model."""

    customers: list[CustomerRow] = field(default_factory=list)
    memberships: list[MembershipRow] = field(default_factory=list)
    stays: list[ReservationRow] = field(default_factory=list)
    orders: list[ProductServiceOrderRow] = field(default_factory=list)
    items: list[OrderItemRow] = field(default_factory=list)


class MemberStore:
    """The member read model over a loader's Mews client and store (see the module docstring)."""

    def __init__(self, loader: MewsFactsLoader, *, max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self.loader = loader
        self.store = loader.store
        self.mews = loader.mews
        self.max_age = max_age
        self._lock = asyncio.Lock()
        self._queries: Counter[str] = Counter()

    # ------------------------------------------------------------------ state
    def as_of(self) -> datetime | None:
        """The Mews time every entity type is current to (None while the model is empty)."""
        marks = self._marks()
        if set(marks) != set(ENTITY_TYPES):
            return None
        return _moment(min(high for high, _at in marks.values()))

    def filled(self) -> bool:
        return self.as_of() is not None

    def _marks(self) -> dict[str, tuple[float, float]]:
        m = marks_table
        with self.store.read() as conn:
            rows = conn.execute(sa.select(m.c.entity, m.c.high_water, m.c.refreshed_at)).all()
        return {row.entity: (row.high_water, row.refreshed_at) for row in rows}

    def _stale(self) -> bool:
        marks = self._marks()
        oldest = min((at for _high, at in marks.values()), default=0.0)
        return self.loader.clock.now().timestamp() - oldest > self.max_age.total_seconds()

    def note_events(self, events: Sequence[WebhookEvent]) -> None:
        """Webhook events arrived: their customers and service orders are re-read from Mews
        on the next read or refresh (kept in the store, so another process applies them too)."""
        self._mark(
            {
                ("customer" if e.discriminator in CUSTOMER_EVENTS else "service_order", e.entity_id)
                for e in events
                if e.discriminator in CUSTOMER_EVENTS | SERVICE_ORDER_EVENTS
            }
        )

    def note_customers(self, customer_ids: Iterable[str]) -> None:
        """Our own write changed these customers' memberships in Mews (a tier): they are re-read
        on the next read, as for a webhook (Mews announces no loyalty changes)."""
        self._mark({("customer", customer_id) for customer_id in customer_ids})

    def _mark(self, rows: set[tuple[str, str]]) -> None:
        if not rows:
            return
        d = dirty_table
        with self.store.write() as conn:
            known = {
                (row.kind, row.entity_id)
                for row in conn.execute(
                    sa.select(d.c.kind, d.c.entity_id).where(
                        d.c.entity_id.in_([entity for _kind, entity in rows])
                    )
                )
            }
            fresh = [{"kind": k, "entity_id": e} for k, e in sorted(rows - known)]
            if fresh:
                conn.execute(sa.insert(d), fresh)

    # ------------------------------------------------------------------ reads
    async def members(
        self, customer_ids: Sequence[str], *, with_stays: bool = True, with_spend: bool = True
    ) -> dict[str, MemberFacts]:
        """As `MewsFactsLoader.members`, from the model when it is filled; customers it does
        not hold (not members, or enrolled since the last refresh) are read from Mews. An empty
        model is not filled for this: one member's read should not wait for a chain's scan."""
        ids = checked_ids(customer_ids)
        if not ids:
            return {}
        if not self.filled():
            return await self.loader.members(ids, with_stays=with_stays, with_spend=with_spend)
        await self._bring_up_to_date()
        found = await self._read(ids, None, with_stays=with_stays, with_spend=with_spend)
        missing = [i for i in ids if i not in found]
        if missing:
            found.update(
                await self.loader.members(missing, with_stays=with_stays, with_spend=with_spend)
            )
        return {i: found[i] for i in ids if i in found}

    async def all_members(self, program_code: str | None = None) -> list[MemberFacts]:
        """As `MewsFactsLoader.all_members`, from the model. An empty model is filled first:
        the scan reads what a scan from Mews would read anyway, and the next query is fast."""
        program_id = None if program_code is None else await self.loader.program_id(program_code)
        if not self.filled():
            await self.refresh(full=True)
        else:
            await self._bring_up_to_date()
        found = await self._read(None, program_id, with_stays=True, with_spend=True)
        return list(found.values())

    async def segment(
        self,
        program: ProgramConfig,
        query: SegmentQuery,
        *,
        as_of: datetime,
        zone: tzinfo | None = None,
        limit: int | None = None,
    ) -> tuple[SegmentResult, int]:
        """`find_segment` over the members of `program`, from the model, and the segment's
        size: SQL over the members' totals counts who is in it and lists them in a scan's order
        (`member_totals`), and only those listed are built as `MemberFacts` and judged by the
        rule; with `limit`, SQL lists only the first `limit` (the result then lists those).
        Where the SQL only narrows the members down (tier progress on points or calendar
        years), every candidate is built and judged. Fills an empty model first, as
        `all_members`."""
        result, size, _members = await self._segment(program, query, as_of, zone, limit)
        return result, size

    async def _segment(
        self,
        program: ProgramConfig,
        query: SegmentQuery,
        as_of: datetime,
        zone: tzinfo | None,
        limit: int | None,
    ) -> tuple[SegmentResult, int, dict[str, MemberFacts]]:
        """`segment`, with the facts of the members it built (the candidates judged)."""
        program_id = await self.loader.program_id(program.code)
        if not self.filled():
            await self.refresh(full=True)
        else:
            await self._bring_up_to_date()
        await self._update_totals(set())  # derived anew if the categories changed
        look_ups = await self._look_ups(with_stays=True, with_spend=True)

        members: dict[str, MemberFacts] = {}

        def judge(ids: list[str], population: Population, size: int | None) -> SegmentResult:
            members.update(self._build(ids, None, look_ups) if ids else {})
            return find_segment_among(
                program,
                (members[i] for i in ids if i in members),
                query,
                as_of=as_of,
                population=population,
                size=size,
                zone=zone,
            )

        def candidates(limit: int | None) -> Candidates:
            with self.store.read() as conn:
                return segment_candidates(
                    conn, program, program_id, look_ups.tier_codes, query, as_of, limit=limit
                )

        def run() -> tuple[SegmentResult, int]:
            found = candidates(limit)
            population = Population(found.scanned, found.gaps)
            ids, size = found.customer_ids, found.size
            if size is not None and size > len(ids):  # a page of an exact count
                first = judge(ids, population, size)
                if len(first.members) == len(ids):  # the rule agrees with the SQL
                    return first, size
                ids = candidates(None).customer_ids
            result = judge(ids, population, None)
            return result, len(result.members)

        # SQL and the candidates' facts: off the loop; a cancelled call stops waiting (reads)
        result, size = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
        return result, size, members

    async def _bring_up_to_date(self) -> None:
        """Apply pending webhook events, and refresh when older than `max_age`."""
        async with self._lock:
            if self._stale():
                await self._refresh_locked(full=False)
            elif self._pending_dirty():
                await self._update_totals(await self._apply_dirty())

    # ------------------------------------------------------------------ refresh
    async def refresh(self, *, full: bool = False) -> RefreshReport:
        """Bring the model up to date: incrementally (webhook events, then `UpdatedUtc`
        windows since each entity type's mark), or with a full scan (`full`, or while empty)."""
        async with self._lock:
            return await self._refresh_locked(full=full)

    async def _refresh_locked(self, *, full: bool) -> RefreshReport:
        started = time.perf_counter()
        before = Counter(self.mews.stats.requests)
        self._queries = Counter()
        now_mews = (await self.mews.configuration.get()).now_utc.timestamp()
        marks = self._marks()
        full = full or set(marks) != set(ENTITY_TYPES)
        if full:
            changed = await self._full_scan()
            with self.store.write() as conn:
                conn.execute(sa.delete(dirty_table))  # the scan read everything anew
        else:
            sent = self.mews.stats.total_requests
            changed = await self._apply_dirty()
            self._queries["webhook_events"] += self.mews.stats.total_requests - sent
            changed |= await self._apply_windows({e: marks[e][0] for e in ENTITY_TYPES}, now_mews)
        await self._update_totals(None if full else changed)
        self._set_marks(now_mews)
        with self.store.read() as conn:
            members = conn.execute(sa.select(sa.func.count()).select_from(customers_table))
            count = int(members.scalar_one())
        return RefreshReport(
            full=full,
            requests=dict(Counter(self.mews.stats.requests) - before),
            queries=dict(self._queries),
            members_changed=len(changed),
            members=count,
            seconds=time.perf_counter() - started,
            as_of=_moment(now_mews),
        )

    def _set_marks(self, high_water: float) -> None:
        at = self.loader.clock.now().timestamp()
        m = marks_table
        with self.store.write() as conn:
            conn.execute(sa.delete(m))
            conn.execute(
                sa.insert(m),
                [{"entity": e, "high_water": high_water, "refreshed_at": at} for e in ENTITY_TYPES],
            )

    async def _full_scan(self) -> set[str]:
        await self.loader.warm_caches()
        memberships: dict[str, list[MembershipRow]] = defaultdict(list)
        query = self.mews.loyalty_memberships.get_all().decoded_as(MembershipRows)
        step(0, None, "memberships read from Mews")
        async for membership in query:
            memberships[membership.account_id].append(membership)
        ids = list(memberships)
        seen: set[str] = set()
        for start in range(0, len(ids), BATCH_SIZE):
            step(start, len(ids), "members read from Mews")
            batch_ids = ids[start : start + BATCH_SIZE]
            held = [m for i in batch_ids for m in memberships.pop(i)]
            batch = await self._read_mews(batch_ids, held)
            await self._replace_off_loop(batch_ids, batch)
            seen.update(c.id for c in batch.customers)
        step(len(ids), len(ids), "members read from Mews")
        with self.store.write() as conn:
            held_ids = [
                r.customer_id for r in conn.execute(sa.select(customers_table.c.customer_id))
            ]
            gone = [i for i in held_ids if i not in seen]
            for part in chunks(gone, 500):
                _delete_members(conn, list(part))
            conn.execute(sa.delete(orphans_table))
            _add_orphans(conn, [i for i in ids if i not in seen])
        return seen

    async def _read_mews(
        self,
        customer_ids: list[str],
        memberships: list[MembershipRow] | None = None,
        customers: Mapping[str, CustomerRow] | None = None,
    ) -> _Batch:
        """Everything the model keeps of these customers, in batched reads (those without a
        membership are left out); `memberships` and `customers` already read are not asked
        for again."""
        batch = _Batch()
        if memberships is None:
            query = self.mews.loyalty_memberships.get_all(account_ids=customer_ids)
            memberships = [m async for m in query.decoded_as(MembershipRows)]
        batch.memberships = memberships
        members = list(dict.fromkeys(m.account_id for m in memberships))
        if not members:
            return batch
        given = customers or {}
        batch.customers = [given[i] for i in members if i in given]
        unknown = [i for i in members if i not in given]
        if unknown:
            query_c = self.mews.customers.get_all(customer_ids=unknown).decoded_as(CustomerRows)
            batch.customers.extend([c async for c in query_c])
        known = [c.id for c in batch.customers]
        if not known:
            return batch
        query_r = self.mews.reservations.get_all(account_ids=known).decoded_as(ReservationRows)
        batch.stays = [r async for r in query_r if _own(r)]
        stay_ids = {r.id for r in batch.stays}
        services = list(await self.loader.enterprise_of_service())
        if services and stay_ids:
            query_o = self.mews.product_service_orders.get_all(
                service_ids=services, account_ids=known
            ).decoded_as(ProductServiceOrderRows)
            batch.orders = [o async for o in query_o if o.linked_reservation_id in stay_ids]
        order_ids = [*stay_ids, *(o.id for o in batch.orders)]
        if order_ids:
            batch.items = [i async for i in self._items(service_order_ids=order_ids)]
        return batch

    def _items(self, **filters: Any) -> Any:
        currency = self.loader.conversion_currency
        query = (
            self.mews.order_items.get_all(currency=currency, **filters)
            if currency is not None
            else self.mews.order_items.get_all(**filters)
        )
        return query.decoded_as(OrderItemRows)

    async def _replace_off_loop(self, customer_ids: list[str], batch: _Batch) -> None:
        """`_replace` in a worker thread: a batch is thousands of rows (a cancelled refresh
        waits for its transaction to end, so none is left half written)."""
        await anyio.to_thread.run_sync(partial(self._replace, customer_ids, batch))

    def _replace(self, customer_ids: list[str], batch: _Batch) -> None:
        """These customers' rows become the batch's, in one transaction."""
        with self.store.write() as conn:
            for part in chunks(customer_ids, 500):
                _delete_members(conn, list(part))
            _insert_customers(conn, batch.customers)
            kept = {c.id for c in batch.customers}
            _insert_memberships(conn, [m for m in batch.memberships if m.account_id in kept])
            _upsert_stays(conn, [r for r in batch.stays if r.account_id in kept])
            _upsert_orders(conn, batch.orders)
            _upsert_items(conn, batch.items)

    # ------------------------------------------------------------------ totals
    async def _update_totals(self, changed: set[str] | None) -> None:
        """Derive the totals of these members anew (None: of everyone; also when the revenue
        categories or the default currency changed since they were derived)."""
        categories = await self.loader.revenue_categories()
        basis = json.dumps(
            {
                "categories": sorted(categories.items()),
                "currency": self.loader.stay_currency,
                "version": TOTALS_VERSION,
            }
        )
        with self.store.read() as conn:
            stored = conn.execute(sa.select(totals_basis_table.c.basis)).scalar_one_or_none()
        if stored != basis:
            changed = None
        elif not changed:
            return
        ids = None if changed is None else sorted(changed)
        # thousands of members' stays: off the loop, as batches of facts are
        await anyio.to_thread.run_sync(partial(self._derive_totals, ids, categories, basis))

    def _derive_totals(
        self,
        customer_ids: list[str] | None,
        categories: Mapping[str, RevenueCategory | None],
        basis: str,
    ) -> None:
        with self.store.read() as conn:
            if customer_ids is None:
                wanted = {r[0] for r in conn.execute(sa.select(customers_table.c.customer_id))}
            else:
                wanted = _held(conn, customer_ids)
            stays = _stays(conn, customer_ids, wanted)
            spend = _spend(conn, {r.id for r in stays}, categories, whole=customer_ids is None)
            memberships = _membership_rows(conn, customer_ids)
        by_guest: dict[str, list[StayFacts]] = defaultdict(list)
        for r in stays:
            by_guest[r.account_id or ""].append(self.loader.stay_facts(r, spend.get(r.id), {}))
        members: list[dict[str, Any]] = []
        stay_rows: list[dict[str, Any]] = []
        programs: list[dict[str, Any]] = []
        for customer_id in sorted(wanted):
            totals, rows = member_rows(customer_id, by_guest.get(customer_id, []))
            members.append(totals)
            stay_rows.extend(rows)
            programs.extend(program_rows(memberships.get(customer_id, [])))
        with self.store.write() as conn:
            if customer_ids is None:
                for table in _TOTALS:
                    conn.execute(sa.delete(table))
                conn.execute(sa.delete(totals_basis_table))
                conn.execute(sa.insert(totals_basis_table), [{"id": 1, "basis": basis}])
            else:
                _delete_totals(conn, customer_ids)
            for part in chunks(members, 500):
                conn.execute(sa.insert(member_totals_table), list(part))
            for part in chunks(stay_rows, 500):
                conn.execute(sa.insert(stay_totals_table), list(part))
            for part in chunks(programs, 500):
                conn.execute(sa.insert(program_members_table), list(part))

    # ------------------------------------------------------------------ incremental
    def _pending_dirty(self) -> bool:
        with self.store.read() as conn:
            return conn.execute(sa.select(dirty_table.c.kind).limit(1)).first() is not None

    async def _apply_dirty(self) -> set[str]:
        d = dirty_table
        with self.store.read() as conn:
            rows = conn.execute(sa.select(d.c.kind, d.c.entity_id)).all()
        if not rows:
            return set()
        customers = {r.entity_id for r in rows if r.kind == "customer"}
        orders = [r.entity_id for r in rows if r.kind == "service_order"]
        if orders:
            query = self.mews.reservations.get_all(reservation_ids=orders)
            found = [r async for r in query.decoded_as(ReservationRows)]
            customers.update(r.account_id for r in found if r.account_id)
            with self.store.read() as conn:  # a spa order: its stay's guest
                customers.update(_guests_of_orders(conn, set(orders) - {r.id for r in found}))
        changed = await self._reload(sorted(customers))
        with self.store.write() as conn:
            for kind, entity_ids in (("customer", customers), ("service_order", orders)):
                for part in chunks(sorted(set(entity_ids)), 500):
                    conn.execute(
                        sa.delete(d).where(d.c.kind == kind, d.c.entity_id.in_(list(part)))
                    )
        return changed

    async def _reload(self, customer_ids: list[str]) -> set[str]:
        """Re-read these customers from Mews and replace their rows (members only)."""
        changed: set[str] = set()
        for start in range(0, len(customer_ids), BATCH_SIZE):
            step(start, len(customer_ids), "changed members read again")
            part = customer_ids[start : start + BATCH_SIZE]
            batch = await self._read_mews(part)
            await self._replace_off_loop(part, batch)
            with self.store.read() as conn:
                changed.update(_held(conn, part))
            changed.update(c.id for c in batch.customers)
        return changed

    async def _apply_windows(self, marks: Mapping[str, float], now: float) -> set[str]:
        changed: set[str] = set()
        newcomers: set[str] = set()
        memberships = [
            m
            async for m in self._window(
                "memberships", marks, now, self.mews.loyalty_memberships.get_all, MembershipRows
            )
        ]
        with self.store.write() as conn:
            held = _held(conn, [m.account_id for m in memberships])
            newcomers.update(m.account_id for m in memberships if m.account_id not in held)
            _upsert_memberships(conn, [m for m in memberships if m.account_id in held])
            changed.update(m.account_id for m in memberships if m.account_id in held)
        # deleted in Mews (softly: `ActivityStates` Deleted, their `UpdatedUtc` the deletion)
        deleted = [
            m
            async for m in self._window(
                "memberships",
                marks,
                now,
                self.mews.loyalty_memberships.get_all,
                MembershipRows,
                label="deleted_memberships",
                activity_states=["Deleted"],
            )
        ]
        if deleted:
            with self.store.write() as conn:
                changed |= _drop_memberships(conn, [m.id for m in deleted])
        customers = [
            c
            async for c in self._window(
                "customers", marks, now, self.mews.customers.get_all, CustomerRows
            )
        ]
        with self.store.write() as conn:
            held = _held(conn, [c.id for c in customers])
            mine = [c for c in customers if c.id in held]
            for c in mine:
                conn.execute(
                    sa.update(customers_table)
                    .where(customers_table.c.customer_id == c.id)
                    .values(_customer_values(c))
                )
            changed.update(c.id for c in mine)
            orphans = _orphans(conn, [c.id for c in customers])
        window_customers = {c.id: c for c in customers}
        reservations = [
            r
            async for r in self._window(
                "reservations", marks, now, self.mews.reservations.get_all, ReservationRows
            )
        ]
        with self.store.write() as conn:
            held = _held(conn, [r.account_id or "" for r in reservations])
            mine_r = [r for r in reservations if _own(r) and r.account_id in held]
            kept = {r.id for r in mine_r}
            # moved to another guest or to a company, or the guest is no member: not ours
            left = [r.id for r in reservations if r.id not in kept]
            changed.update(_stay_guests(conn, left).values())
            for part in chunks(left, 500):
                conn.execute(sa.delete(stays_table).where(stays_table.c.reservation_id.in_(part)))
            _upsert_stays(conn, mine_r)
            changed.update(r.account_id or "" for r in mine_r)
        services = list(await self.loader.enterprise_of_service())
        orders = (
            [
                o
                async for o in self._window(
                    "product_orders",
                    marks,
                    now,
                    self.mews.product_service_orders.get_all,
                    ProductServiceOrderRows,
                    service_ids=services,
                )
            ]
            if services
            else []
        )
        with self.store.write() as conn:
            stays = _stay_guests(conn, [o.linked_reservation_id or "" for o in orders])
            _upsert_orders(conn, [o for o in orders if o.linked_reservation_id in stays])
            changed.update(
                stays[o.linked_reservation_id or ""]
                for o in orders
                if o.linked_reservation_id in stays
            )
        items: list[OrderItemRow] = []
        _step_entity("order_items")
        sent = self.mews.stats.total_requests
        for interval in split_interval(_moment(marks["order_items"]), _moment(now)):
            items.extend([i async for i in self._items(updated_utc=interval)])
        self._queries["order_items"] += self.mews.stats.total_requests - sent
        with self.store.write() as conn:
            guests = _order_guests(conn, [i.service_order_id or "" for i in items])
            mine_i = [i for i in items if i.service_order_id in guests]
            _upsert_items(conn, mine_i)
            changed.update(guests[i.service_order_id or ""] for i in mine_i)
        if newcomers or orphans:
            sent = self.mews.stats.total_requests
            changed |= await self._enrol(memberships, newcomers, window_customers, orphans)
            self._queries["new_members"] += self.mews.stats.total_requests - sent
        return changed

    async def _enrol(
        self,
        memberships: Sequence[MembershipRow],
        newcomers: set[str],
        window_customers: Mapping[str, CustomerRow],
        returned: set[str],
    ) -> set[str]:
        """Members new to the model: customers with a membership in the window, which is all
        they have (had they had an older one, the model would hold them), read with the rows
        the windows already brought, their customers asked for in batches; accounts Mews
        returned no customer for before are not asked for again (`member_orphans`) until their
        customer shows in a customers window (`returned`), then they are re-read whole."""
        with self.store.read() as conn:
            orphans = _orphans(conn, newcomers)
        enrolled = sorted(newcomers - orphans)
        changed: set[str] = set()
        for start in range(0, len(enrolled), BATCH_SIZE):
            part = enrolled[start : start + BATCH_SIZE]
            wanted = set(part)
            theirs = [m for m in memberships if m.account_id in wanted]
            batch = await self._read_mews(part, theirs, window_customers)
            await self._replace_off_loop(part, batch)
            found = {c.id for c in batch.customers}
            with self.store.write() as conn:
                _add_orphans(conn, [i for i in part if i not in found])
            changed |= found
        if returned:
            with self.store.write() as conn:
                for ids in chunks(sorted(returned), 500):
                    conn.execute(
                        sa.delete(orphans_table).where(orphans_table.c.customer_id.in_(list(ids)))
                    )
            changed |= await self._reload(sorted(returned))
        return changed

    async def _window(
        self,
        entity: str,
        marks: Mapping[str, float],
        now: float,
        get_all: Any,
        rows: Any,
        label: str | None = None,
        **filters: Any,
    ) -> Any:
        """The entities updated since the mark, one request (paged) per window of at most
        three months (Mews' limit on `UpdatedUtc`), counted under `label` (else `entity`)."""
        _step_entity(entity)
        sent = self.mews.stats.total_requests
        for interval in split_interval(_moment(marks[entity]), _moment(now)):
            async for item in get_all(updated_utc=interval, **filters).decoded_as(rows):
                yield item
        self._queries[label or entity] += self.mews.stats.total_requests - sent

    # ------------------------------------------------------------------ building facts
    async def _read(
        self,
        customer_ids: list[str] | None,
        program_id: str | None,
        *,
        with_stays: bool,
        with_spend: bool,
    ) -> dict[str, MemberFacts]:
        """Facts of these customers (or of every member of `program_id`, or everyone) from the
        model, with the ledger's figures."""
        look_ups = await self._look_ups(with_stays=with_stays, with_spend=with_spend)
        build = partial(self._build, customer_ids, program_id, look_ups)
        # a whole program's members (all_members) is seconds of SQL and building: off the loop
        return await anyio.to_thread.run_sync(build, abandon_on_cancel=True)

    async def _look_ups(self, *, with_stays: bool, with_spend: bool) -> _LookUps:
        loader = self.loader
        return _LookUps(
            program_codes=await loader.program_codes(),
            tier_codes=await loader.tier_codes(),
            enterprises=await loader.enterprise_of_service() if with_stays else {},
            categories=await loader.revenue_categories() if with_spend else {},
            with_stays=with_stays,
            with_spend=with_spend,
        )

    def _build(
        self, customer_ids: list[str] | None, program_id: str | None, look_ups: _LookUps
    ) -> dict[str, MemberFacts]:
        """`_read` once the configuration is at hand (no I/O but the store's)."""
        loader = self.loader
        with_stays, with_spend = look_ups.with_stays, look_ups.with_spend
        now = loader.clock.now()
        as_of = self.as_of()
        with self.store.read() as conn:
            customers = _customers(conn, customer_ids, program_id)
            wanted = set(customers)
            memberships = _memberships(conn, customer_ids, wanted)
            stays = _stays(conn, customer_ids, wanted) if with_stays else []
            spend = (
                _spend(conn, {r.id for r in stays}, look_ups.categories, whole=customer_ids is None)
                if with_stays and with_spend
                else {}
            )
        membership_facts = loader.membership_facts(
            memberships, look_ups.program_codes, look_ups.tier_codes, now
        )
        by_guest: dict[str, list[StayFacts]] = defaultdict(list)
        for r in stays:
            by_guest[r.account_id or ""].append(
                loader.stay_facts(r, spend.get(r.id), look_ups.enterprises)
            )
        # in the order Mews lists their memberships, as a scan of Mews gives them
        order = dict.fromkeys([*(m.account_id for m in memberships), *customers])
        return {
            customer_id: loader.member_facts(
                customers[customer_id],
                membership_facts.get(customer_id, ()),
                by_guest.get(customer_id, ()),
                as_of=as_of,
            )
            for customer_id in order
            if customer_id in customers
        }


@dataclass(frozen=True, slots=True)
class _LookUps:
    """The configuration building facts needs (the loader's cached Mews look-ups)."""

    program_codes: dict[str, str]
    tier_codes: dict[str, str]
    enterprises: dict[str, str]
    categories: dict[str, RevenueCategory | None]
    with_stays: bool
    with_spend: bool


async def find_segment_in(
    source: MemberSource,
    program: ProgramConfig,
    query: SegmentQuery,
    *,
    as_of: datetime,
    zone: tzinfo | None = None,
    limit: int | None = None,
) -> tuple[SegmentResult, int]:
    """The segment from wherever the members are read, and its size: the read model answers
    with SQL over its totals (`MemberStore.segment`, the first `limit` members when given); a
    scan of Mews judges every member, off the loop (and lists them all)."""
    if isinstance(source, MemberStore):
        return await source.segment(program, query, as_of=as_of, zone=zone, limit=limit)
    scan = SegmentScan(program, query, as_of=as_of, zone=zone)
    result = await _scan_segment(source, scan)
    return result, len(result.members)


async def segment_with_members(
    source: MemberSource,
    program: ProgramConfig,
    query: SegmentQuery,
    *,
    as_of: datetime,
    zone: tzinfo | None = None,
) -> tuple[SegmentResult, dict[str, MemberFacts]]:
    """The whole segment (`find_segment_in`), with its members' facts by customer id."""
    if isinstance(source, MemberStore):  # the members it judged were built: no second read
        result, _size, built = await source._segment(program, query, as_of, zone, None)
        return result, {m.customer_id: built[m.customer_id] for m in result.members}
    scan = SegmentScan(program, query, as_of=as_of, zone=zone, keep_facts=True)
    result = await _scan_segment(source, scan)
    return result, scan.members(result)


async def _scan_segment(source: MemberSource, scan: SegmentScan) -> SegmentResult:
    """The segment judged batch by batch as a scan of Mews streams the members (only what the
    segment needs is kept), or over every member another source lists."""
    program = scan.program
    # thousands of members: judged off the loop; a cancelled call stops waiting (reads only)
    if isinstance(source, MewsFactsLoader):
        async for batch in source.scan_members(program.code):
            await anyio.to_thread.run_sync(scan.add, batch, abandon_on_cancel=True)
    else:
        members = await source.all_members(program.code)
        await anyio.to_thread.run_sync(scan.add, members, abandon_on_cancel=True)
    return await anyio.to_thread.run_sync(scan.result, abandon_on_cancel=True)


# ---------------------------------------------------------------------- rows in and out
def _own(r: ReservationRow) -> bool:
    """A guest's own reservation (as the loader counts stays): not a company's."""
    return bool(r.account_id) and str(r.account_type) != "Company"


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _customer_values(c: CustomerRow) -> dict[str, Any]:
    return {
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone_on_file": bool((c.phone or "").strip()),
        "options": json.dumps(list(c.options)),
    }


def _insert_customers(conn: Connection, customers: Iterable[CustomerRow]) -> None:
    rows = [{"customer_id": c.id, **_customer_values(c)} for c in customers]
    for part in chunks(rows, 500):
        conn.execute(sa.insert(customers_table), list(part))


def _membership_values(m: MembershipRow) -> dict[str, Any]:
    return {
        "customer_id": m.account_id,
        "program_id": m.loyalty_program_id,
        "state": str(m.state),
        "tier_id": m.loyalty_tier_id,
        "is_primary": m.is_primary,
        "membership_number": m.membership_number,
        "points": m.points,
        "expiration": m.expiration,
    }


def _insert_memberships(conn: Connection, memberships: Sequence[MembershipRow]) -> None:
    base = int(time.time() * 1000) * 10_000  # keeps Mews' order within and across batches
    rows = [
        {"membership_id": m.id, "position": base + n, **_membership_values(m)}
        for n, m in enumerate(memberships)
    ]
    for part in chunks(rows, 500):
        conn.execute(sa.insert(memberships_table), list(part))


def _upsert_memberships(conn: Connection, memberships: Sequence[MembershipRow]) -> None:
    t = memberships_table
    existing = {
        row.membership_id
        for part in chunks([m.id for m in memberships], 500)
        for row in conn.execute(sa.select(t.c.membership_id).where(t.c.membership_id.in_(part)))
    }
    for m in memberships:
        if m.id in existing:
            conn.execute(
                sa.update(t).where(t.c.membership_id == m.id).values(_membership_values(m))
            )
    _insert_memberships(conn, [m for m in memberships if m.id not in existing])


def _stay_values(r: ReservationRow) -> dict[str, Any]:
    return {
        "reservation_id": r.id,
        "customer_id": r.account_id,
        "service_id": r.service_id,
        "state": str(r.state),
        "created": _seconds(r.created_utc),
        "scheduled_start": _seconds(r.scheduled_start_utc),
        "scheduled_end": _seconds(r.scheduled_end_utc),
        "actual_start": _seconds(r.actual_start_utc),
        "actual_end": _seconds(r.actual_end_utc),
    }


def _upsert(conn: Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Replace the rows with these keys (delete, then insert: the same on both databases)."""
    column = table.c[key]
    for part in chunks(rows, 500):
        conn.execute(sa.delete(table).where(column.in_([row[key] for row in part])))
        conn.execute(sa.insert(table), list(part))


def _upsert_stays(conn: Connection, stays: Sequence[ReservationRow]) -> None:
    _upsert(conn, stays_table, "reservation_id", [_stay_values(r) for r in stays])


def _upsert_orders(conn: Connection, orders: Sequence[ProductServiceOrderRow]) -> None:
    rows = [
        {"order_id": o.id, "reservation_id": o.linked_reservation_id}
        for o in orders
        if o.linked_reservation_id
    ]
    _upsert(conn, product_orders_table, "order_id", rows)


def _upsert_items(conn: Connection, items: Sequence[OrderItemRow]) -> None:
    """Items that count as spend replace theirs; the others (canceled since, a payment) go."""
    t = order_items_table
    counted: list[dict[str, Any]] = []
    for item in items:
        value = item.amount.net_value
        if value is None:
            value = item.amount.gross_value
        if value is None or not counts_as_spend(item) or not item.service_order_id:
            continue
        counted.append(
            {
                "item_id": item.id,
                "service_order_id": item.service_order_id,
                "accounting_category_id": item.accounting_category_id,
                "value_micros": int((value * _MICROS).to_integral_value(ROUND_HALF_EVEN)),
                "currency": item.amount.currency,
                "scale": min(6, max(0, -int(value.as_tuple().exponent))),
            }
        )
    for ids in chunks([i.id for i in items], 500):
        conn.execute(sa.delete(t).where(t.c.item_id.in_(ids)))
    for rows in chunks(counted, 500):
        conn.execute(sa.insert(t), list(rows))


def _delete_members(conn: Connection, customer_ids: list[str]) -> None:
    """Every row of these customers: customer, memberships, stays and what hangs on them."""
    s, o, i = stays_table, product_orders_table, order_items_table
    stay_ids = [
        row.reservation_id
        for row in conn.execute(
            sa.select(s.c.reservation_id).where(s.c.customer_id.in_(customer_ids))
        )
    ]
    for part in chunks(stay_ids, 500):
        orders = [
            row.order_id
            for row in conn.execute(sa.select(o.c.order_id).where(o.c.reservation_id.in_(part)))
        ]
        conn.execute(sa.delete(i).where(i.c.service_order_id.in_([*part, *orders])))
        conn.execute(sa.delete(o).where(o.c.reservation_id.in_(part)))
        conn.execute(sa.delete(s).where(s.c.reservation_id.in_(part)))
    conn.execute(
        sa.delete(memberships_table).where(memberships_table.c.customer_id.in_(customer_ids))
    )
    conn.execute(sa.delete(customers_table).where(customers_table.c.customer_id.in_(customer_ids)))
    _delete_totals(conn, customer_ids)


_TOTALS: Final = (member_totals_table, stay_totals_table, program_members_table)
"""What `MemberStore` derives per member (`tools.loyalty.member_totals`)."""


def _delete_totals(conn: Connection, customer_ids: list[str]) -> None:
    for part in chunks(customer_ids, 500):
        for table in _TOTALS:
            conn.execute(sa.delete(table).where(table.c.customer_id.in_(list(part))))


def _membership_rows(
    conn: Connection, customer_ids: list[str] | None
) -> dict[str, list[dict[str, Any]]]:
    """The memberships of these customers (or everyone's) as rows, by customer."""
    m = memberships_table
    query = sa.select(
        m.c.customer_id,
        m.c.membership_id,
        m.c.program_id,
        m.c.state,
        m.c.tier_id,
        m.c.is_primary,
        m.c.position,
    )
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _by_customer(conn, query, m.c.customer_id, customer_ids):
        found[row.customer_id].append(dict(row._mapping))
    return found


def _orphans(conn: Connection, customer_ids: Iterable[str]) -> set[str]:
    """Which of these accounts Mews returned no customer for (`member_orphans`)."""
    return _present(conn, orphans_table.c.customer_id, customer_ids)


def _present(conn: Connection, column: sa.Column[str], ids: Iterable[str]) -> set[str]:
    """Which of these ids the column holds (asked for in chunks of 500)."""
    wanted = sorted({i for i in ids if i})
    return {
        row[0]
        for part in chunks(wanted, 500)
        for row in conn.execute(sa.select(column).where(column.in_(part)))
    }


def _add_orphans(conn: Connection, customer_ids: Sequence[str]) -> None:
    known = _orphans(conn, customer_ids)
    rows = [{"customer_id": i} for i in dict.fromkeys(customer_ids) if i not in known]
    for part in chunks(rows, 500):
        conn.execute(sa.insert(orphans_table), list(part))


def _drop_memberships(conn: Connection, membership_ids: Sequence[str]) -> set[str]:
    """Remove these memberships; a customer left with none is no member any more and leaves
    the model. The customers that changed."""
    m = memberships_table
    owners = {
        row.customer_id
        for part in chunks(list(membership_ids), 500)
        for row in conn.execute(sa.select(m.c.customer_id).where(m.c.membership_id.in_(part)))
    }
    for part in chunks(list(membership_ids), 500):
        conn.execute(sa.delete(m).where(m.c.membership_id.in_(list(part))))
    gone = sorted(owners - _present(conn, m.c.customer_id, owners))
    for part in chunks(gone, 500):
        _delete_members(conn, list(part))
    return owners


def _held(conn: Connection, customer_ids: Iterable[str]) -> set[str]:
    """Which of these customers the model holds."""
    return _present(conn, customers_table.c.customer_id, customer_ids)


def _stay_guests(conn: Connection, reservation_ids: Iterable[str]) -> dict[str, str]:
    """Reservation id → guest, for those the model holds."""
    s = stays_table
    ids = sorted({i for i in reservation_ids if i})
    return {
        row.reservation_id: row.customer_id
        for part in chunks(ids, 500)
        for row in conn.execute(
            sa.select(s.c.reservation_id, s.c.customer_id).where(s.c.reservation_id.in_(part))
        )
    }


def _order_guests(conn: Connection, service_order_ids: Iterable[str]) -> dict[str, str]:
    """Service order id (a stay, or a product order linked to one) → guest, for those held."""
    ids = sorted({i for i in service_order_ids if i})
    guests = _stay_guests(conn, ids)
    o = product_orders_table
    links = {
        row.order_id: row.reservation_id
        for part in chunks([i for i in ids if i not in guests], 500)
        for row in conn.execute(
            sa.select(o.c.order_id, o.c.reservation_id).where(o.c.order_id.in_(part))
        )
    }
    stays = _stay_guests(conn, links.values())
    guests.update({order: stays[r] for order, r in links.items() if r in stays})
    return guests


def _guests_of_orders(conn: Connection, order_ids: Iterable[str]) -> set[str]:
    return set(_order_guests(conn, order_ids).values())


def _by_customer(
    conn: Connection,
    query: sa.Select[Any],
    column: sa.ColumnElement[str],
    customer_ids: list[str] | None,
) -> list[sa.Row[Any]]:
    """The query's rows for these customers (in chunks of 500 ids), or all of them (`None`)."""
    if customer_ids is None:
        return list(conn.execute(query))
    return [
        row
        for part in chunks(customer_ids, 500)
        for row in conn.execute(query.where(column.in_(part)))
    ]


def _customers(
    conn: Connection, customer_ids: list[str] | None, program_id: str | None
) -> dict[str, CustomerRow]:
    c, m = customers_table, memberships_table
    query = sa.select(c).order_by(c.c.customer_id)
    if program_id is not None:
        query = query.where(
            c.c.customer_id.in_(sa.select(m.c.customer_id).where(m.c.program_id == program_id))
        )
    rows = _by_customer(conn, query, c.c.customer_id, customer_ids)
    return {
        row.customer_id: CustomerRow(
            id=row.customer_id,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=_PHONE_ON_FILE if row.phone_on_file else None,
            options=tuple(json.loads(row.options)),
        )
        for row in rows
    }


def _memberships(
    conn: Connection, customer_ids: list[str] | None, wanted: set[str]
) -> list[MembershipRow]:
    m = memberships_table
    rows = _by_customer(conn, sa.select(m).order_by(m.c.position), m.c.customer_id, customer_ids)
    return [
        MembershipRow(
            id=row.membership_id,
            account_id=row.customer_id,
            loyalty_program_id=row.program_id,
            state=row.state,
            is_primary=bool(row.is_primary),
            membership_number=row.membership_number,
            points=row.points,
            expiration=row.expiration,
            loyalty_tier_id=row.tier_id,
        )
        for row in rows
        if row.customer_id in wanted
    ]


def _stays(
    conn: Connection, customer_ids: list[str] | None, wanted: set[str]
) -> list[ReservationRow]:
    s = stays_table
    rows = _by_customer(conn, sa.select(s), s.c.customer_id, customer_ids)

    def at(seconds: float | None) -> datetime | None:
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)

    return [
        ReservationRow(
            id=row.reservation_id,
            service_id=row.service_id,
            state=row.state,
            account_id=row.customer_id,
            account_type="Customer",
            created_utc=at(row.created),
            scheduled_start_utc=at(row.scheduled_start),
            actual_start_utc=at(row.actual_start),
            scheduled_end_utc=at(row.scheduled_end),
            actual_end_utc=at(row.actual_end),
        )
        for row in rows
        if row.customer_id in wanted
    ]


def _spend(
    conn: Connection,
    reservation_ids: set[str],
    categories: Mapping[str, RevenueCategory | None],
    *,
    whole: bool,
) -> dict[str, tuple[str, dict[RevenueCategory, Decimal]]]:
    """Spend per stay (currency, amount per revenue category), summed by the database: the
    stay's own items and those of the product orders linked to it. `whole`: every stay
    (one grouped query) rather than these ids (chunked)."""
    i, o = order_items_table, product_orders_table
    stay = sa.func.coalesce(o.c.reservation_id, i.c.service_order_id).label("stay")
    base = (
        sa.select(
            stay,
            i.c.accounting_category_id,
            sa.func.min(i.c.currency).label("currency"),
            sa.func.sum(i.c.value_micros).label("micros"),
            sa.func.max(i.c.scale).label("scale"),
        )
        .select_from(i.outerjoin(o, o.c.order_id == i.c.service_order_id))
        .group_by(stay, i.c.accounting_category_id)
    )
    if whole:
        rows = list(conn.execute(base))
    else:
        rows = []
        for part in chunks(sorted(reservation_ids), 400):
            orders = sa.select(o.c.order_id).where(o.c.reservation_id.in_(part))
            rows.extend(
                conn.execute(
                    base.where(
                        sa.or_(i.c.service_order_id.in_(part), i.c.service_order_id.in_(orders))
                    )
                )
            )
    totals: dict[str, dict[RevenueCategory, Decimal]] = defaultdict(dict)
    currencies: dict[str, str] = {}
    for row in rows:
        if row.stay not in reservation_ids:
            continue
        category = categories.get(row.accounting_category_id or "", "other")
        if category is None:
            continue
        bucket = totals[row.stay]
        amount = _money(int(row.micros), int(row.scale))
        bucket[category] = bucket[category] + amount if category in bucket else amount
        currencies.setdefault(row.stay, row.currency)
    return {rid: (currencies[rid], amounts) for rid, amounts in totals.items()}


def _money(micros: int, scale: int) -> Decimal:
    """Millionths as a Decimal with `scale` decimal places: the most any of the summed items
    had, as adding their Decimals gives ("322.5", not "322.50")."""
    return (Decimal(micros) / _MICROS).quantize(Decimal(1).scaleb(-scale))
