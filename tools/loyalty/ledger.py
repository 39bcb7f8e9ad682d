"""The points ledger: the movements of points that Mews cannot keep (it stores one `Points` number).

Every function takes an open connection from `store.write(ledger_lock_key(membership_id))` and
never begins or commits a transaction itself: the policy layer runs its caps, approvals and audit
in the same transaction. Time is always passed in (`now`). After each posted entry the new balance
is queued for Mews (`loyaltyMemberships/update`) in the same transaction, through the outbox.

Rules, decided here once:
- Lots are opening balances, accruals and positive adjustments. A lot becomes available at
  `pending_until` (stay points with a pending period) or at once, and expires
  `program.expiry_months` after it became available (or never), so a pending period never eats
  into the validity of points. With the program's `expiry_extends_on_activity`, an accrual or
  a redemption (the member's activity) moves every open lot's expiry to `expiry_months` from
  that moment when it was sooner (as chains count 24 months without activity).
- Debits take points from lots soonest-expiring first (`_lots`), recording an allocation per lot.
  Redemptions spend available points only; negative adjustments and reversals (corrections) also
  claw back pending points once the available ones are used up. If the lots do not cover a
  debit, it is refused with `InsufficientPointsError` unless the caller passed
  `allow_negative=True`; then the rest is recorded as the debit's `shortfall` (the balance goes
  negative) and the next points to arrive settle it, oldest debt first.
- Reversing a debit restores exactly the lots it took from (with their original expiry: points
  restored to a lot already past expiry leave again at the next `expire_due`) and cancels its
  remaining shortfall.
- Reversing a lot takes back what the member got from it: what is left of the lot, plus the part
  already spent, taken from the member's other lots like any correction. The part that expired
  is not taken again (the expiry entry already removed it); a fully expired lot is not
  reversible. If the member's points do not cover the spent part, the reversal is refused unless
  `allow_negative=True`.
- Expiry entries and reversals cannot be reversed (reinstate points with a positive adjustment).
- One idempotency key posts at most one entry, ever: repeating a call returns the original entry;
  the same key with other arguments raises `IdempotencyConflictError`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, TypedDict, Unpack

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from storage.clock import naive_utc, utc
from storage.outbox import enqueue
from tools.loyalty import _ledger_sql as sql
from tools.loyalty._lots import (
    OpenLot,
    Take,
    available_and_pending,
    plan_debit,
    plan_settlement,
)
from tools.loyalty.compare import FOLLOWING_MEWS, record_opening
from tools.loyalty.config import ProgramConfig
from tools.loyalty.errors import (
    AccountMismatchError,
    AlreadyReversedError,
    ConcurrentUpdateError,
    EntryNotReversibleError,
    IdempotencyConflictError,
    InsufficientPointsError,
    InvalidEntryError,
)
from tools.loyalty.ledger_model import (
    SOURCE_TYPES,
    Account,
    EntryKind,
    LedgerEntry,
    PostableKind,
    Source,
)
from tools.loyalty.ledger_schema import accounts_table, entries_table

__all__ = [
    "ACTIVITY_KINDS",
    "MAX_ENTRY_POINTS",
    "MEWS_PUSH_KIND",
    "EntryArgs",
    "ensure_account",
    "expire_due",
    "ledger_lock_key",
    "points_coalesce_key",
    "post_entry",
    "post_entry_available",
    "push_payload",
    "reverse_entry",
    "reward_inventory_lock_key",
]

MAX_ENTRY_POINTS: Final = 1_000_000_000
MEWS_PUSH_KIND: Final = "loyaltyMemberships/update"
ACTIVITY_KINDS: Final = frozenset({"accrual", "redemption"})
"""A member's own activity (earning, spending): with `expiry_extends_on_activity` it moves the
expiry of all their points to `expiry_months` from that day."""
_SOURCES_NEEDING_ID: Final = frozenset({"reservation", "reward", "approval"})


def points_coalesce_key(membership_id: str) -> str:
    """The outbox key under which a membership's balance pushes coalesce (see `storage.outbox`)."""
    return f"points:{membership_id}"


