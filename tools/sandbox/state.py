"""What the sandbox stores: compact records, tables of them, and the `State` that holds them.

Records keep only what the API needs, in compact form (instants as `int` seconds, lists as
tuples, rare customer fields in `extra`), and are rendered to full Mews JSON on output by the
operation modules. Customers, loyalty programs, tiers, memberships and account notes are
`Record`s: their `created`, `updated`, `active` and `deleted` fields (hidden where Mews does not
serialize them) make the `CreatedUtc`, `UpdatedUtc` and `ActivityStates` filters work. Deletes are
soft: `active = False` and `deleted` set.

Seeded order items, bills, payments and product service orders are derived from reservations on
demand (`tools.sandbox.derive`); only the ones made through the API are stored here.

Every change marks its record dirty (`State.touch`), which is what `--state` persistence saves:
the seed parameters plus the dirty records, never the whole seeded chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass, field, fields
from typing import Generic, TypeVar

from tools.sandbox.clock import DAY
from tools.sandbox.errors import JSON
from tools.sandbox.events import EventLog
from tools.sandbox.world import World

__all__ = [
    "AccountNote",
    "Bill",
    "ChainRecord",
    "Company",
    "Customer",
    "Item",
    "LoyaltyMembership",
    "LoyaltyProgram",
    "LoyaltyTier",
    "Message",
    "MessageThread",
    "Payment",
    "ProductServiceOrder",
    "Record",
    "Reservation",
    "SeedParams",
    "ServiceOrderNote",
    "State",
    "Table",
    "Task",
    "row_from_json",
    "row_to_json",
]


@dataclass(frozen=True)
class SeedParams:
    """Everything the seeded chain is a pure function of."""

    seed: int
    customers: int
    now: int


@dataclass(slots=True)
class Record:
    """A record with an id and a lifecycle: created, last updated, and deleted softly. The
    lifecycle fields are keyword-only, so that no call confuses two instants."""

    id: str
    _: KW_ONLY
    created: int
    updated: int
    active: bool = True
    deleted: int | None = None


@dataclass(slots=True)
class ChainRecord(Record):
    """A record of the chain (not of one enterprise)."""

    chain_id: str


@dataclass(slots=True, kw_only=True)
class Customer(Record):
    number: str
    last_name: str
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    sex: str | None = None
    nationality: str | None = None
    language: str | None = None
    birth_date: str | None = None
    loyalty_code: str | None = None
    notes: str | None = None
    classifications: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    company_id: str | None = None
    address: JSON | None = None
    extra: JSON | None = None


@dataclass(slots=True)
class Company:
    id: str
    chain_id: str
    data: JSON
    created: int
    updated: int
    active: bool = True


@dataclass(slots=True)
class LoyaltyProgram(ChainRecord):
    name: str
    code: str
    type: str
    subscription: str


@dataclass(slots=True)
class LoyaltyTier(ChainRecord):
    program_id: str
    name: str
    code: str
    ordering: int


@dataclass(slots=True, kw_only=True)
class LoyaltyMembership(ChainRecord):
    account_id: str
    program_id: str
    state: str = "Enrolled"
    is_primary: bool = True
    points: int | None = None
    membership_number: str | None = None
    provider_membership_id: str | None = None
    expiration_date: str | None = None
    url: str | None = None
    tier_id: str | None = None
    creator_profile: JSON | None = None
    updater_profile: JSON | None = None


@dataclass(slots=True)
class AccountNote(ChainRecord):
    account_id: str
    account_type: str
    content: str
    classifications: tuple[str, ...]
    creator_profile: JSON | None
    updater_profile: JSON | None


# Reservation.flags: what the guest did during the stay (drives the derived order items).
BREAKFAST, PARKING, RESTAURANT, SPA, UPGRADE = 1, 2, 4, 8, 16


@dataclass(slots=True)
class Reservation:
    id: str
    idx: int
    enterprise_id: str
    service_id: str
    account_id: str
    number: str
    state: str
    origin: str
    purpose: str
    created: int
    updated: int
    start: int
    end: int
    actual_start: int | None
    actual_end: int | None
    cancelled: int | None
    cancellation_reason: str | None
    category_id: str
    resource_id: str | None
    rate_id: str
    adults: int
    children: int
    flags: int
    w0: int = 0
    w1: int = 0
    extra: JSON | None = None

    def refresh_window(self) -> None:
        """`[w0, w1]` bounds every instant of the reservation and what is derived from it."""
        self.w0 = min(self.created, self.start)
        self.w1 = max(self.end, self.actual_end or 0, self.cancelled or 0, self.updated) + DAY


@dataclass(slots=True)
class Item:
    """An order item. Derived ones have `id == ""` until rendered and `n >= 0`."""

    id: str
    n: int
    enterprise_id: str
    account_id: str
    service_id: str
    service_order_id: str | None  # None: the derived product service order `pso_slot` of `resv`
    resv: int  # index of the seeded reservation it derives from, else -1
    pso_slot: int
    accounting_category_id: str
    type: str
    revenue_type: str
    name: str
    product_id: str | None
    unit_count: int
    unit_price: int
    gross: bool
    tax_code: str
    currency: str
    created: int
    consumed: int
    state: str
    closed: int | None
    canceled: int | None
    updated: int
    bill_id: str | None  # None with `bill_from_resv`: the derived bill of `resv`
    bill_from_resv: bool
    notes: str | None
    external_identifier: str | None
    linked_reservation_id: str | None


@dataclass(slots=True)
class ProductServiceOrder:
    id: str
    n: int
    enterprise_id: str
    service_id: str
    account_id: str
    number: str
    state: str
    origin: str
    linked_reservation_id: str | None
    business_segment_id: str | None
    created: int
    updated: int
    cancelled: int | None


@dataclass(slots=True)
class Bill:
    id: str
    n: int
    enterprise_id: str
    account_id: str
    account_type: str
    name: str
    number: str | None
    state: str
    type: str
    created: int
    issued: int | None
    paid: int | None
    due: int | None
    updated: int
    notes: str | None
    associated_account_ids: tuple[str, ...]


@dataclass(slots=True)
class Payment:
    id: str
    n: int
    enterprise_id: str
    account_id: str
    bill_id: str
    reservation_id: str
    accounting_category_id: str
    amount: int
    currency: str
    type: str
    state: str
    accounting_state: str
    created: int
    charged: int
    closed: int | None
    updated: int


@dataclass(slots=True)
class Task:
    id: str
    enterprise_id: str
    name: str
    description: str | None
    state: str
    department_id: str | None
    service_order_id: str | None
    created: int
    deadline: int
    closed: int | None


@dataclass(slots=True)
class MessageThread:
    id: str
    enterprise_id: str
    client_token: str
    original_sender: str
    subject: str
    created: int
    updated: int
    resolved: bool = False


@dataclass(slots=True)
class Message:
    id: str
    enterprise_id: str
    thread_id: str
    text: str
    sender: str
    created: int


@dataclass(slots=True)
class ServiceOrderNote:
    id: str
    enterprise_id: str
    order_id: str
    text: str
    type: str
    created: int
    updated: int


R = TypeVar("R")


class Table(Generic[R]):
    """Records of one kind by id, in insertion order."""

    def __init__(self, name: str, cls: type[R]) -> None:
        self.name = name
        self.cls = cls
        self.rows: dict[str, R] = {}

    def add(self, key: str, row: R) -> R:
        self.rows[key] = row
        return row

    def get(self, key: str) -> R | None:
        return self.rows.get(key)

    def __iter__(self) -> Iterator[R]:
        return iter(self.rows.values())

    def __len__(self) -> int:
        return len(self.rows)


def row_to_json(row: object) -> JSON:
    return {f.name: getattr(row, f.name) for f in fields(row)}  # type: ignore[arg-type]


def row_from_json(cls: type[R], data: JSON) -> R:
    values: JSON = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = data.get(f.name, f.default)
        if isinstance(value, list) and str(f.type).startswith("tuple"):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


@dataclass
class State:
    """The whole simulated chain."""

    params: SeedParams
    world: World
    key: int
    customers: Table[Customer] = field(default_factory=lambda: Table("customers", Customer))
    companies: Table[Company] = field(default_factory=lambda: Table("companies", Company))
    programs: Table[LoyaltyProgram] = field(
        default_factory=lambda: Table("programs", LoyaltyProgram)
    )
    tiers: Table[LoyaltyTier] = field(default_factory=lambda: Table("tiers", LoyaltyTier))
    memberships: Table[LoyaltyMembership] = field(
        default_factory=lambda: Table("memberships", LoyaltyMembership)
    )
    account_notes: Table[AccountNote] = field(
        default_factory=lambda: Table("account_notes", AccountNote)
    )
    reservations: Table[Reservation] = field(
        default_factory=lambda: Table("reservations", Reservation)
    )
    items: Table[Item] = field(default_factory=lambda: Table("items", Item))
    product_orders: Table[ProductServiceOrder] = field(
        default_factory=lambda: Table("product_orders", ProductServiceOrder)
    )
    bills: Table[Bill] = field(default_factory=lambda: Table("bills", Bill))
    tasks: Table[Task] = field(default_factory=lambda: Table("tasks", Task))
    threads: Table[MessageThread] = field(default_factory=lambda: Table("threads", MessageThread))
    messages: Table[Message] = field(default_factory=lambda: Table("messages", Message))
    order_notes: Table[ServiceOrderNote] = field(
        default_factory=lambda: Table("order_notes", ServiceOrderNote)
    )
    by_idx: list[Reservation] = field(default_factory=list)
    res_by_account: dict[str, list[int]] = field(default_factory=dict)
    email_index: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    events: EventLog = field(default_factory=EventLog)
    dirty: set[tuple[str, str]] = field(default_factory=set)
    exclusive_primary: bool = True

    def tables(self) -> tuple[Table[object], ...]:
        return (
            self.customers,
            self.companies,
            self.programs,
            self.tiers,
            self.memberships,
            self.account_notes,
            self.reservations,
            self.items,
            self.product_orders,
            self.bills,
            self.tasks,
            self.threads,
            self.messages,
            self.order_notes,
        )  # type: ignore[return-value]

    def touch(self, table: Table[R], key: str) -> None:
        """Mark a record as changed since seeding (what persistence saves)."""
        self.dirty.add((table.name, key))

    def next_number(self, name: str, start: int) -> int:
        value = self.counters.get(name, start) + 1
        self.counters[name] = value
        return value

    # ------------------------------------------------------------------ indexes
    def index_email(self, customer: Customer) -> None:
        if customer.email and customer.active:
            self.email_index[customer.email.lower()] = customer.id

    def unindex_email(self, customer: Customer) -> None:
        if customer.email and self.email_index.get(customer.email.lower()) == customer.id:
            del self.email_index[customer.email.lower()]

    def rebuild_indexes(self) -> None:
        self.email_index.clear()
        for customer in self.customers:
            self.index_email(customer)
        self.res_by_account.clear()
        for reservation in self.by_idx:
            self.res_by_account.setdefault(reservation.account_id, []).append(reservation.idx)
