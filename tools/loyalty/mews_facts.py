"""`MewsFactsLoader`: Mews data and the ledger turned into `MemberFacts`, in batched reads only.

    loader = MewsFactsLoader(mews, store, programs, clock=SystemClock())
    facts = await loader.members([customer_id])             # {customer_id: MemberFacts}
    everyone = await loader.all_members("PC01")              # for segments and tier reviews

What one `members(ids)` call reads, whatever the number of ids (each id filter is split into
requests of 1000 ids by the client, each request paged by 1000):

- `customers/getAll` by `CustomerIds`; `loyaltyMemberships/getAll` by `AccountIds`;
- with stays: `reservations/getAll/2023-06-06` by `AccountIds` (no time filter: the 3-month
  limit applies to interval filters only, and an id filter needs none), the guests' product
  service orders (`productServiceOrders/getAll` by `AccountIds`: spa and restaurant orders,
  attributed to a stay by their `LinkedReservationId`), then `orderItems/getAll` by
  `ServiceOrderIds` (the reservation ids and those product order ids);
- once per loader (cached): `configuration/get`, `loyaltyPrograms/getAll`,
  `loyaltyTiers/getAll`, `accountingCategories/getAll` and `services/getAll` (a reservation of
  this API version names its service, not its enterprise);
- the ledger: balances, last redemptions and qualifying accruals, in chunked SQL queries.

A membership the ledger has no account for yet (`ledger_opened=False`) is presented with the
balance it will be opened with: its Mews `Points`, all available, none pending or expiring
(`opening_balance`). This is the one place that does so, so every reader (summaries, reward
recommendations, tier progress, eligibility, segments) sees the same number; the first write
posts exactly that opening entry (`ensure_account`, key `opening:{membership_id}`).

Money: order items are asked for converted to the program currency (`Currency`) when every
configured program uses the same one; spend is the net value (without tax) of items that are
not canceled, grouped by the revenue category of their accounting category's classification
(`ProgramFile.revenue_category`; taxes and payments never count).

Unknown customer ids are simply absent from the answer. Memberships of programs that the
program file does not configure are kept (with their Mews program code), since insights show
them; the rules skip them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import partial
from typing import Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio

from storage.clock import Clock
from storage.store import Store
from tools.loyalty._time import add_months
from tools.loyalty.categories import REVENUE_CATEGORIES, RevenueCategory
from tools.loyalty.config import ProgramConfig, ProgramFile
from tools.loyalty.consent import marketing_consent
from tools.loyalty.facts import (
    CHECKED_OUT,
    IN_HOUSE,
    MemberFacts,
    MembershipFacts,
    Spend,
    StayFacts,
)
from tools.loyalty.ledger_model import BalanceSummary, ExpiringPoints
from tools.loyalty.ledger_reads import accrual_events, balances, last_redemptions
from tools.loyalty.mews_rows import (
    CustomerRow,
    CustomerRows,
    MembershipRow,
    MembershipRows,
    OrderItemRow,
    OrderItemRows,
    ProductServiceOrderRows,
    ReservationRow,
    ReservationRows,
)
from tools.mews import MewsClient, MewsConfigurationError
from tools.mews.models import LoyaltyMembership, OrderItem, Reservation, TimeInterval

AnyReservation = Reservation | ReservationRow
AnyMembership = LoyaltyMembership | MembershipRow
_Spend = dict[str, tuple[str, dict[RevenueCategory, Decimal]]]
"""Spend per reservation id: its currency and the amounts per revenue category."""

__all__ = [
    "BATCH_SIZE",
    "MAX_INTERVAL_MONTHS",
    "OCCUPANCY_WINDOW_DAYS",
    "MewsFactsLoader",
    "NightDemand",
    "checked_ids",
    "counts_as_spend",
    "min_requests",
    "opening_balance",
    "split_interval",
]

BATCH_SIZE: Final = 1000
"""Ids per request: the most Mews takes in one id filter."""

OCCUPANCY_WINDOW_DAYS: Final = 45
"""Half-width of the window whose reservations estimate a hotel's room inventory."""