def push_payload(
    membership_id: str,
    chain_id: str,
    points: int,
    version: int,
    *,
    mews_points_before: int | None = None,
) -> dict[str, Any]:
    """A balance push as the outbox keeps it: the ledger `Version` the `Points` stand for lets
    the dispatcher record what Mews holds (`tools.loyalty.compare`). `MewsPointsBefore`, when
    known: the `Points` this ledger expected Mews to hold when the command was written (the
    last recorded push, no entry since but this one); when Mews shows exactly that, the
    dispatcher's comparison needs no read of the ledger."""
    payload: dict[str, Any] = {
        "LoyaltyMembershipId": membership_id,
        "Points": points,
        "ChainId": chain_id,
        "Version": version,
    }
    if mews_points_before is not None:
        payload["MewsPointsBefore"] = mews_points_before
    return payload


def ledger_lock_key(membership_id: str) -> str:
    """The lock a caller holds (`store.write(key)`) around every write to this membership."""
    return f"ledger:{membership_id}"


def reward_inventory_lock_key(reward_id: str, day: date) -> str:
    """The lock to hold as well when a redemption checks a reward's daily inventory."""
    return f"reward-inventory:{reward_id}:{day.isoformat()}"


@dataclass(frozen=True, slots=True)
class _Request:
    """What a caller asked for; compared field by field when an idempotency key repeats."""

    membership_id: str
    kind: EntryKind
    points: int | None  # None for reversals: their points follow from the ledger
    reason: str
    actor: str
    source: Source
    idempotency_key: str
    pending_until: datetime | None = None
    reverses_entry_id: int | None = None
    queue_push: bool = True
    """False: the caller carries the new balance to Mews itself (compare-before-push)."""


# ---------------------------------------------------------------------- public API
def ensure_account(
    conn: Connection,
    *,
    membership_id: str,
    chain_id: str,
    program_id: str,
    program: ProgramConfig,
    customer_id: str,
    mews_points: int | None,
    now: datetime,
    actor: str = "system",
) -> Account:
    """The membership's account, created on first sight with an opening balance of its Mews points.

    A membership seen again keeps its ledger; ids that disagree with the stored ones raise
    `AccountMismatchError`. Negative Mews points open as points owed.
    """
    _require_text("membership_id", membership_id, 64)
    if mews_points:
        _validate_points(mews_points)
    existing = sql.load_account(conn, membership_id, for_update=True)
    if existing is not None:
        _check_same(existing, chain_id=chain_id, program_id=program_id, customer_id=customer_id)
        _check_program(existing, program)
        return existing
    at = naive_utc(now)
    conn.execute(
        accounts_table.insert().values(
            membership_id=membership_id,
            chain_id=chain_id,
            program_id=program_id,
            program_code=program.code,
            customer_id=customer_id,
            balance=0,
            version=0,
            created_at=at,
            updated_at=at,
        )
    )
    account = sql.require_account(conn, membership_id)
    if mews_points:
        request = _Request(
            membership_id=membership_id,
            kind="opening_balance",
            points=mews_points,
            reason="opening balance: the membership's Points in Mews when first seen",
            actor=actor,
            source=Source("reconcile", membership_id),
            idempotency_key=f"opening:{membership_id}",
        )
        if mews_points > 0:
            _post_lot(conn, account, request, mews_points, program, now)
        else:
            _post_debit(conn, account, request, mews_points, now, allow_negative=True)
        account = sql.require_account(conn, membership_id)
    # What Mews holds as this ledger knows it: compare-before-push starts from here.
    record_opening(conn, membership_id, points=mews_points or 0, version=account.version, now=now)
    return account


class EntryArgs(TypedDict):
    """The entry `post_entry` and `post_entry_available` are asked to post (keyword
    arguments, each with the same meaning as in the entry: `LedgerEntry`)."""

    membership_id: str
    kind: PostableKind
    points: int
    reason: str
    actor: str
    source: Source
    idempotency_key: str


