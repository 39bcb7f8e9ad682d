"""Properties of the ledger under random sequences of operations (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from storage.outbox import list_commands
from tests.loyalty.builders import MEMBERSHIP, T0, migrated_store, open_account, post, reverse
from tools.loyalty import (
    LedgerEntry,
    Source,
    balance,
    default_program_path,
    get_entry,
    history,
    ledger_lock_key,
    load_program_file,
    post_entry,
)
from tools.loyalty.errors import (
    AlreadyReversedError,
    EntryNotReversibleError,
    InsufficientPointsError,
)
from tools.loyalty.ledger import expire_due
from tools.loyalty.ledger_reads import allocations, verify_account
from tools.loyalty.ledger_schema import entries_table

PC01 = load_program_file(default_program_path()).program("PC01")
LOCK = ledger_lock_key(MEMBERSHIP)
DAY = timedelta(days=1)
SETTINGS = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class LedgerMachine(RuleBasedStateMachine):
    """Random accruals, redemptions, adjustments, reversals, expiry and repeated keys."""

    entries = Bundle("entries")

    def __init__(self) -> None:
        super().__init__()
        self.store = migrated_store()
        self.now = T0
        self.calls: dict[int, dict[str, Any]] = {}
        self.counter = 0
        with self.store.write(LOCK) as conn:
            open_account(conn, PC01, mews_points=0)

    def teardown(self) -> None:
        self.store.dispose()

    def _post(self, kind: str, points: int, **extra: Any) -> LedgerEntry | None:
        self.counter += 1
        arguments = {
            "membership_id": MEMBERSHIP,
            "kind": kind,
            "points": points,
            "reason": f"{kind} {self.counter}",
            "actor": "property",
            "source": Source("reward", "spa-credit") if kind == "redemption" else Source("manual"),
            "idempotency_key": f"k{self.counter}",
            "program": PC01,
            **extra,
        }
        try:
            with self.store.write(LOCK) as conn:
                entry = post_entry(conn, now=self.now, **arguments)
        except InsufficientPointsError as refused:
            refusal = refused
        else:
            self.calls[entry.id] = arguments
            return entry
        assert refusal.requested > refusal.available
        return None

    @rule(target=entries, points=st.integers(1, 500), pending_days=st.sampled_from([0, 0, 3, 40]))
    def accrue(self, points: int, pending_days: int) -> Any:
        pending = self.now + pending_days * DAY if pending_days else None
        entry = self._post("accrual", points, pending_until=pending)
        return entry.id if entry else multiple()

    @rule(target=entries, points=st.integers(1, 900))
    def redeem(self, points: int) -> Any:
        with self.store.read() as conn:
            before = balance(conn, MEMBERSHIP, now=self.now)
        entry = self._post("redemption", -points)
        if entry is None:
            assert points > before.available
            return multiple()
        self._check_fifo(entry)
        return entry.id

    @rule(target=entries, points=st.integers(-900, 900).filter(bool), negative_ok=st.booleans())
    def adjust(self, points: int, negative_ok: bool) -> Any:
        entry = self._post("adjustment", points, allow_negative=negative_ok)
        return entry.id if entry else multiple()

    @rule(entry_id=entries, negative_ok=st.booleans())
    def reverse_one(self, entry_id: int, negative_ok: bool) -> None:
        with self.store.read() as conn:
            original = get_entry(conn, MEMBERSHIP, entry_id)
            owed_before = balance(conn, MEMBERSHIP, now=self.now).owed
            taken = allocations(conn, entry_id)
            lots_before = {a.lot_entry_id: _remaining(conn, a.lot_entry_id) for a in taken}
        try:
            with self.store.write(LOCK) as conn:
                reversal = reverse(conn, entry_id, now=self.now, allow_negative=negative_ok)
        except (AlreadyReversedError, EntryNotReversibleError, InsufficientPointsError):
            return
        if original.reversed_by_entry_id is not None:  # the same call again: a replay
            assert reversal.id == original.reversed_by_entry_id
            return
        if original.is_lot or owed_before:
            return
        # A debit reversed while nothing is owed gives back exactly what it took, lot by lot.
        assert reversal.points == -original.points
        with self.store.read() as conn:
            restored: dict[int, int] = {}
            for allocation in taken:
                restored[allocation.lot_entry_id] = (
                    restored.get(allocation.lot_entry_id, 0) + allocation.points
                )
            for lot_id, points in restored.items():
                assert _remaining(conn, lot_id) == lots_before[lot_id] + points

    @rule(entry_id=entries)
    def repeat_the_same_call(self, entry_id: int) -> None:
        arguments = self.calls.get(entry_id)
        if arguments is None:
            return
        with self.store.write(LOCK) as conn:
            count = len(history(conn, MEMBERSHIP, limit=500).entries)
            again = post_entry(conn, now=self.now + DAY, **arguments)
            assert again.id == entry_id
            assert len(history(conn, MEMBERSHIP, limit=500).entries) == count

    @rule(days=st.integers(1, 400))
    def time_passes(self, days: int) -> None:
        self.now += days * DAY

    @precondition(lambda self: self.now > T0)
    @rule()
    def expire(self) -> None:
        with self.store.write(LOCK) as conn:
            expire_due(conn, membership_id=MEMBERSHIP, now=self.now)
            assert expire_due(conn, membership_id=MEMBERSHIP, now=self.now) == ()
            assert balance(conn, MEMBERSHIP, now=self.now).expired_awaiting_sweep == 0

    def _check_fifo(self, redemption: LedgerEntry) -> None:
        """Every available lot expiring before the last one this redemption used is now empty."""
        with self.store.read() as conn:
            used = allocations(conn, redemption.id)
            last = get_entry(conn, MEMBERSHIP, used[-1].lot_entry_id)
            for entry in _lots(conn):
                available = entry.available_at <= self.now and not _expired(entry, self.now)
                if available and _expires_before(entry, last):
                    assert entry.remaining == 0, (entry, last)

    @invariant()
    def balance_is_the_sum_of_entries_and_no_lot_is_negative(self) -> None:
        with self.store.read() as conn:
            assert verify_account(conn, MEMBERSHIP) == ()
            total = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(entries_table.c.points), 0))
            ).scalar_one()
            summary = balance(conn, MEMBERSHIP, now=self.now)
            negative = conn.execute(
                sa.select(sa.func.count()).where(entries_table.c.remaining < 0)
            ).scalar_one()
        assert summary.total == total
        assert negative == 0
        assert summary.available >= 0
        parts = summary.available + summary.pending + summary.expired_awaiting_sweep
        assert parts - summary.owed == summary.total
        pushes = list_commands(self.store)
        if pushes:
            assert pushes[-1].payload["Points"] == total

    @invariant()
    def each_key_posted_at_most_once(self) -> None:
        with self.store.read() as conn:
            keys = conn.execute(sa.select(entries_table.c.idempotency_key)).scalars().all()
        assert len(keys) == len(set(keys))


def _remaining(conn: Any, entry_id: int) -> int:
    remaining = get_entry(conn, MEMBERSHIP, entry_id).remaining
    assert remaining is not None
    return remaining


def _lots(conn: Any) -> list[LedgerEntry]:
    return [e for e in history(conn, MEMBERSHIP, limit=500).entries if e.is_lot]


def _expired(entry: LedgerEntry, now: datetime) -> bool:
    return entry.expires_at is not None and entry.expires_at <= now


def _expires_before(entry: LedgerEntry, other: LedgerEntry) -> bool:
    if entry.expires_at is None:
        return False
    return other.expires_at is None or entry.expires_at < other.expires_at


LedgerMachine.TestCase.settings = SETTINGS
test_ledger_invariants_hold_under_random_operations = LedgerMachine.TestCase


@SETTINGS
@given(
    lots=st.lists(st.tuples(st.integers(1, 300), st.integers(0, 700)), min_size=1, max_size=8),
    spend=st.integers(1, 2000),
)
def test_redemptions_consume_lots_in_expiry_order_and_reversal_restores_them(
    lots: list[tuple[int, int]], spend: int
) -> None:
    store = migrated_store()
    now = T0 + 800 * DAY
    # Each lot keeps the expiry it was earned with (no activity rule), so their order is known.
    program = PC01.model_copy(update={"expiry_extends_on_activity": False})
    try:
        with store.write(LOCK) as conn:
            open_account(conn, program)
            posted = [
                post(conn, program, points, key=f"lot-{index}", now=T0 + offset * DAY)
                for index, (points, offset) in enumerate(lots)
            ]
        before = {lot.id: lot.points for lot in posted}
        fifo = sorted(posted, key=lambda lot: (lot.expires_at, lot.id))
        amount = min(spend, sum(before.values()))
        with store.write(LOCK) as conn:
            redemption = post(conn, program, -amount, key="spend", now=T0 + 701 * DAY)
            used = [a.lot_entry_id for a in allocations(conn, redemption.id)]
            assert used == [lot.id for lot in fifo[: len(used)]]
            assert sum(a.points for a in allocations(conn, redemption.id)) == amount
            reverse(conn, redemption.id, now=now)
            assert {lot.id: _remaining(conn, lot.id) for lot in posted} == before
    finally:
        store.dispose()