MAX_INTERVAL_MONTHS: Final = 3
"""The longest time interval filter Mews accepts."""

_RESERVATIONS: Final = "reservations/getAll/2023-06-06"
_CONCURRENT_BATCHES: Final = 2
T = TypeVar("T")
_log = logging.getLogger(__name__)
_OCCUPYING_STATES: Final = frozenset({"Confirmed", IN_HOUSE, CHECKED_OUT})


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


_ZERO = Decimal(0)
_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_OFF_LOOP_MEMBERS: Final = 50
"""From this many customers on, their facts are assembled in a worker thread (fewer: a thread
hand-off would cost more than the work)."""


@dataclass(frozen=True, slots=True)
class NightDemand:
    """One night's forecast occupancy (0..1): the hotel's, and each room type's by its Mews
    resource category id (`MewsFactsLoader.night_demand`)."""

    hotel: Decimal
    by_room_type: dict[str, Decimal]


@dataclass
class _Tally:
    """Rooms seen in the window and occupied on the night; unassigned stays of the night."""

    rooms: set[str] = field(default_factory=set)
    occupied: set[str] = field(default_factory=set)
    unassigned_tonight: int = 0

    def add(self, room: str | None, *, tonight: bool) -> None:
        if room:
            self.rooms.add(room)
            if tonight:
                self.occupied.add(room)
        elif tonight:
            self.unassigned_tonight += 1

    def share(self) -> Decimal:
        inventory = len(self.rooms) + self.unassigned_tonight
        if inventory == 0:
            return _ZERO
        share = Decimal(len(self.occupied) + self.unassigned_tonight) / Decimal(inventory)
        return min(Decimal(1), share).quantize(Decimal("0.0001"))


@dataclass(frozen=True, slots=True)
class _StayInputs:
    """What Mews said about some stays: the reservations, their spend, service → enterprise."""

    reservations: Sequence[AnyReservation]
    spend: _Spend
    enterprises: dict[str, str]


_NO_STAYS: Final = _StayInputs((), {}, {})