def post_entry(
    conn: Connection,
    *,
    program: ProgramConfig,
    now: datetime,
    pending_until: datetime | None = None,
    allow_negative: bool = False,
    queue_push: bool = True,
    account: Account | None = None,
    **entry: Unpack[EntryArgs],
) -> LedgerEntry:
    """Post an accrual (> 0), a redemption (< 0) or an adjustment (either sign).

    Returns the posted entry, or the original one when the idempotency key was used before with
    the same arguments. `pending_until` delays when a lot's points can be spent.
    `queue_push=False`: queue no Mews push (the outbox dispatcher, pushing this membership
    already, carries the new balance itself). `account`: the membership's account as the
    caller loaded it in this transaction (`for_update`), so it is not read again.
    """
    request = _Request(
        **entry,
        pending_until=None if pending_until is None else utc(pending_until),
        queue_push=queue_push,
    )
    posted, _ = _post(conn, request, program, now, allow_negative, account)
    return posted


def post_entry_available(
    conn: Connection,
    *,
    program: ProgramConfig,
    now: datetime,
    account: Account | None = None,
    **entry: Unpack[EntryArgs],
) -> tuple[LedgerEntry, int]:
    """`post_entry`, and the points of the membership available afterwards (read with the
    debts a new lot settles, not again)."""
    posted, lots = _post(conn, _Request(**entry), program, now, False, account)
    if lots is None:
        lots = sql.open_lots(conn, [posted.membership_id]).get(posted.membership_id, [])
    return posted, sum(lot.remaining for lot in lots if lot.is_available(now))


def _post(
    conn: Connection,
    request: _Request,
    program: ProgramConfig,
    now: datetime,
    allow_negative: bool,
    account: Account | None,
) -> tuple[LedgerEntry, list[OpenLot] | None]:
    """The entry, and the membership's open lots after it when they are known without a read."""
    assert request.points is not None
    _validate_request(request)
    _validate_postable(request.kind, request.points, request.pending_until)
    if account is not None and account.membership_id != request.membership_id:
        raise ValueError(f"account {account.membership_id} given for {request.membership_id}")
    if request.points > 0:
        # A lot checks nothing before writing: its insert finds a used key itself (a replay).
        if account is None:
            moved = sql.move_account(conn, request.membership_id, request.points, naive_utc(now))
            if moved is not None and moved[0].program_code == program.code:
                return _post_moved_lot(conn, *moved, request, program, now)
            if moved is not None:  # another program's account: undone, refused below
                sql.unmove_account(conn, moved[0], request.points)
        account = account or _account_of(conn, request)
        if account is None:
            return _replayed(conn, request), None
        posted = _post_lot(conn, account, request, request.points, program, now)
        _after_activity(conn, request, program, now)
        return posted
    replay = _replay(conn, request)
    if replay is not None:
        return replay, None
    account = account or sql.require_account(conn, request.membership_id, for_update=True)
    _check_program(account, program)
    entry = _post_debit(conn, account, request, request.points, now, allow_negative=allow_negative)
    _after_activity(conn, request, program, now)
    return entry, None


def _post_moved_lot(
    conn: Connection,
    moved: Account,
    recorded: tuple[int, int] | None,
    request: _Request,
    program: ProgramConfig,
    now: datetime,
) -> tuple[LedgerEntry, list[OpenLot] | None]:
    """A lot on an account whose balance and version already moved by its points (one
    `UPDATE ... RETURNING` instead of a locked read and an update): the entry, the open lots
    after it read by the statement that extends their expiry (when activity extends it), and
    the move undone when the key posted an entry before (a replay).

    `recorded`: the `Points` and version last recorded as held by Mews. When that record is
    the version just before this entry and this entry does not follow Mews, this ledger
    expects Mews to hold exactly those points at the push (`push_payload`'s
    `MewsPointsBefore`)."""
    assert request.points is not None
    available_at = request.pending_until or utc(now)
    expires_at = program.points_expire_at(available_at)
    expected = None
    if (
        recorded is not None
        and recorded[1] == moved.version - 1
        and request.source.type not in FOLLOWING_MEWS
    ):
        expected = recorded[0]
    appended = _append_entry(
        conn,
        moved,
        request,
        request.points,
        now,
        request.points,
        None,
        expires_at,
        True,
        moved=True,
        mews_points_before=expected,
    )
    if appended is None:
        sql.unmove_account(conn, moved, request.points)
        return _replayed(conn, request), None
    entry, account = appended
    extend = request.kind in ACTIVITY_KINDS and program.expiry_extends_on_activity
    until = program.points_expire_at(utc(now)) if extend else None
    lots, debts = sql.lots_and_debts(
        conn,
        account.membership_id,
        extend_to=None if until is None else (naive_utc(now), naive_utc(until)),
    )
    if not debts:
        return entry, lots
    sql.apply_takes(conn, None, plan_settlement(debts, lots, now))
    return sql.entry_by_id(conn, account.membership_id, entry.id), None