class MewsFactsLoader:
    """Builds `MemberFacts` from batched Mews reads and the ledger (see the module docstring)."""

    def __init__(self, mews: MewsClient, store: Store, programs: ProgramFile, *, clock: Clock):
        self.mews = mews
        self.store = store
        self.programs = programs
        self.clock = clock
        currencies = {program.currency for program in programs.programs.values()}
        self._currency: str | None = currencies.pop() if len(currencies) == 1 else None
        self._default_currency = next(iter(programs.programs.values())).currency
        self._chain_id: str | None = None
        self._program_codes: dict[str, str] | None = None
        self._tier_codes: dict[str, str] | None = None
        self._categories: dict[str, RevenueCategory | None] | None = None
        self._service_enterprises: dict[str, str] | None = None
        self._room_types: dict[str, str] | None = None
        self._zones: dict[str, tzinfo] = {}
        self.entities: Counter[str] = Counter()
        """Entities read per operation path (memberships, customers, stays, spend), for
        benchmarks: compare `mews.stats.requests` with ceil(entities / 1000)."""

    async def _each(self, path: str, query: AsyncIterable[T]) -> AsyncIterator[T]:
        async for item in query:
            self.entities[path] += 1
            yield item

    @property
    def conversion_currency(self) -> str | None:
        """The currency order items are asked in (`Currency`), when every program uses one."""
        return self._currency

    @property
    def stay_currency(self) -> str:
        """The currency of a stay with no spend on record."""
        return self._currency or self._default_currency

    # ------------------------------------------------------------------ cached look-ups
    def refresh_configuration(self) -> None:
        """Forget the cached programs, tiers, accounting categories and services (after a write
        changed them); the next read asks Mews again."""
        self._program_codes = None
        self._tier_codes = None
        self._categories = None
        self._service_enterprises = None
        self._room_types = None

    async def chain_id(self) -> str:
        """The chain of chain-scoped writes that name no membership (programs, tiers, notes):
        the first configured chain, else the program file's `chain_id`, else the chain of the
        token's enterprise (`configuration/get`, read once; never a portfolio's placeholder)."""
        if self._chain_id is None:
            if self.mews.chain_ids:
                self._chain_id = self.mews.chain_ids[0]
            elif self.programs.chain_id:
                self._chain_id = self.programs.chain_id
            else:
                config = await self.mews.configuration.get()
                if config.enterprise.is_portfolio:
                    raise MewsConfigurationError(
                        "a portfolio token needs the chain to work on: set MEWS_CHAIN_IDS"
                    )
                # A property outside any chain is "a chain of one" (CONNECTOR-API.md §1.5).
                self._chain_id = config.enterprise.chain_id or config.enterprise.id
        return self._chain_id

    async def program_codes(self) -> dict[str, str]:
        """Mews program id → program `Code` (`loyaltyPrograms/getAll`, read once)."""
        if self._program_codes is None:
            found = await self.mews.loyalty_programs.get_all().to_list()
            self._program_codes = self.programs.match_programs((p.id, p.code) for p in found)
        return self._program_codes

    async def program_id(self, program_code: str) -> str:
        """The Mews id of the program with this code (`ValueError` naming it otherwise)."""
        for program_id, code in (await self.program_codes()).items():
            if code == program_code:
                return program_id
        raise ValueError(f"program_code: no loyalty program with code {program_code!r} in Mews")

    async def tier_codes(self) -> dict[str, str]:
        """Mews tier id → tier `Code` of every program (`loyaltyTiers/getAll`, read once)."""
        if self._tier_codes is None:
            programs = await self.program_codes()
            found = (
                await self.mews.loyalty_tiers.get_all(loyalty_program_ids=list(programs)).to_list()
                if programs
                else []
            )
            self._tier_codes = {}
            for program_id, key in programs.items():
                tiers = [(t.id, t.code) for t in found if t.loyalty_program_id == program_id]
                if key in self.programs.programs:
                    self._tier_codes.update(self.programs.program(key).match_tiers(tiers))
                else:  # a program the file does not configure: its tiers keep their codes
                    self._tier_codes.update(tiers)
        return self._tier_codes

    async def revenue_categories(self) -> dict[str, RevenueCategory | None]:
        """Accounting category id → revenue category (None: never earns); read once."""
        if self._categories is None:
            self._categories = {
                category.id: self.programs.revenue_category(
                    None if category.classification is None else str(category.classification)
                )
                async for category in self.mews.accounting_categories.get_all()
            }
        return self._categories

    async def time_zone(self, enterprise_id: str | None) -> tzinfo:
        """The hotel's time zone (`configuration/get` `TimeZoneIdentifier`, read once per
        hotel); UTC when Mews names none or one this machine does not know."""
        key = enterprise_id or ""
        if key not in self._zones:
            config = await self.mews.configuration.get(enterprise_id=enterprise_id or None)
            name = config.enterprise.time_zone_identifier
            try:
                self._zones[key] = ZoneInfo(name) if name else UTC
            except (ZoneInfoNotFoundError, ValueError):
                _log.warning("unknown time zone %r of enterprise %s: using UTC", name, key)
                self._zones[key] = UTC
        return self._zones[key]

    async def qualification_zone(self, program: ProgramConfig) -> tzinfo:
        """The zone whose midnights start a program's qualification year: the program file's
        `qualification.time_zone`, else the time zone of the token's hotel in Mews."""
        return program.qualification.zone() or await self.time_zone(None)

    async def enterprise_of_service(self) -> dict[str, str]:
        if self._service_enterprises is None:
            self._service_enterprises = {
                service.id: service.enterprise_id or ""
                async for service in self.mews.services.get_all()
            }
        return self._service_enterprises

    async def room_types(self) -> dict[str, str]:
        """Mews resource category id -> its name (English, else the first given), of every
        service of the token (`resourceCategories/getAll`, read once)."""
        if self._room_types is None:
            services = sorted(await self.enterprise_of_service())
            self._room_types = {}
            for start in range(0, len(services), BATCH_SIZE):
                query = self.mews.resource_categories.get_all(
                    service_ids=services[start : start + BATCH_SIZE]
                )
                async for category in query:
                    names = category.names
                    self._room_types[category.id] = (
                        names.get("en-US") or next(iter(names.values()), "") or category.id
                    )
        return self._room_types

    # ------------------------------------------------------------------ members
    async def members(
        self, customer_ids: Sequence[str], *, with_stays: bool = True, with_spend: bool = True
    ) -> dict[str, MemberFacts]:
        """Facts of these customers (unknown ids are absent), in batched reads only.

        `with_spend=False` skips the stays' order items (their spend reads as zero): the
        cheap read for rules that do not weigh money, or for a burst of events."""
        ids = checked_ids(customer_ids)
        if not ids:
            return {}
        memberships: dict[str, list[AnyMembership]] = defaultdict(list)
        query = self.mews.loyalty_memberships.get_all(account_ids=ids).decoded_as(MembershipRows)
        async for membership in self._each("loyaltyMemberships/getAll", query):
            memberships[membership.account_id].append(membership)
        return await self._facts(ids, memberships, with_stays=with_stays, with_spend=with_spend)

    async def all_members(self, program_code: str | None = None) -> list[MemberFacts]:
        """Every customer with a membership (in `program_code`, when given), with stays, in
        one list (see `scan_members`, which streams them batch by batch)."""
        return [member async for batch in self.scan_members(program_code) for member in batch]

    async def scan_members(
        self, program_code: str | None = None
    ) -> AsyncIterator[list[MemberFacts]]:
        """Every customer with a membership (in `program_code`, when given), with stays, in
        batches of at most 1000 members, as they are loaded.

        All memberships are read once (paged, slim), then the members' data in batches of 1000
        customers, two batches at a time (one parses while the other waits on Mews; the
        client's rate limiter still paces them); never one call per member. Only the batches
        in flight are held, so a scan's memory does not grow with the chain. Members keep all
        their memberships, in the order Mews listed them.
        """
        memberships = await self._memberships_by_account(program_code)
        if not memberships:
            return
        await self.warm_caches()
        ids = list(memberships)
        batches = [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]

        async def load(batch: list[str]) -> list[MemberFacts]:
            held = {i: memberships.pop(i) for i in batch}  # released once loaded
            facts = await self._facts(batch, held, with_stays=True)
            return [facts[i] for i in batch if i in facts]

        in_flight: deque[asyncio.Task[list[MemberFacts]]] = deque()
        try:
            for batch in batches:
                in_flight.append(asyncio.create_task(load(batch)))
                if len(in_flight) >= _CONCURRENT_BATCHES:
                    yield await in_flight.popleft()
            while in_flight:
                yield await in_flight.popleft()
        finally:
            for task in in_flight:  # the consumer stopped early (or a batch failed)
                task.cancel()

    async def _memberships_by_account(
        self, program_code: str | None
    ) -> dict[str, list[AnyMembership]]:
        """Every membership (slim), grouped by customer, keeping only the customers with one
        in `program_code` (when given)."""
        wanted: str | None = None
        if program_code is not None:
            wanted = await self.program_id(program_code)
        memberships: dict[str, list[AnyMembership]] = defaultdict(list)
        query = self.mews.loyalty_memberships.get_all().decoded_as(MembershipRows)
        async for membership in self._each("loyaltyMemberships/getAll", query):
            memberships[membership.account_id].append(membership)
        if wanted is None:
            return memberships
        return {
            account_id: held
            for account_id, held in memberships.items()
            if any(m.loyalty_program_id == wanted for m in held)
        }

    async def warm_caches(self) -> None:
        """Read the once-per-loader look-ups before batches run side by side."""
        await self.program_codes()
        await self.tier_codes()
        await self.revenue_categories()
        await self.enterprise_of_service()

    async def _facts(
        self,
        ids: list[str],
        memberships: dict[str, list[AnyMembership]],
        *,
        with_stays: bool,
        with_spend: bool = True,
    ) -> dict[str, MemberFacts]:
        now = self.clock.now()
        query = self.mews.customers.get_all(customer_ids=ids).decoded_as(CustomerRows)
        customers = {c.id: c async for c in self._each("customers/getAll", query)}
        program_codes = await self.program_codes()
        tier_codes = await self.tier_codes() if memberships else {}
        stays = _NO_STAYS
        if with_stays and customers:
            by_guest = self.mews.reservations.get_all(account_ids=list(customers))
            reservations = [
                r async for r in self._each(_RESERVATIONS, by_guest.decoded_as(ReservationRows))
            ]
            stays = await self._stay_inputs(
                reservations, all_of_their_guests=True, with_spend=with_spend
            )
        held = [m for group in memberships.values() for m in group if m.account_id in customers]
        assemble = partial(
            self._assemble, ids, customers, held, stays, program_codes, tier_codes, now
        )
        if len(customers) < _OFF_LOOP_MEMBERS:
            return assemble()
        # a batch of up to 1000 members: the ledger reads and the facts (hundreds of ms of CPU)
        # are built in a worker thread, so the server keeps answering other sessions meanwhile
        return await anyio.to_thread.run_sync(assemble)

    def _assemble(
        self,
        ids: list[str],
        customers: dict[str, CustomerRow],
        memberships: list[AnyMembership],
        stay_inputs: _StayInputs,
        program_codes: dict[str, str],
        tier_codes: dict[str, str],
        now: datetime,
    ) -> dict[str, MemberFacts]:
        """The facts of `ids` from what was read of Mews, with the ledger's figures (no I/O but
        the store's, so it may run in a worker thread)."""
        stays: dict[str, list[StayFacts]] = defaultdict(list)
        for stay in self._stays(stay_inputs):
            stays[stay.customer_id].append(stay)
        membership_facts = self.membership_facts(memberships, program_codes, tier_codes, now)
        result: dict[str, MemberFacts] = {}
        for customer_id in ids:
            customer = customers.get(customer_id)
            if customer is None:
                continue
            result[customer_id] = self.member_facts(
                customer, membership_facts.get(customer_id, ()), stays.get(customer_id, ())
            )
        return result

    def member_facts(
        self,
        customer: CustomerRow,
        memberships: Iterable[MembershipFacts],
        stays: Iterable[StayFacts],
        *,
        as_of: datetime | None = None,
    ) -> MemberFacts:
        """A customer's facts from their row, memberships and stays (also the read model's,
        which passes the time they are current to)."""
        name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        return MemberFacts(
            customer_id=customer.id,
            display_name=name or customer.last_name,
            email_present=bool(customer.email),
            consent=marketing_consent(
                customer.options,
                email=customer.email,
                phone=customer.phone,
                config=self.programs.consent,
            ),
            memberships=tuple(memberships),
            stays=tuple(sorted(stays, key=lambda s: s.arrival)),
            as_of=as_of,
        )

    def membership_facts(
        self,
        memberships: Sequence[AnyMembership],
        program_codes: dict[str, str],
        tier_codes: dict[str, str],
        now: datetime,
    ) -> dict[str, list[MembershipFacts]]:
        """Memberships with their ledger figures (balances, last redemptions, qualifying
        accruals: chunked SQL, never Mews), by customer."""
        ids = [m.id for m in memberships]
        window = max(
            (p.qualification.lookback_months() for p in self.programs.programs.values()), default=12
        )
        with self.store.read() as conn:
            summaries = balances(conn, ids, now=now)
            redeemed = last_redemptions(conn, ids)
            accruals = accrual_events(conn, ids, since=add_months(now, -window))
        result: dict[str, list[MembershipFacts]] = defaultdict(list)
        for m in memberships:
            summary = summaries.get(m.id)
            result[m.account_id].append(
                MembershipFacts(
                    membership_id=m.id,
                    program_id=m.loyalty_program_id,
                    program_code=program_codes.get(m.loyalty_program_id, m.loyalty_program_id),
                    state=str(m.state),
                    tier_code=None
                    if m.loyalty_tier_id is None
                    else tier_codes.get(m.loyalty_tier_id),
                    is_primary=m.is_primary,
                    membership_number=m.membership_number,
                    mews_points=m.points,
                    expiration=m.expiration_date,
                    balance=summary or opening_balance(m.id, m.points, now),
                    ledger_opened=summary is not None,
                    last_redemption_at=redeemed.get(m.id),
                    accruals=accruals.get(m.id, ()),
                )
            )
        return result

    # ------------------------------------------------------------------ stays
    async def reservations(self, reservation_ids: Sequence[str]) -> list[Reservation]:
        """These reservations (`ReservationIds`, 1000 per request); unknown ids are absent."""
        ids = checked_ids(reservation_ids, field="reservation_ids")
        if not ids:
            return []
        query = self.mews.reservations.get_all(reservation_ids=ids)
        return [r async for r in self._each(_RESERVATIONS, query)]

    async def stays(
        self,
        reservations: Sequence[AnyReservation],
        *,
        all_of_their_guests: bool = False,
        with_spend: bool = True,
    ) -> list[StayFacts]:
        """Stay facts of customer reservations, with their spend (order items, batched).

        `all_of_their_guests`: these are every reservation of their guests, so the linked
        product orders are asked for by guest (`AccountIds`: fewer ids than reservations)
        rather than by reservation (`LinkedReservationIds`). `with_spend=False`: no order
        items are read and every stay's spend is zero.
        """
        inputs = await self._stay_inputs(
            reservations, all_of_their_guests=all_of_their_guests, with_spend=with_spend
        )
        return self._stays(inputs)

    async def _stay_inputs(
        self,
        reservations: Sequence[AnyReservation],
        *,
        all_of_their_guests: bool,
        with_spend: bool,
    ) -> _StayInputs:
        """What `_stays` needs, read from Mews: the guests' own reservations, their spend and
        the enterprise of each service."""
        own = [r for r in reservations if r.account_id and str(r.account_type) != "Company"]
        if not own:
            return _NO_STAYS
        categories = await self.revenue_categories()
        enterprises = await self.enterprise_of_service()
        by_guest = sorted({r.account_id or "" for r in own}) if all_of_their_guests else None
        spend = await self._spend([r.id for r in own], categories, by_guest) if with_spend else {}
        return _StayInputs(own, spend, enterprises)

    def _stays(self, inputs: _StayInputs) -> list[StayFacts]:
        return [
            self.stay_facts(r, inputs.spend.get(r.id), inputs.enterprises)
            for r in inputs.reservations
        ]

    async def _spend(
        self,
        reservation_ids: list[str],
        categories: dict[str, RevenueCategory | None],
        account_ids: list[str] | None,
    ) -> _Spend:
        """Spend per reservation: its own order items and those of the product service orders
        (spa, restaurant) linked to it."""
        owner = {rid: rid for rid in reservation_ids}
        services = list(await self.enterprise_of_service())
        if services:
            orders = (
                self.mews.product_service_orders.get_all(
                    service_ids=services, account_ids=account_ids
                )
                if account_ids is not None
                else self.mews.product_service_orders.get_all(
                    service_ids=services, linked_reservation_ids=reservation_ids
                )
            )
            slim_orders = orders.decoded_as(ProductServiceOrderRows)
            async for order in self._each("productServiceOrders/getAll", slim_orders):
                if order.linked_reservation_id in owner:
                    owner[order.id] = order.linked_reservation_id
        totals: dict[str, dict[RevenueCategory, Decimal]] = defaultdict(dict)
        currencies: dict[str, str] = {}
        order_ids = list(owner)
        query = (
            self.mews.order_items.get_all(service_order_ids=order_ids, currency=self._currency)
            if self._currency is not None
            else self.mews.order_items.get_all(service_order_ids=order_ids)
        )
        async for item in self._each("orderItems/getAll", query.decoded_as(OrderItemRows)):
            reservation_id = owner.get(item.service_order_id or "")
            if reservation_id is None or not counts_as_spend(item):
                continue
            category = categories.get(item.accounting_category_id or "", "other")
            value = item.amount.net_value
            if value is None:
                value = item.amount.gross_value
            if category is None or value is None:
                continue
            bucket = totals[reservation_id]
            bucket[category] = bucket.get(category, _ZERO) + value
            currencies.setdefault(reservation_id, item.amount.currency)
        return {
            rid: (currencies.get(rid, self._default_currency), amounts)
            for rid, amounts in totals.items()
        }

    def stay_facts(
        self,
        r: AnyReservation,
        spend: tuple[str, dict[RevenueCategory, Decimal]] | None,
        enterprises: dict[str, str],
    ) -> StayFacts:
        """One reservation as a stay, with its spend (currency, amount per revenue category)."""
        start = r.scheduled_start_utc or r.actual_start_utc or r.created_utc
        end = r.scheduled_end_utc or r.actual_end_utc or start
        if start is None or end is None:
            raise ValueError(f"reservation {r.id}: Mews sent no scheduled start or end")
        currency, amounts = spend or (self.stay_currency, {})
        return StayFacts(
            reservation_id=r.id,
            enterprise_id=enterprises.get(r.service_id, ""),
            customer_id=r.account_id or "",
            state=str(r.state),
            scheduled_start=start,
            scheduled_end=end,
            actual_start=r.actual_start_utc,
            actual_end=r.actual_end_utc,
            nights=max(0, (end.date() - start.date()).days),
            spend=Spend.of({c: amounts.get(c, _ZERO) for c in REVENUE_CATEGORIES}),
            currency=currency,
            canceled=str(r.state) == "Canceled",
        )

    # ------------------------------------------------------------------ demand
    async def occupancy(self, day: date, enterprise_id: str | None = None) -> Decimal:
        """The share (0..1) of rooms occupied on the night of `day`, from reservations.

        An approximation, because the Connector API operations we use do not count rooms: the
        room inventory is taken to be the rooms (`AssignedResourceId`) that any reservation
        used within ±45 days of `day` (`CollidingUtc` windows of at most three months each,
        Mews' limit, so two requests where those 90 days exceed three calendar months), and
        the night is occupied by the Confirmed, in-house and checked-out reservations whose
        stay covers it, in dates of the hotel's own time zone (`time_zone`: a guest arriving
        at 01:00 UTC in Honolulu arrives the day before there). A room never booked
        in that window is not counted, so quiet hotels read somewhat fuller than they are.
        Reservations without an assigned room count against the inventory, too. Returns 0 when
        no room was used at all. `enterprise_id` narrows to one hotel (portfolio tokens).
        """
        return (await self.night_demand(day, enterprise_id)).hotel

    async def night_demand(self, day: date, enterprise_id: str | None = None) -> NightDemand:
        """`occupancy` of the night, and the same share per room type from the same reads:
        a room type's inventory is the rooms its reservations (`RequestedResourceCategoryId`)
        used within ±45 days (a room upgraded into counts for the type booked), its occupied
        rooms those of its reservations covering the night. The contract has no room count
        or availability per room type (`resourceCategories/getAll` gives `Capacity` in
        persons; `resources/getAll` is not in it), so this is the same approximation as the
        hotel's."""
        zone = await self.time_zone(enterprise_id)
        services = await self.enterprise_of_service()
        window_start = _local_midnight(day - timedelta(days=OCCUPANCY_WINDOW_DAYS), zone)
        window_end = _local_midnight(day + timedelta(days=OCCUPANCY_WINDOW_DAYS), zone)
        hotel = _Tally()
        by_type: dict[str, _Tally] = defaultdict(_Tally)
        seen: set[str] = set()
        async for r in self._colliding(window_start, window_end, enterprise_id):
            if r.id in seen or str(r.state) not in _OCCUPYING_STATES:
                continue
            seen.add(r.id)
            tallies = [hotel]
            if r.requested_resource_category_id:
                tallies.append(by_type[r.requested_resource_category_id])
            start, end = r.scheduled_start_utc, r.scheduled_end_utc
            where = services.get(r.service_id) or enterprise_id
            local = zone if where == enterprise_id else await self.time_zone(where)
            tonight = (
                start is not None
                and end is not None
                and start.astimezone(local).date() <= day < end.astimezone(local).date()
            )
            for tally in tallies:
                tally.add(r.assigned_resource_id, tonight=tonight)
        return NightDemand(
            hotel=hotel.share(), by_room_type={k: t.share() for k, t in by_type.items()}
        )

    async def _colliding(
        self, start: datetime, end: datetime, enterprise_id: str | None
    ) -> AsyncIterator[Reservation]:
        """Reservations colliding with [start, end], one request (paged) per interval of at
        most `MAX_INTERVAL_MONTHS`; a reservation spanning two intervals comes twice."""
        for interval in split_interval(start, end):
            query = (
                self.mews.reservations.get_all(
                    colliding_utc=interval, enterprise_ids=[enterprise_id]
                )
                if enterprise_id is not None
                else self.mews.reservations.get_all(colliding_utc=interval)
            )
            async for reservation in query:
                yield reservation