def _account_of(conn: Connection, request: _Request) -> Account | None:
    """The locked account to post a lot to; None when the key was used (the account exists)."""
    account = sql.load_account(conn, request.membership_id, for_update=True)
    if account is None and _replay(conn, request) is not None:
        return None
    return account or sql.require_account(conn, request.membership_id)


def _after_activity(
    conn: Connection, request: _Request, program: ProgramConfig, now: datetime
) -> None:
    """An accrual or a redemption just posted: with `expiry_extends_on_activity` it resets the
    expiry clock of all the member's points."""
    if request.kind in ACTIVITY_KINDS and program.expiry_extends_on_activity:
        _extend_expiry(conn, request.membership_id, program, now)


def _extend_expiry(
    conn: Connection, membership_id: str, program: ProgramConfig, now: datetime
) -> None:
    """Activity resets the clock: every lot with points left that would expire sooner than
    `expiry_months` from now expires then instead (never sooner than it would have; expired
    lots stay expired, awaiting `expire_due`)."""
    until = program.points_expire_at(utc(now))
    if until is None:
        return
    e = entries_table
    conn.execute(
        e.update()
        .where(
            e.c.membership_id == membership_id,
            e.c.remaining > 0,
            e.c.expires_at.is_not(None),
            e.c.expires_at > naive_utc(now),
            e.c.expires_at < naive_utc(until),
        )
        .values(expires_at=naive_utc(until))
    )


def reverse_entry(
    conn: Connection,
    *,
    membership_id: str,
    entry_id: int,
    reason: str,
    actor: str,
    now: datetime,
    idempotency_key: str | None = None,
    source: Source | None = None,
    allow_negative: bool = False,
) -> LedgerEntry:
    """Undo one entry (see the module docstring for what that means for lots and debits).

    The key defaults to `reversal:{entry_id}`; the source defaults to the original entry's.
    """
    original = sql.entry_by_id(conn, membership_id, entry_id)
    request = _Request(
        membership_id=membership_id,
        kind="reversal",
        points=None,
        reason=reason,
        actor=actor,
        source=source or original.source,
        idempotency_key=idempotency_key or f"reversal:{entry_id}",
        reverses_entry_id=entry_id,
    )
    _validate_request(request)
    replay = _replay(conn, request)
    if replay is not None:
        return replay
    if original.kind in ("reversal", "expiry"):
        why = (
            "a reversal is final" if original.kind == "reversal" else "expired points stay expired"
        )
        raise EntryNotReversibleError(entry_id, original.kind, f"{why}; post an adjustment instead")
    if original.reversed_by_entry_id is not None:
        raise AlreadyReversedError(entry_id, original.reversed_by_entry_id)
    account = sql.require_account(conn, membership_id, for_update=True)
    if original.is_lot:
        return _reverse_lot(conn, account, request, original, now, allow_negative=allow_negative)
    return _reverse_debit(conn, account, request, original, now)