def opening_balance(
    membership_id: str, mews_points: int | None, now: datetime
) -> BalanceSummary | None:
    """The balance an unopened membership will open with: its Mews points, available at once
    (None without points). Negative Mews points open as points owed."""
    if not mews_points:
        return None
    return BalanceSummary(
        membership_id=membership_id,
        as_of=now,
        total=mews_points,
        available=max(mews_points, 0),
        pending=0,
        pending_release=(),
        expired_awaiting_sweep=0,
        owed=max(-mews_points, 0),
        expiring_30_days=ExpiringPoints(30, 0, ()),
        expiring_90_days=ExpiringPoints(90, 0, ()),
    )


def split_interval(start: datetime, end: datetime) -> list[TimeInterval]:
    """[start, end] as consecutive intervals of at most `MAX_INTERVAL_MONTHS` months each (the
    longest `CollidingUtc` Mews takes; a month later is the same day, clamped to month end)."""
    if end < start:
        raise ValueError(f"interval: end {end.isoformat()} is before start {start.isoformat()}")
    intervals: list[TimeInterval] = []
    while True:
        stop = min(end, add_months(start, MAX_INTERVAL_MONTHS))
        intervals.append(TimeInterval(start_utc=start, end_utc=stop))
        if stop >= end:
            return intervals
        start = stop


def counts_as_spend(item: OrderItem | OrderItemRow) -> bool:
    """Spend that earns: neither canceled (alone or with its reservation) nor a payment."""
    if item.canceled_utc is not None or str(item.accounting_state) == "Canceled":
        return False
    return not (item.options is not None and item.options.canceled_with_reservation)


def checked_ids(ids: Iterable[str], *, field: str = "customer_ids") -> list[str]:
    if isinstance(ids, str):
        raise ValueError(f"{field}: expected a list of ids, got one string")
    unique: list[str] = []
    for value in ids:
        if not isinstance(value, str) or not _GUID.fullmatch(value.strip()):
            raise ValueError(f"{field}: every id must be a Mews GUID, got {repr(value)[:60]}")
        unique.append(value.strip())
    return list(dict.fromkeys(unique))


def min_requests(entities: int) -> int:
    """The fewest page requests that can return `entities` items (at least one)."""
    return max(1, math.ceil(entities / BATCH_SIZE))