def expire_due(
    conn: Connection, *, membership_id: str, now: datetime, actor: str = "system"
) -> tuple[LedgerEntry, ...]:
    """Post one expiry entry per lot past its expiry with points left; nothing when none is due."""
    account = sql.require_account(conn, membership_id, for_update=True)
    due = sorted(
        (
            lot
            for lot in sql.open_lots(conn, [membership_id]).get(membership_id, [])
            if lot.is_expired(now)
        ),
        key=lambda lot: (lot.expires_at, lot.id),
    )
    posted: list[LedgerEntry] = []
    for lot in due:
        assert lot.expires_at is not None  # is_expired() implies an expiry
        request = _Request(
            membership_id=membership_id,
            kind="expiry",
            points=-lot.remaining,
            reason=f"{lot.remaining} points of entry {lot.id} expired on {lot.expires_at.date()}",
            actor=actor,
            source=Source("system", str(lot.id)),
            # The n-th expiry of this lot (a reversed redemption can refill an expired lot).
            idempotency_key=f"expiry:{lot.id}:{sql.expiry_count(conn, lot.id) + 1}",
        )
        entry_id, account = _append(conn, account, request, -lot.remaining, now, shortfall=0)
        sql.apply_takes(conn, entry_id, [Take(lot.id, lot.remaining)])
        posted.append(sql.entry_by_id(conn, membership_id, entry_id))
    return tuple(posted)


# ---------------------------------------------------------------------- posting
def _post_lot(
    conn: Connection,
    account: Account,
    request: _Request,
    points: int,
    program: ProgramConfig,
    now: datetime,
) -> tuple[LedgerEntry, list[OpenLot] | None]:
    """The new lot (or the entry its key posted before) and the open lots after it."""
    if account.program_code != program.code and _replay(conn, request) is None:
        _check_program(account, program)  # raises
    available_at = request.pending_until or utc(now)
    expires_at = program.points_expire_at(available_at)
    appended = _append_entry(conn, account, request, points, now, points, None, expires_at, True)
    if appended is None:  # the key posted an entry before: that one, if the arguments match
        return _replayed(conn, request), None
    entry, account = appended
    lots, debts = sql.lots_and_debts(conn, account.membership_id)
    if not debts:
        return entry, lots
    sql.apply_takes(conn, None, plan_settlement(debts, lots, now))
    return sql.entry_by_id(conn, account.membership_id, entry.id), None


def _replayed(conn: Connection, request: _Request) -> LedgerEntry:
    replay = _replay(conn, request)
    assert replay is not None, "an insert found the key used, a read must find its entry"
    return replay


def _post_debit(
    conn: Connection,
    account: Account,
    request: _Request,
    points: int,
    now: datetime,
    *,
    allow_negative: bool,
) -> LedgerEntry:
    lots = sql.open_lots(conn, [account.membership_id]).get(account.membership_id, [])
    # Plan before writing: a refusal must leave nothing behind in the caller's transaction.
    plan = plan_debit(lots, -points, now, include_pending=request.kind != "redemption")
    if plan.uncovered and not allow_negative:
        available, pending = available_and_pending(lots, now)
        raise InsufficientPointsError(account.membership_id, -points, available, pending)
    entry_id, account = _append(conn, account, request, points, now, shortfall=plan.uncovered)
    sql.apply_takes(conn, entry_id, plan.takes)
    return sql.entry_by_id(conn, account.membership_id, entry_id)


def _reverse_lot(
    conn: Connection,
    account: Account,
    request: _Request,
    lot: LedgerEntry,
    now: datetime,
    *,
    allow_negative: bool,
) -> LedgerEntry:
    assert lot.remaining is not None
    expired = sql.expired_from_lot(conn, lot.id)
    amount = lot.points - expired
    if amount <= 0:
        raise EntryNotReversibleError(lot.id, lot.kind, "all of its points have expired already")
    from_itself = min(lot.remaining, amount)
    others = [
        other
        for other in sql.open_lots(conn, [account.membership_id]).get(account.membership_id, [])
        if other.id != lot.id
    ]
    plan = plan_debit(others, amount - from_itself, now, include_pending=True)
    if plan.uncovered and not allow_negative:
        available, pending = available_and_pending(others, now)
        missing = amount - from_itself
        raise InsufficientPointsError(account.membership_id, missing, available, pending)
    entry_id, account = _append(conn, account, request, -amount, now, shortfall=plan.uncovered)
    own = [Take(lot.id, from_itself)] if from_itself else []
    sql.apply_takes(conn, entry_id, [*own, *plan.takes])
    return sql.entry_by_id(conn, account.membership_id, entry_id)


def _reverse_debit(
    conn: Connection, account: Account, request: _Request, debit: LedgerEntry, now: datetime
) -> LedgerEntry:
    entry_id, account = _append(conn, account, request, -debit.points, now)
    e = entries_table
    for lot_id, points in sql.allocations_of_debit(conn, debit.id):
        conn.execute(e.update().where(e.c.id == lot_id).values(remaining=e.c.remaining + points))
    conn.execute(e.update().where(e.c.id == debit.id).values(shortfall=0))
    _settle_debts(conn, account.membership_id, now)
    return sql.entry_by_id(conn, account.membership_id, entry_id)


def _settle_debts(conn: Connection, membership_id: str, now: datetime) -> None:
    """Let lots with points cover debts that were allowed to go uncovered."""
    debts = sql.outstanding_debts(conn, membership_id)
    if debts:
        lots = sql.open_lots(conn, [membership_id]).get(membership_id, [])
        sql.apply_takes(conn, None, plan_settlement(debts, lots, now))


def _append(
    conn: Connection,
    account: Account,
    request: _Request,
    points: int,
    now: datetime,
    *,
    remaining: int | None = None,
    shortfall: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[int, Account]:
    """Insert the entry, move the cached balance, queue the Mews push. Returns the entry id."""
    appended = _append_entry(
        conn, account, request, points, now, remaining, shortfall, expires_at, False
    )
    assert appended is not None  # without replay_on_conflict a used key raises
    return appended[0].id, appended[1]


def _append_entry(
    conn: Connection,
    account: Account,
    request: _Request,
    points: int,
    now: datetime,
    remaining: int | None,
    shortfall: int | None,
    expires_at: datetime | None,
    replay_on_conflict: bool,
    *,
    moved: bool = False,
    mews_points_before: int | None = None,
) -> tuple[LedgerEntry, Account] | None:
    """`_append`, returning the entry as written (not read back) and the moved account.
    `replay_on_conflict`: an insert whose idempotency key is used writes nothing and
    returns None (the caller replays), instead of raising. `moved`: `account` is already the
    account after this entry (`_ledger_sql.move_account`), nothing more to update."""
    sequence = account.version + (0 if moved else 1)
    balance = account.balance + (0 if moved else points)
    at = naive_utc(now)
    pending_until = None if request.pending_until is None else naive_utc(request.pending_until)
    expires = None if expires_at is None else naive_utc(expires_at)
    values = {
        "membership_id": account.membership_id,
        "sequence": sequence,
        "kind": request.kind,
        "points": points,
        "balance_after": balance,
        "reason": request.reason,
        "actor": request.actor,
        "source_type": request.source.type,
        "source_id": request.source.id,
        "idempotency_key": request.idempotency_key,
        "created_at": at,
        "pending_until": pending_until,
        "expires_at": expires,
        "remaining": remaining,
        "shortfall": shortfall,
        "reverses_entry_id": request.reverses_entry_id,
    }
    if replay_on_conflict:
        entry_id = conn.execute(_insert_unless_key_used(conn.dialect.name), values).scalar()
        if entry_id is None:
            return None
    else:
        key = conn.execute(entries_table.insert(), values).inserted_primary_key
        assert key is not None
        entry_id = key[0]
    a = accounts_table
    if not moved and (
        conn.execute(
            a.update()
            .where(a.c.membership_id == account.membership_id, a.c.version == account.version)
            .values(balance=balance, version=sequence, updated_at=at)
        ).rowcount
        != 1
    ):
        raise ConcurrentUpdateError(account.membership_id, account.version)
    if request.queue_push:
        enqueue(
            conn,
            MEWS_PUSH_KIND,
            push_payload(
                account.membership_id,
                account.chain_id,
                balance,
                sequence,
                mews_points_before=mews_points_before,
            ),
            now=now,
            coalesce_key=points_coalesce_key(account.membership_id),
        )
    # the entry as written; a new entry: nothing reverses it yet
    entry = sql.entry_from_columns({**values, "id": int(entry_id), "reversed_by_entry_id": None})
    return entry, dataclasses.replace(account, balance=balance, version=sequence)


def _insert_unless_key_used(dialect: str) -> Any:
    """`INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`: the replay check
    and the insert in one statement (built once per dialect)."""
    return _INSERT_UNLESS_KEY_USED["postgresql" if dialect == "postgresql" else "sqlite"]


_INSERT_UNLESS_KEY_USED: Final = {
    name: insert(entries_table)
    .on_conflict_do_nothing(index_elements=[entries_table.c.idempotency_key])
    .returning(entries_table.c.id)
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


# ---------------------------------------------------------------------- checks
def _replay(conn: Connection, request: _Request) -> LedgerEntry | None:
    """The entry this key already posted, if the arguments match; else a conflict."""
    existing = sql.entry_by_key(conn, request.idempotency_key)
    if existing is None:
        return None
    posted = {
        "membership_id": existing.membership_id,
        "kind": existing.kind,
        "points": existing.points,
        "reason": existing.reason,
        "actor": existing.actor,
        "source": existing.source,
        "pending_until": existing.pending_until,
        "reverses_entry_id": existing.reverses_entry_id,
    }
    asked = {name: getattr(request, name) for name in posted}
    if request.points is None:  # a reversal's points are derived, not asked for
        del posted["points"], asked["points"]
    differing = [name for name in posted if posted[name] != asked[name]]
    if differing:
        raise IdempotencyConflictError(request.idempotency_key, existing.id, differing)
    return existing


def _require_text(field: str, value: str, limit: int = 200) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEntryError(field, "is required and must not be blank")
    if len(value) > limit:
        raise InvalidEntryError(field, f"must be at most {limit} characters")


def _validate_points(points: int) -> None:
    if isinstance(points, bool) or not isinstance(points, int):
        raise InvalidEntryError("points", "must be a whole number")
    if points == 0:
        raise InvalidEntryError("points", "must not be zero")
    if abs(points) > MAX_ENTRY_POINTS:
        raise InvalidEntryError("points", f"must be within ±{MAX_ENTRY_POINTS}")


def _validate_request(request: _Request) -> None:
    _require_text("membership_id", request.membership_id, 64)
    _require_text("reason", request.reason, 2000)
    _require_text("actor", request.actor)
    _require_text("idempotency_key", request.idempotency_key)
    if request.source.type not in SOURCE_TYPES:
        raise InvalidEntryError("source.type", f"must be one of {', '.join(SOURCE_TYPES)}")
    if request.source.id is not None:
        _require_text("source.id", request.source.id)
    elif request.source.type in _SOURCES_NEEDING_ID:
        raise InvalidEntryError("source.id", f"is required for a {request.source.type} source")


def _validate_postable(kind: str, points: int, pending_until: datetime | None) -> None:
    _validate_points(points)
    if kind == "accrual" and points < 0:
        raise InvalidEntryError("points", "an accrual must be positive")
    if kind == "redemption" and points > 0:
        raise InvalidEntryError("points", "a redemption must be negative")
    if kind not in ("accrual", "redemption", "adjustment"):
        raise InvalidEntryError("kind", "post_entry takes accrual, redemption or adjustment")
    if pending_until is not None and points < 0:
        raise InvalidEntryError("pending_until", "only points being added can be pending")


def _check_program(account: Account, program: ProgramConfig) -> None:
    if account.program_code != program.code:
        raise AccountMismatchError(
            account.membership_id, "program_code", account.program_code, program.code
        )


def _check_same(account: Account, *, chain_id: str, program_id: str, customer_id: str) -> None:
    for field, stored, given in (
        ("chain_id", account.chain_id, chain_id),
        ("program_id", account.program_id, program_id),
        ("customer_id", account.customer_id, customer_id),
    ):
        if stored != given:
            raise AccountMismatchError(account.membership_id, field, stored, given)
